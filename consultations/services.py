"""Every AI call of Counsel: scrub, prompt, cache, ask, restore, record (DESIGN.md's flow).

Cache hits are recorded too, with the tokens the cached answer originally cost (so an admin
sees what the answer is worth) but a zero cost estimate and zero attempts (nothing was paid
or sent this time); offline answers cost nothing either. The cache holds answers in their
scrubbed form, placeholders and all: each request restores them with its own mapping, so a
cached answer never holds a real name.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache

from accounts.models import User
from cases.models import Case
from config.errors import DomainError
from consultations.budgets import BudgetedCall, budget_release, budget_reserve
from consultations.llm.cache import cache_key, cache_store, cached_call, cached_value
from consultations.llm.client import (
    OFFLINE_LABEL,
    Completion,
    Provider,
    estimate_tokens,
    get_provider,
)
from consultations.llm.errors import LLMBadOutput, LLMError, LLMRejected, LLMTruncated
from consultations.llm.pii import Scrubber, mask_secrets, restore, unrestored_placeholders
from consultations.llm.prompts import RenderedPrompt, render_prompt
from consultations.models import BudgetReservation, Consultation, ConsultationView, Conversation
from consultations.policies import (
    SEVERITIES,
    Policy,
    RequiredClause,
    get_policy,
    merge_findings,
    risk_level,
    suggestions_for,
)
from consultations.recording import consultation_record
from consultations.selectors import consultation_answered_for_key

logger = logging.getLogger("counsel.ai")

_OFFLINE_ANALYSIS_NOTE = (
    f"{OFFLINE_LABEL} No language model was consulted: these findings come from the firm's "
    "rule checks only."
)
_FALLBACK_ANALYSIS_NOTE = (
    "[Rule checks only] The AI's answer could not be read, so these findings come from the "
    "firm's rule checks only."
)


@dataclass(frozen=True)
class ChatResult:
    answer: str
    tokens_used: int
    cached: bool
    consultation: Consultation
    references: list[dict[str, Any]] = field(default_factory=list)
    conversation: Conversation | None = None


@dataclass(frozen=True)
class AnalysisResult:
    findings: list[dict[str, str]]
    risk_level: str
    suggestions: list[str]
    tokens_used: int
    cached: bool
    consultation: Consultation


def _scrubber_for(*, user: User, case: Case | None, names: Iterable[str] = ()) -> Scrubber:
    # The names the scrubber cannot guess: the case's parties, the caller, who often writes
    # their own name into a question, and any the caller knows (a document's parties).
    known = [user.get_full_name(), *(case.party_names() if case else ()), *names]
    return Scrubber(known_names=[name for name in known if name])


def _transcript(messages: list[dict[str, str]]) -> str:
    """Everything the provider received, as the audit shows it: the system prompt carries
    scrubbed case details too, and a name the scrubber missed there must be visible."""
    return "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in messages)


# --- Chat -----------------------------------------------------------------------------------


class ConversationCaseMismatch(DomainError):
    status_code = 400
    default_detail = "This conversation is about another case (or about none)."


def _conversation_new(*, user: User, case: Case | None, first_question: str) -> Conversation:
    """A conversation not saved yet: consultation_record stores it with its first turn."""
    # The title is shown in lists: secrets never, and only the first few words.
    words = mask_secrets(first_question).split()
    title = " ".join(words[:_TITLE_WORDS])
    if len(words) > _TITLE_WORDS or len(title) > _TITLE_CHARS:
        title = title[: _TITLE_CHARS - 1].rstrip() + "…"
    return Conversation(user=user, case=case, title=title or "Untitled")


def conversation_start(*, user: User, case: Case | None, first_question: str) -> Conversation:
    """A new conversation, saved now: for a caller that needs its id before the first turn."""
    conversation = _conversation_new(user=user, case=case, first_question=first_question)
    conversation.save()
    return conversation


_TITLE_WORDS = 8
_TITLE_CHARS = 120
# The most turns ever read back for the history; the token budget usually stops far sooner.
_HISTORY_TURNS_READ = 50


@dataclass(frozen=True)
class _PreparedChat:
    """One chat question made ready for the model: shared by the answer and the stream."""

    call: _Call
    conversation: Conversation
    messages: list[dict[str, str]]
    params: dict[str, Any]
    scrubber: Scrubber
    provider: Provider

    def result(self, *, answer: str, consultation: Consultation, hit: bool) -> ChatResult:
        return ChatResult(
            answer=answer,
            tokens_used=consultation.tokens_used,
            cached=hit,
            consultation=consultation,
            references=_case_references(self.call.case),
            conversation=self.conversation,
        )


def _chat_prepare(
    *,
    user: User,
    message: str,
    case: Case | None,
    conversation: Conversation | None,
    locale: str,
    request_id: str,
    idempotency_key: str,
    endpoint: str,
) -> _PreparedChat:
    started = time.monotonic()
    if conversation is None:
        conversation = _conversation_new(user=user, case=case, first_question=message)
    elif case is not None and conversation.case_id != case.pk:
        raise ConversationCaseMismatch()
    else:
        case = conversation.case
    scrubber = _scrubber_for(user=user, case=case)
    scrubbed_message = scrubber.scrub(message)
    case_context = (
        {
            "title": scrubber.scrub(case.title),
            "practice_area": case.get_practice_area_display(),
            "description": scrubber.scrub(case.description),
        }
        if case
        else None
    )
    prompt = render_prompt("chat", {"case": case_context, "locale": locale})
    messages = [
        {"role": "system", "content": prompt.text},
        *_history_messages(conversation=conversation, scrubber=scrubber),
        {"role": "user", "content": scrubbed_message},
    ]
    provider = get_provider()
    call = _Call.begin(
        provider=provider,
        messages=messages,
        scrubber=scrubber,
        user=user,
        case=case,
        kind=Consultation.Kind.CHAT,
        prompt=prompt,
        request_id=request_id,
        idempotency_key=idempotency_key,
        endpoint=endpoint,
        started=started,
        conversation=conversation,
        question=message,
    )
    return _PreparedChat(
        call=call,
        conversation=conversation,
        messages=messages,
        params={"locale": locale},
        scrubber=scrubber,
        provider=provider,
    )


def _history_messages(*, conversation: Conversation, scrubber: Scrubber) -> list[dict[str, str]]:
    """The conversation's earlier answered turns as user/assistant messages, newest kept first
    within LLM_HISTORY_TOKEN_BUDGET (estimated at four characters a token); older turns are
    left out, and a system note says how many.

    They are scrubbed again by this request's scrubber, so a name has the same placeholder in
    the history as in the new question (the stored texts are the user's, identities and all).
    A conversation not saved yet has none.
    """
    if conversation.pk is None:
        return []
    answered = conversation.turns.filter(outcome=Consultation.Outcome.OK).exclude(question="")
    turns = list(answered.order_by("-created_at", "-id")[:_HISTORY_TURNS_READ])
    budget = settings.LLM_HISTORY_TOKEN_BUDGET
    kept: list[Consultation] = []
    for turn in turns:
        budget -= math.ceil((len(turn.question) + len(turn.answer)) / 4)
        if budget < 0:
            break
        kept.append(turn)
    # Counted only when there may be more turns than were read.
    total = len(turns) if len(turns) < _HISTORY_TURNS_READ else answered.count()
    omitted = total - len(kept)
    history: list[dict[str, str]] = []
    if omitted:
        history.append(
            {
                "role": "system",
                "content": f"{omitted} earlier turn{'s' if omitted != 1 else ''} of this "
                "conversation omitted.",
            }
        )
    for turn in reversed(kept):
        history += [
            {"role": "user", "content": scrubber.scrub(turn.question)},
            {"role": "assistant", "content": scrubber.scrub(turn.answer)},
        ]
    return history


def chat_answer(
    *,
    user: User,
    message: str,
    case: Case | None = None,
    conversation: Conversation | None = None,
    locale: str = "en",
    request_id: str,
    idempotency_key: str = "",
    endpoint: str = "",
) -> ChatResult:
    """The assistant's answer to `message`, about `case` when given (the caller has already
    checked that the user may see it), as the next turn of `conversation` (the caller's own;
    a new one when None, ConversationCaseMismatch when `case` is not its case)."""
    chat = _chat_prepare(
        user=user,
        message=message,
        case=case,
        conversation=conversation,
        locale=locale,
        request_id=request_id,
        idempotency_key=idempotency_key,
        endpoint=endpoint,
    )

    def ask() -> dict[str, Any]:
        completion = chat.provider.complete(
            messages=chat.messages, idempotency_key=uuid.uuid4().hex
        )
        return _answer_of(completion)

    cached, hit = chat.call.cached_answer(messages=chat.messages, params=chat.params, compute=ask)
    answer = restore(cached["text"], chat.scrubber.mapping)
    consultation = chat.call.record_success(cached=cached, hit=hit, answer=answer)
    return chat.result(answer=answer, consultation=consultation, hit=hit)


@dataclass(frozen=True)
class StreamDelta:
    """More of the answer, identities restored."""

    text: str


@dataclass(frozen=True)
class StreamDone:
    result: ChatResult


@dataclass(frozen=True)
class StreamFailed:
    """The answer broke off (already recorded as failed); what was shown is all there is."""

    error: LLMError


ChatStreamEvent = StreamDelta | StreamDone | StreamFailed


@dataclass(frozen=True)
class ChatStream:
    conversation: Conversation
    events: Iterator[ChatStreamEvent]


def chat_stream(
    *,
    user: User,
    message: str,
    case: Case | None = None,
    conversation: Conversation | None = None,
    locale: str = "en",
    request_id: str,
    endpoint: str = "",
) -> ChatStream:
    """`chat_answer`'s answer as it is written: its `events` are StreamDeltas, then one
    StreamDone or StreamFailed. Errors of the request itself (a conversation about another
    case, a spent budget) are raised here, before any event.

    A cached answer comes as one delta. Otherwise the answer is cached and recorded `ok` only
    when it completed; a stream that broke is recorded `failed` with what was shown, and one
    the consumer closed (the user pressed Stop, the connection dropped) is recorded `failed`
    with error_code "cancelled", and the provider's connection is closed with it.
    """
    chat = _chat_prepare(
        user=user,
        message=message,
        case=case,
        conversation=conversation,
        locale=locale,
        request_id=request_id,
        idempotency_key="",
        endpoint=endpoint,
    )
    if chat.conversation.pk is None:  # its id goes out before the answer is recorded
        chat.conversation.save()
    return ChatStream(conversation=chat.conversation, events=_stream_events(chat))


def _stream_events(chat: _PreparedChat) -> Generator[ChatStreamEvent, None, None]:
    key = chat.call.key(messages=chat.messages, params=chat.params)
    cached = cached_value(key)
    if cached is not None:
        answer = restore(cached["text"], chat.scrubber.mapping)
        # Recorded first: the whole answer goes out in this one delta.
        consultation = chat.call.record_success(cached=cached, hit=True, answer=answer)
        yield StreamDelta(answer)
        yield StreamDone(chat.result(answer=answer, consultation=consultation, hit=True))
        return
    restorer = _StreamRestorer(chat.scrubber.mapping)
    shown: list[str] = []
    chunks = chat.provider.stream(messages=chat.messages, idempotency_key=uuid.uuid4().hex)
    try:
        while True:
            try:
                text = restorer.feed(next(chunks))
            except StopIteration as finished:
                completion: Completion = finished.value
                break
            if text:
                shown.append(text)
                yield StreamDelta(text)
        if tail := restorer.flush():
            shown.append(tail)
            yield StreamDelta(tail)
    except LLMError as exc:
        chat.call.record_failure(error=exc, answer="".join(shown))
        yield StreamFailed(exc)
        return
    except GeneratorExit:
        chunks.close()
        chat.call.record_failure(error=None, answer="".join(shown))
        raise
    answer_data = _answer_of(completion)
    cache_store(key=key, value=answer_data, ttl=settings.LLM_CACHE_TTL[chat.call.kind])
    answer = "".join(shown)
    consultation = chat.call.record_success(cached=answer_data, hit=False, answer=answer)
    yield StreamDone(chat.result(answer=answer, consultation=consultation, hit=False))


@dataclass(frozen=True)
class PendingQuestion:
    message: str
    case_id: int | None
    conversation_id: int


@dataclass(frozen=True)
class ParkedQuestion:
    token: str
    conversation: Conversation


# Long enough for the page to open the stream; short, since the question waits in the cache.
_PENDING_TTL = 120


def chat_question_park(
    *, user: User, message: str, case: Case | None, conversation: Conversation | None
) -> ParkedQuestion | None:
    """Keep a question for the stream the staff page opens next, as the next turn of
    `conversation` (started now when None, so the page can continue it); the token names it
    in the stream's URL, never the question itself. None when the cache is down.

    Secrets are masked before it is kept: the model would only ever see them masked."""
    started = conversation is None
    if conversation is None:
        conversation = conversation_start(user=user, case=case, first_question=message)
    token = uuid.uuid4().hex
    pending = {
        "user_id": user.pk,
        "message": mask_secrets(message),
        "case_id": case and case.pk,
        "conversation_id": conversation.pk,
    }
    try:
        cache.set(f"chat-pending:{token}", pending, _PENDING_TTL)
    except Exception:
        # Broad on purpose: django-redis reports an outage as a bare Exception.
        logger.warning("pending question not kept, answering without a stream", exc_info=True)
        if started:
            conversation.delete()  # still empty: the answer without a stream starts its own
        return None
    return ParkedQuestion(token=token, conversation=conversation)


def chat_question_take(*, user: User, token: str) -> PendingQuestion | None:
    """The question parked under `token` by this user, at most once; None otherwise."""
    key = f"chat-pending:{token}"
    try:
        pending = cache.get(key)
        # Only its owner spends it; of two tabs racing for it, the one whose delete removed
        # it takes it.
        if not pending or pending["user_id"] != user.pk or not cache.delete(key):
            return None
    except Exception:
        logger.warning("pending question unavailable", exc_info=True)
        return None
    return PendingQuestion(
        message=pending["message"],
        case_id=pending["case_id"],
        conversation_id=pending["conversation_id"],
    )


# The start of a placeholder that a chunk may end in the middle of: "<", "<PERS", "<PERSON_1".
_PLACEHOLDER_START = re.compile(r"<[A-Za-z]*(?:_\d*)?")
_PLACEHOLDER_MAX = 24


class _StreamRestorer:
    """Restores placeholders in a text that arrives in chunks: a chunk that ends inside one
    (`<PERS` + `ON_1>`) is held back until the rest arrives."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping
        self.held = ""

    def feed(self, chunk: str) -> str:
        text = self.held + chunk
        start = text.rfind("<")
        tail = text[start:] if start != -1 else ""
        if tail and len(tail) <= _PLACEHOLDER_MAX and _PLACEHOLDER_START.fullmatch(tail):
            self.held, text = tail, text[:start]
        else:
            self.held = ""
        return restore(text, self.mapping)

    def flush(self) -> str:
        text, self.held = self.held, ""
        return restore(text, self.mapping)


def _case_references(case: Case | None) -> list[dict[str, Any]]:
    # Only what the caller was already allowed to open: the case they linked themselves.
    if case is None:
        return []
    return [{"type": "case", "id": case.pk, "reference": case.reference, "title": case.title}]


# --- Contract analysis ----------------------------------------------------------------------


def contract_analyze(
    *,
    user: User,
    text: str,
    policy: str,
    case: Case | None = None,
    request_id: str,
    idempotency_key: str = "",
    endpoint: str = "",
) -> AnalysisResult:
    """Findings on contract `text` under the named policy (`UnknownPolicy` if there is none).

    The policy's rule checks always run, on the scrubbed text so that their evidence and the
    model's quote the same words; the model's findings are merged in. The offline provider
    echoes the rule findings, so offline the analysis is the rule checks alone.
    """
    started = time.monotonic()
    checked = get_policy(policy)
    scrubber = _scrubber_for(user=user, case=case)
    scrubbed = scrubber.scrub(text)
    rule_findings = checked.check(scrubbed)
    prompt = render_prompt(
        "analyze",
        {
            "policy_title": checked.title,
            "policy_description": checked.description,
            "rules": _rule_sentences(checked),
        },
    )
    messages = [
        {"role": "system", "content": prompt.text},
        {"role": "user", "content": scrubbed},
    ]
    provider = get_provider()
    call = _Call.begin(
        provider=provider,
        messages=messages,
        scrubber=scrubber,
        user=user,
        case=case,
        kind=Consultation.Kind.ANALYZE,
        prompt=prompt,
        request_id=request_id,
        idempotency_key=idempotency_key,
        endpoint=endpoint,
        started=started,
        policy=checked,
    )
    offline_answer = json.dumps(
        {"findings": [finding.as_dict() for finding in rule_findings], "suggestions": []}
    )

    def ask_once() -> dict[str, Any]:
        completion = provider.complete(
            messages=messages,
            # A new key each time: a provider that stores answers would replay a bad one.
            idempotency_key=uuid.uuid4().hex,
            json_output=True,
            json_schema=_ANALYSIS_SCHEMA,
            offline_answer=offline_answer,
        )
        # Validated before it is returned, so a malformed answer is never cached.
        return {**_answer_of(completion), **_model_analysis(completion)}

    def ask() -> dict[str, Any]:
        try:
            return ask_once()
        except LLMBadOutput as first:
            # Asked once more: a model's next answer often is the JSON asked for.
            try:
                answer = ask_once()
            except LLMBadOutput as second:
                attempts = first.attempts + second.attempts
                raise LLMBadOutput(attempts=attempts, upstream_status=200) from second
            return {**answer, "attempts": first.attempts + answer["attempts"]}

    def rule_checks_alone(error: LLMError) -> dict[str, Any] | None:
        # An answer that cannot be read (or was cut off) still leaves the rule checks, which
        # answer alone, labelled; a failure of the provider itself is still a failure.
        if not isinstance(error, (LLMBadOutput, LLMTruncated)):
            return None
        return {
            "provider": provider.name,
            "model": provider.model,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "attempts": error.attempts,
            "findings": [],
            "suggestions": [],
            "error_code": f"{error.code}_fallback",
        }

    cached, hit = call.cached_answer(
        messages=messages, params={"policy": checked.name}, compute=ask, fallback=rule_checks_alone
    )
    error_code = cached.get("error_code", "")
    findings = [
        {name: restore(value, scrubber.mapping) for name, value in finding.as_dict().items()}
        for finding in merge_findings(rule_findings, cached["findings"])
    ]
    model_suggestions = (restore(s, scrubber.mapping) for s in cached["suggestions"])
    suggestions = list(dict.fromkeys([*suggestions_for(findings), *model_suggestions]))
    if cached["provider"] == "offline":
        suggestions.insert(0, _OFFLINE_ANALYSIS_NOTE)
    elif error_code:
        suggestions.insert(0, _FALLBACK_ANALYSIS_NOTE)
    result = {"findings": findings, "riskLevel": risk_level(findings), "suggestions": suggestions}
    consultation = call.record_success(
        cached=cached, hit=hit, answer=json.dumps(result, ensure_ascii=False), error_code=error_code
    )
    return AnalysisResult(
        findings=findings,
        risk_level=result["riskLevel"],
        suggestions=suggestions,
        tokens_used=consultation.tokens_used,
        cached=hit,
        consultation=consultation,
    )


def _rule_sentences(policy: Policy) -> list[str]:
    return [
        f"The contract must contain a {rule.clause.lower()} clause. {rule.suggestion}"
        if isinstance(rule, RequiredClause)
        else f"{rule.clause}: {rule.suggestion}"
        for rule in policy.rules
    ]


# What the model must answer, for a provider that holds it to a schema (OpenAI's strict mode
# wants every property required and no others); the prompt says the same in words.
_ANALYSIS_SCHEMA = {
    "name": "contract_analysis",
    "strict": True,
    "schema": {
        "type": "object",
        "properties": {
            "findings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "clause": {"type": "string"},
                        "severity": {"type": "string", "enum": list(SEVERITIES)},
                        "evidence": {"type": "string"},
                        "message": {"type": "string"},
                        "suggestion": {"type": "string"},
                    },
                    "required": ["clause", "severity", "evidence", "message", "suggestion"],
                    "additionalProperties": False,
                },
            },
            "suggestions": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["findings", "suggestions"],
        "additionalProperties": False,
    },
}


def _model_analysis(completion: Completion) -> dict[str, Any]:
    """The model's findings and suggestions, or LLMBadOutput when the JSON has another shape.

    Entries inside the lists are forgiven (merge_findings drops what says nothing and
    normalises severities); a missing or non-list `findings` is not.
    """
    answer = json.loads(completion.text)  # the provider guarantees a JSON object
    findings = answer.get("findings")
    suggestions = answer.get("suggestions", [])
    if not isinstance(findings, list) or not isinstance(suggestions, list):
        raise LLMBadOutput(attempts=completion.attempts, upstream_status=200)
    return {
        "findings": [finding.as_dict() for finding in merge_findings([], findings)],
        "suggestions": [s.strip() for s in suggestions if isinstance(s, str) and s.strip()],
    }


# --- Document drafting ----------------------------------------------------------------------


class DraftableDocument(Protocol):
    """What the drafting prompt tells the model about a document type. drafting's
    DocumentType is one; it is described here because drafting depends on consultations,
    never the reverse."""

    id: str
    title: str
    description: str


@dataclass(frozen=True)
class DraftResult:
    text: str
    tokens_used: int
    cached: bool
    consultation: Consultation


def document_draft(
    *,
    user: User,
    document_type: DraftableDocument,
    assembled_text: str,
    tone: str,
    locale: str,
    policy: str = "",
    known_names: Iterable[str] = (),
    case: Case | None = None,
    request_id: str,
    idempotency_key: str = "",
    endpoint: str = "",
) -> DraftResult:
    """The finished document: the model's revision of `assembled_text`, the first draft that
    a document type's template assembled; offline, that first draft itself, labelled.

    `known_names` are the names among the document's inputs, scrubbed like the case's
    parties. `policy` names the analysis policy the result will be checked against ("" for
    none; UnknownPolicy if there is no such policy).
    """
    started = time.monotonic()
    checked = get_policy(policy) if policy else None
    scrubber = _scrubber_for(user=user, case=case, names=known_names)
    scrubbed = scrubber.scrub(assembled_text)
    prompt = render_prompt(
        "draft",
        {
            "document": document_type,
            "draft": scrubbed,
            "tone": tone,
            "locale": locale,
            "policy": checked.name if checked else "",
        },
    )
    # The prompt carries the draft inside it, so the whole request is one message.
    messages = [{"role": "user", "content": prompt.text}]
    provider = get_provider()
    call = _Call.begin(
        provider=provider,
        messages=messages,
        scrubber=scrubber,
        user=user,
        case=case,
        kind=Consultation.Kind.DRAFT,
        prompt=prompt,
        request_id=request_id,
        idempotency_key=idempotency_key,
        endpoint=endpoint,
        started=started,
        policy=checked,
    )

    def ask() -> dict[str, Any]:
        completion = provider.complete(
            messages=messages,
            idempotency_key=uuid.uuid4().hex,
            # Scrubbed, like any answer that may be cached; restored below.
            offline_answer=scrubbed,
        )
        return _answer_of(completion)

    cached, hit = call.cached_answer(
        messages=messages,
        params={
            "type": document_type.id,
            "tone": tone,
            "locale": locale,
            "policy": checked.name if checked else "",
        },
        compute=ask,
    )
    text = restore(cached["text"], scrubber.mapping)
    consultation = call.record_success(cached=cached, hit=hit, answer=text)
    return DraftResult(
        text=text, tokens_used=consultation.tokens_used, cached=hit, consultation=consultation
    )


# --- Recording ------------------------------------------------------------------------------


def _answer_of(completion: Completion) -> dict[str, Any]:
    # Plain data, so the cached value unpickles across deployments.
    return {
        "text": completion.text,
        "provider": completion.provider,
        "model": completion.model,
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "attempts": completion.attempts,
    }


def _cost(prompt_tokens: int, completion_tokens: int) -> Decimal:
    input_price, output_price = settings.LLM_PRICE_PER_MTOK
    cost = (
        Decimal(prompt_tokens) * Decimal(str(input_price))
        + Decimal(completion_tokens) * Decimal(str(output_price))
    ) / Decimal(1_000_000)
    return cost.quantize(Decimal("0.000001"))


@dataclass
class _Call:
    """What one service call knows before it asks the model, so that its success and its
    failure are recorded alike."""

    user: User
    case: Case | None
    kind: str
    prompt: RenderedPrompt
    sent_text: str
    redactions: dict[str, int]
    request_id: str
    idempotency_key: str
    endpoint: str
    provider: str
    model: str
    started: float
    policy: Policy | None = None
    conversation: Conversation | None = None
    question: str = ""
    reservation: BudgetReservation | None = None

    @classmethod
    def begin(
        cls,
        *,
        provider: Provider,
        messages: list[dict[str, str]],
        scrubber: Scrubber,
        **fields: Any,
    ) -> _Call:
        """A call about to send `messages` to `provider`: what leaves is recorded, scrubbed.

        Its estimate is held against the monthly budgets until it is recorded; a spent budget
        stops it (cache hits too) with BudgetExceeded, recorded as a refusal, before anything
        else is written."""
        call = cls(
            sent_text=_transcript(messages),
            redactions=scrubber.counts,
            provider=provider.name,
            model=provider.model,
            **fields,
        )
        prompt_tokens = sum(estimate_tokens(message["content"]) for message in messages)
        answer_tokens = settings.LLM_RESERVED_OUTPUT_TOKENS
        call.reservation = budget_reserve(
            user=call.user,
            tokens=prompt_tokens + answer_tokens,
            cost=_cost(prompt_tokens, answer_tokens),
            call=BudgetedCall(kind=call.kind, request_id=call.request_id, endpoint=call.endpoint),
        )
        return call

    def key(self, *, messages: list[dict[str, str]], params: Mapping[str, Any]) -> str:
        return cache_key(
            kind=self.kind,
            model=self.model,
            prompt_version=self.prompt.version,
            policy_version=self.policy.version if self.policy else "",
            params=params,
            scrubbed_input=messages,
        )

    def cached_answer(
        self,
        *,
        messages: list[dict[str, str]],
        params: Mapping[str, Any],
        compute: Callable[[], dict[str, Any]],
        fallback: Callable[[LLMError], dict[str, Any] | None] = lambda error: None,
    ) -> tuple[dict[str, Any], bool]:
        """`(answer, hit)`: the cached answer to `messages`, else `compute()`'s, kept for the
        kind's TTL. An LLMError is answered by `fallback(error)` when it has an answer (never
        cached: the next call asks again), else recorded as a failed consultation and
        propagates."""
        key = self.key(messages=messages, params=params)
        try:
            return cached_call(key=key, ttl=settings.LLM_CACHE_TTL[self.kind], compute=compute)
        except LLMError as exc:
            answer = fallback(exc)
            if answer is None:
                self.record_failure(error=exc)
                raise
            return answer, False

    def record_failure(self, *, error: LLMError | None, answer: str = "") -> Consultation:
        """A failed (or rejected) call; `error` None is a stream its consumer cancelled.
        `answer` is the part of a streamed answer the user was shown before it broke."""
        if error is None:
            return self._record(
                outcome=Consultation.Outcome.FAILED, error_code="cancelled", answer=answer
            )
        outcome = (
            Consultation.Outcome.REJECTED
            if isinstance(error, LLMRejected)
            else Consultation.Outcome.FAILED
        )
        return self._record(
            outcome=outcome, error_code=error.code, attempts=error.attempts, answer=answer
        )

    def record_success(
        self, *, cached: Mapping[str, Any], hit: bool, answer: str, error_code: str = ""
    ) -> Consultation:
        """An answered call; `error_code` says when a fallback answered it."""
        prompt_tokens, completion_tokens = cached["prompt_tokens"], cached["completion_tokens"]
        return self._record(
            outcome=Consultation.Outcome.OK,
            error_code=error_code,
            answer=answer,
            provider=cached["provider"],
            model=cached["model"],
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_estimate=(
                Decimal(0)
                if hit or cached["provider"] == "offline"
                else _cost(prompt_tokens, completion_tokens)
            ),
            attempts=0 if hit else cached["attempts"],
            cache_hit=hit,
            unrestored=unrestored_placeholders(answer),
        )

    def _record(self, **fields: Any) -> Consultation:
        consultation = consultation_record(
            user=self.user,
            case=self.case,
            kind=self.kind,
            provider=fields.pop("provider", self.provider),
            model=fields.pop("model", self.model),
            prompt_name=self.prompt.name,
            prompt_version=self.prompt.version,
            policy=self.policy.name if self.policy else "",
            policy_version=self.policy.version if self.policy else "",
            sent_text=self.sent_text,
            redactions=self.redactions,
            latency_ms=round((time.monotonic() - self.started) * 1000),
            request_id=self.request_id,
            idempotency_key=self.idempotency_key,
            endpoint=self.endpoint,
            conversation=self.conversation,
            question=self.question,
            **fields,
        )
        # Released after the row is written: a reservation gone before its row counts would
        # let a parallel call past the budget for that moment.
        budget_release(self.reservation)
        return consultation


# --- Idempotency ----------------------------------------------------------------------------


class IdempotencyConflict(DomainError):
    status_code = 409
    default_detail = "This Idempotency-Key was already used with a different request."


class IdempotencyInProgress(DomainError):
    status_code = 409
    default_detail = (
        "A request with this Idempotency-Key is still being processed; retry in a moment."
    )


def request_fingerprint(*, endpoint: str, body: Any) -> str:
    """sha256 of the canonical JSON of a request: the same body in any key order matches."""
    canonical = json.dumps(
        {"endpoint": endpoint, "body": body},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent_response(
    *,
    user: User,
    idempotency_key: str,
    fingerprint: str,
    produce: Callable[[], tuple[dict[str, Any], Consultation]],
) -> tuple[dict[str, Any], bool]:
    """`(body, replayed)`: `produce()`'s response body, run at most once per user and key.

    The same key with the same fingerprint replays the stored body; with another fingerprint
    it is an IdempotencyConflict. A second request arriving while the first still runs gets
    IdempotencyInProgress (409) at once rather than holding a worker for the LLM's deadline.
    Failed calls store nothing, so retrying them with the same key runs them again.
    """
    if not idempotency_key:
        return produce()[0], False
    stored = _stored_response(user=user, idempotency_key=idempotency_key, fingerprint=fingerprint)
    if stored is not None:
        return stored, True
    with _idempotency_claim(user=user, idempotency_key=idempotency_key):
        # The holder before us may have finished between our lookup and our claim.
        stored = _stored_response(
            user=user, idempotency_key=idempotency_key, fingerprint=fingerprint
        )
        if stored is not None:
            return stored, True
        body, consultation = produce()
        consultation.request_fingerprint = fingerprint
        consultation.response_body = body
        consultation.save(update_fields=["request_fingerprint", "response_body", "updated_at"])
        return body, False


def _stored_response(*, user: User, idempotency_key: str, fingerprint: str) -> Any:
    answered = consultation_answered_for_key(user=user, idempotency_key=idempotency_key)
    if answered is None:
        return None
    if answered.request_fingerprint != fingerprint:
        raise IdempotencyConflict()
    return answered.response_body


@contextmanager
def _idempotency_claim(*, user: User, idempotency_key: str) -> Iterator[None]:
    """Hold the user's key in the shared cache while its first request runs."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
    lock = f"idempotency:{user.pk}:{digest}"
    token = uuid.uuid4().hex
    # Long enough for every attempt and back-off of a call; expires if the holder dies.
    timeout = settings.LLM_DEADLINE_MS // 1000 + 30
    try:
        claimed: bool | None = cache.add(lock, token, timeout)
    except Exception:
        # Broad on purpose: django-redis reports an outage as a bare Exception. Without the
        # cache, concurrent duplicates may both run; sequential ones still replay from the DB.
        logger.warning("idempotency lock unavailable, running unlocked", exc_info=True)
        claimed = None
    if claimed is None:
        yield
        return
    if not claimed:
        raise IdempotencyInProgress()
    try:
        yield
    finally:
        try:
            if cache.get(lock) == token:
                cache.delete(lock)
        except Exception:
            logger.warning("idempotency lock not released; it expires", exc_info=True)


def consultation_view_record(*, consultation: Consultation, viewer: User) -> ConsultationView:
    """Someone opened a consultation (an admin in the audit, a caller through the API):
    the audit of the audit."""
    return ConsultationView.objects.create(consultation=consultation, viewer=viewer)

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
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache

from accounts.models import User
from cases.models import Case
from config.errors import DomainError
from config.metrics import ai_call_observe
from consultations.llm.cache import cache_key, cached_call
from consultations.llm.client import OFFLINE_LABEL, Completion, get_provider
from consultations.llm.errors import LLMBadOutput, LLMError, LLMRejected
from consultations.llm.pii import Scrubber, mask_secrets, restore, unrestored_placeholders
from consultations.llm.prompts import RenderedPrompt, render_prompt
from consultations.models import Consultation, ConsultationView
from consultations.policies import (
    Policy,
    RequiredClause,
    get_policy,
    merge_findings,
    risk_level,
    suggestions_for,
)
from consultations.selectors import consultation_answered_for_key

logger = logging.getLogger("counsel.ai")

_OFFLINE_ANALYSIS_NOTE = (
    f"{OFFLINE_LABEL} No language model was consulted: these findings come from the firm's "
    "rule checks only."
)


@dataclass(frozen=True)
class ChatResult:
    answer: str
    tokens_used: int
    cached: bool
    consultation: Consultation
    references: list[dict[str, Any]] = field(default_factory=list)


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


def chat_answer(
    *,
    user: User,
    message: str,
    case: Case | None = None,
    locale: str = "en",
    request_id: str,
    idempotency_key: str = "",
    endpoint: str = "",
) -> ChatResult:
    """The assistant's answer to `message`, about `case` when given (the caller has already
    checked that the user may see it)."""
    started = time.monotonic()
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
        {"role": "user", "content": scrubbed_message},
    ]
    provider = get_provider()
    call = _Call(
        user=user,
        case=case,
        kind=Consultation.Kind.CHAT,
        prompt=prompt,
        sent_text=_transcript(messages),
        redactions=scrubber.counts,
        request_id=request_id,
        idempotency_key=idempotency_key,
        endpoint=endpoint,
        provider=provider.name,
        model=provider.model,
        started=started,
    )

    def ask() -> dict[str, Any]:
        completion = provider.complete(messages=messages, idempotency_key=uuid.uuid4().hex)
        return _answer_of(completion)

    cached, hit = call.cached_answer(messages=messages, params={"locale": locale}, compute=ask)
    answer = restore(cached["text"], scrubber.mapping)
    consultation = call.record_success(cached=cached, hit=hit, answer=answer)
    return ChatResult(
        answer=answer,
        tokens_used=consultation.tokens_used,
        cached=hit,
        consultation=consultation,
        references=_case_references(case),
    )


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
    call = _Call(
        user=user,
        case=case,
        kind=Consultation.Kind.ANALYZE,
        prompt=prompt,
        sent_text=_transcript(messages),
        redactions=scrubber.counts,
        request_id=request_id,
        idempotency_key=idempotency_key,
        endpoint=endpoint,
        provider=provider.name,
        model=provider.model,
        started=started,
        policy=checked,
    )
    offline_answer = json.dumps(
        {"findings": [finding.as_dict() for finding in rule_findings], "suggestions": []}
    )

    def ask() -> dict[str, Any]:
        completion = provider.complete(
            messages=messages,
            idempotency_key=uuid.uuid4().hex,
            json_output=True,
            offline_answer=offline_answer,
        )
        # Validated before it is returned, so a malformed answer is never cached.
        return {**_answer_of(completion), **_model_analysis(completion)}

    cached, hit = call.cached_answer(
        messages=messages, params={"policy": checked.name}, compute=ask
    )
    findings = [
        {name: restore(value, scrubber.mapping) for name, value in finding.as_dict().items()}
        for finding in merge_findings(rule_findings, cached["findings"])
    ]
    model_suggestions = (restore(s, scrubber.mapping) for s in cached["suggestions"])
    suggestions = list(dict.fromkeys([*suggestions_for(findings), *model_suggestions]))
    if cached["provider"] == "offline":
        suggestions.insert(0, _OFFLINE_ANALYSIS_NOTE)
    result = {"findings": findings, "riskLevel": risk_level(findings), "suggestions": suggestions}
    consultation = call.record_success(
        cached=cached, hit=hit, answer=json.dumps(result, ensure_ascii=False)
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
    call = _Call(
        user=user,
        case=case,
        kind=Consultation.Kind.DRAFT,
        prompt=prompt,
        sent_text=_transcript(messages),
        redactions=scrubber.counts,
        request_id=request_id,
        idempotency_key=idempotency_key,
        endpoint=endpoint,
        provider=provider.name,
        model=provider.model,
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

    def cached_answer(
        self,
        *,
        messages: list[dict[str, str]],
        params: Mapping[str, Any],
        compute: Callable[[], dict[str, Any]],
    ) -> tuple[dict[str, Any], bool]:
        """`(answer, hit)`: the cached answer to `messages`, else `compute()`'s, kept for the
        kind's TTL. An LLMError is recorded as a failed consultation and propagates."""
        key = cache_key(
            kind=self.kind,
            model=self.model,
            prompt_version=self.prompt.version,
            policy_version=self.policy.version if self.policy else "",
            params=params,
            scrubbed_input=messages,
        )
        with self.failures_recorded():
            return cached_call(key=key, ttl=settings.LLM_CACHE_TTL[self.kind], compute=compute)

    @contextmanager
    def failures_recorded(self) -> Iterator[None]:
        """Record a failed (or rejected) consultation for an LLMError, then let it propagate."""
        try:
            yield
        except LLMError as exc:
            outcome = (
                Consultation.Outcome.REJECTED
                if isinstance(exc, LLMRejected)
                else Consultation.Outcome.FAILED
            )
            self._record(outcome=outcome, error_code=exc.code, attempts=exc.attempts)
            raise

    def record_success(self, *, cached: Mapping[str, Any], hit: bool, answer: str) -> Consultation:
        prompt_tokens, completion_tokens = cached["prompt_tokens"], cached["completion_tokens"]
        return self._record(
            outcome=Consultation.Outcome.OK,
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
        return consultation_record(
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
            **fields,
        )


def consultation_record(
    *,
    user: User,
    kind: str,
    provider: str,
    model: str,
    prompt_name: str,
    prompt_version: str,
    sent_text: str,
    outcome: str,
    request_id: str,
    case: Case | None = None,
    policy: str = "",
    policy_version: str = "",
    answer: str = "",
    redactions: Mapping[str, int] | None = None,
    unrestored: list[str] | None = None,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    cost_estimate: Decimal = Decimal(0),
    latency_ms: int = 0,
    attempts: int = 0,
    cache_hit: bool = False,
    error_code: str = "",
    idempotency_key: str = "",
    endpoint: str = "",
) -> Consultation:
    """Store one AI exchange and log it as one JSON line (metadata only, never content).

    `sent_text` must already be scrubbed: it is what left the firm.
    """
    consultation = Consultation.objects.create(
        user=user,
        case=case,
        kind=kind,
        provider=provider,
        model=model,
        prompt_name=prompt_name,
        prompt_version=prompt_version,
        policy=policy,
        policy_version=policy_version,
        # Masked again on the way in, so a caller's slip cannot put a secret in the audit.
        sent_text=mask_secrets(sent_text),
        answer=mask_secrets(answer),
        redactions=dict(redactions or {}),
        unrestored_placeholders=list(unrestored or []),
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_estimate=cost_estimate,
        latency_ms=latency_ms,
        attempts=attempts,
        cache_hit=cache_hit,
        outcome=outcome,
        error_code=error_code,
        request_id=request_id,
        idempotency_key=idempotency_key,
    )
    logger.info(
        "ai_call",
        extra={
            "request_id": request_id,
            "user_id": user.pk,
            "endpoint": endpoint or kind,
            "kind": kind,
            "consultation_id": consultation.pk,
            "latency_ms": latency_ms,
            "tokens": prompt_tokens + completion_tokens,
            "model": model,
            "outcome": outcome,
            "cache_hit": cache_hit,
            "error_code": error_code,
        },
    )
    ai_call_observe(
        kind=kind,
        outcome=outcome,
        error_code=error_code,
        cache_hit=cache_hit,
        attempts=attempts,
        latency_ms=latency_ms,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=cost_estimate,
    )
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
    """An admin opened a consultation: the audit of the audit."""
    return ConsultationView.objects.create(consultation=consultation, viewer=viewer)

"""The one AI pipeline (DESIGN.md's flow), which every kind of call (chat, its stream, analysis,
drafting) goes through:

1. `call_prepare`, in a database thread (config.dbpool): the kind gathers what the model may
   see and renders its prompt (its `Ask`), and the Ask passes the one gate: every message,
   and the offline answer, through one Scrubber that knows the case's parties;
2. `AICall.answer`: the cached answer, else the provider's (asked once across processes:
   single flight), read by the kind's parser, with its fallback; a failure is recorded.
   Before the provider is asked, the call's estimate is held against the monthly budgets;
3. the kind restores the placeholders in its answer, and `AICall.record_success` stores the
   Consultation, logs it and counts it; a cache hit's budgets are checked there, in the same
   database trip. A spent budget stops a call (a hit too) with BudgetExceeded, recorded as a
   refusal, and nothing else is written.

The database work is short; while the model thinks the call holds only a coroutine: no
thread and no database connection. A cache hit costs two trips to a database thread (the
preparation, the record) and one to Redis; it never takes the budgets' row locks, which only
a call that will be paid for needs. A miss costs one trip more when a budget applies (the
reservation), none when none does (looked up in the preparation).

Cache hits are recorded too, with the tokens the cached answer originally cost (so an admin
sees what the answer is worth) but a zero cost estimate and zero attempts (nothing was paid
or sent this time); offline answers cost nothing either. The cache holds answers in their
scrubbed form, placeholders and all: each request restores them with its own mapping, so a
cached answer never holds a real name.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.conf import settings

from accounts.models import User
from cases.models import Case
from config.dbpool import db, db_connection_release
from consultations.budgets import (
    BudgetedCall,
    budget_check,
    budget_release,
    budget_reserve,
    budgets_apply,
)
from consultations.llm.cache import answer_of, cache_key, cached_call
from consultations.llm.client import (
    Completion,
    Message,
    Provider,
    estimate_tokens,
    get_provider,
)
from consultations.llm.errors import LLMBadOutput, LLMError, LLMRejected
from consultations.llm.pii import Scrubber, restore, unrestored_placeholders
from consultations.llm.prompts import RenderedPrompt
from consultations.models import BudgetReservation, Consultation, Conversation, ToolCall
from consultations.policies import Policy
from consultations.recording import consultation_record
from consultations.retrieval import Source
from consultations.services.citations import Cited, cite
from consultations.services.tool_rounds import answer_with_tools

T = TypeVar("T")


def _no_fallback(error: LLMError) -> dict[str, Any] | None:
    return None


@dataclass(frozen=True)
class Ask:
    """What one kind of call sends the model, and how it reads the answer."""

    kind: str  # a Consultation.Kind
    prompt: RenderedPrompt
    messages: list[Message]
    # Whatever else shapes the answer, for the cache key (the locale, the policy, the tone).
    params: Mapping[str, Any]
    policy: Policy | None = None
    # A JSON answer: `parse(completion)` returns its fields (or raises LLMBadOutput), and a
    # provider that can is held to `json_schema`. An answer that cannot be read is asked for
    # once more: a model's next answer often is the JSON asked for.
    json_schema: Mapping[str, Any] | None = None
    parse: Callable[[Completion], dict[str, Any]] | None = None
    # What the offline provider answers (a draft assembled from its template, the rule checks).
    offline_answer: str = ""
    # The answer's own fields (its `error_code` says why) when the provider failed with this
    # error, or None; never cached, so the next call asks again.
    fallback: Callable[[LLMError], dict[str, Any] | None] = _no_fallback
    # The passages the messages number for the model to cite (consultations.retrieval), raw:
    # their text reaches the model only within the messages, scrubbed.
    sources: tuple[Source, ...] = ()
    # The tools offered to the model (consultations.tools, as the chat completions API lists
    # them); none: the answer is the model's from the messages alone.
    tools: tuple[Mapping[str, Any], ...] = ()

    def scrubbed_by(self, scrubber: Scrubber) -> Ask:
        """The gate: everything of this Ask that may leave the firm, scrubbed. A kind builds
        its Ask from the raw question, case, history and documents, so nothing reaches the
        model past this one place; one scrubber numbers a party alike in every message."""
        return replace(
            self,
            messages=[{**m, "content": scrubber.scrub(m["content"])} for m in self.messages],
            offline_answer=scrubber.scrub(self.offline_answer),
        )


@dataclass(frozen=True)
class Answered(Generic[T]):
    result: T  # the kind's: the text, or what it made of the answer
    consultation: Consultation
    hit: bool
    # The passages the answer cited (consultations.services.citations).
    references: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class AICall:
    """One call on its way through the pipeline: what it sends, and all its record needs so
    that its success and its failure are recorded alike."""

    ask: Ask
    scrubber: Scrubber
    provider: Provider
    user: User
    case: Case | None
    request_id: str
    idempotency_key: str
    endpoint: str
    started: float
    conversation: Conversation | None = None
    question: str = ""
    # Whether a monthly budget counts this user's calls (looked up once, when prepared): the
    # common case, none, then costs no more trips to the database.
    budgeted: bool = True
    reservation: BudgetReservation | None = field(default=None, repr=False)
    reserved: bool = False
    # What the provider received, once tools were called: the messages with the rounds of
    # tool calls and their (scrubbed) results, for the record. None: the Ask's messages.
    sent: list[Message] | None = None
    # The ToolCall rows of this call's tool calls, linked to its Consultation when recorded.
    tool_call_ids: list[int] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.ask.kind

    def key(self, messages: list[Message] | None = None, tool_choice: str | None = None) -> str:
        """The answer's cache key; with tools, one round's: of the messages sent in it (the
        tools' results too, so an answer never outlives the facts it was given)."""
        params = dict(self.ask.params)
        if self.ask.tools:
            params["tools"] = [tool["function"]["name"] for tool in self.ask.tools]
            params["tool_choice"] = tool_choice
        return cache_key(
            kind=self.kind,
            model=self.provider.model,
            prompt_version=self.ask.prompt.version,
            policy_version=self.ask.policy.version if self.ask.policy else "",
            params=params,
            scrubbed_input=self.ask.messages if messages is None else messages,
        )

    async def run(
        self, finish: Callable[[Mapping[str, Any]], tuple[str, T]] | None = None
    ) -> Answered[T]:
        """Steps 2 and 3: the answer, finished by the kind, and its record. `finish(answer)`
        gives what the user is shown (recorded as the answer) and the kind's own result; by
        default both are the answer's text with its identities restored and its citations
        read."""
        cached, hit = await self.answer()
        cited = Cited(answer="", references=[], dropped=0)
        if finish is None:
            cited = self.cite(restore(cached["text"], self.scrubber.mapping))
            shown, result = cited.answer, cited.answer
        else:
            shown, result = finish(cached)
        consultation = await self.record_success(
            cached=cached, hit=hit, answer=shown, citations_dropped=cited.dropped
        )
        return Answered(
            result=result, consultation=consultation, hit=hit, references=cited.references
        )

    def cite(self, answer: str) -> Cited:
        """The answer's citations of the passages it was given; invented ones dropped."""
        return cite(answer, self.ask.sources)

    async def answer(self) -> tuple[dict[str, Any], bool]:
        """`(answer, hit)`: the cached answer, else the provider's, kept for the kind's TTL.
        An LLMError is answered by the kind's fallback when it has an answer, else recorded
        as a failed consultation and raised."""
        try:
            if self.ask.tools:
                return await answer_with_tools(self)
            return await cached_call(
                key=self.key(), ttl=settings.LLM_CACHE_TTL[self.kind], compute=self._ask_model
            )
        except LLMError as exc:
            fallback = self.ask.fallback(exc)
            if fallback is None:
                await self.record_failure(error=exc)
                raise
            answered = {
                "provider": self.provider.name,
                "model": self.provider.model,
                "prompt_tokens": 0,
                "completion_tokens": 0,
                "attempts": exc.attempts,
            }
            return {**answered, **fallback}, False

    async def _ask_model(self) -> dict[str, Any]:
        await self.reserve()
        await db_connection_release()
        if self.ask.parse is None:
            return answer_of(await self._complete())
        try:
            return await self._complete_parsed()
        except LLMBadOutput as first:
            try:
                answer = await self._complete_parsed()
            except LLMBadOutput as second:
                attempts = first.attempts + second.attempts
                raise LLMBadOutput(attempts=attempts, upstream_status=200) from second
            return {**answer, "attempts": first.attempts + answer["attempts"]}

    async def _complete_parsed(self) -> dict[str, Any]:
        assert self.ask.parse is not None
        completion = await self._complete()
        # Parsed before it is returned, so an answer of the wrong shape is never cached.
        return {**answer_of(completion), **self.ask.parse(completion)}

    async def _complete(self) -> Completion:
        return await self.provider.complete(
            messages=self.ask.messages,
            # A new key for each call: a provider that stores answers would replay a bad one.
            idempotency_key=uuid.uuid4().hex,
            json_output=self.ask.parse is not None,
            json_schema=self.ask.json_schema,
            offline_answer=self.ask.offline_answer,
        )

    def _budgeted(self) -> BudgetedCall:
        return BudgetedCall(kind=self.kind, request_id=self.request_id, endpoint=self.endpoint)

    def _reserve(self) -> None:
        """Hold the call's estimate against the budgets until it is recorded."""
        prompt_tokens = sum(estimate_tokens(message["content"]) for message in self.ask.messages)
        answer_tokens = settings.LLM_RESERVED_OUTPUT_TOKENS
        self.reservation = budget_reserve(
            user=self.user,
            tokens=prompt_tokens + answer_tokens,
            cost=_cost(prompt_tokens, answer_tokens),
            call=self._budgeted(),
        )

    async def reserve(self) -> None:
        """Before the provider is first asked (the stream asks it itself); once a call."""
        if self.budgeted and not self.reserved:
            await db(self._reserve)
        self.reserved = True

    async def record_failure(self, *, error: LLMError | None, answer: str = "") -> Consultation:
        """A failed (or rejected) call; `error` None is a stream its consumer cancelled.
        `answer` is the part of a streamed answer the user was shown before it broke."""
        if error is None:
            fields: dict[str, Any] = {"error_code": "cancelled"}
        else:
            fields = {"error_code": error.code, "attempts": error.attempts}
        outcome = (
            Consultation.Outcome.REJECTED
            if isinstance(error, LLMRejected)
            else Consultation.Outcome.FAILED
        )
        return await db(self._record, outcome=outcome, answer=answer, **fields)

    async def record_success(
        self, *, cached: Mapping[str, Any], hit: bool, answer: str, citations_dropped: int = 0
    ) -> Consultation:
        """An answered call; the answer's `error_code` says when a fallback answered it."""
        prompt_tokens, completion_tokens = cached["prompt_tokens"], cached["completion_tokens"]
        return await db(
            self._record_answer,
            hit=hit,
            outcome=Consultation.Outcome.OK,
            error_code=cached.get("error_code", ""),
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
            unrestored=unrestored_placeholders(answer),
            citations_dropped=citations_dropped,
        )

    def _record_answer(self, *, hit: bool, **fields: Any) -> Consultation:
        if hit and self.budgeted:
            budget_check(user=self.user, call=self._budgeted())
        return self._record(cache_hit=hit, **fields)

    def _record(self, **fields: Any) -> Consultation:
        policy = self.ask.policy
        consultation = consultation_record(
            user=self.user,
            case=self.case,
            kind=self.kind,
            provider=fields.pop("provider", self.provider.name),
            model=fields.pop("model", self.provider.model),
            prompt_name=self.ask.prompt.name,
            prompt_version=self.ask.prompt.version,
            policy=policy.name if policy else "",
            policy_version=policy.version if policy else "",
            sent_text=_transcript(self.ask.messages if self.sent is None else self.sent),
            redactions=self.scrubber.counts,
            latency_ms=round((time.monotonic() - self.started) * 1000),
            request_id=self.request_id,
            idempotency_key=self.idempotency_key,
            endpoint=self.endpoint,
            conversation=self.conversation,
            question=self.question,
            **fields,
        )
        if self.tool_call_ids:
            ToolCall.objects.filter(pk__in=self.tool_call_ids).update(consultation=consultation)
        # Released after the row is written: a reservation gone before its row counts would
        # let a parallel call past the budget for that moment.
        budget_release(self.reservation)
        return consultation


def call_prepare(
    *,
    user: User,
    case: Case | None,
    build: Callable[[], Ask],
    request_id: str,
    idempotency_key: str = "",
    endpoint: str = "",
    names: Iterable[str] = (),
    conversation: Conversation | None = None,
    question: str = "",
    started: float | None = None,
) -> AICall:
    """Step 1, in a database thread: `build` gathers what the model may see, and it is
    scrubbed here by a Scrubber that knows the case's parties, the caller and `names`."""
    known = [user.get_full_name(), *(case.party_names() if case else ()), *names]
    scrubber = Scrubber(known_names=[name for name in known if name])
    return AICall(
        ask=build().scrubbed_by(scrubber),
        scrubber=scrubber,
        provider=get_provider(),
        user=user,
        case=case,
        request_id=request_id,
        idempotency_key=idempotency_key,
        endpoint=endpoint,
        started=time.monotonic() if started is None else started,
        conversation=conversation,
        question=question,
        budgeted=budgets_apply(user),
    )


def _transcript(messages: list[Message]) -> str:
    """Everything the provider received, as the audit shows it: the system prompt carries
    scrubbed case details too, and a name the scrubber missed there must be visible. A
    model's tool calls are shown as calls, a tool's result under its role."""
    return "\n\n".join(f"[{m['role']}]\n{_shown(m)}" for m in messages)


def _shown(message: Message) -> str:
    calls = [
        f"{call['function']['name']}({call['function']['arguments']})"
        for call in message.get("tool_calls") or ()
    ]
    return "\n".join(filter(None, [message["content"] or "", *calls]))


def _cost(prompt_tokens: int, completion_tokens: int) -> Decimal:
    input_price, output_price = settings.LLM_PRICE_PER_MTOK
    cost = (
        Decimal(prompt_tokens) * Decimal(str(input_price))
        + Decimal(completion_tokens) * Decimal(str(output_price))
    ) / Decimal(1_000_000)
    return cost.quantize(Decimal("0.000001"))

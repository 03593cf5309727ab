"""Recording AI calls: each one, answered, failed or refused, is one Consultation row, one
JSON log line (metadata only, never content) and its share of the metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal

from accounts.models import User
from cases.models import Case
from config.metrics import ai_call_observe
from consultations.llm.pii import mask_secrets
from consultations.models import Consultation, ConsultationView, Conversation

logger = logging.getLogger("counsel.ai")


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
    conversation: Conversation | None = None,
    question: str = "",
    citations_dropped: int = 0,
) -> Consultation:
    """Store one AI exchange and log it as one JSON line (metadata only, never content).

    `sent_text` must already be scrubbed: it is what left the firm. A chat turn also keeps
    its `question` (secrets masked) in its `conversation`, whose updated_at moves on; a new
    conversation (not saved yet) is saved first.

    No transaction: on MySQL one costs three round trips more than the writes themselves
    (autocommit off, COMMIT, autocommit on), on every call, cache hits included. A failure
    between the writes leaves at most a new conversation without its first turn, or an
    updated_at that did not move on.
    """
    saved_before = conversation is not None and conversation.pk is not None
    # Masked again on the way in, so a caller's slip cannot put a secret in the audit.
    sent_text, answer, question = (mask_secrets(text) for text in (sent_text, answer, question))
    if conversation is not None and not saved_before:
        conversation.save()
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
        sent_text=sent_text,
        answer=answer,
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
        conversation=conversation,
        question=question,
        citations_dropped=citations_dropped,
    )
    if saved_before:
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=consultation.created_at)
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


def consultation_refusal_record(
    *, user: User, kind: str, reason: str, request_id: str, endpoint: str
) -> Consultation:
    """A call refused before anything was scrubbed, sent or looked up (a spent budget, a rate
    limit): outcome `rejected`, `reason` ("budget", "rate_limit") as its error_code.

    One INSERT and no content: nothing left the firm, and a caller hammering a limit must not
    make each refusal cost a scan of what it sent, nor fill the audit with it.
    """
    return consultation_record(
        user=user,
        kind=kind,
        provider="",
        model="",
        prompt_name="",
        prompt_version="",
        sent_text="",
        outcome=Consultation.Outcome.REJECTED,
        error_code=reason,
        request_id=request_id,
        endpoint=endpoint,
    )


def consultation_view_record(*, consultation: Consultation, viewer: User) -> ConsultationView:
    """Someone opened a consultation (an admin in the audit, a caller through the API):
    the audit of the audit."""
    return ConsultationView.objects.create(consultation=consultation, viewer=viewer)

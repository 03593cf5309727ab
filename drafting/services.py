"""Drafting a document: validate the request, then one job assembles it, has the AI revise it,
and reviews the result.

The job (`draft_generate`) runs in a Celery worker for an asynchronous request and inside the
request for a synchronous one; either way it must be safe to run twice, because brokers
redeliver. It claims the draft with a compare-and-set and holds the claim as a lease
(`DRAFT_LEASE`, `config.leases`: the guarantees drafts share with documents): a job that lost
its claim never overwrites the job that took over, a draft whose worker died is taken over once
its lease (`settings.DRAFT_LEASE_SECONDS`) ran out or at once by a redelivery of its own task,
and a `drafted`, `approved` or `failed` draft is never claimed, so a redelivered task returns
it as it is, with no second LLM call. A job that runs twice despite this still finishes the
draft once, and the LLM cache's single flight makes the second caller wait for the first
caller's answer rather than ask again. `drafts_recover` (run by every worker on a timer) puts
back on the queue the drafts whose job was lost, and gives up on one after `MAX_ATTEMPTS`
claims.

The quality score starts at 1.00 and loses 0.25 for each high-severity policy finding, 0.10
for each medium one and 0.03 for each low one, and 0.20 for each placeholder left in the text
and each input fact missing from it; it never goes below 0.00.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from cases.models import Case
from config.dbpool import db
from config.errors import DomainError, NotFound, PermissionDenied
from config.leases import Lease
from consultations.llm.errors import LLMError, LLMMisconfigured, LLMTimeout, LLMUnavailable
from consultations.policies import UnknownPolicy, get_policy
from consultations.services import DraftResult, IdempotencyConflict, document_draft
from drafting.doctypes import (
    DocumentType,
    UnknownDocumentType,
    find_placeholders,
    get_document_type,
    sections_of,
)
from drafting.models import Draft
from drafting.selectors import draft_case_allowed

logger = logging.getLogger("counsel.drafting")

# Progress a client sees while the job runs.
PROGRESS_CLAIMED = 10
PROGRESS_ASSEMBLED = 40
PROGRESS_ANSWERED = 80
PROGRESS_DONE = 100

# Claims of one draft before it is given up: the first run, three retries, one recovery.
MAX_ATTEMPTS = 5
DRAFT_LEASE = Lease(
    model=Draft,
    queued=Draft.Status.QUEUED,
    running=Draft.Status.RUNNING,
    failed=Draft.Status.FAILED,
    seconds_setting="DRAFT_LEASE_SECONDS",
    max_attempts=MAX_ATTEMPTS,
    task="drafting.tasks.draft_generate_task",
    noun="draft",
)
# LLM errors worth another try later; any other one (a rejected request, a bad answer) would
# fail the same way again.
TRANSIENT_LLM_ERRORS = (LLMUnavailable, LLMTimeout)

_PENALTY = {"high": Decimal("0.25"), "medium": Decimal("0.10"), "low": Decimal("0.03")}
_PENALTY_PER_GAP = Decimal("0.20")  # a leftover placeholder, a missing fact
_CENT = Decimal("0.01")
# Fields that hold a person's name without ending in "_name"; their values are scrubbed like
# the names of a case's parties before the text leaves the firm.
_NAME_FIELDS = frozenset({"responsible_lawyer", "reporting_to"})


class DraftInvalid(DomainError):
    """The request cannot be drafted; `errors` maps request fields to messages, with the
    input errors nested under "inputs" by input name, as the API answers them."""

    status_code = 400
    default_detail = "The draft request is invalid."

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__()
        self.errors = errors


# --- Requesting -----------------------------------------------------------------------------


def draft_build(
    *,
    author: User,
    type_id: str,
    inputs: Mapping[str, Any],
    tone: str = "neutral",
    locale: str = "en",
    policy: str | None = None,
    case: Case | None = None,
    idempotency_key: str = "",
    fingerprint: str = "",
) -> Draft:
    """A new `queued` draft of valid inputs, not saved yet, or DraftInvalid.

    `policy` None means the document type's own policy and "" none at all. The caller has
    already checked that `author` may draft on `case` (`draft_request` for one draft, a batch
    for all its cases at once): both are rows in hand, not checked again.
    """
    try:
        doc = get_document_type(type_id)
    except UnknownDocumentType as exc:
        raise DraftInvalid({"type": [exc.detail]}) from None
    cleaned, errors = doc.validate(inputs)
    if errors:
        raise DraftInvalid({"inputs": errors})
    draft = Draft(
        author=author,
        case=case,
        document_type=doc.id,
        inputs=inputs_stored(doc, cleaned),
        tone=tone,
        locale=locale,
        policy=_policy_name(doc, policy),
        idempotency_key=idempotency_key or None,
        request_fingerprint=fingerprint,
    )
    try:
        # Uniqueness is the database's job (concurrent requests with one Idempotency-Key).
        draft.full_clean(
            exclude=["author", "case"], validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        raise DraftInvalid(exc.message_dict) from None
    return draft


def draft_request(*, author: User, case: Case | None = None, **request: Any) -> Draft:
    """`draft_build(**request)`, saved, when `author` may draft on `case` (NotFound if not:
    the pages and the API ask the same `draft_case_allowed`). Nothing is drafted yet: run
    `draft_generate` in the request, or `draft_schedule` for a worker."""
    if not draft_case_allowed(user=author, case=case):
        raise NotFound("Case not found.")
    draft = draft_build(author=author, case=case, **request)
    draft.save()
    return draft


def draft_request_once(
    *, author: User, idempotency_key: str, fingerprint: str, **request: Any
) -> tuple[Draft, bool]:
    """`(draft, replayed)`: `draft_request` at most once per author and Idempotency-Key.

    The same key with the same request fingerprint returns the draft it made (replayed); with
    another fingerprint it is an IdempotencyConflict (409). A draft that failed is put back in
    the queue, so that retrying a failure with its key drafts again, as for the other AI
    endpoints. Without a key every request makes a new draft.
    """
    if not idempotency_key:
        return draft_request(author=author, **request), False
    existing = Draft.objects.filter(author=author, idempotency_key=idempotency_key).first()
    if existing is None:
        # Its inputs are checked before the transaction, which must never wait on a check.
        draft = draft_build(
            author=author, idempotency_key=idempotency_key, fingerprint=fingerprint, **request
        )
        try:
            with transaction.atomic():
                draft.save()
            return draft, False
        except IntegrityError:
            # A concurrent request with the same key created it first.
            existing = Draft.objects.get(author=author, idempotency_key=idempotency_key)
    if existing.request_fingerprint != fingerprint:
        raise IdempotencyConflict()
    Draft.objects.filter(id=existing.id, status=Draft.Status.FAILED).update(
        status=Draft.Status.QUEUED,
        progress=0,
        attempts=0,
        task_id="",
        failure_reason="",
        updated_at=timezone.now(),
    )
    existing.refresh_from_db()
    return existing, True


def draft_schedule(*, draft_id: int, request_id: str) -> Draft:
    """Hand a queued draft to a worker, once: a draft that already has a task, or has
    finished, is left as it is. The task is published when the current transaction commits,
    so the worker always finds the row."""
    now = timezone.now()
    task_id = str(uuid.uuid4())
    scheduled = Draft.objects.filter(id=draft_id, status=Draft.Status.QUEUED, task_id="").update(
        task_id=task_id, updated_at=now
    )
    if scheduled:
        draft_publish_on_commit(draft_id=draft_id, request_id=request_id, task_id=task_id)
    return Draft.objects.get(id=draft_id)


def draft_publish_on_commit(*, draft_id: int, request_id: str, task_id: str) -> None:
    """Send a scheduled draft (queued, with `task_id`) to the workers once the current
    transaction commits, so the worker always finds the row."""
    DRAFT_LEASE.publish_on_commit(pk=draft_id, request_id=request_id, task_id=task_id)


# --- Generating -----------------------------------------------------------------------------


async def draft_generate(
    *, draft_id: int, request_id: str, task_id: str = "", retry_transient: bool = False
) -> Draft:
    """Run the draft's job if it can be claimed, and return the draft as it then stands.

    Safe to call any number of times: a finished draft is returned unchanged, and a draft
    another job holds (see the module's notes on the lease) is returned still `running`.
    `task_id` is the Celery task's id ("" inside a request). An LLMError propagates after
    the draft is marked `failed`, or, for a transient one with `retry_transient`, after it is
    put back to `queued` for the caller's retry; DraftInvalid propagates, the draft failed,
    when its stored inputs no longer fit its type. A coroutine, like the AI pipeline it waits
    on: the Celery task runs it with `async_to_sync`.
    """
    token = uuid.uuid4().hex
    draft = await db(_claimed, draft_id=draft_id, task_id=task_id, token=token)
    if draft is None:
        draft = await db(Draft.objects.get, id=draft_id)
        logger.info(
            "draft_not_claimed",
            extra={"draft_id": draft_id, "request_id": request_id, "status": draft.status},
        )
        return draft
    logger.info(
        "draft_claimed",
        extra={"draft_id": draft_id, "request_id": request_id, "attempt": draft.attempts},
    )
    try:
        await _run(draft, token=token, request_id=request_id)
    except DraftInvalid:
        # Valid when requested: the type's fields changed since (a deployment in between).
        await db(_fail, draft_id, token, "The inputs no longer fit this document type.")
        raise
    except LLMError as exc:
        if retry_transient and isinstance(exc, TRANSIENT_LLM_ERRORS):
            reason = f"The AI was busy ({exc.code}); trying again shortly."
            await db(_release, draft_id, token, reason)
        elif isinstance(exc, LLMMisconfigured):
            # The user's own words for it: no retry will draft this until an admin acts.
            await db(_fail, draft_id, token, exc.detail)
        else:
            await db(_fail, draft_id, token, f"The AI could not draft the document ({exc.code}).")
        raise
    except DomainError as exc:  # e.g. a spent AI budget: the user's own words for it
        await db(_fail, draft_id, token, exc.detail)
        raise
    except Exception:
        await db(_fail, draft_id, token, "An unexpected error stopped the draft.")
        raise
    return await db(Draft.objects.get, id=draft_id)


def _claimed(*, draft_id: int, task_id: str, token: str) -> Draft | None:
    """The draft, claimed by this job under `token`; None when it cannot be claimed."""
    if not DRAFT_LEASE.claim(pk=draft_id, task_id=task_id, token=token, progress=PROGRESS_CLAIMED):
        return None
    return Draft.objects.select_related("author", "case__client").get(id=draft_id)


async def _run(draft: Draft, *, token: str, request_id: str) -> None:
    assembled = await db(_assemble, draft, token=token)
    if assembled is None:
        return
    doc, cleaned, text = assembled
    result = await document_draft(
        user=draft.author,
        document_type=doc,
        assembled_text=text,
        tone=draft.tone,
        locale=draft.locale,
        policy=draft.policy,
        known_names=_names_in(doc, cleaned),
        case=draft.case,
        request_id=request_id,
        idempotency_key=draft.idempotency_key or "",
        endpoint="generate-document",
    )
    await db(_finish, draft, token=token, doc=doc, cleaned=cleaned, result=result)


def _assemble(draft: Draft, *, token: str) -> tuple[DocumentType, Mapping[str, Any], str] | None:
    """The draft's type, its cleaned inputs and the first draft its template assembles; None
    when the job no longer holds the draft."""
    if not draft_case_allowed(user=draft.author, case=draft.case):
        # Taken off the case between the request and the job: the case's parties and
        # history are no longer theirs to send to the AI.
        raise PermissionDenied("The author is no longer on the draft's case.")
    doc = get_document_type(draft.document_type)
    cleaned, errors = doc.validate(draft.inputs)
    if errors:
        raise DraftInvalid({"inputs": errors})
    assembled = doc.assemble(cleaned)
    if not _advance(draft.id, token, PROGRESS_ASSEMBLED):
        return None
    return doc, cleaned, assembled.text


def _finish(
    draft: Draft,
    *,
    token: str,
    doc: DocumentType,
    cleaned: Mapping[str, Any],
    result: DraftResult,
) -> None:
    if not _advance(draft.id, token, PROGRESS_ANSWERED):
        return
    review = draft_review(doc=doc, cleaned=cleaned, text=result.text, policy=draft.policy)
    DRAFT_LEASE.held(pk=draft.id, token=token).update(
        status=Draft.Status.DRAFTED,
        progress=PROGRESS_DONE,
        text=result.text,
        sections=review["sections"],
        quality_score=review["quality_score"],
        warnings=review["warnings"],
        consultation=result.consultation,
        failure_reason="",
        updated_at=timezone.now(),
    )


def _advance(draft_id: int, token: str, progress: int) -> bool:
    """Record progress; False when the job no longer holds the draft and must stop."""
    return bool(
        DRAFT_LEASE.held(pk=draft_id, token=token).update(
            progress=progress, updated_at=timezone.now()
        )
    )


def _fail(draft_id: int, token: str, reason: str) -> None:
    DRAFT_LEASE.held(pk=draft_id, token=token).update(
        status=Draft.Status.FAILED, failure_reason=reason, updated_at=timezone.now()
    )


def _release(draft_id: int, token: str, reason: str) -> None:
    # task_id stays: the retry is the same task, and recovery leaves scheduled drafts alone.
    DRAFT_LEASE.held(pk=draft_id, token=token).update(
        status=Draft.Status.QUEUED, progress=0, failure_reason=reason, updated_at=timezone.now()
    )


# --- Recovering lost jobs -------------------------------------------------------------------


def drafts_recover(*, limit: int = 100) -> list[int]:
    """Re-queue drafts whose job was lost (`Lease.recover`), and return their ids."""
    return DRAFT_LEASE.recover(
        given_up=lambda attempts: f"The draft was interrupted {attempts} times; please try again.",
        limit=limit,
        progress=0,
    )


# --- Reviewing ------------------------------------------------------------------------------


def draft_review(
    *, doc: DocumentType, cleaned: Mapping[str, Any], text: str, policy: str
) -> dict[str, Any]:
    """Sections, warnings and quality score of a finished text (the module docstring gives
    the score's rule).

    Warnings, in this order: placeholders left in the text, input facts the text lost (the
    model was told to keep each one as given), and the findings of `policy`'s rule checks as
    "<clause>: <message>".
    """
    placeholders = find_placeholders(text)
    missing = _missing_facts(doc, cleaned, text)
    findings = get_policy(policy).check(text) if policy else []
    warnings = [
        *(f"Placeholder left in the draft: {placeholder}" for placeholder in placeholders),
        *(f"Missing fact: the {label} as given does not appear in the draft." for label in missing),
        *(f"{finding.clause}: {finding.message}" for finding in findings),
    ]
    score = Decimal(1)
    score -= _PENALTY_PER_GAP * (len(placeholders) + len(missing))
    score -= sum((_PENALTY[finding.severity] for finding in findings), Decimal(0))
    return {
        "sections": [
            {"number": s.number, "heading": s.heading, "body": s.body} for s in sections_of(text)
        ],
        "warnings": list(dict.fromkeys(warnings)),
        "quality_score": max(score, Decimal(0)).quantize(_CENT),
    }


def _missing_facts(doc: DocumentType, cleaned: Mapping[str, Any], text: str) -> list[str]:
    """Labels of the inputs whose value, as the document writes it, is not in `text`
    (compared ignoring case and spacing, which a revision may change)."""
    haystack = _normalised(text)
    context = doc.context(cleaned)
    return [
        f.label.lower()
        for f in doc.fields
        # The currency shows as the symbol of every amount, which the amounts check.
        if f.name != "currency"
        and context[f.name] != ""
        and _normalised(str(context[f.name])) not in haystack
    ]


def _normalised(text: str) -> str:
    return " ".join(text.casefold().split())


# --- Helpers --------------------------------------------------------------------------------


def inputs_stored(doc: DocumentType, cleaned: Mapping[str, Any]) -> dict[str, str]:
    """The cleaned inputs as JSON strings that the type's validation reads back unchanged."""
    stored: dict[str, str] = {}
    for f in doc.fields:
        value = cleaned.get(f.name)
        if value is None:
            stored[f.name] = ""
        elif isinstance(value, date | datetime):
            stored[f.name] = value.isoformat()
        else:
            stored[f.name] = str(value)
    return stored


def _policy_name(doc: DocumentType, policy: str | None) -> str:
    if policy is None:
        return doc.policy
    if not policy.strip():
        return ""
    try:
        return get_policy(policy).name
    except UnknownPolicy as exc:
        raise DraftInvalid({"policy": [str(exc)]}) from None


def _names_in(doc: DocumentType, cleaned: Mapping[str, Any]) -> list[str]:
    return [
        cleaned[f.name]
        for f in doc.fields
        if f.type == "string"
        and (f.name.endswith("_name") or f.name in _NAME_FIELDS)
        and cleaned.get(f.name)
    ]

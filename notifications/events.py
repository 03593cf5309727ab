"""What each notification says and whom it goes to, one function per event.

The e-mails name a case by its reference and title only: no party, note, file name, failure
detail or text of a draft, which stay behind the link (the page checks access as always).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cases.models import Deadline, Document
from consultations.budgets import budgets_usage, month_start
from consultations.models import Budget
from drafting.batches import batch_progress
from drafting.doctypes import UnknownDocumentType, get_document_type
from drafting.models import Draft, DraftBatch
from notifications.models import Notification
from notifications.services import absolute_url, notify

logger = logging.getLogger("counsel.notifications")

Kind = Notification.Kind
# A deadline's reminders: the week's from 7 days before, the day's from 1 day before.
WEEK_DAYS = 7
DAY_DAYS = 1
BUDGET_THRESHOLDS = ((100, Kind.BUDGET_100), (80, Kind.BUDGET_80))


def _type_title(type_id: str) -> str:
    try:
        return get_document_type(type_id).title
    except UnknownDocumentType:
        return type_id


# --- Drafts and batches ------------------------------------------------------------------


def draft_job_ended(*, draft_id: int) -> bool:
    """A background draft's job has ended: tell its author when the draft is drafted or
    failed, or, for a row of a batch, once the whole batch has finished."""
    draft = Draft.objects.select_related("author", "case", "batch").filter(pk=draft_id).first()
    if draft is None or draft.status not in (Draft.Status.DRAFTED, Draft.Status.FAILED):
        return False  # deleted, or still under way (put back for a retry, held by another)
    if draft.batch is not None:
        return _batch_finished(draft.batch)
    done = draft.status == Draft.Status.DRAFTED
    title = _type_title(draft.document_type)
    return notify(
        kind=Kind.DRAFT_DONE if done else Kind.DRAFT_FAILED,
        recipient=draft.author,
        key=f"draft:{draft.pk}",
        subject=f"Draft {'ready' if done else 'failed'}: {title}",
        template="notifications/email/draft.txt",
        context={
            "done": done,
            "type_title": title,
            "case": draft.case,
            "url": absolute_url(reverse("drafting:detail", args=[draft.pk])),
        },
    )


def _batch_finished(batch: DraftBatch) -> bool:
    progress = batch_progress(batch)
    if not progress["finished"]:
        return False
    done = batch.status == DraftBatch.Status.DONE
    title = _type_title(batch.document_type)
    return notify(
        kind=Kind.BATCH_DONE if done else Kind.BATCH_FAILED,
        recipient=batch.author,
        key=f"batch:{batch.pk}",
        subject=f"Batch {'finished' if done else 'failed'}: {progress['total']} x {title}",
        template="notifications/email/batch.txt",
        context={
            "done": done,
            "type_title": title,
            "progress": progress,
            "case": batch.case,
            "url": absolute_url(reverse("drafting:batch", args=[batch.pk])),
        },
    )


# --- Documents ---------------------------------------------------------------------------


def document_processed(*, document_id: int) -> bool:
    """A document's text extraction has ended: tell whoever uploaded it."""
    document = Document.objects.select_related("case", "uploaded_by").filter(pk=document_id).first()
    ended = (Document.Status.READY, Document.Status.FAILED)
    if document is None or document.status not in ended:
        return False
    ready = document.status == Document.Status.READY
    where = document.case.reference if document.case else "the knowledge base"
    return notify(
        kind=Kind.DOCUMENT_READY if ready else Kind.DOCUMENT_FAILED,
        recipient=document.uploaded_by,
        key=f"document:{document.pk}",
        subject=f"Document {'ready' if ready else 'failed'} on {where}",
        template="notifications/email/document.txt",
        context={
            "ready": ready,
            "case": document.case,
            "url": absolute_url(reverse("cases:document", args=[document.pk])),
        },
    )


# --- Deadlines (daily, Celery beat) ------------------------------------------------------


def deadline_reminders_send(*, today: date | None = None) -> int:
    """Remind each open deadline's responsible lawyer 7 days and 1 day before it is due, and
    return how many reminders were queued. Each is given once per due date (moved, it is
    given again for the new date), however often this runs; a deadline first seen closer
    than 7 days gets the week's reminder at once, one seen on its last day the day's only."""
    today = today or timezone.localdate()
    due_soon = Deadline.objects.filter(
        completed_at__isnull=True, due_date__gte=today, due_date__lte=today + timedelta(WEEK_DAYS)
    ).select_related("case", "responsible__notification_preferences")
    sent = 0
    for deadline in due_soon:
        days = (deadline.due_date - today).days
        kind = Kind.DEADLINE_DAY if days <= DAY_DAYS else Kind.DEADLINE_WEEK
        when = {0: "today", 1: "tomorrow"}.get(days, f"in {days} days")
        sent += notify(
            kind=kind,
            recipient=deadline.responsible,
            key=f"deadline:{deadline.pk}:{deadline.due_date.isoformat()}",
            subject=f"Deadline {when}: {deadline.case.reference}",
            template="notifications/email/deadline.txt",
            context={
                "deadline": deadline,
                "when": when,
                "case": deadline.case,
                "url": absolute_url(reverse("cases:deadlines", args=[deadline.case_id])),
            },
        )
    return sent


# --- AI budgets (every few minutes, Celery beat) ------------------------------------------


def budget_alerts_send() -> int:
    """Tell a user whose own monthly AI budget, or the firm's admins when the firm's, has
    passed 80% or 100% (the higher only, when both), once per budget, month and threshold;
    return how many alerts were queued."""
    month = month_start()
    sent = 0
    for usage in budgets_usage():
        percents = [p for p in (usage.token_percent, usage.cost_percent) if p is not None]
        passed = [(t, kind) for t, kind in BUDGET_THRESHOLDS if max(percents, default=0) >= t]
        if not passed:
            continue
        threshold, kind = passed[0]
        budget = usage.budget
        firm = budget.scope == Budget.Scope.FIRM
        whose = "The firm's" if firm else "Your"
        recipients = (
            User.objects.filter(role=User.Role.ADMIN, is_active=True).select_related(
                "notification_preferences"
            )
            if firm
            else [budget.user]
        )
        url = (
            reverse("admin:consultations_consultation_dashboard")
            if firm
            else reverse("consultations:chat")
        )
        for recipient in recipients:
            sent += notify(
                kind=kind,
                recipient=recipient,
                key=f"budget:{budget.pk}:{month:%Y-%m}",
                subject=f"{whose} monthly AI budget is {threshold}% spent",
                template="notifications/email/budget.txt",
                context={
                    "firm": firm,
                    "threshold": threshold,
                    "usage": usage,
                    "month": month,
                    "url": absolute_url(url),
                },
            )
    return sent

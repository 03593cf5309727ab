"""Notifications' Celery tasks: sending one e-mail, with retries."""

from __future__ import annotations

import logging
import random
import smtplib
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F
from django.utils import timezone

from config.dbpool import close_outside_transaction
from notifications.events import budget_alerts_send, deadline_reminders_send
from notifications.mail import recipient_domain
from notifications.models import Email

logger = logging.getLogger("counsel.mail")
notifications_logger = logging.getLogger("counsel.notifications")


# Attempts are bounded by EMAIL_SEND_ATTEMPTS, read at each one (not frozen at import) so a
# deployment or a test can change it. A redelivered task finds its e-mail sent and stops; a
# worker that dies between the server's acceptance and the row's update sends it twice,
# which is better than an invitation never sent.
@shared_task(bind=True, max_retries=None)
def email_send_task(self: Any, email_id: int) -> None:
    """Send e-mail `email_id` if it is still queued, retrying a server that refuses or cannot
    be reached."""
    try:
        _send(self, email_id)
    finally:
        close_outside_transaction()


def _send(task: Any, email_id: int) -> None:
    email = Email.objects.filter(pk=email_id, status=Email.Status.QUEUED).first()
    if email is None:
        return  # sent or given up already
    attempt = task.request.retries + 1
    log = {"email_id": email_id, "to_domain": recipient_domain(email.to), "attempt": attempt}
    Email.objects.filter(pk=email_id).update(attempts=F("attempts") + 1)
    try:
        EmailMessage(subject=email.subject, body=email.body, to=[email.to]).send()
    except (smtplib.SMTPException, OSError) as exc:
        # Its type only: a server's message may quote the address.
        log["error"] = type(exc).__name__
        # A refused recipient will be refused again; anything else may pass later.
        final = isinstance(exc, smtplib.SMTPRecipientsRefused)
    else:
        _close(email_id, Email.Status.SENT)
        logger.info("email_sent", extra=log)
        return
    if final or attempt >= settings.EMAIL_SEND_ATTEMPTS:
        _close(email_id, Email.Status.FAILED)
        logger.error("email_failed", extra=log)
        return
    logger.warning("email_retry", extra=log)
    # Outside the `except`: Celery's own log line of the retry then quotes nothing from the
    # server. Jitter, so messages that failed together retry apart.
    backoff = settings.EMAIL_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1)
    raise task.retry(countdown=backoff + random.uniform(0, 1))


def _close(email_id: int, status: str) -> None:
    # The body goes: a link in it may be a secret (a reset link), and it has done its work.
    Email.objects.filter(pk=email_id, status=Email.Status.QUEUED).update(
        status=status, body="", sent_at=timezone.now() if status == Email.Status.SENT else None
    )


# --- Celery beat (settings' CELERY_BEAT_SCHEDULE) ------------------------------------------
# Safe under two schedulers, or a run repeated: each notification is recorded once
# (`Notification`'s unique constraint) and only the run that records it sends it.


@shared_task
def deadline_reminders_task() -> None:
    """Daily: the reminders of deadlines 7 days and 1 day away."""
    try:
        sent = deadline_reminders_send()
    finally:
        close_outside_transaction()
    notifications_logger.info("deadline_reminders_sent", extra={"count": sent})


@shared_task
def budget_alerts_task() -> None:
    """Every few minutes: the alerts of AI budgets past 80% and 100% this month."""
    try:
        sent = budget_alerts_send()
    finally:
        close_outside_transaction()
    notifications_logger.info("budget_alerts_sent", extra={"count": sent})

"""Notifications by e-mail: each given once, to a user who has not turned its topic off."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import User
from notifications.mail import email_queue
from notifications.models import Notification, NotificationPreferences, Topic

logger = logging.getLogger("counsel.notifications")

Kind = Notification.Kind
TOPIC_OF = {
    Kind.DRAFT_DONE: Topic.DRAFTS,
    Kind.DRAFT_FAILED: Topic.DRAFTS,
    Kind.BATCH_DONE: Topic.DRAFTS,
    Kind.BATCH_FAILED: Topic.DRAFTS,
    Kind.DEADLINE_WEEK: Topic.DEADLINES,
    Kind.DEADLINE_DAY: Topic.DEADLINES,
    Kind.BUDGET_80: Topic.BUDGETS,
    Kind.BUDGET_100: Topic.BUDGETS,
    Kind.DOCUMENT_READY: Topic.DOCUMENTS,
    Kind.DOCUMENT_FAILED: Topic.DOCUMENTS,
}


def absolute_url(path: str) -> str:
    """A page's address for an e-mail: SITE_URL and the path."""
    return settings.SITE_URL + path


def preferences_get(user: User) -> NotificationPreferences:
    """The user's choices; every topic on for a user who never chose (not saved)."""
    return NotificationPreferences.objects.filter(user=user).first() or NotificationPreferences(
        user=user
    )


def preferences_update(*, user: User, **topics: bool) -> NotificationPreferences:
    """Turn topics (NotificationPreferences' fields, by name) on or off."""
    unknown = set(topics) - set(Topic.values)
    if unknown:
        raise ValueError(f"not a notification topic: {sorted(unknown)}")
    preferences, _ = NotificationPreferences.objects.update_or_create(user=user, defaults=topics)
    return preferences


def _preferences_of(user: User) -> NotificationPreferences:
    """As preferences_get, through the user's relation: no query when the caller loaded it
    with the user (`select_related("...notification_preferences")`)."""
    try:
        return user.notification_preferences
    except NotificationPreferences.DoesNotExist:
        return NotificationPreferences(user=user)


def notify(
    *, kind: str, recipient: User, key: str, subject: str, template: str, context: dict[str, Any]
) -> bool:
    """E-mail `recipient` notification `kind` about `key`, unless it was given before, its
    topic is turned off, or the user is inactive or has no address. True when queued.

    The record and the e-mail are written together: a second caller (a job run twice, two
    schedulers) fails on the record's unique constraint and sends nothing.
    """
    if not recipient.is_active or not recipient.email:
        return False
    if not _preferences_of(recipient).wants(TOPIC_OF[kind]):
        return False
    try:
        with transaction.atomic():
            notification = Notification.objects.create(kind=kind, recipient=recipient, key=key)
            notification.email = email_queue(
                to=recipient.email,
                subject=subject,
                template=template,
                context={
                    **context,
                    "preferences_url": absolute_url(reverse("notifications:preferences")),
                },
            )
            notification.save(update_fields=["email"])
    except IntegrityError:
        return False  # given already
    logger.info("notification_queued", extra={"kind": kind, "user_id": recipient.pk, "key": key})
    return True

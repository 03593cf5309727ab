from __future__ import annotations

from django.conf import settings
from django.db import models


class Email(models.Model):
    """One e-mail the product sends: written with the action that asked for it, sent by a
    worker (notifications.tasks). The task carries only this row's id, so neither the
    broker's messages nor the task logs hold an address or a body; the body is emptied once
    the message is sent or given up, since a link in it may be a secret (a reset link)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    to = models.EmailField()
    subject = models.CharField(max_length=200)
    template = models.CharField(max_length=200, help_text="Which e-mail it is.")
    body = models.TextField(blank=True)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.template} ({self.status})"


class Topic(models.TextChoices):
    """What a user may turn off: each notification belongs to one topic."""

    DRAFTS = "drafts", "Background drafts and batches finished or failed"
    DEADLINES = "deadlines", "Deadlines of yours 7 days and 1 day away"
    BUDGETS = "budgets", "AI budgets 80% and 100% spent"
    DOCUMENTS = "documents", "Documents you uploaded processed or failed"


class NotificationPreferences(models.Model):
    """A user's choice of e-mails; a user without a row gets every one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preferences",
    )
    drafts = models.BooleanField(default=True, help_text=Topic.DRAFTS.label)
    deadlines = models.BooleanField(default=True, help_text=Topic.DEADLINES.label)
    budgets = models.BooleanField(default=True, help_text=Topic.BUDGETS.label)
    documents = models.BooleanField(default=True, help_text=Topic.DOCUMENTS.label)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "notification preferences"

    def __str__(self) -> str:
        return f"Notifications of {self.user}"

    def wants(self, topic: str) -> bool:
        return bool(getattr(self, topic))


class Notification(models.Model):
    """One notification given to one user, once: the unique `(kind, recipient, key)` is
    what makes a job run twice, or by two schedulers at once, send it once (the second
    insert fails), with nothing to expire."""

    class Kind(models.TextChoices):
        DRAFT_DONE = "draft_done", "Draft ready"
        DRAFT_FAILED = "draft_failed", "Draft failed"
        BATCH_DONE = "batch_done", "Batch finished"
        BATCH_FAILED = "batch_failed", "Batch failed"
        DEADLINE_WEEK = "deadline_week", "Deadline in 7 days"
        DEADLINE_DAY = "deadline_day", "Deadline tomorrow"
        BUDGET_80 = "budget_80", "AI budget 80% spent"
        BUDGET_100 = "budget_100", "AI budget spent"
        DOCUMENT_READY = "document_ready", "Document processed"
        DOCUMENT_FAILED = "document_failed", "Document failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # What it is about: "draft:12", "deadline:5:2027-03-01", "budget:3:2027-03".
    key = models.CharField(max_length=100)
    email = models.ForeignKey(Email, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "recipient", "key"], name="notification_sent_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient}"

from __future__ import annotations

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

from __future__ import annotations

from django.conf import settings
from django.db import models


class Consultation(models.Model):
    """One exchange with the LLM, successful or not: the audit record of what left the firm.

    `sent_text` is the scrubbed text the provider received (secrets masked, identities as
    placeholders), never the raw input; `answer` is what the user saw, identities restored.
    Users and cases are PROTECTed: an audit trail must not vanish with what it describes.
    """

    class Kind(models.TextChoices):
        CHAT = "chat", "Chat"
        ANALYZE = "analyze", "Analyze"
        DRAFT = "draft", "Draft"

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        FAILED = "failed", "Failed"
        REJECTED = "rejected", "Rejected"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consultations"
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    provider = models.CharField(max_length=30)
    model = models.CharField(max_length=100)
    prompt_name = models.CharField(max_length=50)
    prompt_version = models.CharField(max_length=20)
    policy = models.CharField(max_length=50, blank=True)
    policy_version = models.CharField(max_length=20, blank=True)
    sent_text = models.TextField(help_text="What the provider received, already scrubbed.")
    answer = models.TextField(blank=True, help_text="What the user saw, identities restored.")
    redactions = models.JSONField(
        default=dict, blank=True, help_text="How many values of each entity type were scrubbed."
    )
    unrestored_placeholders = models.JSONField(
        default=list,
        blank=True,
        help_text="Placeholders the model invented or mangled, left as-is in the answer.",
    )
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cost_estimate = models.DecimalField(
        max_digits=12, decimal_places=6, default=0, help_text="USD; zero for a cache hit."
    )
    latency_ms = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Provider calls made (0 for a cache hit); retries are attempts - 1."
    )
    cache_hit = models.BooleanField(default=False)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error_code = models.CharField(max_length=50, blank=True)
    request_id = models.CharField(max_length=64, db_index=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_fingerprint = models.CharField(
        max_length=64, blank=True, help_text="sha256 of the canonical request body."
    )
    response_body = models.JSONField(
        null=True, blank=True, help_text="The exact JSON answered, replayed for an Idempotency-Key."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_at"]),
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["kind", "outcome"]),
            models.Index(fields=["user", "idempotency_key"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.outcome})"

    @property
    def tokens_used(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def retries(self) -> int:
        return max(self.attempts - 1, 0)


class ConsultationView(models.Model):
    """An admin opened a consultation: who looked at whose exchange, and when."""

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="views")
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consultation_views"
    )
    viewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-viewed_at", "-id"]
        indexes = [models.Index(fields=["consultation", "viewed_at"])]

    def __str__(self) -> str:
        return f"{self.viewer} viewed #{self.consultation_id} at {self.viewed_at:%Y-%m-%d %H:%M}"

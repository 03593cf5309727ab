from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

# "formal", "plain English", "firm but polite": a few words the prompt quotes as they are.
TONE_PATTERN = r"^[A-Za-z][A-Za-z ,'-]{0,39}$"
# "en", "en-GB", "pt_BR": the same locales the chat accepts.
LOCALE_PATTERN = r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$"


class DraftBatch(models.Model):
    """Many drafts of one document type requested together; each is a Draft with this batch."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="draft_batches"
    )
    document_type = models.CharField(max_length=50)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="draft_batches",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["author", "created_at"])]

    def __str__(self) -> str:
        return f"Batch #{self.pk} of {self.document_type} ({self.status})"


class Draft(models.Model):
    """One generated document and the job that produces it.

    A draft is created `queued` with its validated inputs, claimed `running` by exactly one
    worker (or by the request itself, when synchronous), and ends `drafted` with its text,
    sections, quality score and warnings, or `failed` with a reason. A lawyer's approval makes
    it `approved`. Editing an approved text makes a new Draft whose `parent` is the old one,
    with `version` one higher. `claim_token` and `claimed_at` are the job's lease: see
    `drafting.services.draft_generate`.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DRAFTED = "drafted", "Drafted"
        FAILED = "failed", "Failed"
        APPROVED = "approved", "Approved"

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="drafts"
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="drafts"
    )
    document_type = models.CharField(max_length=50, help_text="A drafting.doctypes id.")
    inputs = models.JSONField(
        default=dict, blank=True, help_text="The validated inputs, each as a string."
    )
    tone = models.CharField(
        max_length=40, default="neutral", validators=[RegexValidator(TONE_PATTERN)]
    )
    locale = models.CharField(
        max_length=12, default="en", validators=[RegexValidator(LOCALE_PATTERN)]
    )
    policy = models.CharField(
        max_length=50, blank=True, help_text="The analysis policy the text is checked against."
    )
    text = models.TextField(blank=True)
    sections = models.JSONField(
        default=list, blank=True, help_text="[{number, heading, body}] read from the text."
    )
    quality_score = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
    )
    warnings = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    failure_reason = models.CharField(max_length=300, blank=True)
    consultation = models.ForeignKey(
        "consultations.Consultation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="drafts",
        help_text="The AI exchange that produced the text.",
    )
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a job claimed it.")
    task_id = models.CharField(max_length=64, blank=True, help_text="The Celery task's id.")
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # NULL rather than "" when absent: NULLs never collide in the unique constraint below, and
    # MySQL has no partial unique index that could skip the empty string instead.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    request_fingerprint = models.CharField(
        max_length=64, blank=True, help_text="sha256 of the canonical request body."
    )
    version = models.PositiveIntegerField(default=1)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="versions",
        help_text="The draft this one is a new version of.",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approved_drafts",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    batch = models.ForeignKey(
        DraftBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="drafts"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["author", "created_at"]),
            models.Index(fields=["case", "created_at"]),
            models.Index(fields=["status", "claimed_at"]),
            models.Index(fields=["batch", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "idempotency_key"], name="draft_unique_idempotency_key"
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="draft_progress_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(quality_score__isnull=True)
                | Q(quality_score__gte=0, quality_score__lte=1),
                name="draft_quality_score_between_0_and_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_type} draft #{self.pk} v{self.version} ({self.status})"

    @property
    def has_result(self) -> bool:
        """Whether the text, sections, score and warnings are there to show."""
        return self.status in (self.Status.DRAFTED, self.Status.APPROVED)

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from cases.search_terms import search_text


class Case(models.Model):
    class PracticeArea(models.TextChoices):
        CORPORATE = "corporate", "Corporate"
        EMPLOYMENT = "employment", "Employment"
        PROPERTY = "property", "Property"
        LITIGATION = "litigation", "Litigation"
        FAMILY = "family", "Family"
        IMMIGRATION = "immigration", "Immigration"
        INTELLECTUAL_PROPERTY = "ip", "Intellectual property"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ON_HOLD = "on-hold", "On hold"
        CLOSED = "closed", "Closed"

    reference = models.CharField(max_length=20, unique=True, editable=False)
    title = models.CharField(max_length=200)
    practice_area = models.CharField(max_length=20, choices=PracticeArea.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    description = models.TextField(blank=True)
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_cases"
    )
    lawyers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="assigned_cases", blank=True
    )
    opposing_parties = models.TextField(
        blank=True, help_text="Names of the opposing parties, one per line."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[lawyers])

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["status", "practice_area"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def opposing_party_names(self) -> list[str]:
        return [line.strip() for line in self.opposing_parties.splitlines() if line.strip()]

    def party_names(self) -> list[str]:
        """The people named on the case: the client and the opposing parties."""
        names = self.opposing_party_names()
        client_name = self.client.get_full_name()
        return [client_name, *names] if client_name else names

    @property
    def next_deadline(self) -> Deadline | None:
        """The first open deadline. A case read through `selectors.cases_with_next_deadline`
        (the cases list) carries it already; any other costs one query."""
        if hasattr(self, "next_deadline_date"):
            if self.next_deadline_date is None:
                return None
            return Deadline(
                case=self,
                due_date=self.next_deadline_date,
                due_time=self.next_deadline_time,
                kind=self.next_deadline_kind,
            )
        return self.deadlines.filter(completed_at__isnull=True).first()


def _document_path(document: Document, filename: str) -> str:
    # A fresh folder per upload: two files of the same name never overwrite each other, and
    # the stored name never carries more than the file's own name.
    folder = f"case-{document.case_id}" if document.case_id else "knowledge-base"
    return f"documents/{folder}/{uuid.uuid4().hex}/{filename}"


class Document(models.Model):
    """A file on a case, or in the firm's knowledge base (no case: staff only).

    Its text is extracted in the background (`cases.tasks`): `status` goes queued ->
    extracting -> ready (its passages are indexed) or failed (`failure_reason` says why). The
    claim fields are the extraction job's lease, as on drafts: a job whose worker died is
    taken up again by the recovery, and a job that runs twice indexes the document once.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        EXTRACTING = "extracting", "Extracting"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        DOCX = "docx", "Word"
        TEXT = "txt", "Text"
        MARKDOWN = "md", "Markdown"
        EMAIL = "eml", "E-mail"

    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        related_name="documents",
        null=True,
        blank=True,
        help_text="Empty: a document of the firm's knowledge base.",
    )
    title = models.CharField(max_length=255, help_text="The file's name as it was uploaded.")
    file = models.FileField(upload_to=_document_path, max_length=400)
    format = models.CharField(max_length=4, choices=Format.choices)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    sha256 = models.CharField(max_length=64, help_text="Of the file's content.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    failure_reason = models.CharField(max_length=200, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploaded_documents"
    )
    task_id = models.CharField(max_length=255, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    embedding_model = models.CharField(
        max_length=100, blank=True, help_text="The model that embedded its passages; empty: none."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "claimed_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def in_knowledge_base(self) -> bool:
        return self.case_id is None


class PassageQuerySet(models.QuerySet["Passage"]):
    def bulk_create(self, objs: Iterable[Passage], *args: Any, **kwargs: Any) -> list[Passage]:
        """Passages written in bulk get their `search_text` as `save()` gives it."""
        passages = list(objs)
        for passage in passages:
            passage.search_text_fill()
        return super().bulk_create(passages, *args, **kwargs)

    def bulk_update(
        self, objs: Iterable[Passage], fields: Iterable[str], *args: Any, **kwargs: Any
    ) -> int:
        """Passages whose `text` is rewritten in bulk get their `search_text` with it."""
        passages, fields = list(objs), list(fields)
        if "text" in fields:
            for passage in passages:
                passage.search_text_fill()
            fields.append("search_text")
        return super().bulk_update(passages, fields, *args, **kwargs)


class Passage(models.Model):
    """A stretch of a document's text, on one page, at `start`..`end` of that page's text:
    what retrieval finds and what an answer cites. Its `search_text` is what the full-text
    index holds (MariaDB FULLTEXT, SQLite FTS5: migration 0005)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="passages")
    position = models.PositiveIntegerField(help_text="Its order in the document, from 0.")
    page = models.PositiveIntegerField(help_text="From 1.")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField()
    # Derived from `text` whenever a passage is written through `save()`,
    # `Passage.objects.bulk_create` or `bulk_update` (a queryset's `update(text=...)` bypasses
    # it: call `search_text_fill()` and save instead).
    search_text = models.TextField(
        blank=True,
        editable=False,
        help_text="The text's words stemmed and unaccented, as full-text search compares them.",
    )
    embedding = models.BinaryField(
        null=True, blank=True, help_text="float32 unit vector of the document's embedding model."
    )

    objects = PassageQuerySet.as_manager()

    class Meta:
        ordering = ["document", "position"]
        constraints = [
            models.UniqueConstraint(fields=["document", "position"], name="passage_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.document} p.{self.page} #{self.position}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A derived column, not a rule: it must follow `text` on every write, which no caller
        # should have to remember.
        self.search_text_fill()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "text" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def search_text_fill(self) -> None:
        """Derives `search_text` from `text` (cases.search_terms)."""
        self.search_text = search_text(self.text)


class DocumentAccess(models.Model):
    """Someone uploaded, viewed, downloaded or deleted a document: the audit trail, kept
    after the document is gone (its title and case stay on the row)."""

    class Action(models.TextChoices):
        UPLOAD = "upload", "Uploaded"
        VIEW = "view", "Viewed"
        DOWNLOAD = "download", "Downloaded"
        DELETE = "delete", "Deleted"

    document = models.ForeignKey(
        Document, on_delete=models.SET_NULL, null=True, blank=True, related_name="accesses"
    )
    document_title = models.CharField(max_length=255)
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="document_accesses"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="document_accesses"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    request_id = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["document", "at"])]
        verbose_name_plural = "document accesses"

    def __str__(self) -> str:
        return f"{self.user} {self.action} {self.document_title} at {self.at:%Y-%m-%d %H:%M}"


class Deadline(models.Model):
    """Something due on a case by a date (and, when it matters, a time): a limitation period,
    a filing, a hearing. Open until a lawyer completes it; completed ones stay on the case."""

    class Kind(models.TextChoices):
        LIMITATION = "limitation", "Limitation"
        FILING = "filing", "Filing"
        HEARING = "hearing", "Hearing"
        OTHER = "other", "Other"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    due_date = models.DateField()
    due_time = models.TimeField(
        null=True, blank=True, help_text="Empty: due by the end of the day."
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="responsible_deadlines",
        help_text="One of the case's lawyers.",
    )
    # Checked by forms and the API (a TextField's max_length is not a column's).
    notes = models.TextField(blank=True, max_length=5_000)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="completed_deadlines",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        # A deadline without a time is due by the end of its day: after those with one.
        ordering = ["due_date", models.F("due_time").asc(nulls_last=True), "id"]
        indexes = [
            models.Index(fields=["case", "completed_at", "due_date"]),
            models.Index(fields=["responsible", "completed_at", "due_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} due {self.due_date:%Y-%m-%d}"

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None

    @property
    def is_overdue(self) -> bool:
        """Open and past due, in the firm's time zone; without a time it is due by the end of
        its day."""
        if self.is_done:
            return False
        now = timezone.localtime()
        if self.due_date != now.date():
            return self.due_date < now.date()
        return self.due_time is not None and self.due_time < now.time()

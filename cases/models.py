from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


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

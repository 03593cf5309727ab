"""Recording the admin's CSV exports of consultations: one ConsultationExport per download
(who, when, which filters or ticked rows, how many rows) and one ConsultationView per
exported consultation, so an auditor can answer both "what did this admin take?" and "who
has seen this exchange?".

The rows are recorded a chunk at a time, with one INSERT per chunk, just before the chunk is
written to the file: a download cut short records at most one chunk it did not deliver, and
never leaves out a row it did.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import F, QuerySet

from accounts.models import User
from consultations.models import Consultation, ConsultationExport, ConsultationView

CHUNK_SIZE = 1000


def consultation_export_start(
    *, exporter: User, scope: ConsultationExport.Scope, query: str
) -> ConsultationExport:
    max_length = ConsultationExport._meta.get_field("query").max_length
    return ConsultationExport.objects.create(
        exporter=exporter, scope=scope, query=query[:max_length]
    )


def consultations_exported(
    *, export: ConsultationExport, consultations: QuerySet[Consultation]
) -> Iterator[Consultation]:
    """The consultations, each recorded as seen by the export's admin just before it is
    handed on."""
    chunk: list[Consultation] = []
    for consultation in consultations.iterator(chunk_size=CHUNK_SIZE):
        chunk.append(consultation)
        if len(chunk) == CHUNK_SIZE:
            _record(export, chunk)
            yield from chunk
            chunk = []
    if chunk:
        _record(export, chunk)
        yield from chunk


def _record(export: ConsultationExport, chunk: list[Consultation]) -> None:
    ConsultationView.objects.bulk_create(
        ConsultationView(consultation=consultation, viewer_id=export.exporter_id, export=export)
        for consultation in chunk
    )
    ConsultationExport.objects.filter(pk=export.pk).update(rows=F("rows") + len(chunk))

"""The admin's CSV export of consultations leaves a trace: who exported which rows, with which
filters, and a view of every exported consultation, written in bulk."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from consultations import exports
from consultations.models import Consultation, ConsultationExport, ConsultationView
from tests.factories import ConsultationFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:consultations_consultation_changelist")
EXPORT = reverse("admin:consultations_consultation_export")


def _csv_ids(response: Any) -> set[int]:
    body = b"".join(response.streaming_content).decode()
    return {int(row["id"]) for row in csv.DictReader(io.StringIO(body))}


@pytest.fixture
def admin_page(page_client_for: Callable[[User], Client], admin_user: User) -> Client:
    return page_client_for(admin_user)


def test_a_filtered_export_records_who_which_filter_and_a_view_per_row(
    admin_page: Client, admin_user: User
) -> None:
    failed = [
        ConsultationFactory(outcome=Consultation.Outcome.FAILED, error_code="timeout")
        for _ in range(3)
    ]
    ConsultationFactory()  # answered: not exported

    exported = _csv_ids(admin_page.get(EXPORT, {"outcome__exact": "failed"}))

    export = ConsultationExport.objects.get()
    assert exported == {c.pk for c in failed}
    assert (export.exporter, export.scope, export.query, export.rows) == (
        admin_user,
        ConsultationExport.Scope.FILTERED,
        "outcome__exact=failed",
        3,
    )
    views = ConsultationView.objects.filter(export=export)
    assert {v.consultation_id for v in views} == exported
    assert {v.viewer for v in views} == {admin_user}


def test_the_export_action_records_the_ticked_rows(admin_page: Client) -> None:
    chosen, other = ConsultationFactory(), ConsultationFactory()

    response = admin_page.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [chosen.pk]}
    )

    assert _csv_ids(response) == {chosen.pk}
    export = ConsultationExport.objects.get()
    assert (export.scope, export.rows) == (ConsultationExport.Scope.SELECTED, 1)
    assert list(chosen.views.values_list("export", flat=True)) == [export.pk]
    assert not other.views.exists()


def test_recording_costs_the_same_queries_for_3_and_5_rows_of_a_chunk(
    admin_page: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "CHUNK_SIZE", 5)
    for _ in range(3):
        ConsultationFactory()
    with CaptureQueriesContext(connection) as few:
        _csv_ids(admin_page.get(EXPORT))
    for _ in range(2):
        ConsultationFactory()

    with CaptureQueriesContext(connection) as many:
        assert len(_csv_ids(admin_page.get(EXPORT))) == 5

    assert len(many) == len(few)
    assert ConsultationView.objects.count() == 3 + 5


def test_the_admin_lists_exports_and_shows_them_on_each_consultation(
    admin_page: Client, admin_user: User
) -> None:
    consultation = ConsultationFactory()
    _csv_ids(admin_page.get(EXPORT, {"kind__exact": "chat"}))
    export = ConsultationExport.objects.get()

    listing = admin_page.get(reverse("admin:consultations_consultationexport_changelist"))
    rows = admin_page.get(
        reverse("admin:consultations_consultationview_changelist"),
        {"export__id__exact": export.pk},
    )
    change = admin_page.get(
        reverse("admin:consultations_consultation_change", args=[consultation.pk])
    )

    assert listing.status_code == rows.status_code == change.status_code == 200
    assert "kind__exact=chat" in listing.content.decode()
    assert str(export) in rows.content.decode()
    assert str(export) in change.content.decode()

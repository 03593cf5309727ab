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
from consultations.models import Consultation, ConsultationView, ToolCall
from tests.factories import AdminFactory, ConsultationFactory, ConsultationViewFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:consultations_consultation_changelist")
EXPORT = reverse("admin:consultations_consultation_export")


def change_url(consultation: Consultation) -> str:
    return reverse("admin:consultations_consultation_change", args=[consultation.pk])


def result_table(response: Any) -> str:
    """The changelist's table alone: the filter sidebar names every user and case anyway."""
    html = response.content.decode()
    start = html.index('<table id="result_list">')
    return html[start : html.index("</table>", start)]


def csv_rows(response: Any) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def admin_page(page_client_for: Callable[[User], Client], admin_user: User) -> Client:
    return page_client_for(admin_user)


def test_changelist_shows_consultations_and_applies_filters(admin_page: Client) -> None:
    ok = ConsultationFactory(request_id="req-answered")
    failed = ConsultationFactory(
        request_id="req-failed", outcome=Consultation.Outcome.FAILED, error_code="timeout"
    )

    response = admin_page.get(CHANGELIST, {"outcome__exact": "failed"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "By outcome" in html
    assert "By cache hit" in html
    assert failed.user.username in result_table(response)
    assert ok.user.username not in result_table(response)


def test_changelist_search_finds_a_consultation_by_case_reference(admin_page: Client) -> None:
    wanted = ConsultationFactory()
    other = ConsultationFactory()

    response = admin_page.get(CHANGELIST, {"q": wanted.case.reference})

    assert wanted.user.username in result_table(response)
    assert other.user.username not in result_table(response)


def test_changelist_costs_the_same_queries_for_3_and_20_rows(admin_page: Client) -> None:
    for _ in range(3):
        ConsultationFactory()
    with CaptureQueriesContext(connection) as few:
        assert admin_page.get(CHANGELIST, {"kind__exact": "chat"}).status_code == 200
    for _ in range(17):
        ConsultationFactory()

    with CaptureQueriesContext(connection) as many:
        response = admin_page.get(CHANGELIST, {"kind__exact": "chat"})

    assert response.content.decode().count('class="action-checkbox"') == 20
    assert len(many) == len(few)


def test_add_view_is_refused(admin_page: Client) -> None:
    response = admin_page.get(reverse("admin:consultations_consultation_add"))

    assert response.status_code == 403


def test_post_to_the_change_view_is_refused_and_changes_nothing(admin_page: Client) -> None:
    consultation = ConsultationFactory()

    response = admin_page.post(change_url(consultation), {"outcome": "failed", "answer": "edited"})

    consultation.refresh_from_db()
    assert response.status_code == 403
    assert consultation.outcome == Consultation.Outcome.OK
    assert consultation.answer == "Jane Doe must give one month of notice."
    assert not ConsultationView.objects.exists()


def test_delete_view_is_refused_and_the_row_stays(admin_page: Client) -> None:
    consultation = ConsultationFactory()
    delete_url = reverse("admin:consultations_consultation_delete", args=[consultation.pk])

    assert admin_page.get(delete_url).status_code == 403
    assert admin_page.post(delete_url, {"post": "yes"}).status_code == 403
    assert Consultation.objects.filter(pk=consultation.pk).exists()


def test_changelist_offers_export_but_no_delete_action(admin_page: Client) -> None:
    ConsultationFactory()

    html = admin_page.get(CHANGELIST).content.decode()

    assert 'value="export_csv"' in html
    assert "delete_selected" not in html
    assert "Export CSV" in html


def test_export_link_carries_the_current_filters(admin_page: Client) -> None:
    ConsultationFactory()

    html = admin_page.get(CHANGELIST, {"outcome__exact": "failed"}).content.decode()

    assert f'href="{EXPORT}?outcome__exact=failed"' in html


def test_csv_export_holds_only_the_filtered_rows(admin_page: Client) -> None:
    ConsultationFactory(request_id="req-answered")
    ConsultationFactory(
        request_id="req-timeout", outcome=Consultation.Outcome.FAILED, error_code="timeout"
    )
    ConsultationFactory(
        request_id="req-limited", outcome=Consultation.Outcome.FAILED, error_code="rate_limited"
    )

    response = admin_page.get(EXPORT, {"outcome__exact": "failed"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert sorted(row["request_id"] for row in rows) == ["req-limited", "req-timeout"]
    assert {row["error_code"] for row in rows} == {"timeout", "rate_limited"}


def test_csv_export_leaves_out_the_answer_with_restored_identities(admin_page: Client) -> None:
    consultation = ConsultationFactory()

    response = admin_page.get(EXPORT)

    body = b"".join(response.streaming_content).decode()
    row = next(csv.DictReader(io.StringIO(body)))
    assert row["sent_text"] == "What is the notice period for <PERSON_1>?"
    assert row["case"] == consultation.case.reference
    assert "answer" not in row
    assert "Jane Doe" not in body


def test_csv_export_neutralises_spreadsheet_formulas(admin_page: Client) -> None:
    ConsultationFactory(sent_text='=HYPERLINK("http://evil.example")')

    row = csv_rows(admin_page.get(EXPORT))[0]

    assert row["sent_text"] == '\'=HYPERLINK("http://evil.example")'


def test_export_action_exports_the_selected_rows(admin_page: Client) -> None:
    chosen = ConsultationFactory(request_id="req-chosen")
    ConsultationFactory(request_id="req-left")

    response = admin_page.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [chosen.pk]}
    )

    assert response["Content-Type"].startswith("text/csv")
    assert [row["request_id"] for row in csv_rows(response)] == ["req-chosen"]


def test_opening_a_consultation_records_each_view_with_its_viewer(
    admin_page: Client, admin_user: User
) -> None:
    consultation = ConsultationFactory()

    first = admin_page.get(change_url(consultation))
    admin_page.get(change_url(consultation))

    html = first.content.decode()
    assert first.status_code == 200
    assert "What is the notice period for &lt;PERSON_1&gt;?" in html
    assert "Viewed by" in html
    views = ConsultationView.objects.filter(consultation=consultation)
    assert views.count() == 2
    assert {view.viewer for view in views} == {admin_user}


def test_the_consultation_page_lists_who_viewed_it(
    page_client_for: Callable[[User], Client], admin_user: User
) -> None:
    consultation = ConsultationFactory()
    earlier_viewer = AdminFactory(username="auditor")
    ConsultationViewFactory(consultation=consultation, viewer=earlier_viewer)

    html = page_client_for(admin_user).get(change_url(consultation)).content.decode()

    assert "auditor" in html


def test_opening_a_missing_consultation_records_nothing(admin_page: Client) -> None:
    response = admin_page.get(
        reverse("admin:consultations_consultation_change", args=[999_999]), follow=True
    )

    assert response.status_code == 200
    assert not ConsultationView.objects.exists()


def test_view_log_is_listed_read_only_and_filterable(admin_page: Client, admin_user: User) -> None:
    consultation = ConsultationFactory()
    other = ConsultationFactory()
    ConsultationViewFactory(consultation=consultation, viewer=admin_user)
    ConsultationViewFactory(consultation=other, viewer=other.user)
    changelist = reverse("admin:consultations_consultationview_changelist")

    response = admin_page.get(changelist, {"viewer__id__exact": admin_user.pk})

    assert response.status_code == 200
    assert "By viewer" in response.content.decode()
    assert consultation.user.username in result_table(response)
    assert other.user.username not in result_table(response)
    assert f'href="{change_url(consultation)}"' in result_table(response)
    assert admin_page.get(reverse("admin:consultations_consultationview_add")).status_code == 403


def test_lawyer_gets_no_access_to_the_audit(
    page_client_for: Callable[[User], Client], lawyer: User
) -> None:
    consultation = ConsultationFactory(user=lawyer)
    page = page_client_for(lawyer)

    assert page.get(CHANGELIST, follow=True).status_code == 403
    assert page.get(change_url(consultation), follow=True).status_code == 403
    assert page.get(EXPORT, follow=True).status_code == 403
    assert not ConsultationView.objects.exists()


def test_a_consultations_tool_calls_are_shown_on_it_and_in_their_own_list(
    admin_page: Client,
) -> None:
    consultation = ConsultationFactory()
    ToolCall.objects.create(
        consultation=consultation,
        user=consultation.user,
        case=consultation.case,
        channel=ToolCall.Channel.CHAT,
        tool="deadlines_list",
        arguments={"days": 14},
        result_size=321,
        elapsed_ms=4,
        cached=True,
    )

    page = admin_page.get(change_url(consultation)).content.decode()
    listed = admin_page.get(reverse("admin:consultations_toolcall_changelist"))

    assert "Tool calls" in page
    assert "deadlines_list" in page
    assert "321" in page
    assert listed.status_code == 200
    assert "deadlines_list" in result_table(listed)
    assert consultation.case.reference in result_table(listed)

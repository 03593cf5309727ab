from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from cases import panels
from cases.models import Case
from cases.panels import CasePanel
from tests.cases.conftest import ALL_CASES, VISIBILITY
from tests.factories import CaseFactory, ClientFactory, LawyerFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
REFERENCE = re.compile(r"CN-\d{4}-\d{4,}")


def _references(response) -> set[str]:
    return set(REFERENCE.findall(response.content.decode()))


def _case_form(**overrides) -> dict:
    data = {
        "title": "Boundary dispute with neighbour",
        "practice_area": Case.PracticeArea.PROPERTY,
        "status": Case.Status.OPEN,
        "client": ClientFactory().pk,
        "lawyers": [],
        "description": "Fence moved two metres.",
        "opposing_parties": "Ray Neighbour",
    }
    return {**data, **overrides}


# --- who sees what --------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "visible"), VISIBILITY)
def test_case_list_shows_exactly_the_cases_the_user_may_see(firm, page_client_for, who, visible):
    response = page_client_for(getattr(firm, who)).get(reverse("cases:list"))
    assert response.status_code == 200
    assert _references(response) == {getattr(firm, name).reference for name in visible}


@pytest.mark.parametrize(("who", "visible"), VISIBILITY)
def test_case_detail_is_a_404_for_cases_the_user_may_not_see(firm, page_client_for, who, visible):
    page = page_client_for(getattr(firm, who))
    for name in ALL_CASES:
        case = getattr(firm, name)
        response = page.get(reverse("cases:detail", args=[case.pk]))
        assert response.status_code == (200 if name in visible else 404), name


def test_pages_send_anonymous_visitors_to_the_login_page(firm):
    response = Client().get(reverse("cases:detail", args=[firm.case_a.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_case_detail_shows_fields_parties_and_lawyers(page_client_for):
    lawyer = LawyerFactory(first_name="Amara", last_name="Okafor")
    client = ClientFactory(first_name="Helen", last_name="Marsh")
    case = CaseFactory(
        client=client,
        lawyers=[lawyer],
        title="Unfair dismissal",
        practice_area=Case.PracticeArea.EMPLOYMENT,
        description="Dismissed after a grievance.",
        opposing_parties="Brightline Logistics Ltd\nJ. Smith",
    )
    response = page_client_for(lawyer).get(reverse("cases:detail", args=[case.pk]))
    body = response.content.decode()
    for text in (
        case.reference,
        "Unfair dismissal",
        "Employment",
        "Open",
        "Helen Marsh",
        "Amara Okafor",
        "Brightline Logistics Ltd<br>J. Smith",
        "Dismissed after a grievance.",
    ):
        assert text in body
    assert reverse("cases:edit", args=[case.pk]) in body


def test_client_reads_their_case_without_an_edit_link(firm, page_client_for):
    response = page_client_for(firm.client_a).get(reverse("cases:detail", args=[firm.case_a.pk]))
    assert response.status_code == 200
    assert reverse("cases:edit", args=[firm.case_a.pk]) not in response.content.decode()
    assert reverse("cases:create") not in response.content.decode()


@pytest.fixture
def a_panel(monkeypatch) -> CasePanel:
    # Any view taking case_id will do as the panel's URL here.
    panel = CasePanel(title="Drafts", url_name="cases:edit")
    monkeypatch.setattr(panels, "_panels", [panel])
    return panel


def test_staff_case_page_loads_the_registered_panels(firm, page_client_for, a_panel):
    body = page_client_for(firm.lawyer_a).get(reverse("cases:detail", args=[firm.case_a.pk]))
    url = a_panel.url(firm.case_a.pk)
    html = body.content.decode()
    assert "<h2>Drafts</h2>" in html
    assert f'<div hx-get="{url}" hx-trigger="load"' in html
    assert f'<a href="{url}">' in html


def test_client_case_page_has_no_staff_panels(firm, page_client_for, a_panel):
    body = page_client_for(firm.client_a).get(reverse("cases:detail", args=[firm.case_a.pk]))
    assert "Drafts" not in body.content.decode()


# --- search, filters, htmx ------------------------------------------------------------------


def test_htmx_list_request_gets_only_the_table(firm, page_client_for):
    response = page_client_for(firm.admin_a).get(reverse("cases:list"), headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="case-table">')
    assert "<html" not in body
    assert 'name="search"' not in body
    assert _references(response) == {
        firm.case_a.reference,
        firm.case_b.reference,
        firm.case_ab.reference,
    }
    assert "HX-Request" in response["Vary"]


def test_full_list_page_has_the_live_filter_form(firm, page_client_for):
    body = page_client_for(firm.admin_a).get(reverse("cases:list")).content.decode()
    assert "<html" in body
    assert 'hx-get="/cases/"' in body
    assert 'hx-target="#case-table"' in body
    assert 'hx-push-url="true"' in body
    assert "delay:300ms" in body


def test_htmx_history_restore_gets_the_whole_page(firm, page_client_for):
    response = page_client_for(firm.admin_a).get(
        reverse("cases:list"), headers={**HTMX, "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


@pytest.mark.parametrize(
    "search",
    ["boundary", "CN-2026-0777", "Wilhelmina", "Zaragoza", "wilhelmina fence"],
    ids=["title", "reference", "client-name", "description", "two-words"],
)
def test_search_finds_cases_by_title_reference_client_name_and_description(
    page_client_for, admin_user, search
):
    client = ClientFactory(first_name="Wilhelmina", last_name="Quist")
    wanted = CaseFactory(
        reference="CN-2026-0777",
        title="Boundary fence",
        description="Hearing set in Zaragoza.",
        client=client,
    )
    CaseFactory(title="Other matter", description="Nothing here.")

    response = page_client_for(admin_user).get(reverse("cases:list"), {"search": search})

    assert _references(response) == {wanted.reference}


def test_status_and_practice_area_filters_narrow_the_list(page_client_for, admin_user):
    held = CaseFactory(status=Case.Status.ON_HOLD, practice_area=Case.PracticeArea.FAMILY)
    CaseFactory(status=Case.Status.ON_HOLD, practice_area=Case.PracticeArea.CORPORATE)
    CaseFactory(status=Case.Status.OPEN, practice_area=Case.PracticeArea.FAMILY)
    page = page_client_for(admin_user)

    response = page.get(reverse("cases:list"), {"status": "on-hold", "practice_area": "family"})

    assert _references(response) == {held.reference}


def test_admin_filters_by_lawyer(firm, page_client_for):
    response = page_client_for(firm.admin_a).get(
        reverse("cases:list"), {"lawyer": firm.lawyer_b.pk}, headers=HTMX
    )
    assert _references(response) == {firm.case_b.reference, firm.case_ab.reference}


def test_lawyer_filter_is_only_for_admins(firm, page_client_for):
    page = page_client_for(firm.lawyer_b)
    assert 'name="lawyer"' not in page.get(reverse("cases:list")).content.decode()
    # The parameter cannot widen or change what a lawyer sees.
    response = page.get(reverse("cases:list"), {"lawyer": firm.lawyer_a.pk})
    assert _references(response) == {firm.case_b.reference, firm.case_ab.reference}


def test_case_list_pages_by_25_and_keeps_the_filters_in_the_links(page_client_for, admin_user):
    CaseFactory.create_batch(26, status=Case.Status.CLOSED)
    page = page_client_for(admin_user)

    first = page.get(reverse("cases:list"), {"status": "closed"}).content.decode()
    second = page.get(reverse("cases:list"), {"status": "closed", "page": 2}, headers=HTMX)

    assert len(REFERENCE.findall(first)) == 25
    assert 'href="?status=closed&amp;page=2"' in first
    assert 'hx-get="?status=closed&amp;page=2"' in first
    assert len(_references(second)) == 1


def test_case_list_costs_the_same_queries_for_3_or_30_cases(
    page_client_for, admin_user, django_assert_num_queries
):
    page = page_client_for(admin_user)
    lawyers = LawyerFactory.create_batch(2)
    CaseFactory.create_batch(3, lawyers=lawyers)
    with CaptureQueriesContext(connection) as three:
        assert page.get(reverse("cases:list")).status_code == 200

    CaseFactory.create_batch(27, lawyers=lawyers)
    with django_assert_num_queries(len(three)):
        response = page.get(reverse("cases:list"))
    assert len(REFERENCE.findall(response.content.decode())) == 25


# --- create and edit ------------------------------------------------------------------------


def test_lawyer_opens_a_case_and_lands_on_it(page_client_for, lawyer):
    response = page_client_for(lawyer).post(reverse("cases:create"), _case_form())
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk])
    assert case.title == "Boundary dispute with neighbour"
    assert list(case.lawyers.all()) == [lawyer]
    assert case.history.latest().history_user == lawyer


def test_invalid_create_form_is_shown_again_with_field_errors(page_client_for, admin_user):
    data = _case_form(title="", client=LawyerFactory().pk, practice_area="astrology")
    response = page_client_for(admin_user).post(reverse("cases:create"), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in body
    assert "Select a valid choice. astrology is not one of the available choices." in body
    assert "Select a valid choice. That choice is not one of the available choices." in body
    assert 'class="field field-error" id="field-title"' in body
    assert "Fence moved two metres.</textarea>" in body
    assert not Case.objects.exists()


def test_create_form_offers_only_clients_and_lawyers(page_client_for, admin_user):
    client = ClientFactory(username="the-client")
    lawyer = LawyerFactory(username="the-lawyer")
    body = page_client_for(admin_user).get(reverse("cases:create")).content.decode()
    client_select = body.split('name="client"')[1].split("</select>")[0]
    lawyer_select = body.split('name="lawyers"')[1].split("</select>")[0]
    assert f'value="{client.pk}"' in client_select
    assert f'value="{lawyer.pk}"' not in client_select
    assert f'value="{lawyer.pk}"' in lawyer_select
    assert f'value="{client.pk}"' not in lawyer_select


def test_field_checked_on_blur_returns_that_field_with_its_errors(page_client_for, admin_user):
    response = page_client_for(admin_user).post(
        reverse("cases:create") + "?validate=title", _case_form(title=""), headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div class="field field-error" id="field-title"')
    assert "This field is required." in body
    assert "<form" not in body
    assert not Case.objects.exists()


def test_valid_field_checked_on_blur_comes_back_without_errors(page_client_for, admin_user):
    response = page_client_for(admin_user).post(
        reverse("cases:create") + "?validate=title",
        _case_form(title="Lease"),
        headers=HTMX,
    )
    body = response.content.decode()
    assert 'class="field" id="field-title"' in body
    assert "errorlist" not in body


def test_form_fields_validate_themselves_on_change(page_client_for, admin_user):
    body = page_client_for(admin_user).get(reverse("cases:create")).content.decode()
    assert 'hx-post="/cases/new/?validate=title" hx-trigger="change"' in body


@pytest.mark.parametrize("who", ["client_a", "client_b"])
def test_clients_cannot_open_cases(firm, page_client_for, who):
    page = page_client_for(getattr(firm, who))
    assert page.get(reverse("cases:create")).status_code == 403
    assert page.post(reverse("cases:create"), _case_form()).status_code == 403
    assert reverse("cases:create") not in page.get(reverse("cases:list")).content.decode()


@pytest.mark.parametrize(
    ("who", "editable"),
    [
        ("client_a", set()),
        ("client_b", set()),
        ("lawyer_a", {"case_a"}),
        ("lawyer_b", {"case_b", "case_ab"}),
        ("admin_a", set(ALL_CASES)),
    ],
)
def test_edit_page_is_open_to_who_may_change_the_case(firm, page_client_for, who, editable):
    """Visible but not changeable (a client's own case) is 403; invisible is 404."""
    page = page_client_for(getattr(firm, who))
    visible = dict(VISIBILITY)[who]
    for name in ALL_CASES:
        response = page.get(reverse("cases:edit", args=[getattr(firm, name).pk]))
        expected = 200 if name in editable else 403 if name in visible else 404
        assert response.status_code == expected, name


def test_client_posting_to_the_edit_page_changes_nothing(firm, page_client_for):
    page = page_client_for(firm.client_a)
    url = reverse("cases:edit", args=[firm.case_a.pk])
    assert page.post(url, _case_form(client=firm.client_a.pk)).status_code == 403
    firm.case_a.refresh_from_db()
    assert firm.case_a.title != "Boundary dispute with neighbour"


def test_assigned_lawyer_edits_a_case_and_history_names_them(firm, page_client_for):
    url = reverse("cases:edit", args=[firm.case_a.pk])
    data = _case_form(
        client=firm.client_a.pk, lawyers=[firm.lawyer_a.pk], status=Case.Status.CLOSED
    )
    response = page_client_for(firm.lawyer_a).post(url, data)
    assert response.status_code == 302
    firm.case_a.refresh_from_db()
    assert firm.case_a.status == Case.Status.CLOSED
    latest = firm.case_a.history.latest()
    assert latest.history_user == firm.lawyer_a
    assert latest.status == Case.Status.CLOSED


def test_edit_form_starts_with_the_cases_values(firm, page_client_for):
    url = reverse("cases:edit", args=[firm.case_b.pk])
    body = page_client_for(firm.lawyer_b).get(url).content.decode()
    assert f'value="{firm.case_b.title}"' in body.replace("&#x27;", "'")
    assert f'<option value="{firm.client_b.pk}" selected>' in body


def test_invalid_edit_keeps_the_case_unchanged(firm, page_client_for):
    url = reverse("cases:edit", args=[firm.case_a.pk])
    data = _case_form(title="", client=firm.client_a.pk)
    response = page_client_for(firm.admin_a).post(url, data)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Case.objects.get(pk=firm.case_a.pk).title == firm.case_a.title


def test_lawyers_cannot_be_chosen_as_client_on_edit(firm, page_client_for):
    url = reverse("cases:edit", args=[firm.case_a.pk])
    data = _case_form(client=firm.lawyer_a.pk)
    response = page_client_for(firm.admin_a).post(url, data)
    assert "That choice is not one of the available choices." in response.content.decode()
    assert Case.objects.get(pk=firm.case_a.pk).client.role == User.Role.CLIENT

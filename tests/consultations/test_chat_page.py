from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from cases.models import Case
from cases.panels import case_panels
from consultations.llm.client import OFFLINE_LABEL
from consultations.models import Consultation
from tests.factories import CaseFactory, ConsultationFactory, LawyerFactory
from tests.fake_llm import FakeLLM, Reply, Status

pytestmark = pytest.mark.django_db

CHAT = reverse("consultations:chat")
ASK = reverse("consultations:ask")
ASK_STREAM = reverse("consultations:ask-stream")
HTMX = {"HX-Request": "true"}
BUSY = "The AI is busy right now, please try again."


@pytest.fixture
def own_case(lawyer: User) -> Case:
    return CaseFactory(lawyers=[lawyer], title="Lease of the riverside warehouse")


@pytest.fixture
def others_case() -> Case:
    return CaseFactory(lawyers=[LawyerFactory()], title="Somebody else's merger")


@pytest.fixture
def page(page_client_for: Callable[[User], Client], lawyer: User) -> Client:
    return page_client_for(lawyer)


def panel_url(case: Case) -> str:
    return reverse("consultations:case-panel", kwargs={"case_id": case.pk})


# --- The page -------------------------------------------------------------------------------


def test_lawyer_sees_the_chat_page_with_only_their_cases_to_pick(
    page: Client, own_case: Case, others_case: Case
) -> None:
    response = page.get(CHAT)

    html = response.content.decode()
    assert response.status_code == 200
    assert own_case.reference in html
    assert others_case.reference not in html
    assert "No case: a general question" in html
    assert "Counsel is thinking…" in html
    assert f'action="{ASK}"' in html
    assert f'hx-post="{ASK_STREAM}"' in html
    assert 'hx-disabled-elt="#ask-submit"' in html


def test_a_case_can_be_preselected_from_the_address(page: Client, own_case: Case) -> None:
    html = page.get(CHAT, {"case": own_case.pk}).content.decode()

    assert f'<option value="{own_case.pk}" selected>' in html


def test_client_is_refused_the_chat_page_and_the_question(
    page_client_for: Callable[[User], Client], client_user: User
) -> None:
    page = page_client_for(client_user)

    assert page.get(CHAT).status_code == 403
    assert page.post(ASK, {"message": "Hello?"}, headers=HTMX).status_code == 403
    assert not Consultation.objects.exists()


def test_anonymous_visitor_is_sent_to_log_in() -> None:
    response = Client().get(CHAT)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_staff_nav_links_to_the_assistant_and_a_clients_does_not(
    page: Client, page_client_for: Callable[[User], Client], client_user: User
) -> None:
    assert f'href="{CHAT}"' in page.get(reverse("cases:list")).content.decode()
    client_nav = page_client_for(client_user).get(reverse("cases:list")).content.decode()
    assert f'href="{CHAT}"' not in client_nav


# --- Asking ---------------------------------------------------------------------------------


def test_question_gets_the_offline_answer_as_a_partial_and_is_recorded(
    page: Client, lawyer: User, own_case: Case
) -> None:
    response = page.post(
        ASK, {"message": "What notice must the tenant give?", "case": own_case.pk}, headers=HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "What notice must the tenant give?" in html
    assert OFFLINE_LABEL in html
    assert "from cache" not in html
    assert f'href="{reverse("cases:detail", args=[own_case.pk])}"' in html
    consultation = Consultation.objects.get()
    assert (consultation.user, consultation.case) == (lawyer, own_case)
    assert consultation.outcome == Consultation.Outcome.OK


def test_after_an_answer_the_form_is_emptied_out_of_band_keeping_the_case(
    page: Client, own_case: Case
) -> None:
    html = page.post(
        ASK, {"message": "Is the deposit refundable?", "case": own_case.pk}, headers=HTMX
    ).content.decode()

    assert 'id="chat-fields" hx-swap-oob="true"' in html
    assert f'<option value="{own_case.pk}" selected>' in html
    textarea = html[html.index("<textarea") : html.index("</textarea>")]
    assert "Is the deposit refundable?" not in textarea


def test_asking_the_same_question_twice_shows_the_cache_badge(page: Client) -> None:
    question = {"message": "How long is a limitation period for contract claims?"}

    first = page.post(ASK, question, headers=HTMX).content.decode()
    second = page.post(ASK, question, headers=HTMX).content.decode()

    assert "from cache" not in first
    assert "from cache" in second
    assert list(Consultation.objects.values_list("cache_hit", flat=True)) == [True, False]


def test_answer_keeps_its_line_breaks_and_shows_the_tokens_used(
    page: Client, fake_llm: FakeLLM
) -> None:
    fake_llm.script(
        Reply(text="First, check the lease.\nThen, write to the landlord.", prompt_tokens=30)
    )

    html = page.post(ASK, {"message": "What should I do first?"}, headers=HTMX).content.decode()

    assert "First, check the lease.<br>Then, write to the landlord." in html
    assert "38 tokens" in html


def test_without_javascript_the_whole_page_comes_back_with_the_exchange(page: Client) -> None:
    response = page.post(ASK, {"message": "Can a contract be signed electronically?"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert 'id="conversation"' in html
    assert "Can a contract be signed electronically?" in html
    assert OFFLINE_LABEL in html
    assert "hx-swap-oob" not in html


def test_empty_question_shows_the_field_error_and_asks_nothing(page: Client) -> None:
    response = page.post(ASK, {"message": "   "}, headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "field-error" in html
    assert "This field is required." in html
    assert not Consultation.objects.exists()


def test_question_over_8000_characters_shows_the_field_error(page: Client) -> None:
    response = page.post(ASK, {"message": "x" * 8001})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Ensure this value has at most 8000 characters (it has 8001)." in html
    assert not Consultation.objects.exists()


def test_another_lawyers_case_is_refused_with_a_field_error(
    page: Client, others_case: Case
) -> None:
    response = page.post(
        ASK, {"message": "Summarise the merger.", "case": others_case.pk}, headers=HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice." in html
    assert others_case.title not in html
    assert not Consultation.objects.exists()


def test_when_the_ai_is_down_the_friendly_message_shows_and_the_question_stays(
    page: Client, fake_llm: FakeLLM
) -> None:
    fake_llm.default = Status(503)

    response = page.post(ASK, {"message": "Is a verbal agreement binding?"}, headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert BUSY in html
    textarea = html[html.index("<textarea") : html.index("</textarea>")]
    assert "Is a verbal agreement binding?" in textarea
    assert Consultation.objects.get().outcome == Consultation.Outcome.FAILED


def test_when_the_ai_is_down_without_javascript_the_page_keeps_the_question(
    page: Client, fake_llm: FakeLLM
) -> None:
    fake_llm.default = Status(503)

    html = page.post(ASK, {"message": "Is a verbal agreement binding?"}).content.decode()

    assert BUSY in html
    textarea = html[html.index("<textarea") : html.index("</textarea>")]
    assert "Is a verbal agreement binding?" in textarea


# --- The case panel -------------------------------------------------------------------------


def test_consultations_registers_its_panel_for_the_case_page(own_case: Case) -> None:
    panels = {panel.title: panel for panel in case_panels()}

    assert panels["AI consultations"].url(own_case.pk) == panel_url(own_case)


def test_case_panel_lists_the_consultations_of_a_visible_case(
    page: Client, lawyer: User, own_case: Case
) -> None:
    ConsultationFactory(user=lawyer, case=own_case, prompt_tokens=100, completion_tokens=23)
    ConsultationFactory(
        user=lawyer, case=own_case, outcome=Consultation.Outcome.FAILED, error_code="timeout"
    )
    elsewhere = ConsultationFactory(user=lawyer, prompt_tokens=999)

    response = page.get(panel_url(own_case), headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.count("<tr>") == 3  # the header and two consultations
    assert "<td>123</td>" in html
    assert "Failed" in html
    assert lawyer.get_full_name() in html
    assert f"<td>{elsewhere.tokens_used}</td>" not in html


def test_case_panel_costs_the_same_queries_for_3_and_20_consultations(
    page: Client, own_case: Case
) -> None:
    for _ in range(3):
        ConsultationFactory(case=own_case)
    with CaptureQueriesContext(connection) as few:
        page.get(panel_url(own_case))
    for _ in range(20):
        ConsultationFactory(case=own_case)

    with CaptureQueriesContext(connection) as many:
        html = page.get(panel_url(own_case)).content.decode()

    assert html.count("<tr>") == 21  # the header and the 20 most recent
    assert len(many) == len(few)


def test_case_panel_of_another_lawyers_case_is_not_found(page: Client, others_case: Case) -> None:
    ConsultationFactory(case=others_case)

    assert page.get(panel_url(others_case)).status_code == 404


def test_case_panel_is_refused_to_clients_even_on_their_own_case(
    page_client_for: Callable[[User], Client], own_case: Case
) -> None:
    response = page_client_for(own_case.client).get(panel_url(own_case))

    assert response.status_code == 403

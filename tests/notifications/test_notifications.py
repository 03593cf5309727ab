"""Notifications by e-mail, read from a real SMTP server: each given once, to its user only
while they want it, and none of them costs the action that caused it anything."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from email.message import EmailMessage
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from accounts.models import User
from cases.indexing import document_schedule, documents_recover
from cases.models import Case, Deadline, Document
from consultations.models import Budget
from drafting.batches import batch_create_from_csv
from drafting.doctypes import DOCUMENT_TYPES
from drafting.models import Draft, DraftBatch
from drafting.services import draft_request, draft_schedule, drafts_recover
from drafting.tasks import draft_generate_task
from notifications.events import budget_alerts_send, deadline_reminders_send
from notifications.models import Email, Notification
from notifications.services import preferences_update
from notifications.tasks import budget_alerts_task, deadline_reminders_task
from tests.documents import pdf_bytes, stored_document
from tests.drafting.test_batches import _csv, _nda_row
from tests.factories import (
    AdminFactory,
    CaseFactory,
    ConsultationFactory,
    DeadlineFactory,
    DocumentFactory,
    LawyerFactory,
)
from tests.fake_llm import FakeLLM, Status
from tests.smtp_server import SMTPServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

NDA = DOCUMENT_TYPES["nda"]
NOTICE = "The Tenant may terminate this Lease by giving the Landlord three months written notice."


@pytest.fixture
def case(lawyer: User, client_user: User) -> Case:
    return CaseFactory(
        client=client_user,
        lawyers=[lawyer],
        title="Boundary dispute",
        description="Mrs Hollis says the fence moved in 2019.",
        opposing_parties="Raymond Neighbourly",
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """`with committed():` what the block does is committed: the jobs and e-mails it queued
    on commit run before the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def assert_plain_and_private(message: EmailMessage, case: Case) -> str:
    """The body, having checked it names the case by reference and title only."""
    body = message.get_content()
    assert message.get_content_type() == "text/plain"
    assert case.reference in body
    client = case.client
    for private in (
        client.get_full_name(),
        client.email,
        case.opposing_parties,
        case.description,
        *(str(value) for value in NDA.example_inputs.values() if len(str(value)) > 4),
    ):
        assert private not in body, private
    assert f"{settings.SITE_URL}/notifications/" in body
    return body


def _draft_in_background(author: User, case: Case | None) -> Draft:
    draft = draft_request(author=author, type_id="nda", inputs=dict(NDA.example_inputs), case=case)
    draft_schedule(draft_id=draft.pk, request_id="r-1")
    return draft


# --- Drafts and batches ---------------------------------------------------------------------


def test_a_background_draft_tells_its_author_once_with_a_link(
    smtp_server: SMTPServer, lawyer: User, case: Case, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        draft = _draft_in_background(lawyer, case)
    with django_capture_on_commit_callbacks(execute=True):
        draft_generate_task.apply((draft.pk, "redelivered"))  # the broker hands it back

    [message] = smtp_server.messages
    assert message["To"] == lawyer.email
    assert message["Subject"] == f"Draft ready: {NDA.title}"
    body = assert_plain_and_private(message, case)
    assert f"{settings.SITE_URL}/drafting/drafts/{draft.pk}/" in body
    assert "Boundary dispute" in body


def test_a_background_draft_that_fails_says_so(
    smtp_server: SMTPServer,
    fake_llm: FakeLLM,
    lawyer: User,
    case: Case,
    committed: Callable[[], Any],
) -> None:
    fake_llm.default = Status(400)

    with committed():
        draft = _draft_in_background(lawyer, case)

    assert Draft.objects.get(pk=draft.pk).status == Draft.Status.FAILED
    [message] = smtp_server.messages
    assert message["Subject"] == f"Draft failed: {NDA.title}"
    assert "could not be finished" in assert_plain_and_private(message, case)


def test_a_draft_made_in_the_request_sends_nothing(
    smtp_server: SMTPServer, lawyer: User, api_client_for: Any, committed: Callable[[], Any]
) -> None:
    from drafting.apis import inputs_on_the_wire

    body = {"type": "nda", "inputs": inputs_on_the_wire(NDA.example_inputs)}
    with committed():
        response = api_client_for(lawyer).post("/api/ai/generate-document", body, format="json")

    assert response.status_code == 200
    assert smtp_server.messages == []


def test_a_batch_tells_its_author_once_when_every_row_has_ended(
    smtp_server: SMTPServer, lawyer: User, case: Case, committed: Callable[[], Any]
) -> None:
    rows = [_nda_row(1), _nda_row(2), _nda_row(3, effective_date="not a date")]

    with committed():
        batch = batch_create_from_csv(author=lawyer, type_id="nda", csv_file=_csv(rows), case=case)

    assert DraftBatch.objects.get(pk=batch.pk).status == DraftBatch.Status.DONE
    [message] = smtp_server.messages  # one for the batch, none for its rows
    assert message["Subject"] == f"Batch finished: 3 x {NDA.title}"
    body = assert_plain_and_private(message, case)
    assert "2 drafted, 1 failed" in body
    assert f"{settings.SITE_URL}/drafting/batches/{batch.pk}/" in body
    assert "Counterparty" not in body


def test_a_user_who_turned_drafts_off_gets_none(
    smtp_server: SMTPServer, lawyer: User, case: Case, committed: Callable[[], Any]
) -> None:
    preferences_update(user=lawyer, drafts=False)

    with committed():
        draft = _draft_in_background(lawyer, case)

    assert Draft.objects.get(pk=draft.pk).status == Draft.Status.DRAFTED
    assert smtp_server.messages == []
    assert not Notification.objects.exists()


def test_a_mail_server_that_is_down_leaves_the_draft_done_and_the_email_retried(
    smtp_server: SMTPServer, lawyer: User, case: Case, committed: Callable[[], Any], settings: Any
) -> None:
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 0
    smtp_server.stop()

    with committed():
        draft = _draft_in_background(lawyer, case)

    assert Draft.objects.get(pk=draft.pk).status == Draft.Status.DRAFTED
    email = Email.objects.get()
    assert (email.status, email.attempts) == (Email.Status.FAILED, settings.EMAIL_SEND_ATTEMPTS)
    assert Notification.objects.get().email == email


def test_a_draft_and_a_document_the_recovery_gives_up_on_tell_their_owner(
    smtp_server: SMTPServer, lawyer: User, case: Case, committed: Callable[[], Any]
) -> None:
    draft = draft_request(author=lawyer, type_id="nda", inputs=dict(NDA.example_inputs), case=case)
    document = DocumentFactory(case=case, uploaded_by=lawyer)
    for model, row, lease in ((Draft, draft, "DRAFT"), (Document, document, "DOCUMENT")):
        lost = timezone.now() - timedelta(seconds=getattr(settings, f"{lease}_LEASE_SECONDS") + 1)
        model.objects.filter(pk=row.pk).update(
            status=model.Status.RUNNING if model is Draft else model.Status.EXTRACTING,
            task_id="t-lost",
            attempts=5,
            claimed_at=lost,
        )

    with committed():
        drafts_recover()
        documents_recover()

    assert [message["Subject"] for message in smtp_server.to(lawyer.email)] == [
        f"Draft failed: {NDA.title}",
        f"Document failed on {case.reference}",
    ]


# --- Documents ------------------------------------------------------------------------------


def test_a_processed_document_and_a_failed_one_tell_their_uploader(
    smtp_server: SMTPServer,
    lawyer: User,
    case: Case,
    committed: Callable[[], Any],
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    good = stored_document(pdf_bytes([NOTICE]), format="pdf")
    bad = stored_document(b"%PDF-1.7 this is no PDF", format="pdf")
    Document.objects.filter(pk__in=[good.pk, bad.pk]).update(case=case, uploaded_by=lawyer)

    for document in (good, bad):
        with committed():
            document_schedule(document_id=document.pk, request_id="r-1")

    statuses = dict(Document.objects.values_list("pk", "status"))
    assert (statuses[good.pk], statuses[bad.pk]) == ("ready", "failed")
    subjects = [message["Subject"] for message in smtp_server.to(lawyer.email)]
    assert subjects == [
        f"Document ready on {case.reference}",
        f"Document failed on {case.reference}",
    ]
    for message, document in zip(smtp_server.messages, (good, bad), strict=True):
        body = assert_plain_and_private(message, case)
        assert f"{settings.SITE_URL}/cases/documents/{document.pk}/" in body
        assert "made.pdf" not in body  # a file's name may name a person


# --- Deadlines ------------------------------------------------------------------------------


def _deadline(case: Case, responsible: User, days: int, **fields: Any) -> Deadline:
    due = timezone.localdate() + timedelta(days=days)
    return DeadlineFactory(case=case, responsible=responsible, due_date=due, **fields)


def test_deadline_reminders_go_7_days_and_1_day_before_once_each(
    smtp_server: SMTPServer, lawyer: User, case: Case, committed: Callable[[], Any]
) -> None:
    week = _deadline(case, lawyer, 7, notes="Call Mrs Hollis first")
    _deadline(case, lawyer, 1, kind=Deadline.Kind.HEARING)
    _deadline(case, lawyer, 8)  # not yet
    _deadline(case, lawyer, 7, completed_at=timezone.now(), completed_by=lawyer)  # done
    _deadline(case, lawyer, -1)  # past

    with committed():
        deadline_reminders_task.delay()
        deadline_reminders_task.delay()  # a second scheduler, or a second run

    subjects = sorted(message["Subject"] for message in smtp_server.messages)
    assert subjects == [
        f"Deadline in 7 days: {case.reference}",
        f"Deadline tomorrow: {case.reference}",
    ]
    for message in smtp_server.messages:
        assert message["To"] == lawyer.email
        body = assert_plain_and_private(message, case)
        assert "Mrs Hollis" not in body
        assert f"{settings.SITE_URL}/cases/{case.pk}/deadlines/" in body

    # Days later: the week's reminder is not given again, and one not seen 7 days before is
    # given when first seen; then the day's, once.
    today = timezone.localdate()
    with committed():
        assert deadline_reminders_send(today=today + timedelta(days=5)) == 1
        assert deadline_reminders_send(today=today + timedelta(days=6)) == 1
        assert deadline_reminders_send(today=today + timedelta(days=6)) == 0
    assert [message["Subject"] for message in smtp_server.messages[2:]] == [
        f"Deadline in 3 days: {case.reference}",
        f"Deadline tomorrow: {case.reference}",
    ]

    # Moved, it is a new date to be reminded of.
    Deadline.objects.filter(pk=week.pk).update(due_date=today + timedelta(days=7 + 14))
    with committed():
        assert deadline_reminders_send(today=today + timedelta(days=14)) == 1
    assert len(smtp_server.messages) == 5


def test_a_lawyer_who_turned_deadlines_off_and_an_inactive_one_get_no_reminder(
    smtp_server: SMTPServer, lawyer: User, case: Case, committed: Callable[[], Any]
) -> None:
    preferences_update(user=lawyer, deadlines=False)
    gone = LawyerFactory(is_active=False)
    case.lawyers.add(gone)
    _deadline(case, lawyer, 1)
    _deadline(case, gone, 1)

    with committed():
        assert deadline_reminders_send() == 0
    assert smtp_server.messages == []


def test_deadline_reminders_read_everyones_choices_in_the_one_query_for_the_deadlines(
    case: Case, django_assert_num_queries: Callable
) -> None:
    for _ in range(3):
        quiet = LawyerFactory()
        case.lawyers.add(quiet)
        preferences_update(user=quiet, deadlines=False)
        _deadline(case, quiet, 1)

    with django_assert_num_queries(1):
        assert deadline_reminders_send() == 0


# --- AI budgets -----------------------------------------------------------------------------


def _spend(user: User, case: Case, tokens: int) -> None:
    ConsultationFactory(user=user, case=case, prompt_tokens=tokens, completion_tokens=0)


def test_a_users_budget_warns_them_at_80_and_100_percent_once_each(
    smtp_server: SMTPServer, lawyer: User, case: Case, committed: Callable[[], Any]
) -> None:
    Budget.objects.create(scope=Budget.Scope.USER, user=lawyer, monthly_tokens=1000)
    _spend(lawyer, case, 700)
    assert budget_alerts_send() == 0

    with committed():
        _spend(lawyer, case, 150)
        budget_alerts_task.delay()
        budget_alerts_task.delay()
    with committed():
        _spend(lawyer, case, 200)
        budget_alerts_task.delay()
        budget_alerts_task.delay()

    assert [message["Subject"] for message in smtp_server.to(lawyer.email)] == [
        "Your monthly AI budget is 80% spent",
        "Your monthly AI budget is 100% spent",
    ]
    last = smtp_server.messages[-1].get_content()
    assert "Tokens: 1050 of 1000" in last
    assert f"{settings.SITE_URL}/assistant/" in last


def test_the_firms_budget_warns_its_admins(
    smtp_server: SMTPServer, lawyer: User, case: Case, committed: Callable[[], Any]
) -> None:
    admins = [AdminFactory(), AdminFactory()]
    Budget.objects.create(scope=Budget.Scope.FIRM, monthly_cost_usd=Decimal("10.00"))
    ConsultationFactory(user=lawyer, case=case, cost_estimate=Decimal("8.50"))

    with committed():
        assert budget_alerts_send() == 2

    assert {message["To"] for message in smtp_server.messages} == {a.email for a in admins}
    assert {message["Subject"] for message in smtp_server.messages} == {
        "The firm's monthly AI budget is 80% spent"
    }
    assert "Cost: 8.50 of 10.00 USD" in smtp_server.messages[0].get_content()


# --- Two schedulers at once -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_running_at_once_send_each_reminder_once(
    smtp_server: SMTPServer, eager_celery: None
) -> None:
    lawyers = [LawyerFactory() for _ in range(3)]
    for lawyer in lawyers:
        case = CaseFactory(lawyers=[lawyer])
        for days in (1, 2, 7):
            DeadlineFactory(
                case=case, responsible=lawyer, due_date=timezone.localdate() + timedelta(days)
            )
    start = threading.Barrier(2)
    counts: list[int] = []

    def scheduler() -> None:
        try:
            start.wait()
            counts.append(deadline_reminders_send())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(counts) == 9
    assert len(smtp_server.wait_for(9)) == 9
    assert Notification.objects.count() == 9

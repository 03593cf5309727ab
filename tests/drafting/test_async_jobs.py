"""Drafts as jobs: the 202 answer, the task's retries, and a job that may run twice.

Tasks run eagerly here (`eager_celery`), inside the test; a real worker process is in
test_worker.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from consultations.llm.errors import LLMMisconfigured
from consultations.models import Consultation
from drafting.apis import inputs_on_the_wire
from drafting.doctypes import DOCUMENT_TYPES
from drafting.models import Draft
from drafting.services import MAX_ATTEMPTS, draft_generate, draft_request, drafts_recover
from drafting.tasks import draft_generate_task
from tests.fake_llm import FakeLLM, Reply, Status

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

GENERATE = reverse("drafting-api:generate-document")
NDA = DOCUMENT_TYPES["nda"]
MODEL_TEXT = "1. Parties\n\n<PERSON_1> and <PERSON_2> agree."
ONE_CALL_FAILING = [Status(503)] * 3  # one provider call: the attempt and its two retries


def request_async(api: APIClient, *, headers: dict[str, str] | None = None, **fields: Any) -> Any:
    body = {"type": "nda", "inputs": inputs_on_the_wire(NDA.example_inputs), **fields}
    return api.post(
        GENERATE, body, format="json", headers={"Prefer": "respond-async", **(headers or {})}
    )


def new_draft(user: User) -> Draft:
    return draft_request(author=user, type_id="nda", inputs=dict(NDA.example_inputs))


def set_state(draft: Draft, **fields: Any) -> None:
    # A queryset update: `updated_at` is auto_now, and a job writes its state this way too.
    Draft.objects.filter(pk=draft.pk).update(**fields)


# --- 202 and the status URL -----------------------------------------------------------------


def test_prefer_respond_async_answers_202_with_a_status_url_that_the_job_completes(
    fake_llm: FakeLLM,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
    django_capture_on_commit_callbacks: Any,
) -> None:
    fake_llm.default = Reply(text=MODEL_TEXT)
    api = api_client_for(client_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = request_async(api)

    assert response.status_code == 202
    draft = Draft.objects.get()
    url = f"/api/ai/drafts/{draft.pk}"
    assert response.json() == {"draftId": draft.pk, "status": "queued", "statusUrl": url}
    assert response.headers["Location"] == url
    assert response.headers["Preference-Applied"] == "respond-async"
    status = api.get(url).json()
    assert (status["status"], status["progress"]) == ("drafted", 100)
    assert status["result"]["draftText"] == (
        "1. Parties\n\nNorthwind Analytics Ltd and Harbour Lane Robotics Inc. agree."
    )
    assert draft.task_id


def test_async_true_in_the_body_queues_the_job_too(
    client_user: User,
    api_client_for: Callable[[User], APIClient],
    django_capture_on_commit_callbacks: Any,
) -> None:
    api = api_client_for(client_user)
    body = {"type": "nda", "inputs": inputs_on_the_wire(NDA.example_inputs), "async": True}

    with django_capture_on_commit_callbacks(execute=False) as published:
        response = api.post(GENERATE, body, format="json")

    assert response.status_code == 202
    assert len(published) == 1
    status = api.get(response.json()["statusUrl"]).json()
    assert status == {
        "draftId": Draft.objects.get().pk,
        "type": "nda",
        "status": "queued",
        "progress": 0,
        "createdAt": status["createdAt"],
        "updatedAt": status["updatedAt"],
    }


def test_an_async_replay_with_the_same_key_queues_no_second_job(
    client_user: User,
    api_client_for: Callable[[User], APIClient],
    django_capture_on_commit_callbacks: Any,
) -> None:
    api = api_client_for(client_user)

    with django_capture_on_commit_callbacks(execute=False) as published:
        first = request_async(api, headers={"Idempotency-Key": "job-1"})
        second = request_async(api, headers={"Idempotency-Key": "job-1"})

    assert second.status_code == 202
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert len(published) == 1
    assert Draft.objects.count() == 1


# --- The task and its retries ---------------------------------------------------------------


def test_a_busy_ai_is_retried_by_the_task_and_the_draft_is_drafted(
    fake_llm: FakeLLM, client_user: User
) -> None:
    fake_llm.script(*ONE_CALL_FAILING, *ONE_CALL_FAILING)
    fake_llm.default = Reply(text=MODEL_TEXT)
    draft = new_draft(client_user)

    draft_generate_task.delay(draft.pk, "req-1")

    draft.refresh_from_db()
    assert draft.status == Draft.Status.DRAFTED
    assert draft.attempts == 3
    outcomes = list(Consultation.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["failed", "failed", "ok"]
    assert draft.consultation == Consultation.objects.get(outcome="ok")


def test_a_busy_ai_fails_the_draft_after_three_retries(
    fake_llm: FakeLLM, client_user: User
) -> None:
    fake_llm.default = Status(503)
    draft = new_draft(client_user)

    draft_generate_task.delay(draft.pk, "req-1")

    draft.refresh_from_db()
    assert draft.status == Draft.Status.FAILED
    assert draft.failure_reason == "The AI could not draft the document (unavailable)."
    assert draft.attempts == 4
    assert Consultation.objects.filter(outcome="failed").count() == 4


def test_a_misconfigured_provider_fails_the_draft_with_its_reason_without_a_retry(
    fake_llm: FakeLLM, client_user: User
) -> None:
    fake_llm.default = Status(400)
    draft = new_draft(client_user)

    draft_generate_task.delay(draft.pk, "req-1")

    draft.refresh_from_db()
    assert draft.status == Draft.Status.FAILED
    assert draft.attempts == 1
    assert draft.failure_reason == LLMMisconfigured.default_detail
    assert Consultation.objects.get().error_code == "misconfigured"


# --- Running twice --------------------------------------------------------------------------


def test_a_redelivered_task_returns_the_drafted_draft_without_asking_again(
    fake_llm: FakeLLM, client_user: User
) -> None:
    fake_llm.default = Reply(text=MODEL_TEXT)
    draft = new_draft(client_user)

    first = async_to_sync(draft_generate)(draft_id=draft.pk, request_id="r", task_id="t-1")
    again = async_to_sync(draft_generate)(draft_id=draft.pk, request_id="r", task_id="t-1")
    other = async_to_sync(draft_generate)(draft_id=draft.pk, request_id="r", task_id="t-2")

    assert first.status == again.status == other.status == Draft.Status.DRAFTED
    assert again.text == first.text
    assert len(fake_llm.requests) == 1
    assert Consultation.objects.count() == 1
    assert Draft.objects.get().attempts == 1


def test_a_draft_another_live_job_holds_is_left_to_it(fake_llm: FakeLLM, client_user: User) -> None:
    draft = new_draft(client_user)
    set_state(draft, status="running", progress=40, task_id="t-1", claimed_at=timezone.now())

    returned = async_to_sync(draft_generate)(draft_id=draft.pk, request_id="r", task_id="t-2")

    assert (returned.status, returned.progress, returned.task_id) == ("running", 40, "t-1")
    assert fake_llm.requests == []


def test_a_redelivery_of_the_task_that_holds_a_draft_takes_it_over_at_once(
    fake_llm: FakeLLM, client_user: User
) -> None:
    # RabbitMQ redelivers only once the connection of the worker holding the task closed.
    fake_llm.default = Reply(text=MODEL_TEXT)
    draft = new_draft(client_user)
    set_state(draft, status="running", task_id="t-1", attempts=1, claimed_at=timezone.now())

    returned = async_to_sync(draft_generate)(draft_id=draft.pk, request_id="r", task_id="t-1")

    assert returned.status == Draft.Status.DRAFTED
    assert returned.attempts == 2


def test_a_running_draft_whose_lease_ran_out_is_taken_over(
    fake_llm: FakeLLM, client_user: User
) -> None:
    fake_llm.default = Reply(text=MODEL_TEXT)
    draft = new_draft(client_user)
    expired = timezone.now() - timedelta(seconds=settings.DRAFT_LEASE_SECONDS + 1)
    set_state(draft, status="running", task_id="t-1", attempts=1, claimed_at=expired)

    returned = async_to_sync(draft_generate)(draft_id=draft.pk, request_id="r", task_id="t-2")

    assert returned.status == Draft.Status.DRAFTED
    assert (returned.task_id, returned.attempts) == ("t-2", 2)


# --- Recovering lost jobs -------------------------------------------------------------------


def test_recovery_requeues_a_draft_whose_worker_died_and_it_gets_drafted(
    fake_llm: FakeLLM, client_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    fake_llm.default = Reply(text=MODEL_TEXT)
    draft = new_draft(client_user)
    expired = timezone.now() - timedelta(seconds=settings.DRAFT_LEASE_SECONDS + 1)
    set_state(draft, status="running", task_id="t-1", attempts=1, claimed_at=expired)

    with django_capture_on_commit_callbacks(execute=True):
        recovered = drafts_recover()

    draft.refresh_from_db()
    assert recovered == [draft.pk]
    assert draft.status == Draft.Status.DRAFTED
    assert draft.attempts == 2
    assert draft.task_id != "t-1"


def test_recovery_publishes_a_queued_draft_whose_task_was_never_sent(
    fake_llm: FakeLLM, client_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    fake_llm.default = Reply(text=MODEL_TEXT)
    draft = new_draft(client_user)
    long_ago = timezone.now() - timedelta(seconds=settings.DRAFT_LEASE_SECONDS + 1)
    set_state(draft, updated_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        assert drafts_recover() == [draft.pk]
    draft.refresh_from_db()
    assert draft.status == Draft.Status.DRAFTED


def test_recovery_leaves_live_and_scheduled_jobs_alone(client_user: User) -> None:
    long_ago = timezone.now() - timedelta(seconds=settings.DRAFT_LEASE_SECONDS + 1)
    running = new_draft(client_user)
    set_state(running, status="running", task_id="t-1", claimed_at=timezone.now())
    scheduled = new_draft(client_user)
    set_state(scheduled, task_id="t-2", updated_at=long_ago)
    fresh = new_draft(client_user)

    assert drafts_recover() == []
    states = {d.pk: d.status for d in Draft.objects.all()}
    assert states == {running.pk: "running", scheduled.pk: "queued", fresh.pk: "queued"}


def test_recovery_gives_up_on_a_draft_interrupted_too_often(client_user: User) -> None:
    draft = new_draft(client_user)
    expired = timezone.now() - timedelta(seconds=settings.DRAFT_LEASE_SECONDS + 1)
    set_state(draft, status="running", attempts=MAX_ATTEMPTS, claimed_at=expired)

    assert drafts_recover() == []

    draft.refresh_from_db()
    assert draft.status == Draft.Status.FAILED
    assert draft.failure_reason == "The draft was interrupted 5 times; please try again."

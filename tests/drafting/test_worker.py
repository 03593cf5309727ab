"""Asynchronous drafts run by a real Celery worker process, on the test database and broker."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import MySQLdb
import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from consultations.models import Consultation
from drafting.apis import inputs_on_the_wire
from drafting.doctypes import DOCUMENT_TYPES
from drafting.models import Draft
from tests.drafting.conftest import WorkerProcess
from tests.fake_llm import Delay, FakeLLM, Reply

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

GENERATE = reverse("drafting-api:generate-document")
NDA = DOCUMENT_TYPES["nda"]
# What the model answers: the parties as the placeholders the scrubber sent it.
MODEL_TEXT = (
    "MUTUAL NON-DISCLOSURE AGREEMENT\n\n"
    "1. Parties\n\nThis agreement is between <PERSON_1> and <PERSON_2>.\n\n"
    "2. Confidentiality\n\nEach party keeps the other's information confidential."
)


def _fake_llm_env(fake_llm: FakeLLM, **extra: str) -> dict[str, str]:
    return {
        "LLM_PROVIDER": "openai",
        "LLM_BASE_URL": fake_llm.base_url,
        "LLM_API_KEY": "test-key",
        "LLM_TIMEOUT_MS": "4000",
        "LLM_DEADLINE_MS": "4000",
        "LLM_BACKOFF_BASE_MS": "10",
        **extra,
    }


def _request_async(api: APIClient, **inputs: str) -> str:
    response = api.post(
        GENERATE,
        {"type": "nda", "inputs": inputs_on_the_wire({**NDA.example_inputs, **inputs})},
        format="json",
        headers={"Prefer": "respond-async"},
    )
    assert response.status_code == 202, response.content
    return response.json()["statusUrl"]


def _poll(
    api: APIClient, url: str, until: Callable[[dict[str, Any]], bool], *, timeout: float = 60
) -> list[dict[str, Any]]:
    """Every status the client saw, polling until `until(status)` or the timeout."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = api.get(url)
        assert response.status_code == 200
        seen.append(response.json())
        if until(seen[-1]):
            return seen
        time.sleep(0.1)
    pytest.fail(f"gave up after {timeout} s; last status: {seen[-1] if seen else None}")


def test_async_draft_is_drafted_by_a_worker_while_the_client_polls(
    celery_worker_process: Callable[..., WorkerProcess],
    fake_llm: FakeLLM,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
) -> None:
    fake_llm.default = Delay(1.0, Reply(text=MODEL_TEXT))
    celery_worker_process(**_fake_llm_env(fake_llm))
    api = api_client_for(client_user)

    seen = _poll(api, _request_async(api), lambda status: status["status"] == "drafted")

    statuses = [status["status"] for status in seen]
    progress = [status["progress"] for status in seen]
    assert "running" in statuses
    assert progress == sorted(progress)
    assert progress[-1] == 100
    result = seen[-1]["result"]
    assert set(result) == {"draftText", "sections", "qualityScore", "warnings"}
    assert "between Northwind Analytics Ltd and Harbour Lane Robotics Inc." in result["draftText"]
    assert {n: s["heading"] for n, s in result["sections"].items()} == {
        "1": "Parties",
        "2": "Confidentiality",
    }
    sent = fake_llm.requests[0].json["messages"][0]["content"]
    assert "Northwind" not in sent
    assert "<PERSON_1>" in sent
    consultation = Consultation.objects.get()
    assert consultation.kind == Consultation.Kind.DRAFT
    assert Draft.objects.get().consultation == consultation


def test_a_job_whose_worker_is_killed_is_finished_exactly_once_by_another_worker(
    celery_worker_process: Callable[..., WorkerProcess],
    fake_llm: FakeLLM,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
) -> None:
    # The first call hangs long enough to kill its worker in the middle of it; later calls
    # answer at once. The lease is longer than any job the worker could run (two deadlines).
    fake_llm.script(Delay(3.0, Reply(text=MODEL_TEXT)))
    fake_llm.default = Reply(text=MODEL_TEXT)
    env = _fake_llm_env(fake_llm, DRAFT_LEASE_SECONDS="10")
    first = celery_worker_process(**env)
    api = api_client_for(client_user)
    url = _request_async(api)
    before = _poll(
        api, url, lambda status: status["status"] == "running" and len(fake_llm.requests) == 1
    )

    first.kill()
    celery_worker_process(**env)
    after = _poll(api, url, lambda status: status["status"] in ("drafted", "failed"))

    statuses = [status["status"] for status in [*before, *after]]
    assert statuses[-1] == "drafted"
    assert "failed" not in statuses
    draft = Draft.objects.get()
    assert draft.attempts == 2
    assert "Northwind Analytics Ltd" in draft.text
    assert len(fake_llm.requests) >= 2
    succeeded = Consultation.objects.filter(
        kind=Consultation.Kind.DRAFT, outcome=Consultation.Outcome.OK
    )
    assert succeeded.count() == 1
    assert draft.consultation == succeeded.get()


@pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("amqp://"),
    reason="only RabbitMQ hands back a killed worker's jobs; the filesystem broker loses them "
    "and the lease recovery re-queues them (the test above)",
)
def test_every_job_a_killed_worker_was_running_comes_back_from_the_broker_and_is_drafted_once(
    celery_worker_process: Callable[..., WorkerProcess],
    fake_llm: FakeLLM,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
) -> None:
    # One worker process runs several jobs at once on its threads: each draft's call to the
    # model hangs there until the worker is killed; later calls answer at once. The lease
    # outlasts the test, so only the broker, handing back the jobs the dead worker never
    # acknowledged, can bring them back. Each draft its own purpose: drafts that differ only
    # in names would share one cached answer, and the model would be asked once.
    in_flight = 3
    fake_llm.script(*[Delay(30.0, Reply(text=MODEL_TEXT))] * in_flight)
    fake_llm.default = Reply(text=MODEL_TEXT)
    env = _fake_llm_env(
        fake_llm,
        DRAFT_LEASE_SECONDS="600",
        CELERY_WORKER_CONCURRENCY=str(in_flight),
        # Longer than the wait before the kill, so no call gives up before it.
        LLM_TIMEOUT_MS="10000",
        LLM_DEADLINE_MS="10000",
    )
    first = celery_worker_process(**env)
    api = api_client_for(client_user)
    urls = [_request_async(api, purpose=f"evaluating project {n}") for n in range(in_flight)]
    _poll(api, urls[0], lambda status: len(fake_llm.requests) == in_flight)
    task_ids = sorted(Draft.objects.values_list("task_id", flat=True))

    first.kill()
    celery_worker_process(**env)
    finished = [
        _poll(api, url, lambda status: status["status"] in ("drafted", "failed"))[-1]
        for url in urls
    ]

    assert [status["status"] for status in finished] == ["drafted"] * in_flight
    drafts = list(Draft.objects.all())
    # The very jobs the broker handed back, each claimed once by each worker.
    assert sorted(draft.task_id for draft in drafts) == task_ids
    assert [draft.attempts for draft in drafts] == [2] * in_flight
    assert all("Northwind Analytics Ltd" in draft.text for draft in drafts)
    assert len(fake_llm.requests) == 2 * in_flight
    succeeded = Consultation.objects.filter(
        kind=Consultation.Kind.DRAFT, outcome=Consultation.Outcome.OK
    )
    assert sorted(draft.consultation_id for draft in drafts) == sorted(
        succeeded.values_list("pk", flat=True)
    )


@contextmanager
def _account_with_one_connection() -> Iterator[dict[str, Any]]:
    """A MariaDB account on the test database that may hold one connection at a time (as a
    full server, at max_connections, refuses one more): its MySQLdb connect arguments."""
    db = connection.settings_dict
    user, password = f"h_one_{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE USER %s@'%%' IDENTIFIED BY %s WITH MAX_USER_CONNECTIONS 1", [user, password]
        )
        cursor.execute(f"GRANT ALL ON `{db['NAME']}`.* TO %s@'%%'", [user])
    try:
        yield {
            "host": db["HOST"] or "127.0.0.1",
            "port": int(db["PORT"] or 3306),
            "user": user,
            "password": password,
            "database": db["NAME"],
        }
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP USER %s@'%%'", [user])


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.mysql",
    reason="a limit on one account's connections is MariaDB's",
)
def test_a_job_the_database_refuses_is_retried_and_drafted_once_the_database_has_room(
    celery_worker_process: Callable[..., WorkerProcess],
    fake_llm: FakeLLM,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
) -> None:
    fake_llm.default = Reply(text=MODEL_TEXT)
    with _account_with_one_connection() as account:
        worker = celery_worker_process(
            **_fake_llm_env(fake_llm),
            # The worker's jobs do their database work on one connection.
            AI_DB_THREADS="1",
            DATABASE_URL=(
                f"mysql://{account['user']}:{account['password']}@{account['host']}:"
                f"{account['port']}/{account['database']}"
            ),
        )
        # The test holds the account's one connection: the job finds the database full.
        held = MySQLdb.connect(**account)
        api = api_client_for(client_user)
        url = _request_async(api)
        _poll(api, url, lambda status: "retry: Retry in" in worker.log())
        held.close()
        finished = _poll(api, url, lambda status: status["status"] in ("drafted", "failed"))

    assert finished[-1]["status"] == "drafted"
    draft = Draft.objects.get()
    assert draft.attempts == 1  # the refused job never claimed it
    assert "Northwind Analytics Ltd" in draft.text
    assert len(fake_llm.requests) == 1


def test_a_worker_emails_the_author_of_a_background_draft_through_smtp(
    celery_worker_process: Callable[..., WorkerProcess],
    smtp_server: Any,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
) -> None:
    # The worker finds the SMTP server through EMAIL_URL, which the fixture set.
    worker = celery_worker_process()
    api = api_client_for(client_user)

    url = _request_async(api)
    _poll(api, url, lambda status: status["status"] == "drafted")

    [message] = smtp_server.wait_for(1)
    assert message["To"] == client_user.email
    assert message["Subject"] == f"Draft ready: {NDA.title}"
    assert f"{settings.SITE_URL}/drafting/drafts/{Draft.objects.get().pk}/" in (
        message.get_content()
    )
    assert client_user.email not in worker.log()  # its logs name the domain only

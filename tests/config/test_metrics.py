from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from config.celery import app as celery_app
from drafting.models import Draft
from tests.factories import CaseFactory, DraftFactory
from tests.fake_llm import FakeLLM, Reply, Status

pytestmark = pytest.mark.django_db

CHAT = reverse("ai-api:chat")
TOKEN = "s3cret-scrape-token"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: Client | None = None) -> Samples:
    """Every sample of a /metrics scrape from loopback (allowed by default)."""
    response = (client or Client()).get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """How much one series moved between two scrapes (the counters are process-global)."""
    return value(after, name, **labels) - value(before, name, **labels)


def chat(api: APIClient, user: User, message: str = "May my landlord keep the deposit?") -> Any:
    return api.post(CHAT, {"userId": user.pk, "message": message}, format="json")


# --- Exposition -----------------------------------------------------------------------------


def test_metrics_is_prometheus_text_with_every_counsel_metric(client: Client) -> None:
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-cache" in response["Cache-Control"]
    families = {
        family.name: family.type
        for family in text_string_to_metric_families(response.content.decode())
    }
    assert {
        "counsel_http_requests": "counter",
        "counsel_http_request_duration_seconds": "histogram",
        "counsel_ai_calls": "counter",
        "counsel_ai_cache": "counter",
        "counsel_llm_latency_seconds": "histogram",
        "counsel_llm_errors": "counter",
        "counsel_ai_tokens": "counter",
        "counsel_ai_cost_usd": "counter",
        "counsel_celery_tasks": "counter",
        "counsel_ready": "gauge",
        "counsel_drafts_waiting": "gauge",
    }.items() <= families.items()


def test_metrics_is_not_in_the_openapi_schema(client: Client) -> None:
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/ai/chat" in paths
    assert not [path for path in paths if "metrics" in path]


# --- AI calls -------------------------------------------------------------------------------


def test_a_chat_answer_counts_a_call_and_a_miss_and_the_same_chat_again_a_hit(
    settings: Settings, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    settings.LLM_PROVIDER = "offline"
    api = api_client_for(client_user)
    before = scrape()

    assert chat(api, client_user).status_code == 200
    after_first = scrape()
    assert chat(api, client_user).json()["cached"] is True
    after_second = scrape()

    calls = "counsel_ai_calls_total"
    cache = "counsel_ai_cache_total"
    latency = "counsel_llm_latency_seconds_count"
    assert delta(before, after_first, calls, kind="chat", outcome="ok") == 1
    assert delta(before, after_first, cache, kind="chat", result="miss") == 1
    assert delta(before, after_first, cache, kind="chat", result="hit") == 0
    assert delta(before, after_first, latency, kind="chat") == 1
    assert delta(after_first, after_second, calls, kind="chat", outcome="ok") == 1
    assert delta(after_first, after_second, cache, kind="chat", result="hit") == 1
    assert delta(after_first, after_second, cache, kind="chat", result="miss") == 0
    # A hit never reached the provider: no latency observed.
    assert delta(after_first, after_second, latency, kind="chat") == 0


def test_provider_tokens_and_cost_are_counted_once_and_not_again_for_a_cache_hit(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.script(Reply(prompt_tokens=1000, completion_tokens=200))
    api = api_client_for(client_user)
    before = scrape()

    chat(api, client_user)
    chat(api, client_user)  # answered from the cache
    after = scrape()

    tokens = "counsel_ai_tokens_total"
    assert delta(before, after, tokens, kind="chat", direction="prompt") == 1000
    assert delta(before, after, tokens, kind="chat", direction="completion") == 200
    cost = delta(before, after, "counsel_ai_cost_usd_total", kind="chat")
    # 1000 x 0.15 + 200 x 0.60 USD per million tokens (the default prices).
    assert cost == pytest.approx(0.00027)


def test_a_provider_outage_counts_a_failed_call_and_its_error_code(
    fake_llm: FakeLLM, client_user: User, api_client_for: Callable[[User], APIClient]
) -> None:
    fake_llm.default = Status(503)
    before = scrape()

    response = chat(api_client_for(client_user), client_user)

    assert response.status_code == 503
    after = scrape()
    assert delta(before, after, "counsel_llm_errors_total", kind="chat", error="unavailable") == 1
    assert delta(before, after, "counsel_ai_calls_total", kind="chat", outcome="failed") == 1
    assert delta(before, after, "counsel_ai_calls_total", kind="chat", outcome="ok") == 0
    assert delta(before, after, "counsel_llm_latency_seconds_count", kind="chat") == 1


# --- HTTP -----------------------------------------------------------------------------------


def test_requests_for_two_cases_are_one_series_labelled_with_the_route(
    lawyer: User, api_client_for: Callable[[User], APIClient]
) -> None:
    first, second = CaseFactory(lawyers=[lawyer]), CaseFactory(lawyers=[lawyer])
    api = api_client_for(lawyer)
    route = {"endpoint": "/api/cases/<int:case_id>", "method": "GET", "status": "200"}
    before = scrape()

    assert api.get(f"/api/cases/{first.pk}").status_code == 200
    assert api.get(f"/api/cases/{second.pk}").status_code == 200

    after = scrape()
    assert delta(before, after, "counsel_http_requests_total", **route) == 2
    endpoints = {dict(labels).get("endpoint") for _, labels in after}
    assert f"/api/cases/{first.pk}" not in endpoints
    assert f"/api/cases/{second.pk}" not in endpoints
    duration = "counsel_http_request_duration_seconds_count"
    assert delta(before, after, duration, endpoint=route["endpoint"]) == 2


def test_paths_that_match_no_route_share_one_series(client: Client) -> None:
    labels = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    before = scrape()

    client.get("/no/such/page/123")
    client.get("/no/such/page/456")

    assert delta(before, scrape(), "counsel_http_requests_total", **labels) == 2


def test_an_invented_http_method_is_counted_as_other(client: Client) -> None:
    labels = {"endpoint": "/healthz", "method": "other", "status": "405"}
    before = scrape()

    client.generic("BREW", "/healthz")

    assert delta(before, scrape(), "counsel_http_requests_total", **labels) == 1


# --- Access ---------------------------------------------------------------------------------


@pytest.fixture
def outside_only(settings: Settings) -> None:
    """Loopback, where the test client connects from, is not an allowed network."""
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    settings.METRICS_TOKEN = TOKEN


@pytest.mark.usefixtures("outside_only")
def test_metrics_refuses_an_address_outside_the_allowed_networks(client: Client) -> None:
    response = client.get("/metrics")

    assert response.status_code == 403
    assert b"counsel_" not in response.content


@pytest.mark.usefixtures("outside_only")
def test_metrics_answers_the_token_from_any_address(client: Client) -> None:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 200
    assert b"counsel_ready" in response.content


@pytest.mark.usefixtures("outside_only")
def test_metrics_refuses_a_wrong_token(client: Client) -> None:
    response = client.get("/metrics", headers={"Authorization": "Bearer not-the-token"})

    assert response.status_code == 403


@pytest.mark.usefixtures("outside_only")
def test_metrics_answers_an_address_in_an_allowed_network(client: Client) -> None:
    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::ffff:10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.5").status_code == 403


def test_without_a_configured_token_an_empty_bearer_token_is_refused(
    settings: Settings, client: Client
) -> None:
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", headers={"Authorization": "Bearer "})

    assert response.status_code == 403


def test_a_request_relayed_by_a_local_proxy_needs_the_token(
    settings: Settings, client: Client
) -> None:
    settings.METRICS_TOKEN = TOKEN
    relayed = {"X-Forwarded-For": "203.0.113.9"}

    refused = client.get("/metrics", headers=relayed)  # from 127.0.0.1, an allowed network
    allowed = client.get("/metrics", headers={**relayed, "Authorization": f"Bearer {TOKEN}"})

    assert refused.status_code == 403
    assert allowed.status_code == 200


def test_metrics_answers_only_get(client: Client) -> None:
    assert client.post("/metrics").status_code == 405


# --- Read at scrape time --------------------------------------------------------------------


def test_readiness_is_one_for_each_dependency_that_answers() -> None:
    samples = scrape()

    for dependency in ("database", "cache", "broker"):
        assert value(samples, "counsel_ready", dependency=dependency) == 1


@pytest.mark.usefixtures("redis_down")
def test_readiness_is_zero_for_a_cache_that_does_not_answer() -> None:
    samples = scrape()

    assert value(samples, "counsel_ready", dependency="cache") == 0
    assert value(samples, "counsel_ready", dependency="database") == 1


def test_drafts_waiting_counts_only_drafts_queued_more_than_five_minutes_ago(
    lawyer: User,
) -> None:
    def draft(status: str, minutes_ago: int) -> None:
        made = DraftFactory(author=lawyer, status=status)
        # created_at is set on insert; move it back as if the draft were requested earlier.
        Draft.objects.filter(pk=made.pk).update(
            created_at=timezone.now() - timedelta(minutes=minutes_ago)
        )

    draft(Draft.Status.QUEUED, minutes_ago=12)
    draft(Draft.Status.QUEUED, minutes_ago=6)
    draft(Draft.Status.QUEUED, minutes_ago=1)  # a worker may still take it
    draft(Draft.Status.RUNNING, minutes_ago=12)
    draft(Draft.Status.DRAFTED, minutes_ago=30)

    assert value(scrape(), "counsel_drafts_waiting", age="over_5m") == 2


# --- Celery ---------------------------------------------------------------------------------


@celery_app.task(name="tests.metrics.succeeds")
def _succeeds() -> None:
    pass


@celery_app.task(name="tests.metrics.raises")
def _raises() -> None:
    raise RuntimeError("an unhandled bug")


@celery_app.task(bind=True, name="tests.metrics.retries_once", max_retries=1)
def _retries_once(self: Any) -> None:
    if self.request.retries == 0:
        raise self.retry(countdown=0)


def test_celery_task_runs_are_counted_by_task_and_state() -> None:
    before = scrape()

    _succeeds.apply()
    _raises.apply()
    _retries_once.apply()

    after = scrape()

    def runs(task: str, state: str) -> float:
        return delta(before, after, "counsel_celery_tasks_total", task=task, state=state)

    assert runs("tests.metrics.succeeds", "started") == 1
    assert runs("tests.metrics.succeeds", "succeeded") == 1
    assert runs("tests.metrics.raises", "started") == 1
    assert runs("tests.metrics.raises", "failed") == 1
    assert runs("tests.metrics.raises", "succeeded") == 0
    assert runs("tests.metrics.retries_once", "retried") == 1
    assert runs("tests.metrics.retries_once", "started") == 2
    assert runs("tests.metrics.retries_once", "succeeded") == 1


# --- Several processes ----------------------------------------------------------------------

_CHILD = """
import sys
from decimal import Decimal

import django

django.setup()
from config import metrics

if sys.argv[1] == "observe":
    metrics.ai_call_observe(
        kind="chat", outcome="ok", error_code="", cache_hit=False, attempts=1,
        latency_ms=1500, prompt_tokens=10, completion_tokens=5, cost_usd=Decimal("0.00001"),
    )
else:
    sys.stdout.write(metrics.metrics_exposition()[0].decode())
"""


def test_with_a_multiprocess_folder_a_scrape_adds_up_every_process(tmp_path: Path) -> None:
    folder = tmp_path / "prometheus"
    folder.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
        # A database of its own: the child must not touch the test database or the dev one.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'child.sqlite3'}",
    }

    def run(command: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, command],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    run("observe")
    run("observe")
    exposed = run("expose")

    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposed)
        for sample in family.samples
    }
    assert value(samples, "counsel_ai_calls_total", kind="chat", outcome="ok") == 2
    assert value(samples, "counsel_llm_latency_seconds_count", kind="chat") == 2
    assert value(samples, "counsel_llm_latency_seconds_sum", kind="chat") == 3.0
    assert value(samples, "counsel_ready", dependency="database") == 1

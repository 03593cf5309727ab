from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import async_to_sync

from consultations import ratelimit
from consultations.ratelimit import RateLimited
from tests.problems import problem_of


def rate_limit_hit(*, scope: str, user_id: int, address: str) -> None:
    """One request counted, in an event loop of its own, as each web process counts its own."""
    async_to_sync(ratelimit.rate_limit_hit)(scope=scope, user_id=user_id, address=address)


def limit(settings, scope: str, user: str, address: str) -> None:
    settings.AI_RATE_LIMITS = {**settings.AI_RATE_LIMITS, scope: {"user": user, "address": address}}


@pytest.fixture
def chat_limit(settings) -> None:
    limit(settings, "chat", user="3/60", address="3/60")


@pytest.mark.usefixtures("chat_limit")
def test_the_request_after_the_limit_is_refused_with_retry_after() -> None:
    for _ in range(3):
        rate_limit_hit(scope="chat", user_id=1, address="10.0.0.1")

    with pytest.raises(RateLimited) as refused:
        rate_limit_hit(scope="chat", user_id=1, address="10.0.0.1")

    assert refused.value.status_code == 429
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 60


@pytest.mark.usefixtures("chat_limit")
def test_limits_are_kept_per_user_and_per_scope() -> None:
    for _ in range(3):
        rate_limit_hit(scope="chat", user_id=1, address="10.0.0.1")

    rate_limit_hit(scope="chat", user_id=2, address="10.0.0.2")
    rate_limit_hit(scope="analyze", user_id=1, address="10.0.0.1")


@pytest.mark.usefixtures("chat_limit")
def test_one_address_is_limited_across_users() -> None:
    for user_id in range(3):
        rate_limit_hit(scope="chat", user_id=user_id, address="10.0.0.9")

    with pytest.raises(RateLimited):
        rate_limit_hit(scope="chat", user_id=99, address="10.0.0.9")


def test_the_window_resets(settings) -> None:
    limit(settings, "chat", user="2/1", address="100/1")
    time.sleep(1 - time.time() % 1)  # start at the beginning of a window
    rate_limit_hit(scope="chat", user_id=1, address="10.0.0.1")
    rate_limit_hit(scope="chat", user_id=1, address="10.0.0.1")
    with pytest.raises(RateLimited):
        rate_limit_hit(scope="chat", user_id=1, address="10.0.0.1")

    time.sleep(1 - time.time() % 1 + 0.01)

    rate_limit_hit(scope="chat", user_id=1, address="10.0.0.1")


def test_concurrent_requests_never_overshoot_the_limit(settings) -> None:
    limit(settings, "chat", user="10/60", address="100/60")

    def attempt(_: int) -> bool:
        try:
            rate_limit_hit(scope="chat", user_id=7, address="10.0.0.7")
        except RateLimited:
            return False
        return True

    # All in one window: the limit's minute must not end while the attempts are made.
    if (left := 60 - time.time() % 60) < 5:
        time.sleep(left + 0.01)
    with ThreadPoolExecutor(max_workers=16) as pool:
        allowed = sum(pool.map(attempt, range(50)))

    assert allowed == 10


@pytest.mark.usefixtures("redis_down")
def test_a_cache_outage_lets_requests_through_with_a_warning(caplog, settings) -> None:
    limit(settings, "chat", user="1/60", address="1/60")

    with caplog.at_level(logging.WARNING, logger="counsel.ratelimit"):
        for _ in range(3):
            rate_limit_hit(scope="chat", user_id=1, address="10.0.0.1")

    assert "rate limit store unavailable" in caplog.text


# --- At the API and page boundary ------------------------------------------------------------


@pytest.mark.django_db
def test_the_chat_api_answers_429_in_the_error_shape_and_counts_cache_hits(
    settings, client_user, api_client_for
) -> None:
    limit(settings, "chat", user="2/60", address="100/60")
    api = api_client_for(client_user)
    body = {"userId": client_user.pk, "message": "Is a verbal contract binding?"}

    first = api.post("/api/ai/chat", body, format="json")
    second = api.post("/api/ai/chat", body, format="json")
    third = api.post("/api/ai/chat", body, format="json")

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["cached"] is True
    assert third.status_code == 429
    assert set(problem_of(third, 429, type="/api/problems/rate-limited")) == {
        "type",
        "title",
        "status",
        "detail",
    }
    assert 1 <= int(third["Retry-After"]) <= 60


@pytest.mark.django_db
def test_analyze_has_its_own_limit(settings, client_user, api_client_for) -> None:
    limit(settings, "analyze", user="1/60", address="100/60")
    api = api_client_for(client_user)
    body = {"text": "This Agreement is governed by the laws of England.", "policy": "nda"}

    assert api.post("/api/ai/analyze", body, format="json").status_code == 200
    assert api.post("/api/ai/analyze", body, format="json").status_code == 429
    chat = {"userId": client_user.pk, "message": "Hello"}
    assert api.post("/api/ai/chat", chat, format="json").status_code == 200


@pytest.mark.django_db
def test_the_chat_page_shows_a_friendly_message_at_the_limit(
    settings, lawyer, page_client_for
) -> None:
    limit(settings, "chat", user="1/60", address="100/60")
    page = page_client_for(lawyer)

    page.post("/assistant/ask/", {"message": "First question"}, HTTP_HX_REQUEST="true")
    response = page.post("/assistant/ask/", {"message": "Second question"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert "Too many requests to the AI assistant" in response.content.decode()
    assert "Second question" in response.content.decode()

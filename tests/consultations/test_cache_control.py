"""Cache statistics and invalidation. They run on the cache the settings name: the local-memory
cache by default, Redis when REDIS_URL is set (run the suite both ways)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import tokens_for
from cases.models import Case
from consultations.cache_admin import cached_answer_keys, cached_tool_keys
from consultations.llm.cache import cache_key, cached_call
from consultations.models import CacheInvalidation
from consultations.tools import tool_call
from tests.factories import CaseFactory, ConsultationFactory
from tests.problems import field_errors_of, rule_broken

pytestmark = pytest.mark.django_db

STATS = reverse("admin-api:cache-stats")
INVALIDATE = reverse("admin-api:cache-invalidate")
PAGE = reverse("admin:consultations_consultation_cache")


def key_for(kind: str, prompt_version: str, question: str) -> str:
    return cache_key(
        kind=kind,
        model="gpt-4o-mini",
        prompt_version=prompt_version,
        params={},
        scrubbed_input=question,
    )


def ask(kind: str, prompt_version: str, question: str) -> bool:
    """Whether the answer came from the cache."""

    async def answer() -> dict[str, str]:
        return {"text": question}

    key = key_for(kind, prompt_version, question)
    _, hit = async_to_sync(cached_call)(key=key, ttl=60, compute=answer)
    return hit


@pytest.fixture
def entries() -> list[tuple[str, str, str]]:
    written = [
        ("chat", "1", "a"),
        ("chat", "1", "b"),
        ("chat", "2", "c"),
        ("analyze", "1", "d"),
        ("draft", "2", "e"),
    ]
    for entry in written:
        assert ask(*entry) is False
    return written


@pytest.fixture
def admin_api(api_client_for: Callable[[User], APIClient], admin_user: User) -> APIClient:
    return api_client_for(admin_user)


def test_keys_are_listed_per_kind_without_their_locks(entries: list) -> None:
    cache.set(key_for("chat", "1", "z") + ":lock", "token", 60)

    assert len(list(cached_answer_keys(kind="chat"))) == 3
    assert len(list(cached_answer_keys(prompt_version="2"))) == 2
    assert len(list(cached_answer_keys())) == 5


def test_stats_count_hits_and_misses_from_the_audit_and_keys_from_the_cache(
    admin_api: APIClient, entries: list, lawyer: User
) -> None:
    for hit in (True, True, False):
        ConsultationFactory(user=lawyer, kind="chat", cache_hit=hit)
    ConsultationFactory(user=lawyer, kind="analyze", cache_hit=False)
    ConsultationFactory(user=lawyer, kind="chat", outcome="failed", cache_hit=False)

    response = admin_api.get(STATS)

    assert response.status_code == 200
    kinds = {row["kind"]: row for row in response.json()["kinds"]}
    assert kinds["chat"] == {"kind": "chat", "hits": 2, "misses": 1, "hitRate": 2 / 3, "keys": 3}
    assert kinds["analyze"] == {"kind": "analyze", "hits": 0, "misses": 1, "hitRate": 0, "keys": 1}
    assert kinds["draft"] == {"kind": "draft", "hits": 0, "misses": 0, "hitRate": None, "keys": 1}


def test_invalidating_a_kind_drops_its_answers_only(
    admin_api: APIClient, admin_user: User, entries: list
) -> None:
    response = admin_api.post(INVALIDATE, {"kind": "chat"}, format="json")

    assert response.status_code == 200
    assert response.json()["keysDeleted"] == 3
    assert [ask(*entry) for entry in entries] == [False, False, False, True, True]
    done = CacheInvalidation.objects.get()
    assert (done.user, done.kind, done.prompt_version, done.keys_deleted) == (
        admin_user,
        "chat",
        "",
        3,
    )


def test_invalidating_a_prompt_version_drops_its_answers_of_every_kind(
    admin_api: APIClient, entries: list
) -> None:
    response = admin_api.post(INVALIDATE, {"promptVersion": "2"}, format="json")

    assert response.json()["keysDeleted"] == 2
    assert [ask(*entry) for entry in entries] == [True, True, False, True, False]
    assert CacheInvalidation.objects.get().prompt_version == "2"


def test_invalidating_a_kind_and_a_version_drops_their_intersection(
    admin_api: APIClient, entries: list
) -> None:
    response = admin_api.post(INVALIDATE, {"kind": "chat", "promptVersion": "1"}, format="json")

    assert response.json()["keysDeleted"] == 2
    assert [ask(*entry) for entry in entries] == [False, False, True, True, True]


def test_a_chat_answered_from_the_cache_asks_again_after_invalidation(
    admin_api: APIClient,
    api_client_for: Callable[[User], APIClient],
    lawyer: User,
    settings: Settings,
) -> None:
    settings.LLM_PROVIDER = "offline"
    api = api_client_for(lawyer)
    body: dict[str, Any] = {"userId": lawyer.pk, "message": "May a lease be ended early?"}

    assert api.post(reverse("ai-api:chat"), body, format="json").json()["cached"] is False
    assert api.post(reverse("ai-api:chat"), body, format="json").json()["cached"] is True
    admin_api.post(INVALIDATE, {"kind": "chat"}, format="json")

    assert api.post(reverse("ai-api:chat"), body, format="json").json()["cached"] is False


def test_invalidation_rejects_an_unknown_kind_or_field(admin_api: APIClient) -> None:
    response = admin_api.post(INVALIDATE, {"kind": "poem", "everything": True}, format="json")

    assert response.status_code == 400
    assert set(field_errors_of(response)) == {"kind", "everything"}
    assert not CacheInvalidation.objects.exists()


def test_lawyers_may_not_see_or_empty_the_cache(
    api_client_for: Callable[[User], APIClient], lawyer: User, entries: list
) -> None:
    api = api_client_for(lawyer)

    assert api.get(STATS).status_code == 403
    assert api.post(INVALIDATE, {}, format="json").status_code == 403
    assert len(list(cached_answer_keys())) == 5


def test_an_admin_token_without_a_second_factor_is_refused(admin_user: User) -> None:
    api = APIClient()
    access = tokens_for(user=admin_user, otp_verified=False)["access"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    assert api.get(STATS).status_code == 401


def test_admin_page_shows_stats_and_invalidates_from_its_form(
    page_client_for: Callable[[User], Client], admin_user: User, entries: list
) -> None:
    page = page_client_for(admin_user)

    html = page.get(PAGE).content.decode()
    assert "<td>chat</td><td>0</td><td>0</td>" in html
    response = page.post(PAGE, {"kind": "analyze", "prompt_version": ""}, follow=True)

    assert "1 cached answers deleted." in response.content.decode()
    assert CacheInvalidation.objects.get().kind == "analyze"
    assert [ask(*entry) for entry in entries] == [True, True, True, False, True]


def test_lawyers_cannot_open_the_cache_page(
    page_client_for: Callable[[User], Client], lawyer: User, entries: list
) -> None:
    page = page_client_for(lawyer)

    assert page.get(PAGE).status_code in (302, 403)
    assert page.post(PAGE, {"kind": "chat"}).status_code in (302, 403)
    assert not CacheInvalidation.objects.exists()


def test_with_the_cache_down_stats_still_answer_and_invalidation_refuses(
    admin_api: APIClient, lawyer: User, redis_down: None
) -> None:
    ConsultationFactory(user=lawyer, kind="chat", cache_hit=True)

    stats = admin_api.get(STATS).json()["kinds"]
    response = admin_api.post(INVALIDATE, {"kind": "chat"}, format="json")

    assert stats[0] == {"kind": "chat", "hits": 1, "misses": 0, "hitRate": 1, "keys": None}
    assert response.status_code == 503
    assert "nothing was deleted" in response.json()["detail"]
    assert not CacheInvalidation.objects.exists()


def test_with_the_cache_down_the_page_says_so(
    page_client_for: Callable[[User], Client], admin_user: User, redis_down: None
) -> None:
    page = page_client_for(admin_user)

    assert "cache unreachable" in page.get(PAGE).content.decode()
    response = page.post(PAGE, {"kind": "chat", "prompt_version": ""}, follow=True)
    assert "nothing was deleted" in response.content.decode()


# --- The tools' layer -----------------------------------------------------------------------


@pytest.fixture
def tool_results(lawyer: User) -> Case:
    """Three tool results cached: two of deadlines_list, one of case_lookup."""
    case = CaseFactory(lawyers=[lawyer])
    tool_call(lawyer, "deadlines_list", {}, scrub=None, case=case)
    tool_call(lawyer, "deadlines_list", {"days": 30}, scrub=None, case=case)
    tool_call(lawyer, "case_lookup", {}, scrub=None, case=case)
    return case


def test_stats_show_each_layer_apart(
    admin_api: APIClient, entries: list, lawyer: User, tool_results: Case
) -> None:
    tool_call(lawyer, "case_lookup", {}, scrub=None, case=tool_results)  # a hit
    tool_call(lawyer, "case_lookup", {"case": "CN-1900-0001"}, scrub=None)  # an error: neither

    body = admin_api.get(STATS).json()

    assert set(body) == {"kinds", "tools"}
    assert sum(row["keys"] for row in body["kinds"]) == 5
    tools = {row["tool"]: row for row in body["tools"]}
    assert tools["case_lookup"] == {
        "tool": "case_lookup",
        "hits": 1,
        "misses": 1,
        "hitRate": 0.5,
        "keys": 1,
    }
    assert (tools["deadlines_list"]["misses"], tools["deadlines_list"]["keys"]) == (2, 2)
    assert tools["documents_search"]["keys"] == 0


def test_invalidating_the_tools_layer_leaves_the_answers(
    admin_api: APIClient, admin_user: User, entries: list, lawyer: User, tool_results: Case
) -> None:
    response = admin_api.post(
        INVALIDATE, {"layer": "tools", "tool": "deadlines_list"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["layer"], response.json()["keysDeleted"]) == ("tools", 2)
    assert len(list(cached_tool_keys())) == 1
    assert len(list(cached_answer_keys())) == 5
    assert not tool_call(lawyer, "deadlines_list", {}, scrub=None, case=tool_results).cached
    assert tool_call(lawyer, "case_lookup", {}, scrub=None, case=tool_results).cached
    done = CacheInvalidation.objects.get()
    assert (done.user, done.layer, done.tool, done.keys_deleted) == (
        admin_user,
        "tools",
        "deadlines_list",
        2,
    )


def test_invalidating_answers_leaves_the_tool_results(
    admin_api: APIClient, entries: list, tool_results: Case
) -> None:
    response = admin_api.post(INVALIDATE, {}, format="json")

    assert (response.json()["layer"], response.json()["keysDeleted"]) == ("answers", 5)
    assert len(list(cached_tool_keys())) == 3


def test_invalidation_refuses_fields_of_the_other_layer(admin_api: APIClient) -> None:
    tools = admin_api.post(INVALIDATE, {"layer": "tools", "kind": "chat"}, format="json")
    answers = admin_api.post(INVALIDATE, {"tool": "case_lookup"}, format="json")
    unknown = admin_api.post(INVALIDATE, {"layer": "tools", "tool": "case_delete"}, format="json")

    # A field of the other layer breaks a rule the schema cannot say; a tool it does not list
    # breaks the schema.
    assert [r.status_code for r in (tools, answers, unknown)] == [422, 422, 400]
    assert rule_broken(tools) == {"kind": ["Not for the tools layer."]}
    assert rule_broken(answers) == {"tool": ["Not for the answers layer."]}
    assert set(field_errors_of(unknown)) == {"tool"}
    assert not CacheInvalidation.objects.exists()


def test_admin_page_shows_and_empties_the_tools_layer(
    page_client_for: Callable[[User], Client], admin_user: User, tool_results: Case
) -> None:
    page = page_client_for(admin_user)

    html = page.get(PAGE).content.decode()
    assert "<td>deadlines_list</td><td>0</td><td>2</td>" in html
    response = page.post(PAGE, {"layer": "tools", "tool": ""}, follow=True)

    assert "3 cached tool results deleted." in response.content.decode()
    assert CacheInvalidation.objects.get().layer == "tools"
    assert list(cached_tool_keys()) == []

"""The ASGI application production serves (config.asgi): a request to an async view passes the
whole MIDDLEWARE chain without a thread of its own, so a hundred requests waiting at once add
no more threads than the few each process keeps for sync code; and Counsel's own middleware
answer under ASGI as under WSGI."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path

from tests.asgi import asgi_get

WAITING = 100


class _Gathering:
    """Holds every request in the view until all WAITING have arrived (no timing involved),
    then each answers how many threads the process had while they all waited."""

    def __init__(self) -> None:
        self.arrived = 0
        self.all_in = asyncio.Event()


_gathering = _Gathering()


async def _waiting_view(request: HttpRequest) -> JsonResponse:
    _gathering.arrived += 1
    if _gathering.arrived == WAITING:
        _gathering.all_in.set()
    await _gathering.all_in.wait()
    return JsonResponse({"threads": threading.active_count()})


urlpatterns = [path("waiting", _waiting_view)]


async def _get(path: str) -> tuple[int, dict[str, str], bytes]:
    return await asgi_get(path, [(b"accept", b"application/json")])


@pytest.mark.urls(__name__)
def test_requests_waiting_in_an_async_view_hold_no_thread_each() -> None:
    global _gathering
    _gathering = _Gathering()
    before = threading.active_count()

    async def all_at_once() -> list[tuple[int, dict[str, str], bytes]]:
        return await asyncio.gather(*(_get("/waiting") for _ in range(WAITING)))

    answers = asyncio.run(all_at_once())

    assert {status for status, _, _ in answers} == {200}
    # Django's own ASGI handler would have started one thread per request by now.
    during = max(json.loads(body)["threads"] for _, _, body in answers)
    assert during - before <= settings.SYNC_THREADS


def test_a_static_file_is_served_whole_with_whitenoises_headers() -> None:
    status, headers, body = asyncio.run(_get("/static/css/counsel.css"))

    assert status == 200
    assert body == (settings.BASE_DIR / "static" / "css" / "counsel.css").read_bytes()
    assert headers["content-type"].startswith("text/css")
    assert headers["content-length"] == str(len(body))


def test_an_unknown_api_url_answers_the_apis_problem() -> None:
    status, headers, body = asyncio.run(_get("/api/no-such-thing"))

    assert status == 404
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body) == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "Not found.",
    }

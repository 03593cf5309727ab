"""Counting through document ids tells a caller nothing: a document they may not see answers
exactly as an id that was never used, on every document route of the API and the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.security.conftest import World

pytestmark = pytest.mark.django_db

UNUSED = 10**9
API = ["cases-api:document", "cases-api:document-download"]
PAGES = ["cases:document", "cases:document-download", "cases:document-delete"]


def _answer(response) -> tuple[int, bytes]:
    # The request id differs between two requests, and nothing else may.
    return response.status_code, response.content.replace(
        response.get("X-Request-ID", "").encode(), b""
    )


@pytest.mark.parametrize(("role", "attr"), [("client2", "document"), ("client", "kb_document")])
def test_a_document_a_caller_may_not_see_answers_as_one_that_does_not_exist(
    world: World, role: str, attr: str
) -> None:
    hidden = getattr(world, attr).pk
    api, pages = world.apis[role], world.pages[role]

    for name in API:
        for method in ("get", "delete"):
            if method == "delete" and name.endswith("download"):
                continue
            seen = getattr(api, method)(reverse(name, args=[hidden]))
            unused = getattr(api, method)(reverse(name, args=[UNUSED]))
            assert _answer(seen) == _answer(unused), (name, method)
            assert seen.status_code == 404
    for name in PAGES:
        for method in ("get", "post"):
            if method == "post" and name != "cases:document-delete":
                continue
            seen = getattr(pages, method)(reverse(name, args=[hidden]))
            unused = getattr(pages, method)(reverse(name, args=[UNUSED]))
            assert _answer(seen) == _answer(unused), (name, method)
            assert seen.status_code == 404

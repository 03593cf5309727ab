"""Every response carries a strict Content-Security-Policy (no inline code, no eval), and every
page Counsel serves, the Django admin and the API docs included, runs under it: no inline
script, style block, style attribute or event handler, and htmx configured to need no eval.
The same pages walked in a real browser, with no violation reported, are in
tests/browser/test_content_security_policy_browser.py."""

from __future__ import annotations

import copy
import json
from html.parser import HTMLParser

import pytest
from django.http import HttpResponse
from django.test import Client

from tests.factories import ConsultationFactory
from tests.security.conftest import DEACTIVATED, ROLES, World
from tests.security.matrix import MATRIX, Row
from tests.security.routes import admin_routes, sample_path, send

pytestmark = pytest.mark.django_db

STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Script elements that hold data, which a browser never runs (the admin's json_script).
DATA_SCRIPTS = {"application/json"}


def policy(response: HttpResponse) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


class InlineCode(HTMLParser):
    """What in a page a strict policy refuses to run or apply, or what needs htmx's eval."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "style":
            self.found.append("<style> block")
        if tag == "script" and "src" not in attributes:
            self._in_inline_script = attributes.get("type") not in DATA_SCRIPTS
        for name, value in attributes.items():
            value = (value or "").strip().lower()
            htmx = name.removeprefix("data-")  # htmx reads hx-x and data-hx-x alike
            if name == "style":
                self.found.append(f'style="{value}" on <{tag}>')
            elif name.startswith("on"):
                self.found.append(f"{name} handler on <{tag}>")
            elif name in ("href", "src", "action") and value.startswith("javascript:"):
                self.found.append(f"javascript: {name} on <{tag}>")
            elif htmx.startswith("hx-on") or htmx == "hx-vars":
                self.found.append(f"{name} (htmx eval) on <{tag}>")
            elif htmx in ("hx-vals", "hx-headers") and value.startswith(("js:", "javascript:")):
                self.found.append(f"{name} with js: (htmx eval) on <{tag}>")
            elif htmx == "hx-trigger" and "[" in value:
                self.found.append(f"{name} filter (htmx eval) on <{tag}>")

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]!r}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False


def inline_code(response: HttpResponse) -> list[str]:
    parser = InlineCode()
    parser.feed(response.content.decode())
    parser.close()
    return parser.found


def _is_html(response: HttpResponse) -> bool:
    return not response.streaming and response.get("Content-Type", "").startswith("text/html")


def _cases() -> list[tuple[Row, str]]:
    return [(row, method) for row in MATRIX for method in row.methods]


@pytest.mark.parametrize(
    "case", _cases(), ids=lambda case: f"{case[1]} /{case[0].route} {case[0].note}".strip()
)
def test_every_response_of_every_route_carries_the_strict_policy_and_no_inline_code(
    world: World, case: tuple[Row, str]
) -> None:
    row, method = case
    wrong: dict[str, object] = {}
    for role in (*ROLES, DEACTIVATED):
        response = send(world, row, method, role)
        if policy(response) != STRICT:
            wrong[role] = response["Content-Security-Policy"]
        elif _is_html(response) and (found := inline_code(response)):
            wrong[role] = found

    assert not wrong, wrong


def test_the_api_docs_script_is_a_file_under_the_policy() -> None:
    page = Client().get("/api/docs/")
    script = Client().get("/api/docs/?script=")

    assert policy(page) == STRICT
    assert not inline_code(page)
    assert 'src="/api/docs/?script="' in page.content.decode()
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()


def test_every_admin_page_runs_under_the_policy(world: World) -> None:
    """Each admin route with placeholder values, and the change pages of real objects."""
    admin = world.pages["admin"]
    cookies = copy.deepcopy(admin.cookies)
    consultation = ConsultationFactory(user=world.lawyer, case=world.case)
    # The admin's device views read their device before anything else: a placeholder id is
    # a missing device there (a 500), so they get a real one.
    device = f"/totpdevice/{world.admin.totpdevice_set.get().pk}/"
    paths = [sample_path(route).replace("/totpdevice/1/", device) for route in admin_routes()] + [
        f"/admin/consultations/consultation/{consultation.pk}/change/",
        f"/admin/cases/case/{world.case.pk}/change/",
        f"/admin/accounts/user/{world.lawyer.pk}/change/",
        f"/admin/drafting/draft/{world.draft.pk}/change/",
        "/admin/consultations/consultation/dashboard/?days=30",
        "/admin/consultations/budget/add/",
    ]
    wrong: dict[str, object] = {}
    html_pages = 0
    for path in paths:
        response = admin.get(path)
        if policy(response) != STRICT:
            wrong[path] = response["Content-Security-Policy"]
        elif _is_html(response) and response.status_code == 200:
            html_pages += 1
            if found := inline_code(response):
                wrong[path] = found
    admin.cookies = cookies

    assert not wrong, wrong
    assert html_pages > 20


def test_htmx_is_configured_to_need_neither_eval_nor_inline_style(world: World) -> None:
    page = world.pages["lawyer"].get("/cases/").content.decode()

    config = HtmxConfig()
    config.feed(page)

    assert config.value == {
        "allowEval": False,
        "allowScriptTags": False,
        "includeIndicatorStyles": False,
    }


class HtmxConfig(HTMLParser):
    value: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "meta" and attributes.get("name") == "htmx-config":
            self.value = json.loads(attributes["content"] or "")

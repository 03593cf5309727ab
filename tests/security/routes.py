"""Every route Counsel serves, read from the URL resolver, and how to request each one."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from tests.security.conftest import World
from tests.security.matrix import ADMIN_LOGIN, LOGIN, SECURITY, Outcome, Row
from tests.streams import streamed_body

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    route: str  # as ResolverMatch.route spells it: "cases/<int:case_id>/"
    namespace: str
    callback: Callable[..., Any]

    @property
    def view_class(self) -> type | None:
        return getattr(self.callback, "view_class", None)


def _walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[Route]:
    for pattern in patterns:
        # The resolver's own joining, so a route reads exactly as ResolverMatch.route does.
        route = URLResolver._join_route(prefix, str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            yield Route(route, namespace, pattern.callback)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", ""))


def admin_routes() -> list[str]:
    """The Django admin's routes, which the admin site guards as a whole."""
    return sorted(route.route for route in all_routes() if route.namespace == "admin")


def declared_methods(route: Route) -> set[str] | None:
    """The methods a class-based view has handlers for; None for a function view, whose
    methods only a request can tell (require_GET & co. answer 405 to the others)."""
    view_class = route.view_class
    if view_class is None:
        return None
    return {method for method in HTTP_METHODS if hasattr(view_class, method.lower())}


def sample_path(route: str) -> str:
    """A path that resolves to `route`, with placeholder values; for the admin's routes,
    which refuse everyone but verified admins before reading any value."""
    path = route.replace("(?P<url>.*)", "no-such-page/")
    path = re.sub(r"\(\?P<\w+>(\w+)[^)]*\)", r"\1", path)  # the first of the alternatives
    path = path.replace("([^/]+)", "1")
    path = re.sub(r"<(?:(\w+):)?\w+>", lambda m: "calls" if m[1] == "slug" else "1", path)
    return "/" + path.replace("^", "").replace("$", "")


def outcome(response: HttpResponse) -> Outcome:
    """A response as the matrix writes it: the status, or where a redirect sends a login."""
    if response.status_code in (301, 302, 303):
        target = urlsplit(response["Location"]).path
        for name, label in (
            ("accounts:login", LOGIN),
            ("accounts:security", SECURITY),
            ("admin:login", ADMIN_LOGIN),
        ):
            if target == reverse(name):
                return label
    return response.status_code


def send(world: World, row: Row, method: str, role: str) -> HttpResponse:
    """One request of `role` to `row`, whose changes to the database and to the caller's
    cookies (a logout ends the session) are undone afterwards, so that every role and every
    test meets the same firm."""
    client = world.apis[role] if row.is_api else world.pages[role]
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        url = row.url(world)
        user: User | None = world.user(role)
        body = row.body(world, user) if row.body else {}
        if row.is_api:
            if method == "GET":
                response = client.get(url)
            else:
                # A body with a file is an upload: multipart, as a browser sends it.
                uploads = any(hasattr(value, "read") for value in body.values())
                response = getattr(client, method.lower())(
                    url, body, format="multipart" if uploads else "json"
                )
        else:
            if method == "GET":
                response = client.get(url)
            elif method == "POST":
                response = client.post(url, body)
            else:
                response = client.generic(method, url)
        if response.streaming:
            # Read to the end here: the stream writes its record while it is read.
            streamed_body(response)
        transaction.set_rollback(True)
    client.cookies = cookies
    return response

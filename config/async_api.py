"""DRF views whose handlers are coroutines: the AI endpoints, served by the ASGI server.

DRF's APIView runs its checks and its handler in one sync call, which under ASGI holds a
thread for the whole request, model's wait included. `AsyncAPIView` runs the sync checks
(content negotiation, authentication and permissions, which read the database) through
config.dbpool, awaits async throttles (the rate limits, counted in Redis) and the handler,
and renders the response itself, so that Django has no sync work left to hand a thread.
"""

from __future__ import annotations

from inspect import isawaitable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import SimpleTemplateResponse
from rest_framework.request import Request
from rest_framework.views import APIView

from config.dbpool import db


class AsyncAPIView(APIView):
    """An APIView whose `get`/`post` are `async def`, and whose throttles' `allow_request`
    are too (consultations.ratelimit.AIRateThrottle)."""

    async def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.args = args
        self.kwargs = kwargs
        drf_request = self.initialize_request(request, *args, **kwargs)
        self.request = drf_request
        self.headers = self.default_response_headers
        try:
            await db(self.initial, drf_request, *args, **kwargs)
            for throttle in self.get_throttles():
                if not await throttle.allow_request(drf_request, self):
                    self.throttled(drf_request, throttle.wait())
            method = drf_request.method.lower()
            handler = getattr(self, method, None) if method in self.http_method_names else None
            response = (handler or self.http_method_not_allowed)(drf_request, *args, **kwargs)
            if isawaitable(response):
                response = await response
        except Exception as exc:
            response = self.handle_exception(exc)
        self.response = self.finalize_response(drf_request, response, *args, **kwargs)
        return _rendered(self.response)

    def check_throttles(self, request: Request) -> None:
        """Done by `dispatch`, awaited, after the other checks."""


def _rendered(response: HttpResponseBase) -> HttpResponseBase:
    """A DRF Response rendered into a plain HttpResponse: Django would render a response that
    still has a `render` method in a thread of its own."""
    if not isinstance(response, SimpleTemplateResponse):
        return response
    response.render()
    plain = HttpResponse(response.content, status=response.status_code)
    for header, value in response.items():
        plain[header] = value
    return plain

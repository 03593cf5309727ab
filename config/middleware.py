"""Middleware that serve sync and async requests alike: under ASGI a sync-only middleware
makes Django run the request, an AI call waiting on the model included, in a thread of its own
from that middleware down."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, BinaryIO

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from csp import middleware as csp_middleware
from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.messages import middleware as message_middleware
from django.contrib.sessions import middleware as session_middleware
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.middleware import clickjacking, common, csrf, security
from whitenoise.middleware import WhiteNoiseMiddleware


def _in_mode_of(middleware: object, get_response: Callable[..., Any]) -> bool:
    """Whether the chain below is async; if so `middleware` is marked a coroutine function,
    as Django requires of a middleware that answers with `__acall__`."""
    if iscoroutinefunction(get_response):
        markcoroutinefunction(middleware)
        return True
    return False


class SyncAndAsyncMiddleware:
    """Django's pattern for a middleware class that runs in the mode of the chain it sits in:
    a subclass answers `__call__` (sync, or returning `__acall__(request)` when `is_async`)
    and `__acall__`."""

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        self.is_async = _in_mode_of(self, get_response)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self.is_async:
            return self.__acall__(request)  # type: ignore[return-value]
        return self.get_response(request)  # type: ignore[return-value]

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        return await self.get_response(request)  # type: ignore[misc]


# Bytes read from a static file at a time, off the event loop.
_FILE_CHUNK = 64 * 1024


async def _file_chunks(file: BinaryIO) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(file.read, _FILE_CHUNK):
            yield chunk
    finally:
        file.close()


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, which is sync only, answering on the event loop under ASGI: the same
    files, headers, compressed variants, ranges and 304s, its file read in chunks off the loop
    (Django would read a sync file body whole in a thread). Under WSGI, WhiteNoise itself."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        super().__init__(get_response)
        self.is_async = _in_mode_of(self, get_response)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self.is_async:
            return self.__acall__(request)  # type: ignore[return-value]
        return super().__call__(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if self.autorefresh:  # DEBUG only: looks on disk at every request
            static_file = self.find_file(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is None:
            return await self.get_response(request)
        served = static_file.get_response(request.method, request.META)
        response: HttpResponseBase
        if served.file is None:  # HEAD, 304, 405
            response = HttpResponse(status=int(served.status))
        else:
            response = StreamingHttpResponse(_file_chunks(served.file), status=int(served.status))
        del response["Content-Type"]
        for header, value in served.headers:
            response[header] = value
        return response


class _HooksOnTheLoop:
    """For a Django MiddlewareMixin whose hooks only read the request and set headers (no
    database, no file, no network): under ASGI its process_request, process_view and
    process_response run on the event loop, rather than each being handed to the request's
    sync thread and back (a thread hop costs more than the hook). A hook that will write (a
    session to save) says so in `_response_writes`, and that response goes to the thread as
    Django would send it. Its sync path is Django's own."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        super().__init__(get_response)  # type: ignore[call-arg]
        view_hook = getattr(self, "process_view", None)
        if view_hook is not None and iscoroutinefunction(get_response):
            # Django hands a sync process_view to a thread under ASGI, an async one it awaits.
            async def process_view(*args: Any) -> HttpResponseBase | None:
                return view_hook(*args)

            self.process_view = process_view

    def _response_writes(self, request: HttpRequest) -> bool:
        return False

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.process_request(request) if hasattr(self, "process_request") else None
        response = response or await self.get_response(request)  # type: ignore[attr-defined]
        if not hasattr(self, "process_response"):
            return response
        if self._response_writes(request):
            return await sync_to_async(self.process_response)(request, response)
        return self.process_response(request, response)


class SecurityMiddleware(_HooksOnTheLoop, security.SecurityMiddleware):
    pass


class SessionMiddleware(_HooksOnTheLoop, session_middleware.SessionMiddleware):
    # Its request hook only makes a lazy session; its response hook reads what is already
    # loaded and writes the database only to save a changed session.
    def _response_writes(self, request: HttpRequest) -> bool:
        session = getattr(request, "session", None)
        return session is not None and (session.modified or settings.SESSION_SAVE_EVERY_REQUEST)


class CommonMiddleware(_HooksOnTheLoop, common.CommonMiddleware):
    pass


class CsrfViewMiddleware(_HooksOnTheLoop, csrf.CsrfViewMiddleware):
    # With the token in a cookie (CSRF_USE_SESSIONS is off), its hooks read and set headers.
    pass


class AuthenticationMiddleware(_HooksOnTheLoop, auth_middleware.AuthenticationMiddleware):
    # It only sets the lazy `request.user`; the user is read when a view asks for it.
    pass


class MessageMiddleware(_HooksOnTheLoop, message_middleware.MessageMiddleware):
    # Its request hook makes a lazy store; messages read or added are stored by its response
    # hook, in a cookie or the session.
    def _response_writes(self, request: HttpRequest) -> bool:
        store = getattr(request, "_messages", None)
        return store is not None and (store.used or store.added_new)


class XFrameOptionsMiddleware(_HooksOnTheLoop, clickjacking.XFrameOptionsMiddleware):
    pass


class CSPMiddleware(_HooksOnTheLoop, csp_middleware.CSPMiddleware):
    pass

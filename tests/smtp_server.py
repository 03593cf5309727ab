"""A real SMTP server on loopback (aiosmtpd, in a thread of the test process) that the app's
e-mail goes to, and that tests read: `smtp_server.messages` are the parsed messages it took.

pytest-django sends every test's mail to its local-memory outbox; a test that takes this
fixture sends through SMTP instead, to this server, and a Celery worker the test starts finds
it through EMAIL_URL. `smtp_server.stop()` makes it refuse connections (the port closed),
`smtp_server.refuse(n)` answers the next n messages with a temporary failure (451).
"""

from __future__ import annotations

import email
import email.policy
import logging
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pytest_django.fixtures import Settings

from tests.ports import loopback_port


class _Inbox:
    """aiosmtpd's handler: keeps what it accepted; refuses on demand."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []  # (MAIL FROM, RCPT TO) of each
        self.refusals = 0
        self.refused = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            if self.refusals:
                self.refusals -= 1
                self.refused += 1
                return "451 4.3.0 Try again later"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


class SMTPServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self._inbox = _Inbox()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message taken so far, parsed (`message["To"]`, `message.get_content()`)."""
        return list(self._inbox.messages)

    @property
    def refused(self) -> int:
        """Messages answered with a temporary failure so far."""
        return self._inbox.refused

    def to(self, address: str) -> list[EmailMessage]:
        """The messages whose envelope named `address` as a recipient."""
        return [
            message
            for message, (_, recipients) in zip(
                self._inbox.messages, self._inbox.envelopes, strict=True
            )
            if address in recipients
        ]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[EmailMessage]:
        """The messages, once there are at least `count` (for a worker in another process)."""
        deadline = time.monotonic() + timeout
        while len(self._inbox.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(self._inbox.messages)} message(s) arrived, {count} expected"
                )
            time.sleep(0.05)
        return self.messages

    def refuse(self, count: int) -> None:
        """Answer the next `count` messages with 451 (a temporary failure)."""
        self._inbox.refusals = count

    def start(self) -> None:
        self._controller = Controller(self._inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Close the port: a client's connection is refused until `start()`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[SMTPServer]:
    """An SMTP server on 127.0.0.1 for this test, the app's e-mail pointed at it."""
    # aiosmtpd logs every command, addresses included; the app's own logs are what tests read.
    monkeypatch.setattr(logging.getLogger("mail.log"), "level", logging.WARNING)
    server = SMTPServer(loopback_port("TEST_SMTP_PORT"))
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    monkeypatch.setenv("EMAIL_URL", f"smtp://127.0.0.1:{server.port}")
    try:
        yield server
    finally:
        server.stop()

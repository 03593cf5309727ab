from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from pytest_django.fixtures import Settings

from notifications.mail import email_queue
from notifications.models import Email
from tests.smtp_server import SMTPServer

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(settings.BASE_DIR)
HERE = Path(__file__).parent
ADDRESS = "ann.example@lawfirm.test"
TEMPLATE = "notifications/email/test_message.txt"


@pytest.fixture(autouse=True)
def _test_template(settings: Settings) -> None:
    # A message of the tests' own, beside the product's templates.
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], HERE / "templates"]}
    ]


def _send(**context: str) -> None:
    email_queue(to=ADDRESS, subject="A message", template=TEMPLATE, context=context)


def test_a_queued_email_reaches_the_smtp_server_as_plain_text(
    smtp_server: SMTPServer, eager_celery: None
) -> None:
    _send(name="Smith & Jones <LLP>", link="https://counsel.test/x?a=1&b=2")

    [message] = smtp_server.messages
    assert message["To"] == ADDRESS
    assert message["Subject"] == "A message"
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message.get_content_type() == "text/plain"
    body = message.get_content()
    # Plain text: nothing escaped as it would be in a page.
    assert "Smith & Jones <LLP>" in body
    assert "https://counsel.test/x?a=1&b=2" in body
    # Sent: the row keeps what it was, not what it said.
    email = Email.objects.get()
    assert (email.status, email.attempts, email.body) == (Email.Status.SENT, 1, "")
    assert email.sent_at is not None


def test_an_email_is_sent_only_when_its_transaction_commits(
    smtp_server: SMTPServer, eager_celery: None
) -> None:
    with transaction.atomic():
        _send(name="first", link="")
        assert smtp_server.messages == []
    assert len(smtp_server.messages) == 1

    def action_that_fails() -> None:
        with transaction.atomic():
            _send(name="rolled back", link="")
            raise RuntimeError("the action failed")

    with pytest.raises(RuntimeError):
        action_that_fails()
    assert len(smtp_server.messages) == 1
    assert Email.objects.count() == 1


def test_a_redelivered_task_does_not_send_again(
    smtp_server: SMTPServer, eager_celery: None
) -> None:
    from notifications.tasks import email_send_task

    _send(name="Ann", link="")
    email_send_task.delay(Email.objects.get().pk)

    assert len(smtp_server.messages) == 1


def test_a_server_that_refuses_for_a_while_gets_the_message_once(
    smtp_server: SMTPServer, eager_celery: None, caplog: pytest.LogCaptureFixture
) -> None:
    smtp_server.refuse(2)

    with caplog.at_level(logging.INFO, logger="counsel.mail"):
        _send(name="Ann", link="")

    assert smtp_server.refused == 2
    assert len(smtp_server.messages) == 1
    events = [(r.msg, r.attempt) for r in caplog.records if r.name == "counsel.mail"]
    assert events == [("email_retry", 1), ("email_retry", 2), ("email_sent", 3)]


def test_a_server_that_is_down_costs_the_action_nothing_and_the_logs_no_address(
    smtp_server: SMTPServer, eager_celery: None, caplog: pytest.LogCaptureFixture
) -> None:
    smtp_server.stop()

    with caplog.at_level(logging.INFO):
        _send(name="Secret Body Text", link="")  # returns: nothing raised

    attempts = [r for r in caplog.records if r.name == "counsel.mail"]
    assert [r.msg for r in attempts] == ["email_retry"] * 4 + ["email_failed"]
    assert attempts[-1].attempt == settings.EMAIL_SEND_ATTEMPTS
    assert attempts[-1].to_domain == "lawfirm.test"
    email = Email.objects.get()
    assert (email.status, email.attempts, email.body) == (Email.Status.FAILED, 5, "")
    logged = caplog.text + "".join(str(vars(record)) for record in caplog.records)
    assert ADDRESS not in logged
    assert "Secret Body Text" not in logged


def _email_settings(url: str | None) -> str:
    # A fresh process: settings are read once, from the environment, at start.
    env = {key: value for key, value in os.environ.items() if key != "EMAIL_URL"}
    if url is not None:
        env["EMAIL_URL"] = url
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, "
        "s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://u:p%40ss@mail.test:2525", "smtp mail.test 2525 u p@ss False False"),
        ("smtp+tls://u:p@mail.test", "smtp mail.test 587 u p True False"),
        ("smtps://u:p@mail.test", "smtp mail.test 465 u p False True"),
        ("smtp+ssl://mail.test:1465", "smtp mail.test 1465   False True"),
        (None, "console localhost 25   False False"),
    ],
)
def test_email_url_names_the_mail_server(url: str | None, expected: str) -> None:
    backend, rest = expected.split(" ", 1)
    assert _email_settings(url) == f"django.core.mail.backends.{backend}.EmailBackend {rest}"


def test_firm_admins_see_an_email_given_up_without_its_body(
    smtp_server: SMTPServer,
    eager_celery: None,
    settings: Settings,
    admin_user: Any,
    page_client_for: Any,
) -> None:
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 0
    smtp_server.stop()
    _send(name="Secret Body Text", link="")
    email = Email.objects.get()

    listing = page_client_for(admin_user).get("/admin/notifications/email/?status__exact=failed")
    detail = page_client_for(admin_user).get(f"/admin/notifications/email/{email.pk}/change/")

    assert listing.status_code == detail.status_code == 200
    assert "A message" in listing.content.decode()
    assert "Secret Body Text" not in detail.content.decode()

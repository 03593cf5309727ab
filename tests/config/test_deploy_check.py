from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.test import override_settings

from config.checks import email_configured, security_middleware_installed

ROOT = Path(settings.BASE_DIR)


def test_production_settings_pass_the_deploy_check() -> None:
    # A fresh process: settings are read once, from the environment, at start.
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "counsel.example.com",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "mysql://counsel@127.0.0.1:3306/counsel"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
        "EMAIL_URL": "smtp+tls://counsel:secret@mail.example.com",
        "SITE_URL": "https://counsel.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deploy_check_misses_each_security_middleware_left_out() -> None:
    # Django's own W001-W003 are silenced for these subclasses; the project's say the same.
    for path, check_id in [
        ("config.middleware.SecurityMiddleware", "counsel.W001"),
        ("config.middleware.XFrameOptionsMiddleware", "counsel.W002"),
        ("config.middleware.CsrfViewMiddleware", "counsel.W003"),
    ]:
        without = [name for name in settings.MIDDLEWARE if name != path]
        with override_settings(MIDDLEWARE=without):
            assert [warning.id for warning in security_middleware_installed()] == [check_id]
    assert security_middleware_installed() == []


def test_the_deploy_check_warns_of_email_printed_or_linking_to_this_machine() -> None:
    console = "django.core.mail.backends.console.EmailBackend"
    with override_settings(EMAIL_BACKEND=console, SITE_URL="http://127.0.0.1:8000"):
        assert [warning.id for warning in email_configured()] == ["counsel.W004", "counsel.W005"]
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    with override_settings(EMAIL_BACKEND=smtp, SITE_URL="https://counsel.example.com"):
        assert email_configured() == []

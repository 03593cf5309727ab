"""Under the production settings (DEBUG=false) responses carry HSTS, plain HTTP is sent to
HTTPS and the CSRF cookie is Secure. The settings themselves are held to `check --deploy` by
tests/config/test_deploy_check.py; this looks at what a response actually carries. The
headers every response carries in any mode are checked by the access matrix."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

# Run in a fresh process, since settings are read once at start. The page is rendered with
# the plain static storage: the production one needs `collectstatic`, which is beside the point.
PROBE = """
import json
import django
django.setup()
from django.test import Client, override_settings

client = Client(HTTP_HOST="counsel.example.com")
seen = {"http": client.get("/accounts/login/")["Location"]}
for name, path in (("api", "/api/auth/me"), ("health", "/healthz")):
    seen[name] = dict(client.get(path, secure=True).headers)
plain = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=plain):
    page = client.get("/accounts/login/", secure=True)
seen["page"] = dict(page.headers)
seen["csrf_cookie_secure"] = bool(page.cookies["csrftoken"]["secure"])
print(json.dumps(seen))
"""
HSTS = "max-age=31536000; includeSubDomains; preload"


@pytest.fixture(scope="module")
def production() -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "counsel.example.com",
        "DATABASE_URL": "sqlite://:memory:",  # the probe reads no data
        "REDIS_URL": "",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("response", ["page", "api", "health"])
def test_https_responses_carry_hsts_and_the_usual_headers(production: dict, response: str) -> None:
    headers = production[response]

    assert headers["Strict-Transport-Security"] == HSTS
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_plain_http_is_sent_to_https(production: dict) -> None:
    assert production["http"] == "https://counsel.example.com/accounts/login/"


def test_the_csrf_cookie_is_secure(production: dict) -> None:
    assert production["csrf_cookie_secure"] is True

"""No key is written in the code: a development install makes its own and keeps it in var/,
production refuses to start without a strong one, and API tokens have a key of their own."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from config.secret_keys import local_secret

# The key every development install signed with until now, public in the repository's history.
OLD_DEFAULT_KEY = "dev-only-" + "x" * 50
PRINT_KEYS = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.SECRET_KEY, settings.SIMPLE_JWT['SIGNING_KEY'])"
)


def _start(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """A fresh process loading the settings with `env` (no inherited key, no DEBUG)."""
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "JWT_SECRET", "DEBUG")}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _forged(user: User, key: str) -> str:
    now = timezone.now()
    claims = {
        "token_type": "access",
        "exp": int((now + timedelta(minutes=15)).timestamp()),
        "iat": int(now.timestamp()),
        "jti": secrets.token_hex(16),
        "user_id": str(user.pk),
        "otp": True,
    }
    return jwt.encode(claims, key, algorithm="HS256")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "key", [OLD_DEFAULT_KEY, settings.SECRET_KEY], ids=["old-default", "secret-key"]
)
def test_a_token_signed_with_the_old_default_or_the_django_key_is_refused(
    admin_user: User, key: str
) -> None:
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {_forged(admin_user, key)}")

    assert api.get("/api/auth/me").status_code == 401


def test_a_development_key_is_made_once_and_read_back_by_every_start() -> None:
    first, second = (_start(PRINT_KEYS) for _ in range(2))

    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    django_key, jwt_key = first.stdout.split()
    kept = Path(settings.BASE_DIR) / "var" / "secret_key"
    assert django_key == kept.read_text().strip()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert django_key != OLD_DEFAULT_KEY
    assert jwt_key != django_key


def test_processes_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    with ProcessPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(local_secret, [path] * 16))

    assert keys == {path.read_text().strip()}
    assert len(path.read_text().strip()) >= 50
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": OLD_DEFAULT_KEY}, "SECRET_KEY is too weak"),
        ({"SECRET_KEY": "short-but-random-Zq81"}, "SECRET_KEY is too weak"),
        ({"SECRET_KEY": secrets.token_urlsafe(50), "JWT_SECRET": "jwt"}, "JWT_SECRET is too weak"),
    ],
    ids=["missing", "old-default", "short", "weak-jwt"],
)
def test_production_refuses_to_start_without_a_strong_key(env: dict, complaint: str) -> None:
    started = _start("import django; django.setup()", DEBUG="false", **env)

    assert started.returncode != 0
    assert complaint in started.stderr


def test_production_starts_with_a_strong_key() -> None:
    started = _start(PRINT_KEYS, DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50))

    assert started.returncode == 0, started.stderr

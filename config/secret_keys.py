"""Signing keys: a development install's own, kept in `var/`; production's, checked at start.

Read by config.settings, before Django is set up: nothing here may touch django.conf.settings.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from collections import Counter
from pathlib import Path

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured


def local_secret(path: Path) -> str:
    """The key kept in `path`, made (random, owner-only) by the first process that asks.

    The web server and the Celery worker start together and must agree: the key is written
    to a private temporary file and linked into place, which fails if another process got
    there first; so `path` never holds a partial key and every process reads the same one.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(50) + "\n")
        # Fails if another process linked its key first: that key is the one.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink()
    return path.read_text().strip()


def derived_key(secret: str, purpose: str) -> str:
    """A key for one purpose, derived from `secret`: whoever holds one key cannot compute
    another, and rotating SECRET_KEY rotates every key derived from it."""
    return hmac.new(secret.encode(), f"counsel:{purpose}".encode(), hashlib.sha256).hexdigest()


def strong_key(name: str, value: str) -> str:
    """`value`, unless it is too weak to sign anything in production (then the start fails).

    Django's own bar (`check --deploy`: 50 characters, 5 different ones, not a generated
    insecure key), and no character making up more than a quarter of it: a placeholder padded
    out to length, as the old development default `"dev-only-" + "x" * 50` was.
    """
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is false.")
    commonest = Counter(value).most_common(1)[0][1]
    if (
        len(value) < SECRET_KEY_MIN_LENGTH
        or len(set(value)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or value.startswith(SECRET_KEY_INSECURE_PREFIX)
        or commonest * 4 > len(value)
    ):
        raise ImproperlyConfigured(
            f"{name} is too weak: use at least {SECRET_KEY_MIN_LENGTH} random characters, "
            'for example python -c "import secrets; print(secrets.token_urlsafe(50))".'
        )
    return value

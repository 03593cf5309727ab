"""The Celery app's settings changed for a test, and put back after it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from config.celery import app as celery_app


@contextmanager
def celery_conf(**changes: Any) -> Iterator[None]:
    previous = {name: celery_app.conf[name] for name in changes}
    celery_app.conf.update(changes)
    try:
        yield
    finally:
        celery_app.conf.update(previous)

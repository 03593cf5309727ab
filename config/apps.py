from __future__ import annotations

from django.apps import AppConfig


class CounselConfig(AppConfig):
    """The project's own settings package as an app, for its system checks."""

    name = "config"

    def ready(self) -> None:
        from config import checks  # noqa: F401

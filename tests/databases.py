"""The test database as another process reaches it: a Celery worker, a second web process."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote


def database_url(db: dict[str, Any]) -> str:
    """The DATABASE_URL of the database the tests run on, which pytest-django created."""
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if db["ENGINE"] == "django.db.backends.mysql":
        credentials = quote(db["USER"], safe="")
        if db.get("PASSWORD"):
            credentials += ":" + quote(db["PASSWORD"], safe="")
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"mysql://{credentials}@{db['HOST'] or '127.0.0.1'}{port}/{db['NAME']}"
    raise NotImplementedError(f"no URL for {db['ENGINE']}")

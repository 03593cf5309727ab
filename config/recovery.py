"""Lost jobs found again: every Celery worker runs each app's recovery on a timer.

An app registers its recovery (`recovery_register`) when its tasks module is imported, which
the worker does before it starts; the worker step `JobRecovery` then runs each one every
`interval()` seconds. Run by every worker, so recovery needs no extra process; a recovery's
writes are compare-and-sets (`config.leases`), which makes the workers' runs harmless to each
other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery import bootsteps
from django.db import close_old_connections, connection

logger = logging.getLogger("counsel.jobs")


@dataclass(frozen=True)
class Recovery:
    name: str
    run: Callable[[], object]
    # Seconds between two runs, read when the worker starts (after the settings are loaded).
    interval: Callable[[], float]


_recoveries: dict[str, Recovery] = {}


def recovery_register(
    *, name: str, run: Callable[[], object], interval: Callable[[], float]
) -> None:
    """Have every worker call `run()` every `interval()` seconds; registering a name again
    replaces its recovery (a module imported twice registers once)."""
    _recoveries[name] = Recovery(name=name, run=run, interval=interval)


def recovery_run(recovery: Recovery) -> None:
    # The worker's main thread runs this, not a job's thread: its connection is closed after
    # each run, so that between runs it holds none (and a prefork pool process forked later
    # never shares it).
    close_old_connections()
    try:
        recovery.run()
    except Exception:
        # Broad on purpose: a database blip must not stop the timer; the next run retries.
        logger.warning("recovery failed", extra={"recovery": recovery.name}, exc_info=True)
    finally:
        connection.close()


class JobRecovery(bootsteps.StartStopStep):
    """The worker step that runs every registered recovery on the worker's timer."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.trefs: list[Any] = []

    def start(self, parent: Any) -> None:
        for recovery in _recoveries.values():
            self.trefs.append(
                parent.timer.call_repeatedly(
                    max(recovery.interval(), 1), recovery_run, (recovery,), priority=10
                )
            )

    def stop(self, parent: Any) -> None:
        for tref in self.trefs:
            tref.cancel()
        self.trefs = []

"""The worker step that runs each app's recovery of lost jobs on the worker's timer."""

from __future__ import annotations

from typing import Any

import pytest

from config.recovery import JobRecovery, Recovery, _recoveries, recovery_run


class _Timer:
    """The worker's timer as the step sees it: what it was asked to run, and how often."""

    def __init__(self) -> None:
        self.entries: list[tuple[float, Any, tuple[Any, ...]]] = []

    def call_repeatedly(self, secs: float, fun: Any, args: tuple[Any, ...], **kwargs: Any) -> Any:
        self.entries.append((secs, fun, args))
        return self


def test_every_worker_runs_the_recoveries_of_drafts_and_of_documents_each_at_its_interval(
    settings: Any,
) -> None:
    import cases.tasks  # noqa: F401 (registers on import, as the worker's task import does)
    import drafting.tasks  # noqa: F401

    settings.DRAFT_LEASE_SECONDS = 120
    settings.DOCUMENT_LEASE_SECONDS = 300
    parent = type("Worker", (), {"timer": _Timer()})()
    step = JobRecovery(parent)

    step.start(parent)

    runs = {args[0].name: secs for secs, fun, args in parent.timer.entries}
    assert runs == {"drafts": 30, "documents": 75}
    assert {fun for _, fun, _ in parent.timer.entries} == {recovery_run}
    assert set(_recoveries) == {"drafts", "documents"}


@pytest.mark.django_db
def test_a_recovery_that_fails_is_logged_and_the_timer_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken() -> None:
        raise RuntimeError("database away")

    recovery_run(Recovery(name="broken", run=broken, interval=lambda: 1))

    assert [(r.message, r.recovery) for r in caplog.records] == [("recovery failed", "broken")]

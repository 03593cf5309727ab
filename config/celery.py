from __future__ import annotations

import os
from typing import Any

from celery import Celery, Task
from celery.signals import task_failure, task_postrun, task_prerun, task_retry, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from config.recovery import JobRecovery

app = Celery("counsel")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Each app's recovery of lost jobs (registered by its tasks module) runs in every worker.
app.steps["worker"].add(JobRecovery)


@worker_init.connect
def _scrubber_warmed_up(**kwargs: Any) -> None:
    # Before the pool starts (prefork's children inherit it): the scrubber's name lists load
    # with the worker, not on its first draft.
    from consultations.llm.pii import warm_up

    warm_up()


# Task runs counted by state for the metrics (counsel_celery_tasks_total).
def _count_task(task: Task, state: str) -> None:
    # Imported here, not above: this module is imported before the settings have read `.env`,
    # and prometheus_client chooses its multiprocess mode when it is first imported.
    from config.metrics import celery_task_observe

    celery_task_observe(task=task.name, state=state)


@task_prerun.connect
def _task_started(sender: Task, **kwargs: Any) -> None:
    _count_task(sender, "started")


@task_postrun.connect
def _task_succeeded(sender: Task, state: str | None = None, **kwargs: Any) -> None:
    if state == "SUCCESS":  # failures and retries have their own signals below
        _count_task(sender, "succeeded")


@task_failure.connect
def _task_failed(sender: Task, **kwargs: Any) -> None:
    _count_task(sender, "failed")


@task_retry.connect
def _task_retried(sender: Task, **kwargs: Any) -> None:
    _count_task(sender, "retried")

"""A background job's claim on its row, held as a lease: what drafts and documents share.

A row of such a job has `status`, `task_id`, `claim_token`, `claimed_at`, `attempts`,
`failure_reason` and `updated_at`. The job may run twice (brokers redeliver; a worker dies
after the work and before the acknowledgement), so it claims the row with a compare-and-set:

- A queued row can be claimed by anyone. Each claim writes a fresh `claim_token`, and every
  later write of the job is conditional on it (`Lease.held`), so a job that lost its claim can
  never overwrite the job that took over.
- A running row can be claimed again once the claim is older than the lease (its worker died:
  SIGKILL, OOM, a lost machine), or at once by a redelivery of the very task that claimed it.
  RabbitMQ redelivers an unacknowledged message only after the connection of the worker
  holding it closed, so that worker is gone; a Redis or SQS broker redelivers after its
  visibility timeout, which must therefore exceed the lease.
- A finished or failed row is never claimed: a redelivered task leaves it as it is.

A broker that loses messages (the filesystem broker loses those a killed worker held) would
leave a row running for ever; `Lease.recover` (run by every worker on a timer,
`config.recovery`) puts such rows back on the queue once their lease ran out, and publishes
rows whose task was never handed to the broker. A row is claimed at most `max_attempts` times;
the next recovery marks it failed, and sends `job_given_up` (sender the row's model, keyword
`pk`) once that is committed, for the apps above that tell someone.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger("counsel.jobs")

job_given_up = Signal()


@dataclass(frozen=True)
class Lease:
    model: type[models.Model]
    queued: str
    running: str
    failed: str
    # The setting that holds the lease's length in seconds (read at each use: tests change it).
    seconds_setting: str
    max_attempts: int
    # The dotted path of the Celery task that runs the job, called as (row id, request id).
    task: str
    # The job's name in the logs: "<noun>_publish_failed", "<noun>s_recovered".
    noun: str

    def duration(self) -> timedelta:
        return timedelta(seconds=getattr(settings, self.seconds_setting))

    def claim(self, *, pk: int, task_id: str, token: str, **changes: Any) -> bool:
        """Claim row `pk` for the job `task_id` ("" inside a request) under `token`, writing
        `changes` too; False when it cannot be claimed (see the module's notes)."""
        now = timezone.now()
        claimable = Q(status=self.queued) | Q(
            status=self.running, claimed_at__lt=now - self.duration()
        )
        if task_id:
            claimable |= Q(status=self.running, task_id=task_id)
        claimed = self.model._default_manager.filter(
            claimable, pk=pk, attempts__lt=self.max_attempts
        ).update(
            status=self.running,
            claim_token=token,
            claimed_at=now,
            task_id=task_id,
            attempts=F("attempts") + 1,
            failure_reason="",
            updated_at=now,
            **changes,
        )
        return claimed == 1

    def held(self, *, pk: int, token: str) -> models.QuerySet[Any]:
        """Row `pk` while the job holding `token` still holds it: update it through this."""
        return self.model._default_manager.filter(pk=pk, status=self.running, claim_token=token)

    def publish_on_commit(self, *, pk: int, request_id: str, task_id: str) -> None:
        """Send a scheduled row (queued, with `task_id`) to the workers once the current
        transaction commits, so the worker always finds the row."""
        transaction.on_commit(
            lambda: self.publish(pk=pk, request_id=request_id, task_id=task_id), robust=True
        )

    def publish(self, *, pk: int, request_id: str, task_id: str) -> None:
        task = import_string(self.task)  # at call time: the task's module imports its caller's
        try:
            task.apply_async((pk, request_id), task_id=task_id)
        except Exception:
            # Broad on purpose: every broker reports an outage its own way. The row stays
            # queued without a task, and the next recovery publishes it again.
            self.model._default_manager.filter(pk=pk, status=self.queued, task_id=task_id).update(
                task_id="", updated_at=timezone.now()
            )
            logger.warning(
                f"{self.noun}_publish_failed",
                extra={f"{self.noun}_id": pk, "request_id": request_id},
                exc_info=True,
            )

    def _given_up_on_commit(self, pk: int) -> None:
        transaction.on_commit(
            lambda: job_given_up.send_robust(sender=self.model, pk=pk), robust=True
        )

    def recover(
        self, *, given_up: Callable[[int], str], limit: int = 100, **requeued: Any
    ) -> list[int]:
        """Re-queue rows whose job was lost, writing `requeued` too, and return their ids.

        Two kinds are lost: a running row whose lease ran out (its worker died and the broker
        will not redeliver), and a queued row never handed to the broker (the publish failed
        or the process died first) for longer than the lease. A running row already claimed
        `max_attempts` times is marked failed instead, with `given_up(attempts)` as its
        reason. Every write is a compare-and-set, so any number of workers may run this at
        once.
        """
        now = timezone.now()
        cutoff = now - self.duration()
        running_lost = Q(status=self.running, claimed_at__lt=cutoff)
        never_sent = Q(status=self.queued, task_id="", updated_at__lt=cutoff)
        rows = self.model._default_manager
        recovered: list[int] = []
        for pk, attempts in rows.filter(running_lost | never_sent).values_list("pk", "attempts")[
            :limit
        ]:
            lost = rows.filter(running_lost | never_sent, pk=pk)
            if attempts >= self.max_attempts:
                if lost.update(
                    status=self.failed, failure_reason=given_up(attempts), updated_at=now
                ):
                    self._given_up_on_commit(pk)
                continue
            task_id = str(uuid.uuid4())
            if lost.update(status=self.queued, task_id=task_id, updated_at=now, **requeued):
                self.publish_on_commit(pk=pk, request_id=f"recovery-{task_id}", task_id=task_id)
                recovered.append(pk)
        if recovered:
            logger.warning(f"{self.noun}s_recovered", extra={f"{self.noun}_ids": recovered})
        return recovered

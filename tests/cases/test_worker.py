"""Documents indexed by a real Celery worker process, and a worker killed in the middle of a
job: no document is lost, each is indexed once.

A document's file here is a named pipe in the storage folder: the worker that opens it waits
there, mid-job (claimed, `extracting`), until the test writes the file's content, as a worker
waits on slow storage. The test kills the worker while it waits, starts another, and feeds the
pipes only once the second worker has claimed every document again.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from cases.indexing import document_schedule
from cases.models import Document, Passage
from cases.search import passages_matching
from tests.drafting.conftest import (  # noqa: F401 (fixtures, used by name)
    WorkerProcess,
    _worker_queue,
    celery_worker_process,
)
from tests.factories import DocumentFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TEXT = "The Tenant may terminate this Lease by giving the Landlord three months written notice."


def _wait(condition: Callable[[], bool], what: str, worker: WorkerProcess, timeout=60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"gave up after {timeout} s waiting for {what}\n{worker.log()[-3000:]}")


def _piped_document(media: Path, number: int) -> tuple[Document, Path]:
    name = f"documents/piped/{number}/lease-{number}.txt"
    pipe = media / name
    pipe.parent.mkdir(parents=True)
    os.mkfifo(pipe)
    return DocumentFactory(
        title=pipe.name, file=name, format="txt", status=Document.Status.QUEUED, page_count=None
    ), pipe


def _feed(pipe: Path, content: bytes, worker: WorkerProcess) -> None:
    """Write `content` into the pipe once its reader has opened it."""
    deadline = time.monotonic() + 30
    while True:
        try:
            descriptor = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as exc:  # ENXIO: no reader yet
            if exc.errno != errno.ENXIO or time.monotonic() > deadline:
                pytest.fail(f"no worker opened {pipe.name}\n{worker.log()[-3000:]}")
            time.sleep(0.05)
    os.set_blocking(descriptor, True)
    with os.fdopen(descriptor, "wb") as writer:
        writer.write(content)


def _statuses() -> dict[int, tuple[str, int]]:
    return {
        pk: (status, attempts)
        for pk, status, attempts in Document.objects.values_list("pk", "status", "attempts")
    }


def test_documents_whose_worker_is_killed_mid_job_are_each_indexed_once_by_another_worker(
    celery_worker_process: Callable[..., WorkerProcess],  # noqa: F811 (the imported fixture)
    settings: Settings,
    tmp_path: Path,
) -> None:
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    # A short lease: with the filesystem broker a killed worker's jobs are lost, and found
    # again by the recovery once their lease ran out (RabbitMQ hands them back at once).
    # Every document read at once, so that the kill interrupts them all.
    env = {
        "MEDIA_ROOT": str(media),
        "DOCUMENT_LEASE_SECONDS": "3",
        "DOCUMENT_EXTRACTIONS_PER_WORKER": "3",
    }
    documents = [_piped_document(media, number) for number in range(3)]
    first = celery_worker_process(**env)
    for document, _ in documents:
        document_schedule(document_id=document.pk, request_id=f"upload-{document.pk}")
    _wait(
        lambda: {s for s, _ in _statuses().values()} == {"extracting"},
        "the worker to be reading every document",
        first,
    )

    first.kill()
    second = celery_worker_process(**env)
    _wait(
        lambda: all(attempts == 2 for _, attempts in _statuses().values()),
        "the second worker to claim every document again",
        second,
    )
    for number, (_, pipe) in enumerate(documents):
        _feed(pipe, f"Lease {number}.\n\n{TEXT}\n".encode(), second)
    _wait(
        lambda: {s for s, _ in _statuses().values()} == {"ready"},
        "every document to be ready",
        second,
    )

    assert set(_statuses().values()) == {("ready", 2)}
    for number, (document, _) in enumerate(documents):
        passages = list(Passage.objects.filter(document=document).values_list("text", flat=True))
        assert passages == [f"Lease {number}. {TEXT}"]
    found = passages_matching(
        "terminate notice", document_ids=[d.pk for d, _ in documents], limit=10
    )
    assert len(found) == len(documents)

"""Indexing a document: claimed once, its passages stored and searchable, failures explained,
lost jobs found again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import OperationalError
from django.utils import timezone
from pytest_django.fixtures import Settings

import cases.tasks
from cases.indexing import (
    DOCUMENT_LEASE,
    MAX_ATTEMPTS,
    document_index,
    document_schedule,
    documents_recover,
)
from cases.models import Document, Passage
from cases.search import passages_matching
from cases.signals import document_ready
from cases.tasks import document_process_task
from tests.cases.test_documents_s3 import s3_storage  # noqa: F401 (a fixture, used by name)
from tests.documents import (
    docx_bytes,
    eml_bytes,
    pdf_bytes,
    scanned_pdf_bytes,
    stored_document,
    upload,
)

pytestmark = pytest.mark.django_db

NOTICE = "The Tenant may terminate this Lease by giving the Landlord three months written notice."
DEPOSIT = "The deposit of 2,000 pounds is returned within ten days after the lease ends."


@pytest.fixture(autouse=True)
def _media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ready_signals() -> Iterator[list[int]]:
    """The ids `document_ready` was sent with."""
    sent: list[int] = []

    def receive(sender: type, *, document_id: int, **kwargs: Any) -> None:
        sent.append(document_id)

    document_ready.connect(receive, sender=Document, dispatch_uid="test-ready")
    yield sent
    document_ready.disconnect(dispatch_uid="test-ready", sender=Document)


def _index(document: Document, task_id: str = "t-1") -> Document | None:
    return document_index(document_id=document.pk, task_id=task_id, request_id="r-1")


@pytest.mark.django_db(transaction=True)
def test_an_indexed_pdf_is_ready_with_its_pages_and_its_passages_are_found_by_search(
    ready_signals: list[int],
) -> None:
    document = stored_document(pdf_bytes([NOTICE, "Schedule.", DEPOSIT]), format="pdf")

    indexed = _index(document)

    assert indexed is not None
    assert (indexed.status, indexed.page_count, indexed.failure_reason) == ("ready", 3, "")
    assert [(p.page, p.text) for p in Passage.objects.filter(document=document)] == [
        (1, NOTICE),
        (2, "Schedule."),
        (3, DEPOSIT),
    ]
    found = passages_matching("deposit returned", document_ids=[document.pk], limit=5)
    assert [Passage.objects.get(pk=pk).page for pk, _ in found] == [3]
    # Sent once the passages were committed (this test runs in autocommit).
    assert ready_signals == [document.pk]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("data", "format", "page"),
    [
        (docx_bytes([["Cover."], [NOTICE]]), "docx", 2),
        (eml_bytes(plain=NOTICE), "eml", 1),
        (f"Cover.\f{NOTICE}".encode(), "txt", 2),
    ],
    ids=["docx", "eml", "txt"],
)
def test_each_format_is_searchable_on_its_page_once_indexed(
    data: bytes, format: str, page: int
) -> None:
    document = stored_document(data, format=format)

    assert _index(document).status == Document.Status.READY

    [(passage_id, _)] = passages_matching(
        "tenant terminate notice", document_ids=[document.pk], limit=5
    )
    passage = Passage.objects.get(pk=passage_id)
    assert passage.page == page
    assert NOTICE in passage.text


def test_a_scanned_pdf_fails_with_its_reason_and_no_passages(ready_signals: list[int]) -> None:
    document = stored_document(scanned_pdf_bytes(), format="pdf")

    indexed = _index(document)

    assert (indexed.status, indexed.failure_reason) == ("failed", "no text layer (scanned?)")
    assert not Passage.objects.filter(document=document).exists()
    assert ready_signals == []


def test_a_damaged_file_fails_with_its_reason() -> None:
    document = stored_document(b"%PDF-1.7 broken", format="pdf")

    assert _index(document).failure_reason == "the PDF is damaged or not a PDF"


def test_a_file_missing_from_storage_fails_with_its_reason() -> None:
    document = stored_document(pdf_bytes([NOTICE]), format="pdf")
    document.file.storage.delete(document.file.name)

    assert _index(document).failure_reason == "the file is missing from storage"


def test_a_job_run_twice_indexes_the_document_once(
    ready_signals: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    document = stored_document(pdf_bytes([NOTICE, DEPOSIT]), format="pdf")

    with django_capture_on_commit_callbacks(execute=True):
        first = _index(document, task_id="t-1")
    passages = list(Passage.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        second = _index(document, task_id="t-1")  # the broker redelivered it

    assert (first.status, second.status) == ("ready", "ready")
    assert second.attempts == 1
    assert list(Passage.objects.values_list("pk", flat=True)) == passages
    assert ready_signals == [document.pk]


def test_a_document_another_live_job_holds_is_left_to_it() -> None:
    document = stored_document(pdf_bytes([NOTICE]), format="pdf")
    Document.objects.filter(pk=document.pk).update(
        status="extracting", task_id="t-1", attempts=1, claimed_at=timezone.now()
    )

    returned = _index(document, task_id="t-2")

    assert (returned.status, returned.task_id, returned.attempts) == ("extracting", "t-1", 1)
    assert not Passage.objects.exists()


def test_a_job_that_lost_its_claim_writes_nothing() -> None:
    document = stored_document(pdf_bytes([NOTICE]), format="pdf")
    assert DOCUMENT_LEASE.claim(pk=document.pk, task_id="t-1", token="old")
    expired = timezone.now() - timedelta(seconds=settings.DOCUMENT_LEASE_SECONDS + 1)
    Document.objects.filter(pk=document.pk).update(claimed_at=expired)

    taken_over = _index(document, task_id="t-2")  # the recovery's job takes it over

    assert (taken_over.status, taken_over.attempts) == ("ready", 2)
    # The first job, back from the dead, finds its claim gone.
    assert not DOCUMENT_LEASE.held(pk=document.pk, token="old").exists()


def test_indexing_again_replaces_the_passages() -> None:
    document = stored_document(pdf_bytes([NOTICE]), format="pdf")
    _index(document)
    Document.objects.filter(pk=document.pk).update(status="queued", task_id="", attempts=0)
    document.file.save("new.pdf", ContentFile(pdf_bytes([DEPOSIT])))

    _index(document, task_id="t-2")

    assert list(Passage.objects.values_list("text", flat=True)) == [DEPOSIT]


def test_a_scheduled_document_is_indexed_by_its_task(
    eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    document = stored_document(eml_bytes(plain=NOTICE), format="eml")

    with django_capture_on_commit_callbacks(execute=True):
        document_schedule(document_id=document.pk, request_id="r-1")
        document_schedule(document_id=document.pk, request_id="r-1")  # once only

    document.refresh_from_db()
    assert document.status == Document.Status.READY
    assert document.attempts == 1


# --- Recovering lost jobs -------------------------------------------------------------------


def _expired() -> Any:
    return timezone.now() - timedelta(seconds=settings.DOCUMENT_LEASE_SECONDS + 1)


def test_recovery_requeues_a_document_whose_worker_died_and_it_gets_indexed(
    eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    document = stored_document(pdf_bytes([NOTICE]), format="pdf")
    Document.objects.filter(pk=document.pk).update(
        status="extracting", task_id="t-1", attempts=1, claimed_at=_expired()
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert documents_recover() == [document.pk]

    document.refresh_from_db()
    assert (document.status, document.attempts, document.page_count) == ("ready", 2, 1)
    assert document.task_id != "t-1"


def test_recovery_publishes_a_queued_document_whose_task_was_never_sent(
    eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    document = stored_document(pdf_bytes([NOTICE]), format="pdf")
    Document.objects.filter(pk=document.pk).update(task_id="", updated_at=_expired())

    with django_capture_on_commit_callbacks(execute=True):
        assert documents_recover() == [document.pk]

    document.refresh_from_db()
    assert document.status == Document.Status.READY


def test_recovery_leaves_live_and_scheduled_jobs_alone() -> None:
    running = stored_document(pdf_bytes([NOTICE]), format="pdf")
    Document.objects.filter(pk=running.pk).update(
        status="extracting", task_id="t-1", claimed_at=timezone.now()
    )
    scheduled = stored_document(pdf_bytes([NOTICE]), format="pdf")
    Document.objects.filter(pk=scheduled.pk).update(task_id="t-2", updated_at=_expired())
    fresh = stored_document(pdf_bytes([NOTICE]), format="pdf")

    assert documents_recover() == []
    assert dict(Document.objects.values_list("pk", "status")) == {
        running.pk: "extracting",
        scheduled.pk: "queued",
        fresh.pk: "queued",
    }


def test_recovery_gives_up_on_a_document_interrupted_too_often() -> None:
    document = stored_document(pdf_bytes([NOTICE]), format="pdf")
    Document.objects.filter(pk=document.pk).update(
        status="extracting", attempts=MAX_ATTEMPTS, claimed_at=_expired()
    )

    assert documents_recover() == []

    document.refresh_from_db()
    assert document.status == Document.Status.FAILED
    assert document.failure_reason == f"the extraction was interrupted {MAX_ATTEMPTS} times"


def test_the_task_retries_when_the_database_is_away(
    eager_celery: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = stored_document(pdf_bytes([NOTICE]), format="pdf")
    calls: list[int] = []
    real = cases.tasks.document_index

    def flaky(**kwargs: Any) -> Document | None:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError(1040, "Too many connections")
        return real(**kwargs)

    monkeypatch.setattr(cases.tasks, "document_index", flaky)
    monkeypatch.setattr(cases.tasks, "RETRY_BACKOFF_SECONDS", 0)

    document_process_task.apply_async((document.pk, "r-1"), task_id="t-1")

    document.refresh_from_db()
    assert len(calls) == 2
    assert (document.status, document.attempts) == ("ready", 1)


# --- From upload to search ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # MariaDB's FULLTEXT sees committed rows only
def test_a_pdf_uploaded_to_s3_compatible_storage_is_read_from_there_and_becomes_searchable(
    firm: Any,
    api_client_for: Any,
    s3_storage: Any,  # noqa: F811 (the imported fixture)
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    api = api_client_for(firm.lawyer_a)

    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(
            f"/api/cases/{firm.case_a.pk}/documents",
            {"file": upload("Lease.pdf", pdf_bytes(["Cover page.", NOTICE]))},
            format="multipart",
        )

    assert created.status_code == 201, created.json()
    document = Document.objects.get(pk=created.json()["id"])
    assert document.file.name in s3_storage.object_keys()
    shown = api_client_for(firm.client_a).get(f"/api/documents/{document.pk}").json()
    assert (shown["status"], shown["pageCount"]) == ("ready", 2)
    [(passage_id, _)] = passages_matching("terminate notice", document_ids=[document.pk], limit=5)
    assert Passage.objects.get(pk=passage_id).page == 2

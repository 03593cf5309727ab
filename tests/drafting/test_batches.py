from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Callable

import pytest
from asgiref.sync import async_to_sync

from accounts.models import User
from config.errors import NotFound, PermissionDenied
from drafting.batches import (
    MAX_BATCH_ROWS,
    BatchError,
    batch_create_from_cases,
    batch_create_from_csv,
    batch_progress,
    batch_retry_failed,
    batch_row_fix,
    batch_rows,
    batch_zip,
)
from drafting.doctypes import DOCUMENT_TYPES
from drafting.models import Draft, DraftBatch
from drafting.services import DraftInvalid, draft_generate
from tests.drafting.conftest import WorkerProcess
from tests.factories import CaseFactory, ClientFactory, LawyerFactory

pytestmark = pytest.mark.django_db

NDA = DOCUMENT_TYPES["nda"]
ENGAGEMENT = DOCUMENT_TYPES["engagement-letter"]


def _nda_row(number: int, **changes: str) -> dict[str, str]:
    row = {name: str(value) for name, value in NDA.example_inputs.items()}
    row["party_b_name"] = f"Counterparty {number} Ltd"
    return {**row, **changes}


def _csv(
    rows: list[dict[str, str]], *, header: list[str] | None = None, bom: bool = False
) -> io.BytesIO:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header or list(rows[0]), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return io.BytesIO((("\ufeff" if bom else "") + buffer.getvalue()).encode())


def _batch(author: User, rows: list[dict[str, str]], **kwargs) -> DraftBatch:
    return batch_create_from_csv(author=author, type_id="nda", csv_file=_csv(rows), **kwargs)


def _finish_queued(batch: DraftBatch) -> None:
    """Draft the batch's queued rows here, as a worker would."""
    for draft in Draft.objects.filter(batch=batch, status=Draft.Status.QUEUED):
        async_to_sync(draft_generate)(draft_id=draft.pk, request_id="test")


# --- creating from a CSV file ---------------------------------------------------------------


def test_valid_rows_are_queued_with_a_task_each(lawyer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as published:
        batch = _batch(lawyer, [_nda_row(1), _nda_row(2), _nda_row(3)])

    rows = batch_rows(batch)
    assert [row.number for row in rows] == [1, 2, 3]
    assert [row.draft.inputs["party_b_name"] for row in rows] == [
        "Counterparty 1 Ltd",
        "Counterparty 2 Ltd",
        "Counterparty 3 Ltd",
    ]
    assert {row.draft.status for row in rows} == {Draft.Status.QUEUED}
    assert all(row.draft.task_id for row in rows)
    assert len(published) == 3
    assert (batch.total, batch.author, batch.document_type) == (3, lawyer, "nda")


def test_a_batch_is_saved_in_the_same_few_queries_whatever_its_size(
    lawyer, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # Row by row, 500 rows took 2005 queries; all rows now go in one INSERT (a few on SQLite,
    # which caps the values of one statement).
    rows = [_nda_row(number) for number in range(1, 301)]
    rows[150] = _nda_row(151, effective_date="someday")

    with (
        django_capture_on_commit_callbacks(execute=False) as published,
        django_assert_max_num_queries(15),
    ):
        batch = _batch(lawyer, rows)

    drafts = [row.draft for row in batch_rows(batch)]
    assert len(drafts) == 300
    assert [draft.inputs["party_b_name"] for draft in drafts[:2]] == [
        "Counterparty 1 Ltd",
        "Counterparty 2 Ltd",
    ]
    assert drafts[150].status == "failed"
    assert drafts[150].task_id == ""
    assert len(published) == 299
    assert len({draft.task_id for draft in drafts if draft.status == "queued"}) == 299


def test_invalid_rows_fail_with_their_reasons_and_the_others_are_drafted(lawyer):
    batch = _batch(
        lawyer,
        [
            _nda_row(1),
            _nda_row(2, effective_date="1 Dec 2026"),
            _nda_row(3, term_years="11", party_a_name=""),
            _nda_row(4),
        ],
    )

    rows = batch_rows(batch)
    assert [row.draft.status for row in rows] == ["queued", "failed", "failed", "queued"]
    assert rows[1].draft.failure_reason == (
        "Effective date: Enter a valid date in the form YYYY-MM-DD."
    )
    assert "First party: This field is required." in rows[2].draft.failure_reason
    assert "Term (years): Ensure this value is less than or equal to 10." in (
        rows[2].draft.failure_reason
    )
    # Kept as given, so the row can be fixed from what the user typed.
    assert rows[1].draft.inputs["effective_date"] == "1 Dec 2026"
    assert batch_progress(batch) == {
        "total": 4,
        "done": 0,
        "failed": 2,
        "queued": 2,
        "running": 0,
        "percent": 50,
        "finished": False,
    }


def test_a_spreadsheets_byte_order_mark_and_missing_optional_columns_are_fine(lawyer):
    header = [f.name for f in NDA.fields if f.required]
    csv_file = _csv([_nda_row(1)], header=header, bom=True)

    batch = batch_create_from_csv(author=lawyer, type_id="nda", csv_file=csv_file)

    [row] = batch_rows(batch)
    assert row.draft.status == Draft.Status.QUEUED
    assert row.draft.inputs["jurisdiction"] == ""


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ([*NDA.fields_by_name, "colour"], "unknown columns: colour"),
        ([f.name for f in NDA.fields if f.name != "purpose"], "missing columns: purpose"),
        ([*NDA.fields_by_name, "purpose"], "repeated columns: purpose"),
    ],
)
def test_a_header_that_does_not_fit_the_type_is_refused(lawyer, header, message):
    with pytest.raises(BatchError, match=message):
        batch_create_from_csv(
            author=lawyer, type_id="nda", csv_file=_csv([_nda_row(1)], header=header)
        )
    assert not DraftBatch.objects.exists()


def test_more_rows_than_a_batch_takes_are_refused_with_the_count(lawyer):
    rows = [_nda_row(n) for n in range(MAX_BATCH_ROWS + 1)]

    with pytest.raises(BatchError, match=f"has {MAX_BATCH_ROWS + 1} rows; a batch takes at most"):
        _batch(lawyer, rows)

    assert not Draft.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("party_a_name\n".encode("utf-16"), "not UTF-8"),
        (b"", "empty"),
        (",".join(NDA.fields_by_name).encode() + b"\n", "no rows"),
    ],
)
def test_unusable_files_are_refused(lawyer, content, message):
    with pytest.raises(BatchError, match=message):
        batch_create_from_csv(author=lawyer, type_id="nda", csv_file=io.BytesIO(content))


def test_cells_beyond_the_header_make_the_row_invalid(lawyer):
    csv_file = _csv([_nda_row(1)])
    text = csv_file.getvalue().decode().rstrip("\r\n") + ",surplus\r\n"

    batch = batch_create_from_csv(author=lawyer, type_id="nda", csv_file=io.BytesIO(text.encode()))

    [row] = batch_rows(batch)
    assert row.draft.failure_reason == "column_11: Unknown field."


def test_clients_cannot_draft_in_batches(client_user):
    with pytest.raises(PermissionDenied):
        _batch(client_user, [_nda_row(1)])


def test_a_batch_on_a_case_the_author_may_not_see_is_refused(lawyer):
    with pytest.raises(NotFound):
        _batch(lawyer, [_nda_row(1)], case=CaseFactory(lawyers=[LawyerFactory()]))


def test_every_draft_of_a_batch_belongs_to_its_case(lawyer):
    case = CaseFactory(lawyers=[lawyer])

    batch = _batch(lawyer, [_nda_row(1), _nda_row(2, effective_date="soon")], case=case)

    assert {row.draft.case for row in batch_rows(batch)} == {case}


# --- creating from cases --------------------------------------------------------------------


def test_a_batch_from_cases_fills_the_client_fields_from_each_case(lawyer):
    first = CaseFactory(lawyers=[lawyer], client=ClientFactory(first_name="Ada", last_name="Lee"))
    second = CaseFactory(lawyers=[lawyer], title="the sale of 3 Mill Lane")
    base = {
        name: value
        for name, value in ENGAGEMENT.example_inputs.items()
        if name not in {"client_name", "client_email", "matter"}
    }

    batch = batch_create_from_cases(
        author=lawyer, type_id="engagement-letter", case_ids=[first.pk, second.pk], base_inputs=base
    )

    first_row, second_row = batch_rows(batch)
    assert (first_row.draft.case, second_row.draft.case) == (first, second)
    assert first_row.draft.inputs["client_name"] == "Ada Lee"
    assert first_row.draft.inputs["client_email"] == first.client.email
    assert second_row.draft.inputs["matter"] == "the sale of 3 Mill Lane"
    assert {row.draft.status for row in (first_row, second_row)} == {Draft.Status.QUEUED}


def test_a_batch_from_cases_refuses_a_case_the_author_may_not_see(lawyer):
    mine, theirs = CaseFactory(lawyers=[lawyer]), CaseFactory()

    with pytest.raises(NotFound):
        batch_create_from_cases(
            author=lawyer,
            type_id="engagement-letter",
            case_ids=[mine.pk, theirs.pk],
            base_inputs=dict(ENGAGEMENT.example_inputs),
        )
    assert not DraftBatch.objects.exists()


# --- progress, retries, fixes, zip ----------------------------------------------------------


def test_progress_counts_each_status_and_the_batch_keeps_a_copy(lawyer):
    batch = _batch(lawyer, [_nda_row(n) for n in range(4)])
    first, second, third, _fourth = (row.draft for row in batch_rows(batch))
    Draft.objects.filter(pk=first.pk).update(status=Draft.Status.DRAFTED)
    Draft.objects.filter(pk=second.pk).update(status=Draft.Status.APPROVED)
    Draft.objects.filter(pk=third.pk).update(status=Draft.Status.RUNNING)

    progress = batch_progress(batch)

    assert progress == {
        "total": 4,
        "done": 2,
        "failed": 0,
        "queued": 1,
        "running": 1,
        "percent": 50,
        "finished": False,
    }
    stored = DraftBatch.objects.get(pk=batch.pk)
    assert (stored.status, stored.done, stored.failed) == (DraftBatch.Status.RUNNING, 2, 0)


def test_a_finished_batch_is_done(lawyer):
    batch = _batch(lawyer, [_nda_row(1), _nda_row(2, term_years="0")])
    _finish_queued(batch)

    progress = batch_progress(batch)

    assert (progress["done"], progress["failed"], progress["percent"], progress["finished"]) == (
        1,
        1,
        100,
        True,
    )
    assert DraftBatch.objects.get(pk=batch.pk).status == DraftBatch.Status.DONE


def test_retry_queues_rows_the_ai_failed_and_leaves_rows_to_fix(
    lawyer, django_capture_on_commit_callbacks
):
    batch = _batch(lawyer, [_nda_row(1), _nda_row(2, effective_date="tomorrow")])
    ai_failed, invalid = (row.draft for row in batch_rows(batch))
    Draft.objects.filter(pk=ai_failed.pk).update(
        status=Draft.Status.FAILED,
        failure_reason="The AI could not draft the document.",
        attempts=5,
    )

    with django_capture_on_commit_callbacks(execute=False) as published:
        queued = batch_retry_failed(batch=batch, actor=lawyer)

    assert queued == 1
    assert len(published) == 1
    retried = Draft.objects.get(pk=ai_failed.pk)
    assert (retried.status, retried.failure_reason, retried.attempts) == ("queued", "", 0)
    assert retried.task_id
    assert Draft.objects.get(pk=invalid.pk).failure_reason.startswith("Effective date:")


def test_retry_is_for_the_batchs_author_or_lawyers_on_its_case(lawyer):
    batch = _batch(lawyer, [_nda_row(1)])

    with pytest.raises(PermissionDenied):
        batch_retry_failed(batch=batch, actor=LawyerFactory())


def test_a_fixed_row_is_queued_again_with_its_corrected_inputs(lawyer):
    batch = _batch(lawyer, [_nda_row(1, effective_date="1 Dec 2026")])
    [row] = batch_rows(batch)

    fixed = batch_row_fix(
        draft=row.draft, actor=lawyer, inputs={**row.draft.inputs, "effective_date": "2026-12-01"}
    )

    assert (fixed.status, fixed.failure_reason) == (Draft.Status.QUEUED, "")
    assert fixed.inputs["effective_date"] == "2026-12-01"
    _finish_queued(batch)
    assert batch_progress(batch)["done"] == 1


def test_a_fix_that_is_still_wrong_changes_nothing(lawyer):
    batch = _batch(lawyer, [_nda_row(1, effective_date="1 Dec 2026")])
    [row] = batch_rows(batch)

    with pytest.raises(DraftInvalid) as raised:
        batch_row_fix(draft=row.draft, actor=lawyer, inputs={**row.draft.inputs, "term_years": "x"})

    assert set(raised.value.errors["inputs"]) == {"effective_date", "term_years"}
    assert Draft.objects.get(pk=row.draft.pk).status == Draft.Status.FAILED


def test_zip_holds_one_text_file_per_drafted_row(lawyer):
    batch = _batch(lawyer, [_nda_row(1), _nda_row(2, term_years="99"), _nda_row(3)])
    _finish_queued(batch)
    drafts = {row.number: row.draft for row in batch_rows(batch)}

    archive = zipfile.ZipFile(io.BytesIO(batch_zip(batch)))

    names = archive.namelist()
    assert names == [
        "01-nda-northwind-analytics-ltd-counterparty-1-ltd.txt",
        "03-nda-northwind-analytics-ltd-counterparty-3-ltd.txt",
    ]
    assert archive.read(names[0]).decode() == drafts[1].text + "\n"
    assert "Counterparty 3 Ltd" in archive.read(names[1]).decode()


# --- with a real worker ---------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_batch_of_fifty_rows_is_drafted_by_a_worker_with_progress_that_only_goes_up(
    celery_worker_process: Callable[..., WorkerProcess],
):
    celery_worker_process()
    lawyer = LawyerFactory()
    batch = _batch(lawyer, [_nda_row(n) for n in range(50)])

    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        seen.append(batch_progress(batch))
        if seen[-1]["finished"]:
            break
        time.sleep(0.05)

    done = [progress["done"] for progress in seen]
    assert seen[-1]["finished"], f"unfinished after 120 s: {seen[-1]}"
    assert done == sorted(done)
    assert len(set(done)) > 2  # the count was seen moving, not only at its ends
    assert seen[-1] == {
        "total": 50,
        "done": 50,
        "failed": 0,
        "queued": 0,
        "running": 0,
        "percent": 100,
        "finished": True,
    }
    assert Draft.objects.filter(batch=batch, status=Draft.Status.DRAFTED).count() == 50
    assert len(zipfile.ZipFile(io.BytesIO(batch_zip(batch))).namelist()) == 50

"""Drafting many documents of one type at once, from the rows of a CSV file or from cases.

Every row becomes a Draft of the batch, valid or not, in the order of the rows. A valid row is
queued for a worker; an invalid one is stored `failed` with its inputs as given and a reason
that says what is wrong, so the batch page lists it with the others, and once fixed
(:func:`batch_row_fix`) it is drafted without uploading the file again. A row's number is its
position in the batch, so the zip's file names follow the file's rows.
"""

from __future__ import annotations

import csv
import io
import logging
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.text import Truncator, slugify

from accounts.models import User
from cases.models import Case
from cases.selectors import cases_visible_to, on_visible_cases
from config.errors import DomainError, NotFound, PermissionDenied
from drafting.doctypes import NON_FIELD_ERRORS, DocumentType, get_document_type
from drafting.models import Draft, DraftBatch
from drafting.selectors import draft_case_allowed
from drafting.services import (
    DraftInvalid,
    draft_build,
    draft_publish_on_commit,
    draft_schedule,
    inputs_stored,
)

logger = logging.getLogger("counsel.drafting")

MAX_BATCH_ROWS = 500
_FAILURE_REASON_CHARS = Draft._meta.get_field("failure_reason").max_length
_FINISHED = (Draft.Status.DRAFTED, Draft.Status.APPROVED)

# The fields a batch from cases fills from each case, when the document type has them; every
# other input comes from the base inputs shared by the whole batch.
CASE_FIELDS = {
    "client_name": lambda case: case.client.get_full_name() or case.client.username,
    "client_email": lambda case: case.client.email,
    "matter": lambda case: case.title,
}


class BatchError(DomainError):
    status_code = 400
    default_detail = "The batch could not be created."


# --- Reading --------------------------------------------------------------------------------


def batches_visible_to(user: User) -> QuerySet[DraftBatch]:
    """Staff see the batches of the cases they may see now, and their own on no case; clients
    none. A batch drafted from several cases is on no case, so its author's alone; a worker
    still refuses each row whose case the author has left."""
    if not user.is_staff_member:
        return DraftBatch.objects.none()
    visible = on_visible_cases(user, owner="author")
    return DraftBatch.objects.filter(visible).select_related("author", "case")


def batch_get_visible(*, user: User, batch_id: int) -> DraftBatch:
    try:
        return batches_visible_to(user).get(pk=batch_id)
    except DraftBatch.DoesNotExist:
        raise NotFound("Batch not found.") from None


@dataclass(frozen=True)
class BatchRow:
    number: int  # 1 for the file's first row
    draft: Draft


def batch_rows(batch: DraftBatch, *, statuses: Iterable[str] = ()) -> list[BatchRow]:
    """The batch's drafts numbered in row order, optionally only those of some statuses."""
    drafts = Draft.objects.filter(batch=batch).select_related("case").order_by("pk")
    rows = [BatchRow(number, draft) for number, draft in enumerate(drafts, start=1)]
    wanted = set(statuses)
    return [row for row in rows if row.draft.status in wanted] if wanted else rows


def batch_progress(batch: DraftBatch) -> dict[str, Any]:
    """``{total, done, failed, queued, running, percent, finished}``, counted in one query.

    ``done`` counts drafted and approved rows; ``percent`` is the share of rows that ended,
    done or failed. The batch row's own status and counters are a copy of this count for the
    admin's list and filters: they are written here, whenever the count moved.
    """
    counts = Draft.objects.filter(batch=batch).aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(status__in=_FINISHED)),
        failed=Count("pk", filter=Q(status=Draft.Status.FAILED)),
        queued=Count("pk", filter=Q(status=Draft.Status.QUEUED)),
        running=Count("pk", filter=Q(status=Draft.Status.RUNNING)),
    )
    ended = counts["done"] + counts["failed"]
    finished = counts["queued"] + counts["running"] == 0
    progress = {
        **counts,
        "percent": ended * 100 // counts["total"] if counts["total"] else 100,
        "finished": finished,
    }
    _store_counts(batch, progress)
    return progress


def _store_counts(batch: DraftBatch, progress: Mapping[str, Any]) -> None:
    if progress["finished"]:
        status = DraftBatch.Status.DONE if progress["done"] else DraftBatch.Status.FAILED
    elif progress["done"] or progress["failed"] or progress["running"]:
        status = DraftBatch.Status.RUNNING
    else:
        status = DraftBatch.Status.QUEUED
    stored = {"status": status, "done": progress["done"], "failed": progress["failed"]}
    if any(getattr(batch, name) != value for name, value in stored.items()):
        DraftBatch.objects.filter(pk=batch.pk).update(**stored, updated_at=timezone.now())
        for name, value in stored.items():
            setattr(batch, name, value)


def batch_zip(batch: DraftBatch) -> bytes:
    """A zip of one ``<nn>-<type>-<names>.txt`` per drafted (or approved) row, holding its
    text; ``nn`` is the row's number and ``names`` the parties named in its inputs."""
    rows = batch_rows(batch, statuses=_FINISHED)
    width = max(2, len(str(batch.total)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for row in rows:
            name = f"{row.number:0{width}d}-{batch.document_type}-{_slug(row.draft)}.txt"
            archive.writestr(name, row.draft.text + "\n")
    return buffer.getvalue()


def _slug(draft: Draft) -> str:
    names = " ".join(
        str(value) for key, value in draft.inputs.items() if key.endswith("_name") and value
    )
    return slugify(names)[:60].strip("-") or "draft"


# --- Creating -------------------------------------------------------------------------------


def batch_create_from_csv(
    *,
    author: User,
    type_id: str,
    csv_file: IO[bytes] | IO[str],
    case: Case | None = None,
    request_id: str = "",
) -> DraftBatch:
    """A batch with one draft per row of the CSV file, every draft on ``case``.

    The header names the type's fields (the optional ones may be left out, in any order);
    the file is UTF-8, with or without a byte-order mark, and has at most MAX_BATCH_ROWS rows.
    A file that breaks these rules is refused whole with BatchError; a row whose values are
    wrong becomes a failed draft with the reason.
    """
    doc = get_document_type(type_id)
    rows = _csv_rows(doc, csv_file)
    return _batch_create(
        author=author, doc=doc, case=case, rows=[(row, case) for row in rows], request_id=request_id
    )


def batch_create_from_cases(
    *,
    author: User,
    type_id: str,
    case_ids: Iterable[int],
    base_inputs: Mapping[str, Any],
    request_id: str = "",
) -> DraftBatch:
    """A batch with one draft per case: ``base_inputs`` for every draft, with the fields of
    CASE_FIELDS that the type has filled from each case (its client's name and email, its
    title as the matter). Each draft belongs to its case; a case the author may not see is
    NotFound."""
    doc = get_document_type(type_id)
    wanted = list(dict.fromkeys(case_ids))
    if not wanted:
        raise BatchError("Choose at least one case.")
    if len(wanted) > MAX_BATCH_ROWS:
        raise BatchError(f"A batch takes at most {MAX_BATCH_ROWS} cases.")
    cases = cases_visible_to(author).in_bulk(wanted)
    if len(cases) != len(wanted):
        raise NotFound("Case not found.")
    fields = doc.fields_by_name
    rows = []
    for case_id in wanted:
        case = cases[case_id]
        filled = {name: fill(case) for name, fill in CASE_FIELDS.items() if name in fields}
        rows.append(({**base_inputs, **filled}, case))
    return _batch_create(author=author, doc=doc, case=None, rows=rows, request_id=request_id)


@transaction.atomic
def _batch_create(
    *,
    author: User,
    doc: DocumentType,
    case: Case | None,
    rows: list[tuple[Mapping[str, Any], Case | None]],
    request_id: str,
) -> DraftBatch:
    if not author.is_staff_member:
        raise PermissionDenied("Only lawyers and admins draft in batches.")
    if not draft_case_allowed(user=author, case=case):
        raise NotFound("Case not found.")
    batch = DraftBatch.objects.create(
        author=author, document_type=doc.id, case=case, total=len(rows)
    )
    drafts = [
        _row_draft(batch=batch, doc=doc, inputs=inputs, case=row_case) for inputs, row_case in rows
    ]
    # One INSERT for all rows, in row order; the tasks are published only when this
    # transaction commits, so no worker ever sees a row without its batch.
    Draft.objects.bulk_create(drafts)
    valid = [draft for draft in drafts if draft.task_id]
    for draft in valid:
        draft_publish_on_commit(
            draft_id=draft.pk,
            request_id=request_id or f"batch-{batch.pk}",
            task_id=draft.task_id,
        )
    batch_progress(batch)
    logger.info(
        "draft_batch_created",
        extra={
            "batch_id": batch.pk,
            "user_id": author.pk,
            "document_type": doc.id,
            "rows": len(rows),
            "invalid_rows": len(rows) - len(valid),
        },
    )
    return batch


def _row_draft(
    *, batch: DraftBatch, doc: DocumentType, inputs: Mapping[str, Any], case: Case | None
) -> Draft:
    """One row's draft, not saved yet: queued with the id of the task that will draft it, or
    failed with the reason its inputs were refused."""
    try:
        draft = draft_build(author=batch.author, type_id=doc.id, inputs=inputs, case=case)
    except DraftInvalid as exc:
        return Draft(
            author=batch.author,
            case=case,
            document_type=doc.id,
            inputs=dict(inputs),
            policy=doc.policy,
            status=Draft.Status.FAILED,
            failure_reason=_reason(doc, exc.errors.get("inputs", exc.errors)),
            batch=batch,
        )
    draft.batch = batch
    draft.task_id = str(uuid.uuid4())
    return draft


# --- Retrying -------------------------------------------------------------------------------


def _require_manager(user: User, batch: DraftBatch) -> None:
    if not batches_visible_to(user).filter(pk=batch.pk).exists():
        raise PermissionDenied("Only the batch's author or a lawyer on its case may change it.")


@transaction.atomic
def batch_retry_failed(*, batch: DraftBatch, actor: User, request_id: str = "") -> int:
    """Queue the batch's failed rows again and return how many were queued. A row whose
    inputs are wrong stays failed with its reason until it is fixed: drafting it again
    would fail the same way."""
    _require_manager(actor, batch)
    doc = get_document_type(batch.document_type)
    queued = 0
    failed = Draft.objects.select_for_update().filter(batch=batch, status=Draft.Status.FAILED)
    for draft in failed:
        _cleaned, errors = doc.validate(draft.inputs)
        if not errors and _requeue(draft, inputs=draft.inputs, request_id=request_id):
            queued += 1
    logger.info(
        "draft_batch_retried", extra={"batch_id": batch.pk, "user_id": actor.pk, "rows": queued}
    )
    batch_progress(batch)
    return queued


@transaction.atomic
def batch_row_fix(
    *, draft: Draft, actor: User, inputs: Mapping[str, Any], request_id: str = ""
) -> Draft:
    """Correct a failed row's inputs and queue it again; DraftInvalid if they are still
    wrong (nothing is changed then)."""
    if draft.batch is None or draft.status != Draft.Status.FAILED:
        raise BatchError("Only a failed row of a batch can be fixed.")
    _require_manager(actor, draft.batch)
    doc = get_document_type(draft.document_type)
    cleaned, errors = doc.validate(inputs)
    if errors:
        raise DraftInvalid({"inputs": errors})
    if not _requeue(draft, inputs=inputs_stored(doc, cleaned), request_id=request_id):
        raise BatchError("The row is no longer failed: it was queued again meanwhile.")
    batch_progress(draft.batch)
    draft.refresh_from_db()
    return draft


def _requeue(draft: Draft, *, inputs: Mapping[str, Any], request_id: str) -> bool:
    # Its claims are counted afresh: the recovery gives up on a draft after MAX_ATTEMPTS.
    requeued = Draft.objects.filter(pk=draft.pk, status=Draft.Status.FAILED).update(
        inputs=dict(inputs),
        status=Draft.Status.QUEUED,
        progress=0,
        attempts=0,
        task_id="",
        failure_reason="",
        updated_at=timezone.now(),
    )
    if requeued:
        draft_schedule(draft_id=draft.pk, request_id=request_id or f"batch-{draft.batch_id}")
    return bool(requeued)


# --- Reading the file -----------------------------------------------------------------------


def _read_text(csv_file: IO[bytes] | IO[str]) -> str:
    data = csv_file.read()
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        # utf-8-sig: spreadsheets saving "CSV UTF-8" put a byte-order mark first.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BatchError(
            "The file is not UTF-8 text: save it as “CSV UTF-8” and upload it again."
        ) from None


def _csv_rows(doc: DocumentType, csv_file: IO[bytes] | IO[str]) -> list[dict[str, str]]:
    """The non-blank rows as {column: cell}. Cells beyond the header's columns are kept
    under ``column_<n>``, which the type's validation reports as an unknown field."""
    try:
        records = [
            cells
            for cells in csv.reader(io.StringIO(_read_text(csv_file), newline=""))
            if any(cell.strip() for cell in cells)
        ]
    except csv.Error as error:
        raise BatchError(f"The file is not a readable CSV file: {error}.") from None
    if not records:
        raise BatchError("The file is empty: it needs a header row and at least one row.")
    header = [column.strip() for column in records[0]]
    _check_header(doc, header)
    rows = records[1:]
    if not rows:
        raise BatchError("The file has a header but no rows to draft.")
    if len(rows) > MAX_BATCH_ROWS:
        raise BatchError(
            f"The file has {len(rows)} rows; a batch takes at most {MAX_BATCH_ROWS}. "
            "Split it into smaller files."
        )
    return [_row(header, cells) for cells in rows]


def _row(header: list[str], cells: list[str]) -> dict[str, str]:
    row = dict(zip(header, cells, strict=False))
    for number, cell in enumerate(cells[len(header) :], start=len(header) + 1):
        if cell.strip():
            row[f"column_{number}"] = cell
    return row


def _check_header(doc: DocumentType, header: list[str]) -> None:
    names = doc.fields_by_name
    # Counted once: counting each column against the others grew with the square of the header.
    counts = Counter(header)
    unknown = [column for column in header if column not in names]
    missing = [f.name for f in doc.fields if f.required and f.name not in counts]
    repeated = sorted(column for column, count in counts.items() if count > 1)
    problems = []
    if unknown:
        problems.append(f"unknown columns: {', '.join(unknown)}")
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    if repeated:
        problems.append(f"repeated columns: {', '.join(repeated)}")
    if problems:
        raise BatchError(
            f"The header does not fit a {doc.title.lower()} ({'; '.join(problems)}). "
            "Download the CSV template for the right header."
        )


def _reason(doc: DocumentType, errors: Mapping[str, Any]) -> str:
    """``Effective date: Enter a valid date in the form YYYY-MM-DD.`` for each error, cut to
    the length a failure reason holds."""
    fields = doc.fields_by_name
    parts = []
    for name, messages in errors.items():
        label = fields[name].label if name in fields else name
        prefix = "" if name == NON_FIELD_ERRORS else f"{label}: "
        parts.extend(f"{prefix}{message}" for message in messages)
    return Truncator(" ".join(parts)).chars(_FAILURE_REASON_CHARS)

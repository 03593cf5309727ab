"""Documents' services: upload (checked, stored, queued for indexing), delete, and the trail of
who viewed or downloaded what."""

from __future__ import annotations

import logging
import uuid

from django.core.files import File
from django.core.files.storage import Storage
from django.db import transaction

from accounts.models import User
from cases.indexing import DOCUMENT_LEASE
from cases.models import Case, Document, DocumentAccess
from cases.selectors import document_can_change
from cases.uploads import upload_check
from config.errors import PermissionDenied

logger = logging.getLogger(__name__)


def document_upload_allowed(*, user: User, case: Case | None) -> None:
    """PermissionDenied unless `user` may upload to `case` (None: the knowledge base): staff
    who may change the case, admins for the knowledge base. The API asks before it reads an
    upload's body."""
    if not document_can_change(user, Document(case=case)):
        raise PermissionDenied(
            "Only admins add to the knowledge base."
            if case is None
            else "You may not add documents to this case."
        )


def document_upload(*, user: User, case: Case | None, file: File, request_id: str) -> Document:
    """Store `file` on `case` (None: the knowledge base) as `user`, and queue its indexing.

    Staff who may change the case upload to it, admins to the knowledge base
    (PermissionDenied otherwise); the caller has checked that the user may see the case. A
    file `cases.uploads` refuses raises UploadRefused. The file is stored before the row is
    written, and removed again if the row cannot be."""
    document_upload_allowed(user=user, case=case)
    checked = upload_check(file)
    document = Document(
        case=case,
        title=checked.title,
        format=checked.format,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=user,
        status=Document.Status.QUEUED,
        task_id=str(uuid.uuid4()),
    )
    document.file.save(checked.stored_name, file, save=False)
    try:
        with transaction.atomic():
            document.save()
            document_access_record(
                user=user,
                document=document,
                action=DocumentAccess.Action.UPLOAD,
                request_id=request_id,
            )
            DOCUMENT_LEASE.publish_on_commit(
                pk=document.pk, request_id=request_id, task_id=document.task_id
            )
    except BaseException:
        # No row refers to the stored file: it would be stranded.
        _remove_file(document.file.storage, document.file.name, document_id=None)
        raise
    logger.info(
        "document uploaded",
        extra={
            "document_id": document.pk,
            "case_id": case.pk if case else None,
            "user_id": user.pk,
            "size": document.size,
            "request_id": request_id,
        },
    )
    return document


@transaction.atomic
def document_delete(*, user: User, document: Document, request_id: str) -> None:
    """Delete a document, its passages and, once the deletion is committed, its file, as
    staff who may change its case (PermissionDenied otherwise). The trail keeps a DELETE
    row with the document's title and case."""
    if not document_can_change(user, document):
        raise PermissionDenied("You may not delete this document.")
    document_access_record(
        user=user, document=document, action=DocumentAccess.Action.DELETE, request_id=request_id
    )
    storage, name = document.file.storage, document.file.name
    document_id = document.pk
    document.delete()
    # After the commit: a rolled-back deletion must still find its file.
    transaction.on_commit(lambda: _remove_file(storage, name, document_id=document_id), robust=True)
    logger.info(
        "document deleted",
        extra={"document_id": document_id, "user_id": user.pk, "request_id": request_id},
    )


def _remove_file(storage: Storage, name: str, *, document_id: int | None) -> None:
    try:
        storage.delete(name)
    except Exception:
        # Broad on purpose: each storage fails its own way. The row is gone already; the
        # file is left behind, and said so in the log.
        logger.warning(
            "document_file_not_removed",
            extra={"document_id": document_id, "file": name},
            exc_info=True,
        )


def document_access_record(
    *, user: User, document: Document, action: str, request_id: str
) -> DocumentAccess:
    """One line of a document's trail: `user` did `action` (a DocumentAccess.Action)."""
    return DocumentAccess.objects.create(
        document=document,
        document_title=document.title,
        case_id=document.case_id,
        user=user,
        action=action,
        request_id=request_id,
    )

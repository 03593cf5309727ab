"""The tool cache's versions moved on when what the tools read changes (consultations.tools.
cache): a case, its lawyers, its deadlines, its documents, the knowledge base. Receivers of
the models' own signals, since cases may not import consultations; each moves the versions on
once the change is committed, so no reader can cache the old data under the new version."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from cases.models import Case, Deadline, Document
from cases.signals import document_ready
from consultations.tools.cache import CASE, DEADLINES, KNOWLEDGE_BASE, tool_versions_bump


def _bump_on_commit(*scopes: str) -> None:
    transaction.on_commit(lambda: tool_versions_bump(scopes))


def _case_changed(sender: Any, instance: Case, **kwargs: Any) -> None:
    # Its client or lawyers change who sees its deadlines: the callers' own lists too.
    _bump_on_commit(CASE.format(instance.pk), DEADLINES)


def _lawyers_changed(sender: Any, instance: Case, action: str, **kwargs: Any) -> None:
    if action.startswith("post_"):
        _bump_on_commit(CASE.format(instance.pk), DEADLINES)


def _deadline_changed(sender: Any, instance: Deadline, **kwargs: Any) -> None:
    _bump_on_commit(CASE.format(instance.case_id), DEADLINES)


def _document_changed(sender: Any, instance: Document, **kwargs: Any) -> None:
    _document_scopes_bump(instance.case_id)


def _document_indexed(sender: Any, document_id: int, **kwargs: Any) -> None:
    # Sent after the commit; its passages were written by a queryset update (no post_save).
    case_id = Document.objects.filter(pk=document_id).values_list("case_id", flat=True).first()
    _document_scopes_bump(case_id)


def _document_scopes_bump(case_id: int | None) -> None:
    _bump_on_commit(CASE.format(case_id) if case_id is not None else KNOWLEDGE_BASE)


def tool_cache_signals_connect() -> None:
    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(_case_changed, sender=Case, dispatch_uid=f"tools-case-{name}")
        signal.connect(_deadline_changed, sender=Deadline, dispatch_uid=f"tools-deadline-{name}")
        signal.connect(_document_changed, sender=Document, dispatch_uid=f"tools-doc-{name}")
    m2m_changed.connect(
        _lawyers_changed, sender=Case.lawyers.through, dispatch_uid="tools-case-lawyers"
    )
    document_ready.connect(_document_indexed, sender=Document, dispatch_uid="tools-doc-ready")

"""Deadlines on a case: added, changed, completed, reopened and deleted by the staff who may
change the case (`selectors.case_can_edit`); each change is a history record of the deadline,
made by the actor. A case the actor cannot see is NotFound; one they see but may not change is
PermissionDenied."""

from __future__ import annotations

import logging
from datetime import date, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases.models import Case, Deadline
from cases.selectors import case_can_edit, cases_visible_to
from config.errors import NotFound, PermissionDenied

logger = logging.getLogger(__name__)

# What deadline_update may change; completion has its own services, the rest is the system's.
UPDATABLE_FIELDS = frozenset({"due_date", "due_time", "kind", "responsible", "notes"})


def _check_may_change(actor: User, case: Case) -> None:
    if not cases_visible_to(actor).filter(pk=case.pk).exists():
        raise NotFound("Case not found.")
    if not case_can_edit(actor, case):
        raise PermissionDenied("You may not change this case's deadlines.")


def _check_responsible(case: Case, responsible: User) -> None:
    if not case.lawyers.filter(pk=responsible.pk).exists():
        raise ValidationError({"responsible": f"{responsible} is not a lawyer on this case."})


def _locked(deadline: Deadline) -> Deadline:
    # Read again under a row lock: a concurrent completion or reopening is seen, not undone.
    return Deadline.objects.select_for_update().select_related("case").get(pk=deadline.pk)


def _save(deadline: Deadline, actor: User) -> None:
    deadline.full_clean()
    deadline._history_user = actor
    deadline.save()


@transaction.atomic
def deadline_create(
    *,
    actor: User,
    case: Case,
    due_date: date,
    kind: str,
    responsible: User,
    due_time: time | None = None,
    notes: str = "",
) -> Deadline:
    """Add a deadline to `case`; the responsible lawyer must be one of the case's lawyers."""
    _check_may_change(actor, case)
    _check_responsible(case, responsible)
    deadline = Deadline(
        case=case,
        due_date=due_date,
        due_time=due_time,
        kind=kind,
        responsible=responsible,
        notes=notes,
    )
    _save(deadline, actor)
    logger.info(
        "deadline created",
        extra={"deadline_id": deadline.pk, "case_id": case.pk, "user_id": actor.pk},
    )
    return deadline


@transaction.atomic
def deadline_update(*, actor: User, deadline: Deadline, **fields: Any) -> Deadline:
    """Change any of UPDATABLE_FIELDS, in one history record."""
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"deadline_update() cannot change: {', '.join(sorted(unknown))}")
    _check_may_change(actor, deadline.case)
    if "responsible" in fields:
        _check_responsible(deadline.case, fields["responsible"])
    for name, value in fields.items():
        setattr(deadline, name, value)
    _save(deadline, actor)
    logger.info(
        "deadline updated",
        extra={"deadline_id": deadline.pk, "user_id": actor.pk, "fields": sorted(fields)},
    )
    return deadline


@transaction.atomic
def deadline_complete(*, actor: User, deadline: Deadline) -> Deadline:
    """Mark the deadline done by `actor`, now. Completing a done deadline changes nothing: the
    first completion is the one that counts (two lawyers clicking at once)."""
    _check_may_change(actor, deadline.case)
    deadline = _locked(deadline)
    if deadline.is_done:
        return deadline
    deadline.completed_at = timezone.now()
    deadline.completed_by = actor
    _save(deadline, actor)
    logger.info("deadline completed", extra={"deadline_id": deadline.pk, "user_id": actor.pk})
    return deadline


@transaction.atomic
def deadline_reopen(*, actor: User, deadline: Deadline) -> Deadline:
    """Make a done deadline open again; an open one stays as it is."""
    _check_may_change(actor, deadline.case)
    deadline = _locked(deadline)
    if not deadline.is_done:
        return deadline
    deadline.completed_at = None
    deadline.completed_by = None
    _save(deadline, actor)
    logger.info("deadline reopened", extra={"deadline_id": deadline.pk, "user_id": actor.pk})
    return deadline


@transaction.atomic
def deadline_delete(*, actor: User, deadline: Deadline) -> None:
    """Delete the deadline; its history keeps a record of the deletion, by `actor`."""
    _check_may_change(actor, deadline.case)
    deadline._history_user = actor
    deadline_id = deadline.pk
    deadline.delete()
    logger.info("deadline deleted", extra={"deadline_id": deadline_id, "user_id": actor.pk})

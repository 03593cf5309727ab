from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone

from accounts.invitations import invitation_create
from accounts.models import Invitation, User
from cases.models import Case
from cases.selectors import case_can_create, case_can_edit, cases_visible_to
from config.errors import NotFound, PermissionDenied

logger = logging.getLogger(__name__)

# Fields a case_update may change; the reference and the timestamps are the system's.
UPDATABLE_FIELDS = frozenset(
    {"title", "practice_area", "status", "description", "opposing_parties", "client", "lawyers"}
)
# Two people opening cases at the same instant both read the same highest number; the loser
# of the unique index moves to the next number. More collisions than this is not a race.
REFERENCE_ATTEMPTS = 10


def _validate_parties(*, client: User | None, lawyers: Iterable[User] | None) -> None:
    errors: dict[str, str] = {}
    if client is not None and client.role != User.Role.CLIENT:
        errors["client"] = f"{client} is not a client."
    if lawyers is not None:
        not_lawyers = [str(user) for user in lawyers if user.role != User.Role.LAWYER]
        if not_lawyers:
            errors["lawyers"] = f"Not lawyers: {', '.join(not_lawyers)}."
    if errors:
        raise ValidationError(errors)


def _next_reference_number(prefix: str) -> int:
    # Ordered by length first so that CN-2026-10000 comes after CN-2026-9999.
    last = (
        Case.objects.filter(reference__startswith=prefix)
        .order_by(Length("reference").desc(), "-reference")
        .values_list("reference", flat=True)
        .first()
    )
    return int(last.removeprefix(prefix)) + 1 if last else 1


def _save_with_new_reference(case: Case) -> None:
    prefix = f"CN-{timezone.localdate().year}-"
    number = _next_reference_number(prefix)
    for _ in range(REFERENCE_ATTEMPTS):
        case.reference = f"{prefix}{number:04d}"
        try:
            # A savepoint, so that a lost race leaves the outer transaction usable.
            with transaction.atomic():
                case.save()
            return
        except IntegrityError:
            # The reference is the only constraint the insert can break (the client was
            # checked by full_clean). Not re-read: under MySQL's repeatable read this
            # transaction's snapshot would not show the winner's row anyway.
            number += 1
    raise IntegrityError(f"No free case reference after {REFERENCE_ATTEMPTS} attempts.")


@transaction.atomic
def case_create(
    *,
    created_by: User,
    title: str,
    practice_area: str,
    client: User,
    lawyers: Iterable[User] = (),
    description: str = "",
    opposing_parties: str = "",
    status: str = Case.Status.OPEN,
) -> Case:
    """Open a case with the next `CN-<year>-<nnnn>` reference.

    A lawyer who opens a case is always assigned to it: otherwise it would vanish from their
    own list the moment they saved it.
    """
    if not case_can_create(created_by):
        raise PermissionDenied("Only lawyers and admins open cases.")
    lawyers = list(lawyers)
    if created_by.role == User.Role.LAWYER and created_by not in lawyers:
        lawyers.append(created_by)
    _validate_parties(client=client, lawyers=lawyers)

    case = Case(
        title=title,
        practice_area=practice_area,
        status=status,
        client=client,
        description=description,
        opposing_parties=opposing_parties,
    )
    case._history_user = created_by
    case.full_clean(exclude={"reference"})
    _save_with_new_reference(case)
    case.lawyers.set(lawyers)
    logger.info(
        "case created",
        extra={"case_id": case.pk, "reference": case.reference, "user_id": created_by.pk},
    )
    return case


@transaction.atomic
def case_update(*, case: Case, actor: User, **fields: Any) -> Case:
    """Change a case's fields (any of UPDATABLE_FIELDS) as `actor`, in one history record.

    A case the actor cannot see is NotFound; one they can see but not change is
    PermissionDenied.
    """
    unknown = set(fields) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"case_update() cannot change: {', '.join(sorted(unknown))}")
    if not cases_visible_to(actor).filter(pk=case.pk).exists():
        raise NotFound("Case not found.")
    if not case_can_edit(actor, case):
        raise PermissionDenied("You may not change this case.")
    lawyers = fields.pop("lawyers", None)
    if lawyers is not None:
        lawyers = list(lawyers)
    _validate_parties(client=fields.get("client"), lawyers=lawyers)

    for name, value in fields.items():
        setattr(case, name, value)
    case.full_clean()
    case._history_user = actor
    if lawyers is not None:
        # Without this, set() writes its own history records (one for the removals, one for
        # the additions); the save below records the new lawyers along with the fields.
        case.skip_history_when_saving = True
        try:
            case.lawyers.set(lawyers)
        finally:
            del case.skip_history_when_saving
    case.save()
    changed = sorted(fields) + (["lawyers"] if lawyers is not None else [])
    logger.info("case updated", extra={"case_id": case.pk, "user_id": actor.pk, "fields": changed})
    return case


@transaction.atomic
def case_client_invite(
    *, case: Case, actor: User, email: str, first_name: str, last_name: str
) -> Invitation:
    """Invite a new client to Counsel and make them the client of `case` (one history record
    of the case says who did it): a lawyer on the case, or an admin."""
    if not cases_visible_to(actor).filter(pk=case.pk).exists():
        raise NotFound("Case not found.")
    if not case_can_edit(actor, case):
        raise PermissionDenied("You may not change this case.")
    invitation = invitation_create(
        actor=actor,
        email=email,
        role=User.Role.CLIENT,
        first_name=first_name,
        last_name=last_name,
    )
    case_update(case=case, actor=actor, client=invitation.user)
    logger.info("client invited to case", extra={"case_id": case.pk, "user_id": invitation.user.pk})
    return invitation

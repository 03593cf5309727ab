"""The firm's people, as admins manage them in the app: the list (with columns other apps
add, such as AI spending, through `people_column_register`), role changes, deactivation,
reactivation and second-factor resets, each recorded as an AccountEvent.

An admin never changes their own role or deactivates themself: the firm keeps at least the
admin acting."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import and_
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django_otp import devices_for_user

from accounts.models import AccountEvent, Invitation, User
from accounts.services import user_sign_out_everywhere
from config.errors import PermissionDenied

logger = logging.getLogger(__name__)

ROLE_LABELS = dict(User.Role.choices)


@dataclass(frozen=True)
class PeopleColumn:
    """A column of the people list from an app above accounts: `annotate` adds a value to
    every row in the list's one query; `value` shows a row's."""

    title: str
    annotate: Callable[[QuerySet[User]], QuerySet[User]]
    value: Callable[[User], str]


_columns: list[PeopleColumn] = []


def people_column_register(column: PeopleColumn) -> None:
    if all(existing.title != column.title for existing in _columns):
        _columns.append(column)


def people_columns() -> list[PeopleColumn]:
    return list(_columns)


def people_list(*, search: str = "", role: str = "", status: str = "") -> QuerySet[User]:
    """Everyone, narrowed by search (every word in the username, name or e-mail), role and
    status ("active", "inactive", "invited": not yet accepted), with the columns' values."""
    people = User.objects.order_by("last_name", "first_name", "username")
    words = search.split()[:10]
    if words:
        people = people.filter(
            reduce(
                and_,
                (
                    Q(username__icontains=word)
                    | Q(first_name__icontains=word)
                    | Q(last_name__icontains=word)
                    | Q(email__icontains=word)
                    for word in words
                ),
            )
        )
    if role:
        people = people.filter(role=role)
    invited = Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    if status == "active":
        people = people.filter(is_active=True)
    elif status == "inactive":
        people = people.filter(is_active=False)
    elif status == "invited":
        people = people.filter(pk__in=invited.values("user"))
    for column in _columns:
        people = column.annotate(people)
    return people


def _require_admin_on_other(*, actor: User, user: User) -> None:
    if not actor.is_firm_admin:
        raise PermissionDenied("Only admins manage people.")
    if actor.pk == user.pk:
        raise ValidationError("You cannot do this to your own account; ask another admin.")


def _record(*, user: User, actor: User, kind: str, detail: str = "") -> None:
    AccountEvent.objects.create(user=user, actor=actor, kind=kind, detail=detail)
    logger.info("account changed", extra={"user_id": user.pk, "actor_id": actor.pk, "kind": kind})


@transaction.atomic
def user_role_change(*, actor: User, user: User, role: str) -> User:
    """A new role; staff tokens and sessions need a second factor, so a client made staff
    must enrol before going on (their sessions are not verified)."""
    _require_admin_on_other(actor=actor, user=user)
    if role not in ROLE_LABELS:
        raise ValidationError({"role": "Choose a role."})
    if role == user.role:
        return user
    before = user.role
    user.role = role
    user.is_staff = user.is_superuser = role == User.Role.ADMIN
    user.save(update_fields=["role", "is_staff", "is_superuser"])
    _record(
        user=user,
        actor=actor,
        kind=AccountEvent.Kind.ROLE_CHANGED,
        detail=f"{ROLE_LABELS[before]} → {ROLE_LABELS[role]}",
    )
    return user


@transaction.atomic
def user_deactivate(*, actor: User, user: User) -> User:
    """No more logins; every session and API token ends now (a pending invitation's link
    stops working too: accounts.invitations)."""
    _require_admin_on_other(actor=actor, user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    user_sign_out_everywhere(user=user)
    _record(user=user, actor=actor, kind=AccountEvent.Kind.DEACTIVATED)
    return user


@transaction.atomic
def user_reactivate(*, actor: User, user: User) -> User:
    """Logins again, with the same password and second factor; nothing from before revives."""
    _require_admin_on_other(actor=actor, user=user)
    user.is_active = True
    user.save(update_fields=["is_active"])
    _record(user=user, actor=actor, kind=AccountEvent.Kind.REACTIVATED)
    return user


@transaction.atomic
def user_second_factor_reset(*, actor: User, user: User) -> User:
    """Remove the authenticator and backup codes (a lost phone) and end every session and
    token: staff enrol a new authenticator at their next login, before anything else."""
    _require_admin_on_other(actor=actor, user=user)
    for device in devices_for_user(user, confirmed=None):
        device.delete()
    user_sign_out_everywhere(user=user)
    _record(user=user, actor=actor, kind=AccountEvent.Kind.SECOND_FACTOR_RESET)
    return user


def person_detail(*, user: User) -> dict[str, Any]:
    """What the person's page shows beside their fields."""
    return {
        "has_second_factor": any(devices_for_user(user, confirmed=True)),
        "events": user.account_events.select_related("actor")[:20],
        "invitation": user.invitations.select_related("invited_by").first(),
    }

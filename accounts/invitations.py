"""Invitations: an admin invites a lawyer, an admin or a client (a lawyer, a client to a case
they are on: cases.services.case_client_invite); the person follows the e-mailed link once,
before it expires, and chooses a password. Staff then enrol their authenticator, as any
staff without one must before anything else (accounts.decorators)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountEvent, Invitation, User
from accounts.services import user_create, user_password_set
from config.errors import DomainError, PermissionDenied
from notifications.mail import email_queue

logger = logging.getLogger(__name__)


class InvitationInvalid(DomainError):
    status_code = 410
    default_detail = "This invitation link is not valid."


# What a link that no longer works says, by the invitation's status.
LINK_GONE = {
    "accepted": "This invitation was already accepted. Log in with the password you chose, "
    "or reset it if you forgot it.",
    "revoked": "This invitation was withdrawn. Ask the firm for a new one.",
    "expired": "This invitation has expired. Ask the firm to send it again.",
    "inactive": "This account is not active. Ask the firm.",
}


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_can_invite(*, actor: User, role: str) -> bool:
    """Admins invite anyone; lawyers invite clients (to a case they are on)."""
    return actor.is_firm_admin or (actor.role == User.Role.LAWYER and role == User.Role.CLIENT)


def invitation_can_manage(*, actor: User, invitation: Invitation) -> bool:
    """Who may resend or revoke: any admin, and the lawyer who sent it."""
    return actor.is_firm_admin or invitation.invited_by_id == actor.pk


def _send(*, invitation: Invitation) -> None:
    """A new token and expiry for `invitation`, and the e-mail with its link."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation.token_hash = _token_hash(token)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=settings.INVITATION_DAYS)
    invitation.save()
    user = invitation.user
    inviter = invitation.invited_by
    email_queue(
        to=user.email,
        subject="You are invited to Counsel",
        template="accounts/email/invitation.txt",
        context={
            "user": user,
            "invited_by_name": (inviter.get_full_name() or inviter.username) if inviter else "",
            "role": {"admin": "an admin", "lawyer": "a lawyer"}.get(user.role, "a client"),
            "staff": user.is_staff_member,
            "expires_at": invitation.expires_at,
            "link": settings.SITE_URL + reverse("accounts:invitation", args=[token]),
        },
    )


@transaction.atomic
def invitation_create(
    *,
    actor: User,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
) -> Invitation:
    """A new account for `email` (its username), with no usable password, and the invitation
    e-mailed to it."""
    if not invitation_can_invite(actor=actor, role=role):
        raise PermissionDenied("You may not invite people with this role.")
    email = User.objects.normalize_email(email.strip()).lower()
    if User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists():
        raise ValidationError({"email": "Someone with this e-mail address has an account."})
    user = user_create(
        username=email,
        password=None,
        role=role,
        email=email,
        first_name=first_name,
        last_name=last_name,
    )
    invitation = Invitation(user=user, invited_by=actor)
    _send(invitation=invitation)
    AccountEvent.objects.create(user=user, actor=actor, kind=AccountEvent.Kind.INVITED)
    logger.info("invitation sent", extra={"user_id": user.pk, "role": role})
    return invitation


def _pending_to_manage(*, actor: User, invitation: Invitation) -> None:
    if not invitation_can_manage(actor=actor, invitation=invitation):
        raise PermissionDenied("You may not change this invitation.")
    if invitation.accepted_at or invitation.revoked_at:
        raise InvitationInvalid("This invitation was already accepted or revoked.")


@transaction.atomic
def invitation_resend(*, actor: User, invitation: Invitation) -> Invitation:
    """The invitation again, with a new link (the earlier one stops working) and expiry."""
    _pending_to_manage(actor=actor, invitation=invitation)
    _send(invitation=invitation)
    AccountEvent.objects.create(
        user=invitation.user, actor=actor, kind=AccountEvent.Kind.INVITATION_RESENT
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    _pending_to_manage(actor=actor, invitation=invitation)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    AccountEvent.objects.create(
        user=invitation.user, actor=actor, kind=AccountEvent.Kind.INVITATION_REVOKED
    )
    return invitation


def invitation_for_token(token: str) -> Invitation:
    """The pending invitation a link's token opens; InvitationInvalid, saying why, for any
    other (unknown, accepted, revoked, expired, or its account deactivated)."""
    invitation = (
        Invitation.objects.select_related("user").filter(token_hash=_token_hash(token)).first()
    )
    if invitation is None:
        raise InvitationInvalid(
            "This invitation link is not valid. It may have been replaced by a newer one: "
            "use the link of the latest e-mail."
        )
    status = invitation.status if invitation.user.is_active else "inactive"
    if status != "pending":
        raise InvitationInvalid(LINK_GONE[status])
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """Set the invited account's password (Django's validators; ValidationError with a
    `password` entry) and spend the invitation. The caller logs the person in, or not."""
    invitation = invitation_for_token(token)
    # Locked, so that two requests with the same link cannot both accept it.
    invitation = Invitation.objects.select_for_update().select_related("user").get(pk=invitation.pk)
    if invitation.accepted_at:
        raise InvitationInvalid(LINK_GONE["accepted"])
    user = invitation.user
    user_password_set(user=user, password=password)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    AccountEvent.objects.create(user=user, actor=user, kind=AccountEvent.Kind.INVITATION_ACCEPTED)
    logger.info("invitation accepted", extra={"user_id": user.pk})
    return user


def invitations_visible_to(user: User) -> QuerySet[Invitation]:
    """Every invitation for an admin; a lawyer's own."""
    invitations = Invitation.objects.select_related("user", "invited_by")
    return invitations if user.is_firm_admin else invitations.filter(invited_by=user)


def invitation_pending_to_manage(*, actor: User, user: User) -> Invitation | None:
    """`user`'s invitation not yet accepted nor revoked, if `actor` may resend or revoke it."""
    return (
        invitations_visible_to(actor)
        .filter(user=user, accepted_at__isnull=True, revoked_at__isnull=True)
        .first()
    )

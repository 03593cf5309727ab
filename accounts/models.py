from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac


class User(AbstractUser):
    class Role(models.TextChoices):
        CLIENT = "client", "Client"
        LAWYER = "lawyer", "Lawyer"
        ADMIN = "admin", "Admin"

    role = models.CharField(max_length=10, choices=Role.choices, default=Role.CLIENT)
    # Sessions and tokens begun before this second are refused: set when two-factor
    # authentication is turned on, so that whoever was already signed in must now pass it.
    signed_out_before = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["username"]

    @property
    def is_staff_member(self) -> bool:
        """Lawyers and admins: the people who must pass a second factor."""
        return self.role in (self.Role.LAWYER, self.Role.ADMIN)

    @property
    def is_firm_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    def signed_in_since(self, issued_at: float) -> bool:
        """Whether a session or token begun at `issued_at` (a Unix time) is still honoured."""
        return self.signed_out_before is None or issued_at >= self.signed_out_before.timestamp()

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django signs each session with an HMAC of the password hash, and drops the sessions
        # whose HMAC no longer matches: the moment that signed everyone out is signed in too.
        if self.signed_out_before is None:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "accounts.User.get_session_auth_hash"
        value = f"{self.password}|{self.signed_out_before.isoformat()}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class LoginFailure(models.Model):
    """A failed password or second-factor check of an account (any username typed, from any
    address), kept for the hour the per-account budget looks back on (accounts.lockout)."""

    username = models.CharField(max_length=255)  # as long as django-axes allows
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["username", "at"])]

    def __str__(self) -> str:
        return f"{self.username} at {self.at:%Y-%m-%d %H:%M:%S}"


class Invitation(models.Model):
    """An invitation to an account made for the person at once (role, name, address; no
    usable password), so that a case can name an invited client before they accept.

    Only the SHA-256 of the link's token is kept: a copy of the database opens no account.
    A resend makes a new token (the old link stops working) and a new expiry."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="invitations_sent"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"Invitation of {self.user}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class AccountEvent(models.Model):
    """What an admin (or the person themself) did to an account: the record of who invited,
    changed a role, deactivated, reactivated or reset a second factor, and when."""

    class Kind(models.TextChoices):
        INVITED = "invited", "Invited"
        INVITATION_RESENT = "invitation-resent", "Invitation sent again"
        INVITATION_REVOKED = "invitation-revoked", "Invitation revoked"
        INVITATION_ACCEPTED = "invitation-accepted", "Invitation accepted"
        ROLE_CHANGED = "role-changed", "Role changed"
        DEACTIVATED = "deactivated", "Deactivated"
        REACTIVATED = "reactivated", "Reactivated"
        SECOND_FACTOR_RESET = "second-factor-reset", "Second factor reset"
        PASSWORD_RESET = "password-reset", "Password reset by e-mail"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_events")
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="account_events_done"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    detail = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.user} at {self.at:%Y-%m-%d %H:%M}"

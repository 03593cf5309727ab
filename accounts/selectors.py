from __future__ import annotations

from dataclasses import dataclass

from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User


@dataclass(frozen=True)
class TwoFactorStatus:
    authenticator: TOTPDevice | None  # confirmed
    pending: TOTPDevice | None  # being set up, not yet confirmed
    backup_codes_left: int
    has_confirmed_device: bool


def two_factor_status(*, user: User) -> TwoFactorStatus:
    devices = TOTPDevice.objects.filter(user=user).order_by("-pk")
    return TwoFactorStatus(
        authenticator=devices.filter(confirmed=True).first(),
        pending=devices.filter(confirmed=False).first(),
        backup_codes_left=StaticToken.objects.filter(
            device__user=user, device__confirmed=True
        ).count(),
        has_confirmed_device=any(devices_for_user(user, confirmed=True)),
    )

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_otp.plugins.otp_static.models import StaticToken

from accounts.models import User
from accounts.services import backup_codes_generate, totp_device_create, user_create

pytestmark = pytest.mark.django_db


def test_user_create_makes_admins_django_superusers_and_others_not() -> None:
    admin = user_create(username="boss", password="x-long-pass-1", role=User.Role.ADMIN)
    lawyer = user_create(username="lee", password="x-long-pass-1", role=User.Role.LAWYER)

    assert (admin.is_staff, admin.is_superuser) == (True, True)
    assert (lawyer.is_staff, lawyer.is_superuser) == (False, False)
    assert lawyer.check_password("x-long-pass-1")


def test_user_create_validates_role_and_email() -> None:
    with pytest.raises(ValidationError) as excinfo:
        user_create(username="odd", password="x-long-pass-1", role="judge", email="not-an-email")

    assert set(excinfo.value.message_dict) == {"role", "email"}
    assert not User.objects.filter(username="odd").exists()


def test_totp_device_create_uses_a_given_key(lawyer: User) -> None:
    key = "3132333435363738393031323334353637383930"

    device = totp_device_create(user=lawyer, key=key, confirmed=False)

    assert device.bin_key == b"12345678901234567890"
    assert not device.confirmed


def test_totp_device_create_refuses_a_key_that_is_not_hex(lawyer: User) -> None:
    with pytest.raises(ValidationError):
        totp_device_create(user=lawyer, key="not hex")


def test_backup_codes_generate_replaces_the_previous_codes(lawyer: User) -> None:
    first = backup_codes_generate(user=lawyer)
    second = backup_codes_generate(user=lawyer, count=3)

    stored = set(StaticToken.objects.filter(device__user=lawyer).values_list("token", flat=True))
    assert len(first) == 10
    assert stored == set(second)

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

pytestmark = pytest.mark.django_db

STRONG = "a-long-unusual-passphrase-42"


def run(*args: str, **options: object) -> str:
    out = StringIO()
    call_command("create_user", *args, stdout=out, **options)
    return out.getvalue()


def test_creates_a_client_with_names_and_email_and_no_device() -> None:
    output = run(
        "ada",
        role="client",
        email="ada@example.com",
        first_name="Ada",
        last_name="Lovelace",
        password=STRONG,
    )

    user = User.objects.get(username="ada")
    assert (user.role, user.email, user.first_name, user.last_name) == (
        "client",
        "ada@example.com",
        "Ada",
        "Lovelace",
    )
    assert user.check_password(STRONG)
    assert not user.is_staff
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert "Created Client ada." in output


def test_creates_a_lawyer_with_an_authenticator_and_ten_backup_codes() -> None:
    output = run("lee", role="lawyer", password=STRONG)

    user = User.objects.get(username="lee")
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    codes = list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert device.config_url in output
    assert "otpauth://totp/" in output
    assert len(codes) == 10
    assert all(code in output for code in codes)


def test_an_admin_can_use_the_django_admin() -> None:
    run("root", role="admin", password=STRONG)

    user = User.objects.get(username="root")
    assert user.is_staff
    assert user.is_superuser


def test_password_comes_from_counsel_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUNSEL_PASSWORD", STRONG)

    run("env", role="client")

    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request=request, username="env", password=STRONG) is not None


def test_weak_password_is_refused_and_nothing_is_created() -> None:
    with pytest.raises(CommandError, match="too common"):
        run("weak", role="lawyer", password="password")

    assert not User.objects.filter(username="weak").exists()


def test_without_a_password_or_terminal_it_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COUNSEL_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", StringIO())

    with pytest.raises(CommandError, match="No password"):
        run("nopass", role="client")


def test_a_taken_username_is_an_error() -> None:
    run("dup", role="client", password=STRONG)

    with pytest.raises(CommandError, match="already exists"):
        run("dup", role="client", password=STRONG)


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(CommandError):
        run("x", "--role", "judge", "--password", STRONG)

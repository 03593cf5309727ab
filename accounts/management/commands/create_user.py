from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import User
from accounts.services import backup_codes_generate, totp_device_create, user_create


class Command(BaseCommand):
    help = (
        "Create a Counsel user. Lawyers and admins also get an authenticator device (its "
        "otpauth URL is printed) and 10 backup codes. The password comes from --password, "
        "else COUNSEL_PASSWORD, else a prompt."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=User.Role.values)
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--password", help="Visible in the process list; prefer the prompt.")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or os.environ.get("COUNSEL_PASSWORD") or self._prompt()
        candidate = User(
            username=options["username"],
            email=options["email"],
            first_name=options["first_name"],
            last_name=options["last_name"],
        )
        try:
            validate_password(password, user=candidate)
            with transaction.atomic():
                user = user_create(
                    username=options["username"],
                    password=password,
                    role=options["role"],
                    email=options["email"],
                    first_name=options["first_name"],
                    last_name=options["last_name"],
                )
                if user.is_staff_member:
                    device = totp_device_create(user=user)
                    codes = backup_codes_generate(user=user)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc

        self.stdout.write(self.style.SUCCESS(f"Created {user.get_role_display()} {user.username}."))
        if user.is_staff_member:
            self.stdout.write("Add this to an authenticator app (or make a QR code of it):")
            self.stdout.write(device.config_url)
            self.stdout.write("Backup codes (each works once):")
            for code in codes:
                self.stdout.write(f"  {code}")

    def _prompt(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError("No password: pass --password or set COUNSEL_PASSWORD.")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        return password

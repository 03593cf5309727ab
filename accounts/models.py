from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    class Role(models.TextChoices):
        CLIENT = "client", "Client"
        LAWYER = "lawyer", "Lawyer"
        ADMIN = "admin", "Admin"

    role = models.CharField(max_length=10, choices=Role.choices, default=Role.CLIENT)

    class Meta:
        ordering = ["username"]

    @property
    def is_staff_member(self) -> bool:
        """Lawyers and admins: the people who must pass a second factor."""
        return self.role in (self.Role.LAWYER, self.Role.ADMIN)

    @property
    def is_firm_admin(self) -> bool:
        return self.role == self.Role.ADMIN

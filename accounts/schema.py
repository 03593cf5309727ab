"""OpenAPI descriptions of Counsel's authentication classes (imported by AccountsConfig)."""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class VerifiedJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.VerifiedJWTAuthentication"


class VerifiedSessionScheme(SessionScheme):
    target_class = "accounts.authentication.VerifiedSessionAuthentication"

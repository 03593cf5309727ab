from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"
    default = True

    def ready(self) -> None:
        # Registers the OpenAPI descriptions of the authentication classes.
        from accounts import schema  # noqa: F401


# Subclassed through its module: a class imported by name would count as a second default config.
class CounselAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with Counsel's 2FA-guarded site as `admin.site`."""

    default = False
    default_site = "accounts.admin_site.CounselAdminSite"

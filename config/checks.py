"""Django's deploy checks for the security middleware, for the names Counsel installs them under.

Django looks for its own classes by name (security.W001, W002, W003); config.middleware
subclasses them so their hooks run on the event loop, and those three warnings are silenced in
settings in favour of these, which look for the subclasses and say the same.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

_REQUIRED = {
    "config.middleware.SecurityMiddleware": (
        "counsel.W001",
        "SecurityMiddleware is not in MIDDLEWARE: HSTS, nosniff, the referrer policy and the "
        "SSL redirect have no effect.",
    ),
    "config.middleware.XFrameOptionsMiddleware": (
        "counsel.W002",
        "XFrameOptionsMiddleware is not in MIDDLEWARE: pages are served without X-Frame-Options.",
    ),
    "config.middleware.CsrfViewMiddleware": (
        "counsel.W003",
        "CsrfViewMiddleware is not in MIDDLEWARE: forms have no CSRF protection.",
    ),
}


@register(Tags.security, deploy=True)
def security_middleware_installed(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [
        Warning(message, id=check_id)
        for path, (check_id, message) in _REQUIRED.items()
        if path not in settings.MIDDLEWARE
    ]


@register(Tags.compatibility, deploy=True)
def email_configured(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Production sends its e-mail (invitations, resets, notifications) somewhere real, with
    links to the site users reach (docs/notifications.md)."""
    warnings = []
    if settings.EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":
        warnings.append(
            Warning(
                "EMAIL_URL is not set: e-mails are printed to the worker's log, never sent.",
                id="counsel.W004",
            )
        )
    if settings.SITE_URL.startswith(("http://127.0.0.1", "http://localhost")):
        warnings.append(
            Warning(
                f"SITE_URL is {settings.SITE_URL}: the links in e-mails lead nowhere for "
                "their readers. Set it to the site's address.",
                id="counsel.W005",
            )
        )
    return warnings

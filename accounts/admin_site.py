from __future__ import annotations

from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.admin import OTPAdminSite


class CounselAdminSite(OTPAdminSite):
    """The Django admin, for firm admins whose session passed a second factor.

    It has no login form of its own: the accounts login page (with its OTP field and
    django-axes throttling) serves the admin too.
    """

    site_header = "Counsel administration"
    site_title = "Counsel admin"
    index_title = "Audit and administration"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def has_permission(self, request: HttpRequest) -> bool:
        # OTPAdminSite already demands is_active, is_staff and a verified session.
        return super().has_permission(request) and request.user.is_firm_admin

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index", current_app=self.name)
        user = request.user
        if self.has_permission(request):
            return redirect(next_url)
        if user.is_authenticated and user.is_staff_member and not user.is_verified():
            return redirect("accounts:security")
        if user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(next_url)

"""A URLconf for testing accounts.decorators through the real middleware stack."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from accounts.decorators import verified_login_required


@verified_login_required
def members_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("members only")


urlpatterns = [
    path("members/", members_only, name="members"),
    path("accounts/", include("accounts.urls")),
    path("api/auth/", include("accounts.api_urls")),
]

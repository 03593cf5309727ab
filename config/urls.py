from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import health, metrics, problems

handler400 = "config.api.bad_request"

urlpatterns = [
    # First: the AI endpoints are the busiest, and Django tries the patterns in order.
    path("api/ai/", include("consultations.api_urls")),
    path("api/ai/", include("drafting.api_urls")),
    path("", RedirectView.as_view(pattern_name="cases:list", permanent=False)),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("cases/", include("cases.urls")),
    path("assistant/", include("consultations.urls")),
    path("drafting/", include("drafting.urls")),
    path("notifications/", include("notifications.urls")),
    path("api/auth/", include("accounts.api_urls")),
    path("api/me/", include("notifications.api_urls")),
    path("api/", include("cases.api_urls")),
    path("api/admin/", include("consultations.admin_api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # What each problem `type` of the API's errors means (config.problems).
    path("api/problems/<slug:slug>", problems.problem_type_page, name="problem-type"),
    # The split view serves Swagger UI's start-up script as a file: no inline script, so the
    # page runs under the Content-Security-Policy.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
]

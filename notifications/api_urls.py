from __future__ import annotations

from django.urls import path

from notifications import apis

app_name = "notifications-api"

urlpatterns = [
    path("notifications", apis.NotificationPreferencesApi.as_view(), name="preferences"),
]

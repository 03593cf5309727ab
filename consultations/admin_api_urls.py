from __future__ import annotations

from django.urls import path

from consultations import admin_apis

app_name = "admin-api"

urlpatterns = [
    path("cache/stats", admin_apis.CacheStatsApi.as_view(), name="cache-stats"),
    path("cache/invalidate", admin_apis.CacheInvalidateApi.as_view(), name="cache-invalidate"),
]

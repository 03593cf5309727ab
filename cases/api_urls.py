from __future__ import annotations

from django.urls import path

from cases import apis

app_name = "cases-api"

urlpatterns = [
    path("", apis.CaseListCreateApi.as_view(), name="list"),
    path("<int:case_id>/", apis.CaseRetrieveUpdateApi.as_view(), name="detail"),
]

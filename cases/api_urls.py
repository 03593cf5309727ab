from __future__ import annotations

from django.urls import path

from cases import apis

app_name = "cases-api"

urlpatterns = [
    # No trailing slash, like every other path of the API.
    path("cases", apis.CaseListCreateApi.as_view(), name="list"),
    path("cases/<int:case_id>", apis.CaseRetrieveUpdateApi.as_view(), name="detail"),
]

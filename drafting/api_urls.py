from __future__ import annotations

from django.urls import path

from drafting import apis

app_name = "drafting-api"

urlpatterns = [
    path("generate-document", apis.DraftGenerateApi.as_view(), name="generate-document"),
    path("drafts/<int:draft_id>", apis.DraftStatusApi.as_view(), name="draft"),
    path("document-types", apis.DocumentTypeListApi.as_view(), name="document-types"),
]

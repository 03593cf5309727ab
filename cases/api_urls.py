from __future__ import annotations

from django.urls import path

from cases import apis, deadline_apis, document_apis

app_name = "cases-api"

urlpatterns = [
    # No trailing slash, like every other path of the API.
    path("cases", apis.CaseListCreateApi.as_view(), name="list"),
    path("cases/<int:case_id>", apis.CaseRetrieveUpdateApi.as_view(), name="detail"),
    path(
        "cases/<int:case_id>/documents",
        document_apis.CaseDocumentListUploadApi.as_view(),
        name="case-documents",
    ),
    path(
        "cases/<int:case_id>/deadlines",
        deadline_apis.CaseDeadlineListCreateApi.as_view(),
        name="case-deadlines",
    ),
    path(
        "deadlines/<int:deadline_id>",
        deadline_apis.DeadlineRetrieveUpdateDeleteApi.as_view(),
        name="deadline",
    ),
    path(
        "knowledge-base/documents",
        document_apis.KnowledgeBaseDocumentListUploadApi.as_view(),
        name="knowledge-base",
    ),
    path(
        "documents/<int:document_id>",
        document_apis.DocumentRetrieveDeleteApi.as_view(),
        name="document",
    ),
    path(
        "documents/<int:document_id>/download",
        document_apis.DocumentDownloadApi.as_view(),
        name="document-download",
    ),
]

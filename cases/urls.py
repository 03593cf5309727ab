from __future__ import annotations

from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_create, name="create"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/edit/", views.case_edit, name="edit"),
    path("<int:case_id>/invite-client/", views.case_client_invite, name="invite-client"),
    path("<int:case_id>/documents/", views.document_list, name="documents"),
    path("<int:case_id>/documents/upload", views.documents_upload, name="documents-upload"),
    path("<int:case_id>/deadlines/", views.deadline_list, name="deadlines"),
    path("<int:case_id>/deadlines/new", views.deadline_add, name="deadline-add"),
    path("deadlines/<int:deadline_id>/edit", views.deadline_edit, name="deadline-edit"),
    path("deadlines/<int:deadline_id>/complete", views.deadline_complete, name="deadline-complete"),
    path("deadlines/<int:deadline_id>/reopen", views.deadline_reopen, name="deadline-reopen"),
    path("deadlines/<int:deadline_id>/delete", views.deadline_delete, name="deadline-delete"),
    path("my-deadlines/", views.my_deadlines, name="my-deadlines"),
    path("knowledge-base/", views.knowledge_base, name="knowledge-base"),
    path("knowledge-base/upload", views.knowledge_base_upload, name="kb-upload"),
    path("documents/<int:document_id>/", views.document_detail, name="document"),
    path("documents/<int:document_id>/download", views.document_download, name="document-download"),
    path("documents/<int:document_id>/delete", views.document_delete, name="document-delete"),
]

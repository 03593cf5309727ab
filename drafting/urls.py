from __future__ import annotations

from django.urls import path

from drafting import views

app_name = "drafting"

urlpatterns = [
    path("", views.type_list, name="types"),
    path("new/<slug:type_id>/", views.draft_new, name="new"),
    path("new/<slug:type_id>/validate", views.field_validate, name="validate"),
    path("types/<slug:type_id>/template.csv", views.csv_template, name="csv-template"),
    path("drafts/", views.my_drafts, name="mine"),
    path("drafts/<int:draft_id>/", views.draft_detail, name="detail"),
    path("drafts/<int:draft_id>/status", views.draft_status, name="status"),
    path("drafts/<int:draft_id>/approve", views.draft_approve, name="approve"),
    path("drafts/<int:draft_id>/revise", views.draft_revise, name="revise"),
    path("drafts/<int:draft_id>/diff", views.draft_diff, name="diff"),
    path("drafts/<int:draft_id>/fix", views.batch_row_fix, name="fix"),
    path("cases/<int:case_id>/drafts", views.case_panel, name="case-panel"),
    path("batches/", views.batch_new, name="batch-new"),
    path("batches/<int:batch_id>/", views.batch_detail, name="batch"),
    path("batches/<int:batch_id>/progress", views.batch_progress, name="batch-progress"),
    path("batches/<int:batch_id>/retry", views.batch_retry, name="batch-retry"),
    path("batches/<int:batch_id>/drafts.zip", views.batch_zip, name="batch-zip"),
]

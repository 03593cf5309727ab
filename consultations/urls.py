from __future__ import annotations

from django.urls import path

from consultations import views

app_name = "consultations"

urlpatterns = [
    path("", views.chat, name="chat"),
    path("ask/", views.ask, name="ask"),
    path("cases/<int:case_id>/consultations", views.case_panel, name="case-panel"),
]

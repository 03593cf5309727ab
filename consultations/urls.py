from __future__ import annotations

from django.urls import path

from consultations import views

app_name = "consultations"

urlpatterns = [
    path("", views.chat, name="chat"),
    path("ask/", views.ask, name="ask"),
    path("ask/stream/", views.ask_stream, name="ask-stream"),
    path("stream/<str:token>/", views.stream, name="stream"),
    path("cases/<int:case_id>/consultations", views.case_panel, name="case-panel"),
]

from __future__ import annotations

from django.urls import path

from consultations import apis

app_name = "ai-api"

urlpatterns = [
    path("chat", apis.ChatApi.as_view(), name="chat"),
    path("analyze", apis.AnalyzeApi.as_view(), name="analyze"),
    path("consultations", apis.ConsultationListApi.as_view(), name="consultations"),
    path(
        "consultations/<int:consultation_id>",
        apis.ConsultationDetailApi.as_view(),
        name="consultation",
    ),
    path("conversations", apis.ConversationListApi.as_view(), name="conversations"),
    path(
        "conversations/<int:conversation_id>",
        apis.ConversationDetailApi.as_view(),
        name="conversation",
    ),
]

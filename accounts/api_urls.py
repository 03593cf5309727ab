from __future__ import annotations

from django.urls import path

from accounts import apis

app_name = "auth-api"

urlpatterns = [
    path("login", apis.TokenObtainApi.as_view(), name="login"),
    path("refresh", apis.TokenRefreshApi.as_view(), name="refresh"),
    path("logout", apis.TokenRevokeApi.as_view(), name="logout"),
    path("me", apis.UserMeApi.as_view(), name="me"),
    path("password-reset", apis.PasswordResetApi.as_view(), name="password-reset"),
    path(
        "password-reset/confirm",
        apis.PasswordResetConfirmApi.as_view(),
        name="password-reset-confirm",
    ),
    path("invitation/accept", apis.InvitationAcceptApi.as_view(), name="invitation-accept"),
]

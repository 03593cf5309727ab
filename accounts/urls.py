from __future__ import annotations

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_page, name="login"),
    path("logout/", views.logout_page, name="logout"),
    path("security/", views.security, name="security"),
    path("security/authenticator/", views.totp_enrol, name="totp-enrol"),
    path("security/authenticator/confirm/", views.totp_confirm, name="totp-confirm"),
    path("security/backup-codes/", views.backup_codes, name="backup-codes"),
]

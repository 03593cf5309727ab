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
    path("password_reset/", views.password_reset, name="password-reset"),
    path("password_reset/done/", views.password_reset_done, name="password-reset-done"),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirm.as_view(),
        name="password-reset-confirm",
    ),
    path("reset/done/", views.password_reset_complete_page, name="password-reset-complete"),
    path("invitation/<str:token>/", views.invitation_accept_page, name="invitation"),
    path("invitations/", views.invitations, name="invitations"),
    path("people/", views.people, name="people"),
    path("people/<int:user_id>/", views.person, name="person"),
]
# One view for an invitation's buttons, one for a person's, each button at its own address.
urlpatterns += [
    path(f"{prefix}/{action}/", view, {"action": action}, name=f"{name}-{action}")
    for prefix, view, name, actions in (
        (
            "invitations/<int:invitation_id>",
            views.invitation_action,
            "invitation",
            ("resend", "revoke"),
        ),
        (
            "people/<int:user_id>",
            views.person_action,
            "person",
            ("role", "deactivate", "reactivate", "second-factor-reset"),
        ),
    )
    for action in actions
]

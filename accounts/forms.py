from __future__ import annotations

from django import forms

from accounts.models import User


class LoginForm(forms.Form):
    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
    password = forms.CharField(strip=False, max_length=4096, widget=forms.PasswordInput)
    otp = forms.CharField(
        label="Code",
        required=False,
        max_length=16,
        help_text="Lawyers and admins: the code from your authenticator app, or a backup code.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


class OtpCodeForm(forms.Form):
    token = forms.CharField(
        label="Code from your app",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="E-mail address", max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=User.Role.choices, initial=User.Role.CLIENT)


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class PeopleFilterForm(forms.Form):
    search = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name, username, e-mail"}),
    )
    role = forms.ChoiceField(required=False, choices=[("", "Any role"), *User.Role.choices])
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Anyone"),
            ("active", "Active"),
            ("inactive", "Deactivated"),
            ("invited", "Invited, not yet joined"),
        ],
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=User.Role.choices)

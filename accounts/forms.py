from __future__ import annotations

from django import forms


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

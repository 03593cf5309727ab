from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import User
from cases.models import Case
from cases.selectors import cases_visible_to
from consultations.apis import MAX_MESSAGE_CHARS


class ChatForm(forms.Form):
    case = forms.ModelChoiceField(
        queryset=Case.objects.none(),
        required=False,
        empty_label="No case: a general question",
        help_text="Its parties' names become placeholders before the question leaves the firm.",
    )
    message = forms.CharField(
        label="Your question",
        max_length=MAX_MESSAGE_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    # The conversation the page is in; the next question continues it. Checked against the
    # user by the view (only their own can be continued).
    conversation = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A case the user may not see is simply not a valid choice: a field error, not a 404.
        self.fields["case"].queryset = cases_visible_to(user)

from __future__ import annotations

from django import forms

from notifications.models import Topic


class PreferencesForm(forms.Form):
    """One checkbox per topic: checked, its e-mails are sent."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for topic in Topic:
            self.fields[topic.value] = forms.BooleanField(label=topic.label, required=False)

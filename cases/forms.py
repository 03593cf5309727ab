from __future__ import annotations

from typing import Any

from django import forms

from accounts.forms import InvitationForm
from accounts.models import User
from cases.models import Case, Deadline
from cases.selectors import ORDERINGS


def _person_label(user: User) -> str:
    name = user.get_full_name()
    return f"{name} ({user.username})" if name else user.username


class CaseForm(forms.ModelForm):
    """Validates the case pages' input; saving goes through cases.services, never form.save()."""

    class Meta:
        model = Case
        fields = [
            "title",
            "practice_area",
            "status",
            "client",
            "lawyers",
            "description",
            "opposing_parties",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        client = self.fields["client"]
        client.queryset = User.objects.filter(role=User.Role.CLIENT)
        client.label_from_instance = _person_label
        lawyers = self.fields["lawyers"]
        lawyers.queryset = User.objects.filter(role=User.Role.LAWYER)
        lawyers.label_from_instance = _person_label
        lawyers.help_text = "Hold Ctrl (⌘ on a Mac) to choose more than one."


class CaseFilterForm(forms.Form):
    """The list's search and filters; the lawyer filter is for admins, who see every case."""

    search = forms.CharField(
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Title, reference, client, documents' text"}
        ),
    )
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Case.Status.choices])
    practice_area = forms.ChoiceField(
        required=False, choices=[("", "Any practice area"), *Case.PracticeArea.choices]
    )
    lawyer = forms.ModelChoiceField(
        required=False,
        queryset=User.objects.filter(role=User.Role.LAWYER),
        empty_label="Any lawyer",
    )
    ordering = forms.ChoiceField(required=False, choices=ORDERINGS, label="Sort by")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user.is_firm_admin:
            self.fields["lawyer"].label_from_instance = _person_label
        else:
            del self.fields["lawyer"]


class DeadlineForm(forms.ModelForm):
    """Validates the case page's deadline input; saving goes through cases.deadlines. The
    responsible lawyer is chosen among the case's lawyers."""

    class Meta:
        model = Deadline
        fields = ["due_date", "due_time", "kind", "responsible", "notes"]
        labels = {"due_date": "Due on", "due_time": "At", "responsible": "Responsible lawyer"}
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "due_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        responsible = self.fields["responsible"]
        responsible.queryset = case.lawyers.all()
        responsible.label_from_instance = _person_label


class ClientInvitationForm(InvitationForm):
    """Who to invite as the case's client: the role is always client."""

    role = None

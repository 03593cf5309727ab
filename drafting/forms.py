"""Forms of the drafting pages.

:class:`DocumentTypeForm` is generated from a document type's fields. Its Django fields only
choose the widgets and the browser's hints (``type=date``, ``min``, ``maxlength``); what is
valid is decided by :meth:`DocumentType.validate` alone, the same check the API runs, so a page
and the API can never disagree about an input.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from accounts.models import User
from cases.models import Case
from cases.selectors import cases_visible_to
from drafting.doctypes import NON_FIELD_ERRORS, DocumentType, Field

MAX_CSV_BYTES = 2 * 1024 * 1024
TONES = (
    ("neutral", "Neutral: the firm's usual style"),
    ("formal", "Formal"),
    ("plain English", "Plain English"),
)


def _form_field(field: Field) -> forms.Field:
    common: dict[str, Any] = {
        "label": field.label,
        "required": field.required,
        "help_text": field.help_text,
    }
    if field.type == "string":
        return forms.CharField(max_length=field.max_length, **common)
    if field.type == "text":
        widget = forms.Textarea(attrs={"rows": 4})
        return forms.CharField(max_length=field.max_length, widget=widget, **common)
    if field.type == "date":
        # ISO, whatever the locale: it is the only format a date input reads and shows.
        widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        return forms.DateField(widget=widget, **common)
    if field.type == "money":
        return forms.DecimalField(
            min_value=field.min_value, max_value=field.max_value, decimal_places=2, **common
        )
    if field.type == "integer":
        return forms.IntegerField(min_value=field.min_value, max_value=field.max_value, **common)
    if field.type == "email":
        return forms.EmailField(max_length=field.max_length, **common)
    labels = [(choice, choice[:1].upper() + choice[1:]) for choice in field.choices]
    return forms.ChoiceField(choices=[("", "Choose…"), *labels], **common)


class DocumentTypeForm(forms.Form):
    def __init__(self, *args: Any, document_type: DocumentType, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.document_type = document_type
        for field in document_type.fields:
            self.fields[field.name] = _form_field(field)

    def clean(self) -> dict[str, Any]:
        # The Django fields' own errors on the document's fields are dropped: they would say
        # the same things in other words. The raw values go to the document type instead.
        names = self.document_type.fields_by_name
        cleaned, errors = self.document_type.validate({name: self[name].data for name in names})
        for name in names:
            self._errors.pop(name, None)
        self.cleaned_data.update(cleaned)
        for name, messages in errors.items():
            self.add_error(None if name == NON_FIELD_ERRORS else name, messages)
        return self.cleaned_data

    @property
    def inputs(self) -> dict[str, Any]:
        """The document's inputs once the form is valid, blanks left out; the services
        validate them again, and take dates and amounts as they are."""
        names = self.document_type.fields_by_name
        return {k: v for k, v in self.cleaned_data.items() if k in names and v is not None}


class GenerateForm(DocumentTypeForm):
    """The document's fields plus how to draft it: the case it belongs to and the tone."""

    def __init__(self, *args: Any, document_type: DocumentType, user: User, **kwargs: Any) -> None:
        super().__init__(*args, document_type=document_type, **kwargs)
        self.fields["case"] = forms.ModelChoiceField(
            # A case the user may not see is no valid choice: a field error, never a leak.
            queryset=cases_visible_to(user),
            required=False,
            empty_label="No case",
            help_text="The parties' names are replaced by placeholders before the AI sees them.",
        )
        self.fields["tone"] = forms.ChoiceField(choices=TONES, initial="neutral")


class BatchUploadForm(forms.Form):
    document_type = forms.ChoiceField(label="Document type")
    case = forms.ModelChoiceField(
        queryset=Case.objects.none(),
        required=False,
        empty_label="No case",
        help_text="Every draft of the batch belongs to this case.",
    )
    csv_file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, one draft per row, the header naming the type's fields.",
    )

    def __init__(
        self, *args: Any, user: User, type_choices: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document_type"].choices = type_choices
        self.fields["case"].queryset = cases_visible_to(user)

    def clean_csv_file(self) -> UploadedFile:
        upload = self.cleaned_data["csv_file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(
                f"The file is too large: at most {MAX_CSV_BYTES // (1024 * 1024)} MB."
            )
        return upload

"""The staff pages of the assistant: the chat page and the consultations panel of a case.

They validate, authorize and call `consultations.services.chat_answer`; the scrubbing,
caching, provider call and recording all happen there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from accounts.decorators import verified_login_required
from accounts.models import User
from cases.models import Case
from cases.selectors import case_get_visible, cases_visible_to
from config.errors import NotFound
from consultations.apis import MAX_MESSAGE_CHARS, request_id_for
from consultations.llm.errors import LLMError
from consultations.models import Consultation
from consultations.ratelimit import RateLimited, rate_limit_request
from consultations.services import ChatResult, chat_answer

PANEL_SIZE = 20


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    user: User


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

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A case the user may not see is simply not a valid choice: a field error, not a 404.
        self.fields["case"].queryset = cases_visible_to(user)


@dataclass(frozen=True)
class Exchange:
    question: str
    case: Case | None
    result: ChatResult | None = None
    error: str = ""


def _require_staff(user: User) -> None:
    if not user.is_staff_member:
        raise PermissionDenied


@require_GET
@verified_login_required
def chat(request: HtmxHttpRequest) -> HttpResponse:
    _require_staff(request.user)
    form = ChatForm(user=request.user, initial={"case": request.GET.get("case")})
    return render(request, "consultations/chat.html", {"form": form})


@require_POST
@verified_login_required
def ask(request: HtmxHttpRequest) -> HttpResponse:
    _require_staff(request.user)
    form = ChatForm(request.POST, user=request.user)
    exchange = None
    if form.is_valid():
        question, case = form.cleaned_data["message"], form.cleaned_data["case"]
        try:
            rate_limit_request(scope="chat", request=request)
            result = chat_answer(
                user=request.user,
                message=question,
                case=case,
                request_id=request_id_for(request),
                endpoint=request.path,
            )
        except (LLMError, RateLimited) as error:
            # Answered 200 with the bound form, so htmx swaps it in and the question stays in
            # the textarea for another try; the failure is already recorded by the service.
            exchange = Exchange(question=question, case=case, error=error.detail)
        else:
            exchange = Exchange(question=question, case=case, result=result)
            form = ChatForm(user=request.user, initial={"case": case})
    template = "consultations/chat.html"
    if request.htmx:
        template += "#ask-response"
    return render(request, template, {"form": form, "exchange": exchange})


@require_GET
@verified_login_required
def case_panel(request: HtmxHttpRequest, case_id: int) -> HttpResponse:
    _require_staff(request.user)
    try:
        case = case_get_visible(user=request.user, case_id=case_id)
    except NotFound:
        raise Http404("Case not found.") from None
    consultations = Consultation.objects.filter(case=case).select_related("user")[:PANEL_SIZE]
    context = {"case": case, "consultations": consultations, "panel_size": PANEL_SIZE}
    return render(request, "consultations/case_panel.html", context)

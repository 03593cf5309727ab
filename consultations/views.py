"""The staff pages of the assistant: the chat page and the consultations panel of a case.

They validate, authorize and call `consultations.services.chat_answer`; the scrubbing,
caching, provider call and recording all happen there.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import verified_login_required
from accounts.http import HtmxHttpRequest
from accounts.models import User
from cases.models import Case
from cases.selectors import case_get_visible
from consultations.apis import request_id_for
from consultations.forms import ChatForm
from consultations.llm.errors import LLMError
from consultations.ratelimit import RateLimited, rate_limit_request
from consultations.selectors import consultations_of_case
from consultations.services import ChatResult, chat_answer

PANEL_SIZE = 20


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
    case = case_get_visible(user=request.user, case_id=case_id)
    consultations = consultations_of_case(case=case, limit=PANEL_SIZE)
    context = {"case": case, "consultations": consultations, "panel_size": PANEL_SIZE}
    return render(request, "consultations/case_panel.html", context)

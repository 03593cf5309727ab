"""The staff pages of the assistant: the chat page and the consultations panel of a case.

They validate, authorize and call `consultations.services.chat_answer`; the scrubbing,
caching, provider call and recording all happen there.

With JavaScript the page streams: `ask_stream` parks the question server-side and answers
with an exchange whose script (static/js/chat-stream.js) opens an EventSource on `stream`,
named by a one-time token. Without it the form posts to `ask` and the whole answer comes back.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import verified_login_required
from accounts.http import HtmxHttpRequest
from accounts.models import User
from cases.models import Case
from cases.selectors import case_get_visible
from config.dbpool import db
from consultations.apis import event_stream_response, request_id_for
from consultations.budgets import BudgetedCall, BudgetExceeded, budget_check
from consultations.forms import ChatForm
from consultations.llm.errors import LLMError
from consultations.models import Consultation, Conversation
from consultations.ratelimit import RateLimited, rate_limit_request
from consultations.selectors import consultations_of_case, conversation_get_owned
from consultations.services import (
    ChatResult,
    ParkedQuestion,
    PendingQuestion,
    chat_answer,
    chat_question_park,
    chat_question_take,
    chat_stream,
)

PANEL_SIZE = 20


@dataclass(frozen=True)
class Exchange:
    question: str
    case: Case | None
    result: ChatResult | None = None
    error: str = ""
    stream_url: str = ""  # the answer is still to come, from this event stream


def _require_staff(user: User) -> None:
    if not user.is_staff_member:
        raise PermissionDenied


def _page_conversation(user: User, form: ChatForm) -> Conversation | None:
    """The conversation the page is in (only the user's own), when the question stays on its
    case; a question about another case starts a new conversation."""
    conversation_id = form.cleaned_data["conversation"]
    if conversation_id is None:
        return None
    conversation = conversation_get_owned(user=user, conversation_id=conversation_id)
    case = form.cleaned_data["case"]
    return conversation if conversation.case_id == (case.pk if case else None) else None


@require_GET
@verified_login_required
def chat(request: HtmxHttpRequest) -> HttpResponse:
    _require_staff(request.user)
    form = ChatForm(user=request.user, initial={"case": request.GET.get("case")})
    return render(request, "consultations/chat.html", {"form": form})


@require_POST
@verified_login_required
async def ask(request: HtmxHttpRequest) -> HttpResponse:
    """The whole answer at once (without JavaScript): async, so that the wait on the model
    holds no thread; the form and the page are handled in a database thread."""
    _require_staff(request.user)
    form = ChatForm(request.POST, user=request.user)
    exchange = None
    if await db(form.is_valid):
        question, case = form.cleaned_data["message"], form.cleaned_data["case"]
        try:
            await rate_limit_request(scope="chat", request=request, user=request.user)
            result = await chat_answer(
                user=request.user,
                message=question,
                case=case,
                conversation=await db(_page_conversation, request.user, form),
                request_id=request_id_for(request),
                endpoint=request.path,
            )
        except (LLMError, RateLimited, BudgetExceeded) as error:
            # Answered 200 with the bound form, so htmx swaps it in and the question stays in
            # the textarea for another try; the failure is already recorded by the service.
            exchange = Exchange(question=question, case=case, error=error.detail)
        else:
            exchange = Exchange(question=question, case=case, result=result)
            initial = {"case": case, "conversation": result.conversation.pk}
            form = ChatForm(user=request.user, initial=initial)
    template = "consultations/chat.html"
    if request.htmx:
        template += "#ask-response"
    return await db(render, request, template, {"form": form, "exchange": exchange})


@require_POST
@verified_login_required
async def ask_stream(request: HtmxHttpRequest) -> HttpResponse:
    _require_staff(request.user)
    form = ChatForm(request.POST, user=request.user)
    partial = "consultations/chat.html#ask-response"
    if not await db(form.is_valid):
        return await db(render, request, partial, {"form": form})
    question, case = form.cleaned_data["message"], form.cleaned_data["case"]
    try:
        await rate_limit_request(scope="chat", request=request, user=request.user)
        # Checked again when the stream opens; here so the page can say why in words.
        call = BudgetedCall(
            kind=Consultation.Kind.CHAT, request_id=request_id_for(request), endpoint=request.path
        )
        await db(budget_check, user=request.user, call=call)
    except (RateLimited, BudgetExceeded) as error:
        exchange = Exchange(question=question, case=case, error=error.detail)
        return await db(render, request, partial, {"form": form, "exchange": exchange})
    parked = await db(_park, request.user, form)
    if parked is None:  # no cache to park it in: the whole answer now, as without JavaScript
        return await ask(request)
    url = reverse("consultations:stream", args=[parked.token])
    exchange = Exchange(question=question, case=case, stream_url=url)
    initial = {"case": case, "conversation": parked.conversation.pk}
    form = ChatForm(user=request.user, initial=initial)
    context = {"form": form, "exchange": exchange, "busy": LLMError.default_detail}
    return await db(render, request, partial, context)


def _park(user: User, form: ChatForm) -> ParkedQuestion | None:
    return chat_question_park(
        user=user,
        message=form.cleaned_data["message"],
        case=form.cleaned_data["case"],
        conversation=_page_conversation(user, form),
    )


@require_GET
@verified_login_required
async def stream(request: HtmxHttpRequest, token: str) -> StreamingHttpResponse:
    """The answer to a parked question, as server-sent events; async like the chat API's
    stream, so an open stream holds no thread (the decorator has found the user already)."""
    _require_staff(request.user)
    pending = await chat_question_take(user=request.user, token=token)
    if pending is None:
        # Taken already (EventSource reconnects after the end), expired, or not this user's.
        raise Http404
    case, conversation = await db(_parked_context, request.user, pending)
    answer = await chat_stream(
        user=request.user,
        message=pending.message,
        case=case,
        conversation=conversation,
        request_id=request_id_for(request),
        endpoint=request.path,
    )
    return event_stream_response(answer, {"X-Conversation-Id": str(answer.conversation.pk)})


def _parked_context(user: User, pending: PendingQuestion) -> tuple[Case | None, Conversation]:
    """The parked question's case and conversation, while the user may still use them."""
    case = None
    if pending.case_id is not None:
        case = case_get_visible(user=user, case_id=pending.case_id)
    return case, conversation_get_owned(user=user, conversation_id=pending.conversation_id)


@require_GET
@verified_login_required
def case_panel(request: HtmxHttpRequest, case_id: int) -> HttpResponse:
    _require_staff(request.user)
    case = case_get_visible(user=request.user, case_id=case_id)
    consultations = consultations_of_case(case=case, limit=PANEL_SIZE)
    context = {"case": case, "consultations": consultations, "panel_size": PANEL_SIZE}
    return render(request, "consultations/case_panel.html", context)

"""Chat: a question to the assistant, about a case or none, as the next turn of a conversation.

Its kind of the pipeline gathers the case's details and the conversation's earlier turns; the
staff page's stream parks its question here first (`chat_question_park`).
"""

from __future__ import annotations

import json
import logging
import math
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.core.cache import cache

from accounts.models import User
from cases.models import Case
from config.dbpool import db
from config.errors import DomainError
from consultations.llm.embeddings import QuestionVector, embedding_model, question_vector
from consultations.llm.pii import mask_secrets, placeholders_defused
from consultations.llm.prompts import render_prompt
from consultations.llm.store import shared_store
from consultations.models import Consultation, Conversation
from consultations.retrieval import sources_for
from consultations.services.citations import sources_offline_answer
from consultations.services.pipeline import AICall, Ask, call_prepare
from consultations.tools import tools_for_model

logger = logging.getLogger("counsel.ai")

_TITLE_WORDS = 8
_TITLE_CHARS = 120
# The most turns ever read back for the history; the token budget usually stops far sooner.
_HISTORY_TURNS_READ = 50


@dataclass(frozen=True)
class ChatResult:
    answer: str
    tokens_used: int
    cached: bool
    consultation: Consultation
    references: list[dict[str, Any]] = field(default_factory=list)
    conversation: Conversation | None = None

    @property
    def passages_cited(self) -> list[dict[str, Any]]:
        """The references to documents' passages, numbered as the answer cites them."""
        return [ref for ref in self.references if ref["type"] == "document"]


class ConversationCaseMismatch(DomainError):
    # The request is well formed; it conflicts with the conversation's own case.
    status_code = 409
    default_detail = "This conversation is about another case (or about none)."


def _conversation_new(*, user: User, case: Case | None, first_question: str) -> Conversation:
    """A conversation not saved yet: consultation_record stores it with its first turn."""
    # The title is shown in lists: secrets never, and only the first few words.
    words = mask_secrets(first_question).split()
    title = " ".join(words[:_TITLE_WORDS])
    if len(words) > _TITLE_WORDS or len(title) > _TITLE_CHARS:
        title = title[: _TITLE_CHARS - 1].rstrip() + "…"
    return Conversation(user=user, case=case, title=title or "Untitled")


def conversation_start(*, user: User, case: Case | None, first_question: str) -> Conversation:
    """A new conversation, saved now: for a caller that needs its id before the first turn."""
    conversation = _conversation_new(user=user, case=case, first_question=first_question)
    conversation.save()
    return conversation


def chat_prepare(
    *,
    user: User,
    message: str,
    case: Case | None,
    conversation: Conversation | None,
    locale: str,
    request_id: str,
    idempotency_key: str,
    endpoint: str,
    extra_context: Mapping[str, Any] | None = None,
    query_vector: QuestionVector | None = None,
) -> AICall:
    """The pipeline's first step for a chat question (in a database thread); shared by the
    answer and the stream. ConversationCaseMismatch when `case` is not the conversation's.
    `query_vector` is the question's embedding (`chat_question_vector`), for semantic search.

    `extra_context` is what the caller's app says about where the question was asked (the
    contract's `context` beyond caseId and conversationId): it reaches the model as a message
    of the user's before the question, so it passes the gate and is part of the cache key."""
    started = time.monotonic()
    if conversation is None:
        conversation = _conversation_new(user=user, case=case, first_question=message)
    elif case is not None and conversation.case_id != case.pk:
        raise ConversationCaseMismatch()
    else:
        case = conversation.case

    tools = tuple(tools_for_model()) if settings.LLM_TOOLS else ()

    def build() -> Ask:
        case_context = (
            {
                "title": case.title,
                "practice_area": case.get_practice_area_display(),
                "description": case.description,
                "client": case.client.get_full_name(),
                "opposing_parties": case.opposing_party_names(),
            }
            if case
            else None
        )
        sources = sources_for(
            user=user,
            case=case,
            question=message,
            limit=settings.RETRIEVAL_PASSAGES,
            query_vector=query_vector,
        )
        # What the model and the offline answer quote; the references quote the documents.
        quoted = [
            replace(s, title=placeholders_defused(s.title), text=placeholders_defused(s.text))
            for s in sources
        ]
        prompt = render_prompt(
            "chat",
            {
                "case": case_context,
                "locale": locale,
                "sources": [{"title": s.title, "page": s.page, "text": s.text} for s in quoted],
                "tools": bool(tools),
            },
        )
        messages = [
            {"role": "system", "content": prompt.text},
            *_history_messages(conversation=conversation),
            *_extra_context_messages(extra_context),
            {"role": "user", "content": message},
        ]
        return Ask(
            kind=Consultation.Kind.CHAT,
            prompt=prompt,
            messages=messages,
            params={"locale": locale},
            offline_answer=sources_offline_answer(quoted) if quoted else "",
            sources=tuple(sources),
            tools=tools,
        )

    return call_prepare(
        user=user,
        case=case,
        build=build,
        request_id=request_id,
        idempotency_key=idempotency_key,
        endpoint=endpoint,
        conversation=conversation,
        question=message,
        started=started,
    )


def _history_messages(*, conversation: Conversation) -> list[dict[str, str]]:
    """The conversation's earlier answered turns as user/assistant messages, newest kept first
    within LLM_HISTORY_TOKEN_BUDGET (estimated at four characters a token); older turns are
    left out, and a system note says how many.

    They are the stored texts, the user's, identities and all: the pipeline's gate scrubs them
    with this request's scrubber, so a name has the same placeholder in the history as in the
    new question. A conversation not saved yet has none.
    """
    if conversation.pk is None:
        return []
    answered = conversation.turns.filter(outcome=Consultation.Outcome.OK).exclude(question="")
    turns = list(answered.order_by("-created_at", "-id")[:_HISTORY_TURNS_READ])
    budget = settings.LLM_HISTORY_TOKEN_BUDGET
    kept: list[Consultation] = []
    for turn in turns:
        budget -= math.ceil((len(turn.question) + len(turn.answer)) / 4)
        if budget < 0:
            break
        kept.append(turn)
    # Counted only when there may be more turns than were read.
    total = len(turns) if len(turns) < _HISTORY_TURNS_READ else answered.count()
    omitted = total - len(kept)
    history: list[dict[str, str]] = []
    if omitted:
        history.append(
            {
                "role": "system",
                "content": f"{omitted} earlier turn{'s' if omitted != 1 else ''} of this "
                "conversation omitted.",
            }
        )
    for turn in reversed(kept):
        history += [
            {"role": "user", "content": turn.question},
            {"role": "assistant", "content": turn.answer},
        ]
    return history


def _extra_context_messages(extra_context: Mapping[str, Any] | None) -> list[dict[str, str]]:
    if not extra_context:
        return []
    # Sorted keys: the same context is the same message, and so the same cache key.
    context = json.dumps(extra_context, ensure_ascii=False, sort_keys=True)
    return [{"role": "user", "content": f"Context from the app I am asking in: {context}"}]


def chat_result(
    call: AICall,
    *,
    answer: str,
    consultation: Consultation,
    hit: bool,
    cited: list[dict[str, Any]],
) -> ChatResult:
    """The answer as the caller gets it: its references are the case, then the passages it
    cited (`cited`)."""
    return ChatResult(
        answer=answer,
        tokens_used=consultation.tokens_used,
        cached=hit,
        consultation=consultation,
        references=[*_case_references(call.case), *cited],
        conversation=call.conversation,
    )


async def chat_answer(
    *,
    user: User,
    message: str,
    case: Case | None = None,
    conversation: Conversation | None = None,
    locale: str = "en",
    request_id: str,
    idempotency_key: str = "",
    endpoint: str = "",
    extra_context: Mapping[str, Any] | None = None,
) -> ChatResult:
    """The assistant's answer to `message`, about `case` when given (the caller has already
    checked that the user may see it), as the next turn of `conversation` (the caller's own;
    a new one when None, ConversationCaseMismatch when `case` is not its case)."""
    call = await db(
        chat_prepare,
        user=user,
        message=message,
        case=case,
        conversation=conversation,
        locale=locale,
        request_id=request_id,
        idempotency_key=idempotency_key,
        endpoint=endpoint,
        extra_context=extra_context,
        query_vector=await chat_question_vector(
            user=user, message=message, case=case, conversation=conversation
        ),
    )
    answered = await call.run()
    return chat_result(
        call,
        answer=answered.result,
        consultation=answered.consultation,
        hit=answered.hit,
        cited=answered.references,
    )


async def chat_question_vector(
    *, user: User, message: str, case: Case | None, conversation: Conversation | None
) -> QuestionVector | None:
    """The question's embedding for semantic retrieval, awaited before the database step (the
    provider's latency costs no thread); None without an embeddings model, or when the provider
    failed (lexical search only). Scrubbed with the names the pipeline's gate knows."""
    if not embedding_model():
        return None
    names = await db(_known_names, user=user, case=case, conversation=conversation)
    return await question_vector(question=message, known_names=names)


def _known_names(*, user: User, case: Case | None, conversation: Conversation | None) -> list[str]:
    if case is None and conversation is not None:
        case = conversation.case
    return [user.get_full_name(), *(case.party_names() if case else ())]


def _case_references(case: Case | None) -> list[dict[str, Any]]:
    # Only what the caller was already allowed to open: the case they linked themselves.
    if case is None:
        return []
    return [{"type": "case", "id": case.pk, "reference": case.reference, "title": case.title}]


# --- The staff page's question, parked for its stream -----------------------------------------


@dataclass(frozen=True)
class PendingQuestion:
    message: str
    case_id: int | None
    conversation_id: int


@dataclass(frozen=True)
class ParkedQuestion:
    token: str
    conversation: Conversation


# Long enough for the page to open the stream; short, since the question waits in the cache.
_PENDING_TTL = 120


def chat_question_park(
    *, user: User, message: str, case: Case | None, conversation: Conversation | None
) -> ParkedQuestion | None:
    """Keep a question for the stream the staff page opens next, as the next turn of
    `conversation` (started now when None, so the page can continue it); the token names it
    in the stream's URL, never the question itself. None when the cache is down.

    Secrets are masked before it is kept: the model would only ever see them masked."""
    started = conversation is None
    if conversation is None:
        conversation = conversation_start(user=user, case=case, first_question=message)
    token = uuid.uuid4().hex
    pending = {
        "user_id": user.pk,
        "message": mask_secrets(message),
        "case_id": case and case.pk,
        "conversation_id": conversation.pk,
    }
    try:
        cache.set(f"chat-pending:{token}", pending, _PENDING_TTL)
    except Exception:
        # Broad on purpose: django-redis reports an outage as a bare Exception.
        logger.warning("pending question not kept, answering without a stream", exc_info=True)
        if started:
            conversation.delete()  # still empty: the answer without a stream starts its own
        return None
    return ParkedQuestion(token=token, conversation=conversation)


async def chat_question_take(*, user: User, token: str) -> PendingQuestion | None:
    """The question parked under `token` by this user, at most once; None otherwise."""
    key = f"chat-pending:{token}"
    store = shared_store()
    try:
        pending = await store.get(key)
        # Only its owner spends it; of two tabs racing for it, the one whose delete removed
        # it takes it.
        if not pending or pending["user_id"] != user.pk or not await store.delete(key):
            return None
    except Exception:
        # Broad on purpose: redis-py's and django-redis's outages share no base class.
        logger.warning("pending question unavailable", exc_info=True)
        return None
    return PendingQuestion(
        message=pending["message"],
        case_id=pending["case_id"],
        conversation_id=pending["conversation_id"],
    )

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from cases.models import Case
from cases.selectors import cases_visible_to
from config.errors import NotFound
from consultations.models import Consultation, Conversation


def consultations_of(user: User) -> QuerySet[Consultation]:
    """A user's own consultations, newest first: what the API lists for its caller."""
    return Consultation.objects.filter(user=user).select_related("case")


def consultation_answered_for_key(*, user: User, idempotency_key: str) -> Consultation | None:
    """The successful consultation a user's Idempotency-Key already produced, if any.

    Failed calls are not replayed: the client was told to try again, so a retry with the same
    key must actually run again.
    """
    return (
        Consultation.objects.filter(
            user=user,
            idempotency_key=idempotency_key,
            outcome=Consultation.Outcome.OK,
            response_body__isnull=False,
        )
        .order_by("created_at", "id")
        .first()
    )


def consultations_of_case(*, case: Case, limit: int) -> QuerySet[Consultation]:
    """The case's most recent consultations, with who asked, for the case page."""
    return Consultation.objects.filter(case=case).select_related("user")[:limit]


def conversations_visible_to(user: User) -> QuerySet[Conversation]:
    """A user's own conversations and, for staff, the conversations on the cases they may see
    (the case's history is part of the case); most recently active first."""
    conversations = Conversation.objects.select_related("case")
    if user.is_staff_member:
        return conversations.filter(Q(user=user) | Q(case__in=cases_visible_to(user)))
    return conversations.filter(user=user)


def conversation_get_visible(*, user: User, conversation_id: int) -> Conversation:
    """A conversation the user may read, or NotFound: another's does not exist for them."""
    try:
        return conversations_visible_to(user).get(pk=conversation_id)
    except Conversation.DoesNotExist:
        raise NotFound("Conversation not found.") from None


def conversation_get_owned(*, user: User, conversation_id: int) -> Conversation:
    """A conversation the user may continue: only their own (staff read others', never
    write in them), else NotFound."""
    try:
        return Conversation.objects.select_related("case").get(pk=conversation_id, user=user)
    except Conversation.DoesNotExist:
        raise NotFound("Conversation not found.") from None


def conversation_turns(conversation: Conversation) -> QuerySet[Consultation]:
    """A conversation's turns, oldest first, failed ones included, as its page reads them."""
    return conversation.turns.order_by("created_at", "id")

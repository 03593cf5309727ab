from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from cases.models import Case
from cases.selectors import on_visible_cases
from config.errors import NotFound
from consultations.models import Consultation, Conversation


def consultations_visible_to(user: User) -> QuerySet[Consultation]:
    """The exchanges a user may open, newest first: an admin every one (as in the audit);
    anyone else by the case's membership as it is now (`on_visible_cases`): their own on no
    case, and on a case their own, or for staff every one, while they may see the case."""
    consultations = Consultation.objects.select_related("case", "user")
    if user.is_firm_admin:
        return consultations
    return consultations.filter(on_visible_cases(user, owner="user"))


def consultation_get_visible(*, user: User, consultation_id: int) -> Consultation:
    """An exchange the user may open, or NotFound: another's does not exist for them."""
    try:
        return consultations_visible_to(user).get(pk=consultation_id)
    except Consultation.DoesNotExist:
        raise NotFound("Consultation not found.") from None


def consultations_of(user: User) -> QuerySet[Consultation]:
    """A user's own consultations that they may still see, newest first: what the API lists
    for its caller."""
    return consultations_visible_to(user).filter(user=user)


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
    (the case's history is part of the case), by the case's membership as it is now
    (`on_visible_cases`); most recently active first."""
    return Conversation.objects.filter(on_visible_cases(user, owner="user")).select_related("case")


def conversation_get_visible(*, user: User, conversation_id: int) -> Conversation:
    """A conversation the user may read, or NotFound: another's does not exist for them."""
    try:
        return conversations_visible_to(user).get(pk=conversation_id)
    except Conversation.DoesNotExist:
        raise NotFound("Conversation not found.") from None


def conversation_get_owned(*, user: User, conversation_id: int) -> Conversation:
    """A conversation the user may continue: only their own (staff read others', never
    write in them), and on a case only while they may see it; else NotFound."""
    try:
        return conversations_visible_to(user).get(pk=conversation_id, user=user)
    except Conversation.DoesNotExist:
        raise NotFound("Conversation not found.") from None


def conversation_turns(conversation: Conversation) -> QuerySet[Consultation]:
    """A conversation's turns, oldest first, failed ones included, as its page reads them."""
    return conversation.turns.order_by("created_at", "id")

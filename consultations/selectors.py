from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from cases.models import Case
from consultations.models import Consultation


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

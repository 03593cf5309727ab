from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from cases.selectors import cases_visible_to
from config.errors import NotFound
from drafting.models import Draft


def drafts_visible_to(user: User) -> QuerySet[Draft]:
    """The drafts a user may read: their own, and for staff, every draft on a case they may
    see (a client never sees a draft a lawyer wrote on their case before it is sent)."""
    visible = Q(author=user)
    if user.is_staff_member:
        visible |= Q(case__in=cases_visible_to(user).values("pk"))
    return Draft.objects.filter(visible).select_related("author", "case")


def draft_get_visible(*, user: User, draft_id: int) -> Draft:
    """A draft the user may read, or NotFound: another user's draft does not exist for them."""
    try:
        return drafts_visible_to(user).get(pk=draft_id)
    except Draft.DoesNotExist:
        raise NotFound("Draft not found.") from None

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from cases.models import Case
from cases.selectors import cases_visible_to, on_visible_cases
from config.errors import NotFound
from drafting.models import Draft


def drafts_visible_to(user: User) -> QuerySet[Draft]:
    """The drafts a user may read, by the case's membership as it is now: staff read every
    draft on a case they may see, and their own drafts on no case; a client reads only the
    drafts they asked for (never one a lawyer wrote on their case before it is sent), and
    those on a case only while it is theirs."""
    return Draft.objects.filter(on_visible_cases(user, owner="author")).select_related(
        "author", "case"
    )


def draft_get_visible(*, user: User, draft_id: int) -> Draft:
    """A draft the user may read, or NotFound: another user's draft does not exist for them."""
    try:
        return drafts_visible_to(user).get(pk=draft_id)
    except Draft.DoesNotExist:
        raise NotFound("Draft not found.") from None


def draft_case_allowed(*, user: User, case: Case | None) -> bool:
    """Who may ask for a draft on which case, the one rule of the drafting pages, the API and
    the worker that drafts it: every user (clients too) on no case, for themselves, and on a
    case only while they may see it (a client: one of their own cases)."""
    return case is None or cases_visible_to(user).filter(pk=case.pk).exists()

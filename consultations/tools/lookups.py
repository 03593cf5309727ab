"""What each tool reads, with the caller's permissions only (cases.selectors): plain data
for its JSON result. Nothing here writes.

A tool's `case` is the case the call resolved (`consultations.tools.calls`) from its
arguments or the conversation, one the caller may see; None when it named none.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import User
from cases.models import Case, Deadline
from cases.selectors import (
    UPCOMING_DAYS,
    deadlines_of_case,
    deadlines_upcoming,
    deadlines_visible_to,
)
from consultations.llm.pii import placeholders_defused
from consultations.retrieval import sources_for

# The most deadlines one result lists (soonest first); it says how many more there are.
MAX_DEADLINES = 50
DEFAULT_PASSAGES = 5
# Characters of a free text (a case's description, a deadline's notes) a result carries: a
# result goes into the model's prompt, and fifty deadlines of long notes would fill it.
MAX_DESCRIPTION = 4_000
MAX_NOTES = 500


class ToolError(Exception):
    """A call the tool cannot answer: its `code` is recorded, its message goes to the caller."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def case_lookup(*, user: User, case: Case | None, arguments: dict[str, Any]) -> dict[str, Any]:
    case = _required(case)
    return {
        "reference": case.reference,
        "title": case.title,
        "status": case.get_status_display(),
        "practice_area": case.get_practice_area_display(),
        "client": case.client.get_full_name() or case.client.username,
        "opposing_parties": case.opposing_party_names(),
        "lawyers": [lawyer.get_full_name() or lawyer.username for lawyer in case.lawyers.all()],
        "description": _clipped(case.description, MAX_DESCRIPTION),
        "opened": case.created_at.date().isoformat(),
    }


def deadlines_list(*, user: User, case: Case | None, arguments: dict[str, Any]) -> dict[str, Any]:
    days = arguments.get("days", UPCOMING_DAYS)
    today = timezone.localdate()
    horizon = today + timedelta(days=days)
    if case is not None:
        deadlines = deadlines_of_case(user=user, case=case).filter(
            completed_at__isnull=True, due_date__lte=horizon
        )
    elif user.is_staff_member:
        deadlines = deadlines_upcoming(user=user, days=days).select_related("responsible")
    else:
        deadlines = deadlines_visible_to(user).filter(
            completed_at__isnull=True, due_date__lte=horizon
        )
    deadlines = deadlines.select_related("case", "responsible")
    listed = list(deadlines[: MAX_DEADLINES + 1])
    result: dict[str, Any] = {
        "case": case.reference if case else None,
        "today": today.isoformat(),
        "through": horizon.isoformat(),
        "deadlines": [_deadline(deadline) for deadline in listed[:MAX_DEADLINES]],
    }
    if len(listed) > MAX_DEADLINES:
        result["more"] = deadlines.count() - MAX_DEADLINES
    return result


def _deadline(deadline: Deadline) -> dict[str, Any]:
    return {
        "case": deadline.case.reference,
        "case_title": deadline.case.title,
        # The code, not its label: a lone capitalised word ("Filing") reads as a name to the
        # scrubber of people nobody listed.
        "kind": deadline.kind,
        "due_date": deadline.due_date.isoformat(),
        "due_time": deadline.due_time.strftime("%H:%M") if deadline.due_time else None,
        "overdue": deadline.is_overdue,
        "responsible": deadline.responsible.get_full_name() or deadline.responsible.username,
        "notes": _clipped(deadline.notes, MAX_NOTES),
    }


def documents_search(*, user: User, case: Case | None, arguments: dict[str, Any]) -> dict[str, Any]:
    # The knowledge base is searched for staff only (documents_to_consult): a client's search
    # reads their case's documents, and without a case, nothing.
    sources = sources_for(
        user=user,
        case=case,
        question=arguments["query"],
        limit=arguments.get("limit", DEFAULT_PASSAGES),
    )
    return {
        "case": case.reference if case else None,
        "passages": [
            {
                # Quoted text: a placeholder written in a document names nobody.
                "document": placeholders_defused(source.title),
                "page": source.page,
                "text": placeholders_defused(source.text),
            }
            for source in sources
        ],
    }


def _clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _required(case: Case | None) -> Case:
    if case is None:
        raise ToolError("invalid_arguments", "Say which case: its reference, such as CN-2026-0001.")
    return case

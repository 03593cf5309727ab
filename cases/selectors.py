from __future__ import annotations

from datetime import timedelta
from functools import reduce
from operator import and_

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from cases.models import Case, Deadline, Document, Passage
from cases.search import passages_matching
from config.errors import NotFound

# How many of the best passages the case list's search looks at: their cases join the cases
# whose own fields match. Bounded, so a common word costs the same as a rare one.
CASE_SEARCH_PASSAGES = 200
# "My deadlines": the open deadlines due within this many days from today (and overdue ones).
UPCOMING_DAYS = 14
# How the cases list may be ordered: most recently changed first, or soonest deadline first.
ORDER_UPDATED = "updated"
ORDER_NEXT_DEADLINE = "next-deadline"
ORDERINGS = ((ORDER_UPDATED, "Recently changed"), (ORDER_NEXT_DEADLINE, "Next deadline"))


def cases_visible_to(user: User) -> QuerySet[Case]:
    """The one access rule for cases: a client sees their own, a lawyer the cases assigned to
    them, an admin all of them. Everything that reads cases starts here."""
    cases = Case.objects.select_related("client")
    if user.role == User.Role.ADMIN:
        return cases
    if user.role == User.Role.LAWYER:
        return cases.filter(lawyers=user)
    return cases.filter(client=user)


def on_visible_cases(user: User, *, owner: str) -> Q:
    """The one access rule for what hangs off a case (drafts, batches, conversations,
    consultations), as a filter on their `case` and their `owner` field.

    A record on a case follows the case's membership as it is now (`cases_visible_to`): staff
    who may see the case see every record on it, anyone else only their own, and only while
    the case is still theirs; a lawyer taken off a case loses its records, their own too. A
    record on no case is its owner's alone.
    """
    own = Q(**{owner: user})
    on_visible_case = Q(case__in=cases_visible_to(user).values("pk"))
    if user.is_staff_member:
        return (own & Q(case__isnull=True)) | on_visible_case
    return own & (Q(case__isnull=True) | on_visible_case)


def case_get_visible(*, user: User, case_id: int) -> Case:
    """A case the user may see, or NotFound: another user's case does not exist for them."""
    try:
        return cases_visible_to(user).prefetch_related("lawyers").get(pk=case_id)
    except Case.DoesNotExist:
        raise NotFound("Case not found.") from None


def case_list(
    *,
    user: User,
    search: str = "",
    status: str = "",
    practice_area: str = "",
    lawyer: User | None = None,
    ordering: str = ORDER_UPDATED,
) -> QuerySet[Case]:
    """The cases a user may see, narrowed by the list's search and filters, with everything a
    row shows loaded up front so a page costs the same few queries however long it is.

    Every word of `search` must appear in the title, reference, description or client's name,
    so "jane lease" finds Jane Doe's lease case; a case is found too when the text of one of
    its documents the user may see matches `search` (`cases.search`: two queries more,
    however many cases or documents there are).

    Each case carries its next open deadline (`cases_with_next_deadline`); ordered by it,
    the cases with none come last.
    """
    cases = cases_with_next_deadline(cases_visible_to(user).prefetch_related("lawyers"))
    words = search.split()
    if words:
        on_fields = reduce(
            and_,
            (
                Q(title__icontains=word)
                | Q(reference__icontains=word)
                | Q(description__icontains=word)
                | Q(client__first_name__icontains=word)
                | Q(client__last_name__icontains=word)
                for word in words
            ),
        )
        cases = cases.filter(on_fields | Q(pk__in=_cases_with_passages_matching(user, search)))
    if status:
        cases = cases.filter(status=status)
    if practice_area:
        cases = cases.filter(practice_area=practice_area)
    if lawyer is not None:
        cases = cases.filter(lawyers=lawyer)
    if ordering == ORDER_NEXT_DEADLINE:
        cases = cases.order_by(
            F("next_deadline_date").asc(nulls_last=True),
            F("next_deadline_time").asc(nulls_last=True),
            "-updated_at",
            "-id",
        )
    return cases


def cases_with_next_deadline(cases: QuerySet[Case]) -> QuerySet[Case]:
    """`cases` each annotated with its first open deadline's date, time and kind (None when it
    has none), in the same query: what `Case.next_deadline` reads."""
    first_open = Deadline.objects.filter(case=OuterRef("pk"), completed_at__isnull=True)[:1]
    return cases.annotate(
        next_deadline_date=Subquery(first_open.values("due_date")),
        next_deadline_time=Subquery(first_open.values("due_time")),
        next_deadline_kind=Subquery(first_open.values("kind")),
    )


def case_can_create(user: User) -> bool:
    """Staff open cases; clients never do."""
    return user.is_staff_member


def case_can_edit(user: User, case: Case) -> bool:
    """An admin may change any case, a lawyer only the cases assigned to them, a client none."""
    if user.role == User.Role.ADMIN:
        return True
    if user.role == User.Role.LAWYER:
        # Reads the prefetched lawyers when the caller loaded them (detail, lists).
        return any(lawyer.pk == user.pk for lawyer in case.lawyers.all())
    return False


def documents_visible_to(user: User) -> QuerySet[Document]:
    """The one access rule for documents: a case's documents follow the case
    (`cases_visible_to`); the firm's knowledge base is for staff only, never for clients."""
    on_visible_case = Q(case__in=cases_visible_to(user).values("pk"))
    if user.is_staff_member:
        return Document.objects.filter(on_visible_case | Q(case__isnull=True))
    return Document.objects.filter(on_visible_case)


def document_get_visible(*, user: User, document_id: int) -> Document:
    """A document the user may see, or NotFound: another case's document does not exist for
    them."""
    try:
        return documents_visible_to(user).select_related("case").get(pk=document_id)
    except Document.DoesNotExist:
        raise NotFound("Document not found.") from None


def document_can_change(user: User, document: Document) -> bool:
    """Staff who may change the case may upload to it and delete its documents; only admins
    keep the knowledge base."""
    if document.case is None:
        return user.role == User.Role.ADMIN
    return case_can_edit(user, document.case)


def documents_listed(*, user: User, case: Case | None) -> QuerySet[Document]:
    """The documents of `case` (None: the knowledge base) that `user` may see, newest first,
    with their uploader, as the document tables show them."""
    scope = Q(case=case) if case is not None else Q(case__isnull=True)
    return documents_visible_to(user).filter(scope).select_related("uploaded_by")


def passages_found(*, user: User, case: Case, query: str, limit: int) -> list[Passage]:
    """The passages of `case`'s ready documents that best match `query`, best first, each
    with its document loaded (the case page's search of its documents)."""
    documents = documents_listed(user=user, case=case).filter(status=Document.Status.READY)
    ranked = passages_matching(
        query, document_ids=documents.values_list("pk", flat=True), limit=limit
    )
    passages = Passage.objects.select_related("document").in_bulk([pk for pk, _ in ranked])
    return [passages[pk] for pk, _ in ranked if pk in passages]


def _cases_with_passages_matching(user: User, search: str) -> QuerySet[Document]:
    """The case ids of the case documents `user` may see whose best passages match `search`."""
    documents = documents_visible_to(user).filter(case__isnull=False, status=Document.Status.READY)
    ranked = passages_matching(
        search, document_ids=documents.values_list("pk", flat=True), limit=CASE_SEARCH_PASSAGES
    )
    return Document.objects.filter(passages__in=[pk for pk, _ in ranked]).values("case_id")


def documents_to_consult(*, user: User, case: Case | None) -> QuerySet[Document]:
    """The ready documents an answer for `user` may draw on: `case`'s (the caller has checked
    that the user may see it) and, for staff, the knowledge base."""
    scope = Q(case=case) if case is not None else Q(pk__in=[])
    if user.is_staff_member:
        scope |= Q(case__isnull=True)
    return Document.objects.filter(scope, status=Document.Status.READY)


def deadlines_visible_to(user: User) -> QuerySet[Deadline]:
    """The one access rule for deadlines: they follow their case (`cases_visible_to`)."""
    return Deadline.objects.filter(case__in=cases_visible_to(user).values("pk"))


def deadline_get_visible(*, user: User, deadline_id: int) -> Deadline:
    """A deadline the user may see, with its case and its case's lawyers (for
    `case_can_edit`), or NotFound: another case's deadline does not exist for them."""
    try:
        return (
            deadlines_visible_to(user)
            .select_related("case__client", "responsible", "completed_by")
            .prefetch_related("case__lawyers")
            .get(pk=deadline_id)
        )
    except Deadline.DoesNotExist:
        raise NotFound("Deadline not found.") from None


def deadlines_of_case(*, user: User, case: Case) -> QuerySet[Deadline]:
    """The deadlines of `case` that `user` may see, soonest first, done ones too, with the
    people each row names."""
    return (
        deadlines_visible_to(user).filter(case=case).select_related("responsible", "completed_by")
    )


def deadlines_upcoming(*, user: User, days: int = UPCOMING_DAYS) -> QuerySet[Deadline]:
    """The open deadlines `user` is responsible for on cases they may still see, due within
    `days` from today, overdue ones included; soonest (so overdue) first, with their cases."""
    horizon = timezone.localdate() + timedelta(days=days)
    return (
        deadlines_visible_to(user)
        .filter(responsible=user, completed_at__isnull=True, due_date__lte=horizon)
        .select_related("case")
    )

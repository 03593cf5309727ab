"""A lawyer's review of drafts: who may review one, approval, corrections, versions and
the differences between versions.

A finished draft is `drafted` until a lawyer approves it; approval records who and when, and
from then on the draft is read-only: changing its text means saving a new version, a new
Draft whose `parent` is the draft it was made from, with the next version number of the
family. A family is a first draft and every version made from it or from its versions.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from config.errors import DomainError, PermissionDenied
from drafting.doctypes import get_document_type, sections_of
from drafting.models import Draft
from drafting.selectors import drafts_visible_to
from drafting.services import draft_review

logger = logging.getLogger("counsel.drafting")

# A lawyer's text of one document; the longest assembled template is under 10,000 characters.
MAX_TEXT_CHARS = 60_000


class DraftReadOnly(DomainError):
    status_code = 409
    default_detail = "An approved draft cannot be changed: save your changes as a new version."


class DraftNotReady(DomainError):
    status_code = 409
    default_detail = "The draft is not finished yet."


class DraftTextInvalid(DomainError):
    status_code = 400
    default_detail = "The text cannot be saved."


# --- Who may review -----------------------------------------------------------------------


def draft_can_review(*, user: User, draft: Draft) -> bool:
    """Lawyers and admins who may see the draft's case now (for a draft on no case, its
    author); never a client, not even of a draft they requested themselves."""
    return user.is_staff_member and drafts_visible_to(user).filter(pk=draft.pk).exists()


def _require_reviewer(user: User, draft: Draft) -> None:
    if not draft_can_review(user=user, draft=draft):
        raise PermissionDenied("Only a lawyer on the draft's case may review it.")


def draft_can_approve(*, user: User, draft: Draft) -> bool:
    """A reviewer, and, where the firm asks for four eyes (`DRAFT_APPROVER_MUST_DIFFER`),
    not the one who requested this version."""
    if settings.DRAFT_APPROVER_MUST_DIFFER and draft.author_id == user.pk:
        return False
    return draft_can_review(user=user, draft=draft)


# --- Approving and changing -----------------------------------------------------------------


def draft_approve(*, draft: Draft, actor: User) -> Draft:
    """Approve a `drafted` draft, recording who and when. Approving twice is refused, so
    the first approval's record is never overwritten."""
    if not draft_can_approve(user=actor, draft=draft):
        _require_reviewer(actor, draft)
        raise PermissionDenied("Another lawyer than the one who requested it must approve it.")
    now = timezone.now()
    # Compare-and-set: of two lawyers approving at once, exactly one is recorded; and the
    # membership is read in the same statement, so a lawyer taken off the case a moment
    # before never approves.
    approved = (
        drafts_visible_to(actor)
        .filter(pk=draft.pk, status=Draft.Status.DRAFTED)
        .update(status=Draft.Status.APPROVED, approved_by=actor, approved_at=now, updated_at=now)
    )
    draft.refresh_from_db()
    if not approved:
        _require_reviewer(actor, draft)
        if draft.status == Draft.Status.APPROVED:
            raise DraftReadOnly("The draft is already approved.")
        raise DraftNotReady(f"A {draft.get_status_display().lower()} draft cannot be approved.")
    logger.info("draft_approved", extra={"draft_id": draft.pk, "user_id": actor.pk})
    return draft


def draft_edit(*, draft: Draft, actor: User, text: str) -> Draft:
    """Correct a `drafted` draft's text in place (its sections, warnings and score follow).
    An approved draft is read-only: DraftReadOnly."""
    _require_reviewer(actor, draft)
    text = _checked_text(text)
    review = _review_of(draft, text)
    changed = (
        drafts_visible_to(actor)
        .filter(pk=draft.pk, status=Draft.Status.DRAFTED)
        .update(text=text, updated_at=timezone.now(), **review)
    )
    draft.refresh_from_db()
    if not changed:
        _require_reviewer(actor, draft)
        if draft.status == Draft.Status.APPROVED:
            raise DraftReadOnly()
        raise DraftNotReady(f"A {draft.get_status_display().lower()} draft cannot be edited.")
    logger.info("draft_edited", extra={"draft_id": draft.pk, "user_id": actor.pk})
    return draft


def draft_new_version(*, draft: Draft, actor: User, text: str) -> Draft:
    """A new `drafted` Draft with `text`, made from a drafted or approved `draft`: same type,
    inputs, case, tone, locale and policy, the next version number of the family, `parent`
    the draft it was made from, and `actor` as its author. The original is kept as it was."""
    _require_reviewer(actor, draft)
    if draft.status not in (Draft.Status.DRAFTED, Draft.Status.APPROVED):
        raise DraftNotReady("Only a finished draft can have a new version.")
    text = _checked_text(text)
    if text == draft.text:
        raise DraftTextInvalid("The text is unchanged: edit it before saving a new version.")
    # The policy's rule checks run before the transaction: a lock must never wait on them.
    review = _review_of(draft, text)
    root = _root_of(draft)
    with transaction.atomic():
        # The root's row lock serialises the numbering of one family's concurrent versions.
        Draft.objects.select_for_update().filter(pk=root.pk).first()
        family = _family_ids(root)
        latest = Draft.objects.filter(pk__in=family).aggregate(latest=Max("version"))["latest"]
        version = Draft(
            author=actor,
            case=draft.case,
            document_type=draft.document_type,
            inputs=draft.inputs,
            tone=draft.tone,
            locale=draft.locale,
            policy=draft.policy,
            text=text,
            status=Draft.Status.DRAFTED,
            progress=100,
            version=latest + 1,
            parent=draft,
            **review,
        )
        version.save()
    logger.info(
        "draft_version_created",
        extra={"draft_id": version.pk, "parent_id": draft.pk, "user_id": actor.pk},
    )
    return version


def _checked_text(text: str) -> str:
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise DraftTextInvalid("The text is empty.")
    if len(text) > MAX_TEXT_CHARS:
        raise DraftTextInvalid(f"The text is too long: at most {MAX_TEXT_CHARS} characters.")
    return text


def _review_of(draft: Draft, text: str) -> dict:
    """The sections, warnings and score a lawyer's text earns, by the same rules as the AI's."""
    doc = get_document_type(draft.document_type)
    cleaned, errors = doc.validate(draft.inputs)
    if errors:
        # Inputs the type no longer accepts (its fields changed): only the sections are read.
        sections = [
            {"number": s.number, "heading": s.heading, "body": s.body} for s in sections_of(text)
        ]
        return {"sections": sections, "warnings": [], "quality_score": None}
    return draft_review(doc=doc, cleaned=cleaned, text=text, policy=draft.policy)


# --- Versions and differences ---------------------------------------------------------------


def _root_of(draft: Draft) -> Draft:
    while draft.parent_id is not None:
        draft = Draft.objects.get(pk=draft.parent_id)
    return draft


def _family_ids(root: Draft) -> list[int]:
    ids, generation = [root.pk], [root.pk]
    while generation:
        generation = list(Draft.objects.filter(parent__in=generation).values_list("pk", flat=True))
        ids.extend(generation)
    return ids


def draft_versions(draft: Draft, *, viewer: User) -> list[Draft]:
    """Every version of the draft's family that `viewer` may read, the first draft first (a
    client's own draft may have versions a lawyer made, which are not shown to them)."""
    family = _family_ids(_root_of(draft))
    return list(
        drafts_visible_to(viewer)
        .filter(pk__in=family)
        .select_related("author", "approved_by")
        .order_by("version", "pk")
    )


def draft_diff(old: Draft, new: Draft) -> str:
    """A unified diff of two versions' texts, three lines of context around each change."""
    lines = difflib.unified_diff(
        old.text.splitlines(),
        new.text.splitlines(),
        fromfile=f"version {old.version}",
        tofile=f"version {new.version}",
        lineterm="",
    )
    return "\n".join(lines)


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "hunk", "added", "removed" or "same"
    text: str


def draft_diff_lines(old: Draft, new: Draft) -> list[DiffLine]:
    """:func:`draft_diff` as lines marked for the page, without the two file headers."""
    marks = {"@": "hunk", "+": "added", "-": "removed", " ": "same"}
    lines = draft_diff(old, new).splitlines()[2:]
    return [
        DiffLine(marks[line[:1]], line if line.startswith("@") else line[1:])
        for line in lines
        if line[:1] in marks
    ]

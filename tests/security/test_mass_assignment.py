"""Fields a caller may not set (who owns a thing, roles, statuses, ids, references) are
refused with 400 by the API, whose serializers reject what they do not declare, and ignored
by the pages, whose forms read only their own fields; either way nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import Model
from django.urls import reverse

from cases.models import Case
from consultations.models import CacheInvalidation, Consultation
from drafting.models import Draft, DraftBatch
from tests.problems import field_errors_of
from tests.security.conftest import NDA, World, nda_csv
from tests.security.matrix import case_form, case_json, chat_json, generate_json

pytestmark = pytest.mark.django_db

Body = Callable[[World], dict[str, Any]]


def _stored(obj: Model) -> dict[str, Any]:
    return type(obj).objects.filter(pk=obj.pk).values().get()


def _counts() -> dict[str, int]:
    models = (Case, Draft, DraftBatch, Consultation, CacheInvalidation)
    return {model.__name__: model.objects.count() for model in models}


# --- the API refuses them ---------------------------------------------------------------------

# (role, method, path, a valid body, the fields smuggled into it)
API_WRITES: list[tuple[str, str, Callable[[World], str], Body, dict[str, Any]]] = [
    (
        "lawyer",
        "post",
        lambda w: "/api/cases",
        lambda w: case_json(w, w.lawyer),
        {"reference": "CN-EVIL-0001", "id": 1, "createdAt": "2020-01-01T00:00:00Z"},
    ),
    (
        "lawyer",
        "post",
        lambda w: "/api/cases",
        lambda w: case_json(w, w.lawyer),
        {"owner": 1, "createdBy": 1, "created_by": 1, "client": 1, "lawyers": [1]},
    ),
    (
        "lawyer",
        "patch",
        lambda w: f"/api/cases/{w.case.pk}",
        lambda w: {"title": "Renamed"},
        {"reference": "CN-EVIL-0002", "updatedAt": "2020-01-01T00:00:00Z", "history": []},
    ),
    (
        "lawyer",
        "put",
        lambda w: f"/api/cases/{w.case.pk}",
        lambda w: case_json(w, w.lawyer),
        {"owner": 1, "createdBy": 1, "is_staff": True},
    ),
    (
        "client",
        "post",
        lambda w: "/api/ai/generate-document",
        lambda w: generate_json(w, w.client),
        {"author": 1, "userId": 1, "status": "approved", "approvedBy": 1, "version": 9},
    ),
    (
        "client",
        "post",
        lambda w: "/api/ai/chat",
        lambda w: chat_json(w, w.client),
        {"user": 1, "role": "admin", "isStaff": True},
    ),
    (
        "client",
        "post",
        lambda w: "/api/ai/analyze",
        lambda w: {"text": "The tenant may sublet.", "policy": "lease"},
        {"userId": 1, "user": 1},
    ),
    (
        "admin",
        "post",
        lambda w: "/api/admin/cache/invalidate",
        lambda w: {"kind": "chat"},
        {"user": 1, "createdBy": 1},
    ),
    (
        "client",
        "post",
        lambda w: "/api/auth/login",
        lambda w: {"username": w.client.username, "password": "x"},
        {"role": "admin", "otp_verified": True},
    ),
]


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "smuggled"),
    API_WRITES,
    ids=[f"{role} {method} {sorted(smuggled)}" for role, method, _, _, smuggled in API_WRITES],
)
def test_api_refuses_fields_the_caller_may_not_set(
    world: World, role: str, method: str, path: Callable, body: Body, smuggled: dict
) -> None:
    case_before, counts_before = _stored(world.case), _counts()

    response = getattr(world.apis[role], method)(
        path(world), {**body(world), **smuggled}, format="json"
    )

    assert response.status_code == 400, response.content
    assert set(smuggled) <= set(field_errors_of(response)), field_errors_of(response)
    assert _stored(world.case) == case_before
    assert _counts() == counts_before


def test_chat_in_another_users_name_is_forbidden(world: World) -> None:
    body = {**chat_json(world, world.client), "userId": world.client2.pk}
    counts_before = _counts()

    response = world.apis["client"].post("/api/ai/chat", body, format="json")

    assert response.status_code == 403
    assert _counts() == counts_before


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_nobody_changes_their_own_role_through_me(world: World, method: str) -> None:
    before = _stored(world.client)

    response = getattr(world.apis["client"], method)(
        "/api/auth/me", {"role": "admin", "isStaff": True, "is_superuser": True}, format="json"
    )

    assert response.status_code == 405
    assert _stored(world.client) == before


# --- the pages ignore them --------------------------------------------------------------------


def test_case_edit_page_ignores_reference_id_and_dates(world: World) -> None:
    before = _stored(world.case)
    form = {
        **case_form(world, world.lawyer),
        "title": "Renamed",
        "reference": "CN-EVIL-0003",
        "id": world.case2.pk,
        "created_at": "2020-01-01 00:00",
    }

    response = world.pages["lawyer"].post(reverse("cases:edit", args=[world.case.pk]), form)

    assert response.status_code == 302
    after = _stored(world.case)
    assert after["title"] == "Renamed"
    assert (after["reference"], after["id"], after["created_at"]) == (
        before["reference"],
        before["id"],
        before["created_at"],
    )
    assert _stored(world.case2)["title"] != "Renamed"


def test_case_create_page_ignores_a_chosen_reference(world: World) -> None:
    form = {**case_form(world, world.lawyer), "reference": "CN-EVIL-0004"}

    response = world.pages["lawyer"].post(reverse("cases:create"), form)

    assert response.status_code == 302
    assert not Case.objects.filter(reference="CN-EVIL-0004").exists()


def test_draft_pages_ignore_author_status_and_approval(world: World) -> None:
    kept = ("author_id", "status", "approved_by_id", "version", "case_id")
    before = _stored(world.draft)
    drafts_before = set(Draft.objects.values_list("pk", flat=True))
    batches_before = set(DraftBatch.objects.values_list("pk", flat=True))
    smuggled = {
        "author": world.lawyer2.pk,
        "status": Draft.Status.APPROVED,
        "approved_by": world.lawyer.pk,
        "version": 9,
        "batch": world.batch.pk,
    }
    page = world.pages["lawyer"]
    nda = {name: str(value) for name, value in NDA.example_inputs.items()}

    edited = page.post(
        reverse("drafting:revise", args=[world.draft.pk]),
        {"text": world.draft.text + "\nAmended.", "action": "save", **smuggled},
    )
    created = page.post(
        reverse("drafting:new", args=["nda"]), {**nda, "tone": "neutral", "case": "", **smuggled}
    )
    uploaded = page.post(
        reverse("drafting:batch-new"),
        {"document_type": "nda", "case": "", "csv_file": nda_csv(), **smuggled},
    )

    assert edited.status_code == created.status_code == uploaded.status_code == 302
    after = _stored(world.draft)
    assert after["text"].endswith("Amended.")
    assert {k: after[k] for k in kept} == {k: before[k] for k in kept}
    new_drafts = Draft.objects.exclude(pk__in=drafts_before)
    # One from the form, one from the batch's row: both the lawyer's, queued, first versions.
    assert sorted((d.author_id, d.status, d.version, d.batch_id is None) for d in new_drafts) == [
        (world.lawyer.pk, Draft.Status.QUEUED, 1, False),
        (world.lawyer.pk, Draft.Status.QUEUED, 1, True),
    ]
    assert [b.author_id for b in DraftBatch.objects.exclude(pk__in=batches_before)] == [
        world.lawyer.pk
    ]

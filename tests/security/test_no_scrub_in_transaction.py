"""No scrubbing and no policy rule check runs inside a database transaction: a scan of a long
text must never hold a lock (on SQLite, the whole database's write lock) while it runs.

Every binding of the scrubber's entry points (`mask_secrets` wherever it is imported,
`Scrubber.scrub`) and the policies' `Policy.check` is wrapped to note whether a transaction
was open when it was called. The tests commit for real (`transaction=True`), so an open
transaction is the code's own, not the test's.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.urls import reverse
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from consultations.llm import pii
from consultations.llm.pii import Scrubber
from consultations.policies import Policy
from drafting.doctypes import get_document_type
from drafting.models import Draft
from drafting.review import draft_new_version
from drafting.services import draft_generate, draft_request
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db(transaction=True)

APPS = ("accounts", "cases", "config", "consultations", "drafting")
CARD = "4111 1111 1111 1111"


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> list[tuple[str, bool]]:
    """(what ran, whether a transaction was open) for every scan made during the test."""
    settings.LLM_PROVIDER = "offline"
    seen: list[tuple[str, bool]] = []

    def observed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            seen.append((name, connection.in_atomic_block))
            return function(*args, **kwargs)

        return wrapper

    mask_secrets = pii.mask_secrets
    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "")
        if name.split(".")[0] in APPS and getattr(module, "mask_secrets", None) is mask_secrets:
            monkeypatch.setattr(module, "mask_secrets", observed("mask_secrets", mask_secrets))
    monkeypatch.setattr(Scrubber, "scrub", observed("Scrubber.scrub", Scrubber.scrub))
    monkeypatch.setattr(Policy, "check", observed("Policy.check", Policy.check))
    return seen


def in_transaction(scans: list[tuple[str, bool]]) -> list[str]:
    return [name for name, atomic in scans if atomic]


def test_a_chat_is_scrubbed_and_recorded_with_no_scan_inside_a_transaction(
    scans: list[tuple[str, bool]],
    api_client_for: Callable[[User], APIClient],
    lawyer: User,
) -> None:
    case = CaseFactory(lawyers=[lawyer])
    message = f"My card {CARD} was charged twice; can {lawyer.get_full_name()} help?"

    response = api_client_for(lawyer).post(
        reverse("ai-api:chat"),
        {"userId": lawyer.pk, "message": message, "context": {"caseId": case.pk}},
        format="json",
    )

    assert response.status_code == 200
    assert {name for name, _ in scans} >= {"mask_secrets", "Scrubber.scrub"}
    assert in_transaction(scans) == []


def test_an_analysis_checks_its_rules_outside_any_transaction(
    scans: list[tuple[str, bool]],
    api_client_for: Callable[[User], APIClient],
    lawyer: User,
) -> None:
    text = f"The tenant pays by card {CARD}. Either party may terminate at any time."

    response = api_client_for(lawyer).post(
        reverse("ai-api:analyze"), {"text": text, "policy": "nda"}, format="json"
    )

    assert response.status_code == 200
    assert {name for name, _ in scans} >= {"mask_secrets", "Scrubber.scrub", "Policy.check"}
    assert in_transaction(scans) == []


def test_a_new_version_of_a_draft_checks_its_policy_outside_the_transaction(
    scans: list[tuple[str, bool]], lawyer: User
) -> None:
    draft = draft_request(
        author=lawyer, type_id="nda", inputs=dict(get_document_type("nda").example_inputs)
    )
    async_to_sync(draft_generate)(draft_id=draft.pk, request_id="test")
    draft = Draft.objects.get(pk=draft.pk)
    scans.clear()

    version = draft_new_version(draft=draft, actor=lawyer, text=draft.text + "\nAmended.")

    assert version.version == 2
    assert "Policy.check" in {name for name, _ in scans}
    assert in_transaction(scans) == []

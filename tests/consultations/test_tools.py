"""The tools a model or an MCP client may call (consultations.tools): permissions, scrubbing,
arguments, records and the tool cache."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from accounts.models import User
from cases.deadlines import deadline_complete
from consultations.llm.pii import Scrubber
from consultations.models import ToolCall
from consultations.tools import TOOLS, tool_call, tool_scrubber
from tests.factories import (
    CaseFactory,
    ClientFactory,
    DeadlineFactory,
    DocumentFactory,
    LawyerFactory,
    PassageFactory,
)

pytestmark = pytest.mark.django_db


def test_the_catalogue_lists_three_read_only_tools_with_closed_schemas() -> None:
    assert set(TOOLS) == {"case_lookup", "deadlines_list", "documents_search"}
    for tool in TOOLS.values():
        assert tool["description"]
        assert tool["parameters"]["type"] == "object"
        assert tool["parameters"]["additionalProperties"] is False


def test_case_lookup_gives_the_cases_facts_scrubbed(lawyer: User) -> None:
    case = CaseFactory(
        lawyers=[lawyer],
        title="Lease dispute",
        opposing_parties="Helen Carter",
        client=ClientFactory(first_name="Jane", last_name="Doe"),
    )
    scrubber = Scrubber(known_names=case.party_names())

    outcome = tool_call(
        lawyer, "case_lookup", {"case": case.reference}, scrub=scrubber.scrub, case=None
    )

    assert not outcome.is_error
    facts = json.loads(outcome.content)
    assert facts["reference"] == case.reference
    assert facts["title"] == "Lease dispute"
    assert facts["client"] == "<PERSON_1>"
    assert facts["opposing_parties"] == ["<PERSON_2>"]
    assert len(facts["lawyers"]) == 1
    assert "Jane Doe" not in outcome.content
    assert "Carter" not in outcome.content
    record = ToolCall.objects.get()
    assert (record.tool, record.case, record.channel, record.cached) == (
        "case_lookup",
        case,
        "chat",
        False,
    )
    assert record.result_size == outcome.size == len(outcome.content)


def test_a_client_cannot_read_another_clients_case_through_any_tool(client_user: User) -> None:
    other = CaseFactory()
    DeadlineFactory(case=other)
    missing = tool_call(client_user, "case_lookup", {"case": "CN-1999-9999"}, scrub=None)

    for name, arguments in [
        ("case_lookup", {"case": other.reference}),
        ("deadlines_list", {"case": other.reference}),
        ("documents_search", {"case": str(other.pk), "query": "lease"}),
    ]:
        outcome = tool_call(client_user, name, arguments, scrub=None)
        # The same answer as for a case that does not exist: nothing leaks.
        assert outcome.is_error
        assert outcome.content == missing.content
        assert other.title not in outcome.content
    assert set(ToolCall.objects.values_list("error_code", flat=True)) == {"not_found"}


# Committed rows: MariaDB's FULLTEXT index only sees those.
@pytest.mark.django_db(transaction=True)
def test_a_client_never_gets_knowledge_base_passages(client_user: User, lawyer: User) -> None:
    PassageFactory(document=DocumentFactory(case=None), text="Firm policy on notice periods.")
    case = CaseFactory(client=client_user, lawyers=[lawyer])
    PassageFactory(document=DocumentFactory(case=case), text="The lease notice period is short.")

    as_client = tool_call(
        client_user, "documents_search", {"query": "notice period"}, scrub=None, case=case
    )
    as_lawyer = tool_call(
        lawyer, "documents_search", {"query": "notice period"}, scrub=None, case=case
    )

    client_texts = [p["text"] for p in json.loads(as_client.content)["passages"]]
    lawyer_texts = [p["text"] for p in json.loads(as_lawyer.content)["passages"]]
    assert client_texts == ["The lease notice period is short."]
    assert sorted(lawyer_texts) == sorted(
        ["The lease notice period is short.", "Firm policy on notice periods."]
    )


@pytest.mark.parametrize(
    ("name", "arguments", "code"),
    [
        ("deadlines_list", {"days": 0}, "invalid_arguments"),
        ("deadlines_list", {"days": "soon"}, "invalid_arguments"),
        ("deadlines_list", {"when": "today"}, "invalid_arguments"),
        ("documents_search", {}, "invalid_arguments"),
        ("deadlines_list", "{not json", "invalid_arguments"),
        ("deadlines_list", "[1, 2]", "invalid_arguments"),
        ("deadlines_list", '{"days": 1' + " " * 5000 + "}", "invalid_arguments"),
        ("case_lookup", {}, "invalid_arguments"),
        ("case_delete", {}, "unknown_tool"),
    ],
)
def test_bad_calls_are_tool_errors_never_exceptions(
    lawyer: User, name: str, arguments: object, code: str
) -> None:
    outcome = tool_call(lawyer, name, arguments, scrub=None)  # type: ignore[arg-type]

    assert outcome.is_error
    assert json.loads(outcome.content)["error"]
    assert ToolCall.objects.get().error_code == code


def test_deadlines_list_gives_the_cases_open_deadlines_in_the_window(lawyer: User) -> None:
    case = CaseFactory(lawyers=[lawyer])
    today = timezone.localdate()
    soon = DeadlineFactory(case=case, responsible=lawyer, due_date=today + timedelta(days=3))
    DeadlineFactory(case=case, responsible=lawyer, due_date=today + timedelta(days=40))
    done = DeadlineFactory(case=case, responsible=lawyer, due_date=today + timedelta(days=1))
    deadline_complete(actor=lawyer, deadline=done)

    outcome = tool_call(lawyer, "deadlines_list", {"days": 14}, scrub=None, case=case)

    listed = json.loads(outcome.content)["deadlines"]
    assert [d["due_date"] for d in listed] == [soon.due_date.isoformat()]


def test_a_tool_result_is_cached_and_a_deadline_change_makes_it_stale(
    lawyer: User, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    case = CaseFactory(lawyers=[lawyer])
    deadline = DeadlineFactory(case=case, responsible=lawyer)

    first = tool_call(lawyer, "deadlines_list", {}, scrub=None, case=case)
    second = tool_call(lawyer, "deadlines_list", {}, scrub=None, case=case)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        deadline_complete(actor=lawyer, deadline=deadline)
    third = tool_call(lawyer, "deadlines_list", {}, scrub=None, case=case)

    assert (first.cached, second.cached, third.cached) == (False, True, False)
    assert second.content == first.content
    assert json.loads(third.content)["deadlines"] == []
    assert list(ToolCall.objects.order_by("id").values_list("cached", flat=True)) == [
        False,
        True,
        False,
    ]


def test_the_cache_never_hands_one_callers_own_deadlines_to_another(lawyer: User) -> None:
    other = LawyerFactory()
    case = CaseFactory(lawyers=[lawyer, other])
    DeadlineFactory(case=case, responsible=lawyer)

    mine = tool_call(lawyer, "deadlines_list", {}, scrub=None)
    theirs = tool_call(other, "deadlines_list", {}, scrub=None)

    assert len(json.loads(mine.content)["deadlines"]) == 1
    assert json.loads(theirs.content)["deadlines"] == []
    assert not theirs.cached


def test_an_mcp_call_is_scrubbed_with_the_callers_and_cases_names(lawyer: User) -> None:
    case = CaseFactory(lawyers=[lawyer], opposing_parties="Helen Carter")

    outcome = tool_call(lawyer, "case_lookup", {"case": case.reference}, scrub=None, channel="mcp")

    facts = json.loads(outcome.content)
    assert facts["opposing_parties"] == ["<PERSON_2>"]
    assert case.client.get_full_name() not in outcome.content
    assert tool_scrubber(user=lawyer, case=case).scrub(case.client.get_full_name()) == (
        "<PERSON_1>"
    )
    assert ToolCall.objects.get().channel == "mcp"


def test_a_case_change_or_a_new_lawyer_makes_its_facts_stale(
    lawyer: User, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    case = CaseFactory(lawyers=[lawyer], title="Old title")
    tool_call(lawyer, "case_lookup", {}, scrub=None, case=case)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        case.title = "New title"
        case.save()
    renamed = tool_call(lawyer, "case_lookup", {}, scrub=None, case=case)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        case.lawyers.add(LawyerFactory(first_name="Ada", last_name="Byron"))
    staffed = tool_call(lawyer, "case_lookup", {}, scrub=None, case=case)
    again = tool_call(lawyer, "case_lookup", {}, scrub=None, case=case)

    assert (renamed.cached, json.loads(renamed.content)["title"]) == (False, "New title")
    assert (staffed.cached, len(json.loads(staffed.content)["lawyers"])) == (False, 2)
    assert again.cached


def test_a_knowledge_base_document_makes_staff_searches_stale(
    lawyer: User, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    case = CaseFactory(lawyers=[lawyer])
    tool_call(lawyer, "documents_search", {"query": "notice"}, scrub=None, case=case)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        DocumentFactory(case=None)

    after = tool_call(lawyer, "documents_search", {"query": "notice"}, scrub=None, case=case)

    assert not after.cached


def test_long_texts_are_clipped_so_a_result_cannot_fill_the_prompt(lawyer: User) -> None:
    case = CaseFactory(lawyers=[lawyer], description="word " * 2_000)
    DeadlineFactory(case=case, responsible=lawyer, notes="note " * 1_000)

    facts = json.loads(tool_call(lawyer, "case_lookup", {}, scrub=None, case=case).content)
    listed = json.loads(tool_call(lawyer, "deadlines_list", {}, scrub=None, case=case).content)

    assert len(facts["description"]) <= 4_000
    assert facts["description"].endswith("…")
    assert len(listed["deadlines"][0]["notes"]) <= 500


def test_each_call_is_counted_in_the_metrics_by_result(lawyer: User) -> None:
    case = CaseFactory(lawyers=[lawyer])

    def count(tool: str, result: str) -> float:
        return (
            REGISTRY.get_sample_value(
                "counsel_tool_calls_total", {"tool": tool, "channel": "chat", "result": result}
            )
            or 0.0
        )

    before = [
        count("case_lookup", "miss"),
        count("case_lookup", "hit"),
        count("unknown", "unknown_tool"),
    ]
    tool_call(lawyer, "case_lookup", {}, scrub=None, case=case)
    tool_call(lawyer, "case_lookup", {}, scrub=None, case=case)
    tool_call(lawyer, "anything the model invents", {}, scrub=None)

    after = [
        count("case_lookup", "miss"),
        count("case_lookup", "hit"),
        count("unknown", "unknown_tool"),
    ]
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]

"""What the tools read from a question or a model costs time linear in it: the offline
provider's routing of deadline questions reads every chat question (up to the API's limit), and
a tool's arguments are refused unread past their bound."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from consultations.llm.client import _deadlines_request
from consultations.tools.calls import MAX_ARGUMENTS_CHARS, _parsed
from consultations.tools.lookups import ToolError
from tests.security.linear_time import MOST_GROWTH, fit, growth

QUESTIONS: dict[str, Callable[[int], str]] = {
    "spaces": lambda size: fit(" ", size),
    "what_then_spaces": lambda size: "what" + fit(" ", size),
    "what_due_words": lambda size: "what " + fit("due ", size),
    "window_numbers": lambda size: "what is due in " + fit("12 ", size),
    "window_spaces": lambda size: "what is due in two" + fit(" ", size) + "weeks",
    "almost_windows": lambda size: "list deadlines " + fit("1 week", size),
}


@pytest.mark.parametrize("question", QUESTIONS)
def test_routing_a_question_to_deadlines_list_takes_time_linear_in_it(question: str) -> None:
    def route(text: str) -> object:
        return _deadlines_request([{"role": "user", "content": text}])

    ratio = growth(route, QUESTIONS[question])

    assert ratio < MOST_GROWTH, f"{question}: 10x the text cost {ratio:.0f}x"


def test_arguments_past_their_bound_are_refused_unread() -> None:
    with pytest.raises(ToolError) as refused:
        _parsed("documents_search", '{"query": "' + "a" * MAX_ARGUMENTS_CHARS + '"}')

    assert refused.value.code == "invalid_arguments"

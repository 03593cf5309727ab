"""The contract policies' rule checks cost time linear in the text, whatever the text.

`POST /api/ai/analyze` takes 100,000 characters and runs the policy's rules on every call, the
cached ones too: a rule that rescans its input for each piece of it lets one request hold a CPU
for minutes ("twenty-one " repeated 2,000 times took 9 s). Every policy runs over every
adversarial text of tests/security/adversarial_rules.py at 10,000 and 100,000 characters; ten
times the text may cost about ten times the CPU, never a hundred.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

# How a pattern repeats is read from its parse, by the regular expression module's own parser.
from re import _constants as constants
from re import _parser as parser

import pytest

from consultations.policies import POLICIES, merge_findings
from tests.security.adversarial_rules import GENERATORS
from tests.security.linear_time import MOST_GROWTH, growth


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("generator", GENERATORS)
def test_a_policys_rules_take_time_linear_in_the_text(policy: str, generator: str) -> None:
    ratio = growth(POLICIES[policy].check, GENERATORS[generator])

    assert ratio < MOST_GROWTH, f"{policy} on {generator}: 10x the text cost {ratio:.0f}x"


@pytest.mark.parametrize("generator", ["space_run_then_newline", "newline_spaces", "mixed_scripts"])
def test_merging_a_models_findings_takes_time_linear_in_their_evidence(generator: str) -> None:
    def merge(text: str) -> object:
        quoted = {"rule": "wording.perpetual", "clause": "Term", "evidence": text}
        return merge_findings([], [quoted, {**quoted, "evidence": text.upper()}])

    assert growth(merge, GENERATORS[generator]) < MOST_GROWTH


def _rule_patterns() -> dict[str, re.Pattern[str]]:
    patterns = {}
    for policy in POLICIES.values():
        for rule in policy.rules:
            found = getattr(rule, "patterns", None) or (rule.pattern,)
            for number, pattern in enumerate(found):
                patterns[f"{type(rule).__name__}.{rule.key}.{number}"] = pattern
    return patterns


def _unbounded_repeats(items: Iterable[tuple[object, object]]) -> Iterator[tuple[object, object]]:
    """Every repeat without an upper bound in a parsed pattern, as (kind, body)."""
    for op, value in items:
        if op in (constants.MAX_REPEAT, constants.MIN_REPEAT, constants.POSSESSIVE_REPEAT):
            _low, high, body = value
            if high == constants.MAXREPEAT:
                yield op, body
            yield from _unbounded_repeats(body)
        elif op == constants.BRANCH:
            for branch in value[1]:
                yield from _unbounded_repeats(branch)
        elif op in (constants.SUBPATTERN, constants.ASSERT, constants.ASSERT_NOT):
            yield from _unbounded_repeats(value[-1])
        elif op == constants.ATOMIC_GROUP:
            yield from _unbounded_repeats(value)


@pytest.mark.parametrize(("name", "pattern"), _rule_patterns().items(), ids=_rule_patterns())
def test_a_rule_repeats_without_bound_only_one_character_and_never_gives_it_back(
    name: str, pattern: re.Pattern[str]
) -> None:
    """The rule set's construction, checked: a repeat over a phrase is bounded, and a run of
    spaces, digits or letters is possessive, so a failed attempt never tries it shorter."""
    parsed = parser.parse(pattern.pattern, pattern.flags)
    for kind, body in _unbounded_repeats(parsed):
        assert kind == constants.POSSESSIVE_REPEAT, f"{name}: {body} may give characters back"
        assert body.getwidth() == (1, 1), f"{name}: {body} repeats more than a character"

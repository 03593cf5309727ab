"""The adversarial suites' measure tells a square from a line."""

from __future__ import annotations

from tests.security.linear_time import MOST_GROWTH, fit, growth


def _linear(text: str) -> int:
    return sum(1 for char in text if char == "a")


def _quadratic(text: str) -> int:
    # Every 50th character counted over the whole text: n / 50 scans of n characters.
    return sum(text.count(text[i]) for i in range(0, len(text), 50))


def test_a_linear_function_stays_under_the_bound() -> None:
    assert growth(_linear, lambda size: fit("ab", size)) < MOST_GROWTH


def test_a_quadratic_function_goes_past_it_at_every_size() -> None:
    assert growth(_quadratic, lambda size: fit("ab", size)) > MOST_GROWTH

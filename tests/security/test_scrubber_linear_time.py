"""Every detector of the PII scrubber runs in time linear in its input: on each adversarial
text, ten times the input costs about ten times the CPU, never a hundred.

A super-linear detector can take minutes on a 100 KB text, so each measurement also has a
deadline (wall time, generous) and fails when it passes instead of holding the suite.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from tests.security.adversarial import DETECTORS, GENERATORS
from tests.security.linear_time import MOST_GROWTH, growth

DEADLINE_SECONDS = 20


class _DeadlinePassed(Exception):
    pass


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    def stop(signum: int, frame: object) -> None:
        raise _DeadlinePassed

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _growth_or_none(detector: Callable[[str], object], make: Callable[[int], str]) -> float | None:
    """The growth, or None when the detector did not answer within the deadline."""
    try:
        with _deadline(DEADLINE_SECONDS):
            return growth(detector, make)
    except _DeadlinePassed:
        return None


@pytest.mark.parametrize("generator", sorted(GENERATORS))
def test_every_detector_grows_linearly_on(generator: str) -> None:
    too_slow = {}
    for name, detector in DETECTORS.items():
        ratio = _growth_or_none(detector, GENERATORS[generator])
        if ratio is None or ratio >= MOST_GROWTH:
            too_slow[name] = "no answer in time" if ratio is None else f"{ratio:.0f}x"

    assert too_slow == {}, f"10x the input cost more than {MOST_GROWTH:g}x the CPU"

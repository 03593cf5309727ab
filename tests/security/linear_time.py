"""How a function's cost grows with its input: the adversarial suites' one measure.

A ratio of CPU times measured in one process, never an absolute time, so a slow or busy machine
cannot fail a test that a fast one passes: a linear function costs about 10x as much on ten
times the input, a quadratic one about 100x.
"""

from __future__ import annotations

import time
from collections.abc import Callable

SMALL = 10_000
LARGE = 100_000
# Linear is 10x; the margin absorbs caches, allocation and a noisy neighbour, not a square.
MOST_GROWTH = 15.0


def fit(unit: str, size: int) -> str:
    """`unit` repeated to exactly `size` characters (the last copy cut short)."""
    return (unit * (size // len(unit) + 1))[:size]


def _cpu_seconds(function: Callable[[str], object], text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.thread_time()
        function(text)
        best = min(best, time.thread_time() - started)
    # A clock tick is the floor: a function too fast to measure cannot show growth.
    return max(best, 1e-4)


def growth(function: Callable[[str], object], make: Callable[[int], str]) -> float:
    """How many times more CPU `function` spends on `make(LARGE)` than on `make(SMALL)`: the
    best of several runs of each, so a pause of the machine cannot make a linear function look
    worse. A ratio past MOST_GROWTH is measured once more and the lower one kept: a busy
    neighbour can inflate one measurement of a linear function past it, a square shows in
    both."""
    small, large = make(SMALL), make(LARGE)
    function(small)  # warm up: compiled patterns, imported modules

    def measured() -> float:
        return _cpu_seconds(function, large, 3) / _cpu_seconds(function, small, 7)

    ratio = measured()
    return ratio if ratio < MOST_GROWTH else min(ratio, measured())


def worst_seconds(function: Callable[[str], object], make: Callable[[int], str]) -> float:
    """CPU seconds `function` spends on `make(LARGE)`: the benchmark's figure."""
    return _cpu_seconds(function, make(LARGE), 1)

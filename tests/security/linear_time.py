"""How a function's cost grows with its input: the adversarial suites' one measure, and the
worst-case benchmarks' capped one.

A ratio of CPU times measured in one process, never an absolute time, so a slow or busy machine
cannot fail a test that a fast one passes: a linear function costs about 10x as much on ten
times the input, a quadratic one about 100x.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import time
from collections.abc import Callable

SMALL = 10_000
LARGE = 100_000
# Linear is 10x: measured alone, the scrubber and the rules grow 10-13x, and late in a full
# run on two shared cores up to 28x (a 100 KB text and its matches no longer sit in the
# processor's caches; neighbours share the cores; 2026-12-05, the digit detectors). n log n
# would be 12.5x, a square 100x: the bound sits well between the two.
MOST_GROWTH = 30.0


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
    """How many times more CPU `function` spends on `make(LARGE)` than on `make(SMALL)`.

    Measured in a forked child: there the measuring thread is the only one, so the test
    session's others (fake model servers, event loops, database threads) cannot take the
    interpreter from it mid-run and fill the caches with their own work, and the collector
    walks only what the child makes (`gc.freeze`), not a whole session's objects.

    Measured in rounds, each a large run beside the best of a few small ones, and the lowest
    round kept: a busy neighbour (two cores shared with the database, a worker, a browser)
    slows whatever runs at that moment, so a ratio is only fair between runs made together.
    A ratio past MOST_GROWTH is measured once more, as what doubling the large input costs,
    scaled to ten times (a cost growing as n**k doubles as 2**k and grows 10**k = (2**k) **
    log2(10) times): between two texts that are both past the processor's caches, a line
    doubles whatever the caches and the neighbours do to a 10 KB text beside a 100 KB one,
    and a square quadruples at every size."""
    # Warmed up here, so what it loads lazily (a region's phone metadata) stays loaded for
    # the next measure, and each child starts from it.
    function(make(SMALL))
    receive, send = multiprocessing.Pipe(duplex=False)

    def measure() -> None:
        gc.freeze()
        try:
            send.send(_growth(function, make))
        except BaseException as exc:
            send.send(exc)

    child = multiprocessing.get_context("fork").Process(target=measure)
    child.start()
    try:
        found = receive.recv()
    finally:
        child.kill()
        child.join()
    if isinstance(found, BaseException):
        raise found
    return found


def _growth(function: Callable[[str], object], make: Callable[[int], str]) -> float:
    def measured(small: str, large: str) -> float:
        # Warmed up on both: compiled patterns and imported modules, and the pages of the
        # parent's memory a text touches (copied on the child's first write), which a large
        # text touches more of than a small one.
        function(small)
        function(large)
        return min(
            _cpu_seconds(function, large, 1) / _cpu_seconds(function, small, 5) for _ in range(3)
        )

    ratio = measured(make(SMALL), make(LARGE))
    if ratio < MOST_GROWTH:
        return ratio
    return min(ratio, measured(make(LARGE), make(2 * LARGE)) ** math.log2(LARGE / SMALL))


def capped_cpu_seconds(call: Callable[[], object], cap: float) -> float | None:
    """CPU seconds of `call()` in a forked child, or None when it ran past `cap` seconds (the
    benchmarks' figure: code from before a fix may take minutes on one text)."""
    receive, send = multiprocessing.Pipe(duplex=False)

    def measure() -> None:
        started = time.thread_time()
        call()
        send.send(time.thread_time() - started)

    child = multiprocessing.get_context("fork").Process(target=measure)
    child.start()
    ready = receive.poll(cap)
    if not ready:
        child.kill()
    child.join()
    return receive.recv() if ready else None


def peak_memory_mb(call: Callable[[], object]) -> float:
    """How many MB the resident memory of a forked child grows, at its peak, while `call()`
    runs: C libraries' allocations included (lxml's trees, zlib's buffers), which tracemalloc
    does not see. The child's peak is reset at the start (Linux's /proc/self/clear_refs), so
    the parent's history does not count."""
    receive, send = multiprocessing.Pipe(duplex=False)

    def measure() -> None:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # resets VmHWM to the current resident size
        before = _status_kb("VmHWM")
        try:
            call()
        finally:
            send.send((_status_kb("VmHWM") - before) / 1024)

    child = multiprocessing.get_context("fork").Process(target=measure)
    child.start()
    child.join()
    return receive.recv()


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise LookupError(field)

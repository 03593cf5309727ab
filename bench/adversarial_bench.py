"""The scrubber's worst case, run on demand (never in CI):

    .venv/bin/python bench/adversarial_bench.py [--size 100000] [--timeout 30]

Runs every detector of consultations/llm/pii/ on every adversarial generator of
tests/security/adversarial.py at --size characters and prints, per detector, the most CPU time
one text cost it and which generator did it. Each measurement runs in a child process, stopped
after --timeout seconds of wall time (shown as "> N s"), so a super-linear detector cannot hold
the bench for hours.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.security.adversarial import DETECTORS, GENERATORS, PIPELINES  # noqa: E402
from tests.security.linear_time import capped_cpu_seconds  # noqa: E402

MEASURED = {**DETECTORS, **PIPELINES}


def seconds(detector: str, generator: str, size: int, timeout: float) -> float | None:
    """CPU seconds of one detector on one generator's text, or None when it ran out of time."""
    text = GENERATORS[generator](size)
    return capped_cpu_seconds(lambda: MEASURED[detector](text), timeout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="characters of each text")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before giving up")
    args = parser.parse_args()
    print(
        f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {len(GENERATORS)} generators at "
        f"{args.size:,} characters\n"
    )
    print("| detector | worst CPU time | generator |")
    print("| --- | ---: | --- |")
    for detector in MEASURED:
        worst, worst_by = 0.0, ""
        for generator in GENERATORS:
            spent = seconds(detector, generator, args.size, args.timeout)
            if spent is None:
                worst, worst_by = float("inf"), generator
                break
            if spent > worst:
                worst, worst_by = spent, generator
        shown = f"> {args.timeout:g} s" if worst == float("inf") else f"{1000 * worst:.1f} ms"
        print(f"| {detector} | {shown} | {worst_by} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

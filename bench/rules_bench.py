"""Contract rule checks' worst cases, run on demand (never in CI):

    .venv/bin/python bench/rules_bench.py [--policies-from FILE] [--size 100000] [--cap 5]

It runs every rule of every policy in consultations/policies.py (or in FILE, another version
of that module, for example the one before a change: `git show REV:consultations/policies.py
> /tmp/policies_before.py`) over every adversarial text of tests/security/adversarial_rules.py
at --size characters, and prints, for each rule, its worst text and the CPU seconds it took;
rules that several policies share are run once. Each run is a forked child killed after --cap
seconds, so a rule that grows with the square of its input is reported as capped (with what
it took at a tenth of the size) instead of running for an hour.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from tests.security.adversarial_rules import GENERATORS  # noqa: E402
from tests.security.linear_time import capped_cpu_seconds  # noqa: E402


def _policies(path: str | None) -> ModuleType:
    if path is None:
        import consultations.policies

        return consultations.policies
    spec = importlib.util.spec_from_file_location("policies_under_bench", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _checked(policies: ModuleType, rule: object, text: str) -> Callable[[], object]:
    # Versions before rules took a Contract checked the text itself.
    contract = policies.Contract(text) if hasattr(policies, "Contract") else text
    return lambda: rule.check(contract)  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--policies-from", help="a policies.py to bench instead of the current")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--cap", type=float, default=5.0)
    args = parser.parse_args()
    policies = _policies(args.policies_from)

    # Rules shared by several policies (the common wording, the notice period) run once.
    owners: dict[int, list[str]] = {}
    rules: dict[int, object] = {}
    for policy in policies.POLICIES.values():
        for rule in policy.rules:
            owners.setdefault(id(rule), []).append(policy.name)
            rules[id(rule)] = rule

    print(f"{'rule':40} {'policies':42} {'worst text':24} {'CPU s':>8}")
    for rule_id, rule in rules.items():
        worst, worst_seconds, small = "", 0.0, None
        for name, make in GENERATORS.items():
            seconds = capped_cpu_seconds(_checked(policies, rule, make(args.size)), args.cap)
            if seconds is None:
                small = capped_cpu_seconds(
                    _checked(policies, rule, make(args.size // 10)), args.cap
                )
                worst, worst_seconds = name, float("inf")
                break
            if seconds > worst_seconds:
                worst, worst_seconds = name, seconds
        key = f"{type(rule).__name__}.{rule.key}"  # type: ignore[attr-defined]
        figure = (
            f"> {args.cap:.0f} (capped; {small:.2f} s at {args.size // 10:,})"
            if small is not None
            else f"{worst_seconds:8.3f}"
        )
        print(f"{key:40} {', '.join(owners[rule_id]):42} {worst:24} {figure}", flush=True)


if __name__ == "__main__":
    main()

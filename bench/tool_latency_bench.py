"""What a tool call adds to a chat's latency, run on demand (never in CI):

    .venv/bin/python bench/tool_latency_bench.py [--runs 60] [--llm-latency-ms 0]

In one process, on a throwaway test database (SQLite unless DATABASE_URL says otherwise) and the
cache the settings name, with the test suite's fake OpenAI-compatible model (tests/fake_llm.py)
answering after `--llm-latency-ms`: the same chat question about a case with one deadline, each
run worded apart so that no answer comes from the answer cache, asked through the pipeline
(`chat_answer`) in three ways:

- no tools: the model answers at once (tools switched off, LLM_TOOLS=false);
- one round, tool cache cold: the model asks for deadlines_list, the tool reads the database,
  the model answers (the tool cache emptied before each run);
- one round, tool cache warm: the same, the tool's result from the tool cache.

Prints p50 and p95 of each in milliseconds, the difference of the p50s (what one round of
tool calls costs besides the model's own second answer; with `--llm-latency-ms 0`, nothing
but our side: the second request, the tool, scrubbing and the records), and the p50 of the
tool call itself as its ToolCall row recorded it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--llm-latency-ms", type=int, default=0)
    args = parser.parse_args()

    import django

    django.setup()
    from asgiref.sync import async_to_sync
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import setup_test_environment

    from cases.models import Deadline
    from consultations.models import ToolCall
    from consultations.services import chat_answer
    from tests.factories import CaseFactory, ClientFactory, DeadlineFactory, LawyerFactory
    from tests.fake_llm import Delay, FakeLLM, Reply, ToolCalls

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    fake = FakeLLM()
    fake.start()
    settings.LLM_PROVIDER, settings.LLM_API_KEY = "openai", "bench-key"
    settings.LLM_BASE_URL = fake.base_url
    try:
        client, lawyer = ClientFactory(), LawyerFactory()
        case = CaseFactory(client=client, lawyers=[lawyer])
        DeadlineFactory(case=case, responsible=lawyer, kind=Deadline.Kind.FILING)

        def reply(behaviour: object) -> object:
            seconds = args.llm_latency_ms / 1000
            return Delay(seconds, then=behaviour) if seconds else behaviour

        def timed(label: str, tools: bool, warm: bool) -> list[float]:
            settings.LLM_TOOLS = tools
            times = []
            for run in range(args.runs):
                fake.reset()
                if tools:
                    fake.script(reply(ToolCalls(("deadlines_list", {"days": 14}))))
                fake.default = reply(Reply(text="A filing is due next week."))
                if not warm:
                    cache.clear()
                started = time.perf_counter()
                async_to_sync(chat_answer)(
                    user=client,
                    message=f"What is due on this case in the next two weeks? ({label} {run})",
                    case=case,
                    request_id=f"bench-{label}-{run}",
                )
                times.append((time.perf_counter() - started) * 1000)
            return times[3:]  # the first few warm the connections and the code paths

        results = {
            "no tools": timed("plain", tools=False, warm=False),
            "one round, tool cache cold": timed("cold", tools=True, warm=False),
            "one round, tool cache warm": timed("warm", tools=True, warm=True),
        }
        base = statistics.median(results["no tools"])
        print(f"{args.runs} runs each, model latency {args.llm_latency_ms} ms, {connection.vendor}")
        tool_ms = {
            label: ToolCall.objects.filter(request_id__startswith=f"bench-{label}-").values_list(
                "elapsed_ms", flat=True
            )
            for label in ("cold", "warm")
        }
        for label, times in results.items():
            p50 = statistics.median(times)
            p95 = statistics.quantiles(times, n=20)[-1]
            print(f"{label:28} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  (+{p50 - base:.1f} ms)")
        for label, elapsed in tool_ms.items():
            print(f"the tool call itself, cache {label}: p50 {statistics.median(elapsed)} ms")
    finally:
        fake.stop()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()

"""Run the test suite's fake OpenAI-compatible server (tests/fake_llm.py) as its own process
for bench/load_bench.py: it answers every chat completion at once with the default reply.

Prints its base URL on the first line of stdout, then serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_llm import FakeLLM


def main() -> None:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    fake = FakeLLM()
    fake.start()
    print(fake.base_url, flush=True)
    while not stop.wait(1.0):
        fake.reset()  # it records every request for tests: a bench would fill the memory
    fake.stop()


if __name__ == "__main__":
    main()

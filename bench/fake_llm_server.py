"""Run the test suite's fake OpenAI-compatible server (tests/fake_llm.py) as its own process
for the benches: it answers every chat completion with the same reply, at once or after
`--latency-ms`, as a real model would after thinking, and `/v1/embeddings` with the test
model's vectors (tests/fake_embeddings.py).

Prints its base URL on the first line of stdout, then serves until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_llm import DEFAULT_TEXT, Behaviour, Delay, FakeLLM, RecordedRequest, Reply


class UnrecordedFakeLLM(FakeLLM):
    """Keeps no record of the requests: tests read them, a bench would only fill the memory."""

    def _take(self, request: RecordedRequest) -> Behaviour:
        return self.default


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=int, default=0, help="wait before each answer")
    parser.add_argument("--text", default=DEFAULT_TEXT, help="the answer to every completion")
    args = parser.parse_args()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    fake = UnrecordedFakeLLM()
    reply = Reply(text=args.text)
    fake.default = Delay(args.latency_ms / 1000, then=reply) if args.latency_ms else reply
    fake.start()
    print(fake.base_url, flush=True)
    stop.wait()
    fake.stop()


if __name__ == "__main__":
    main()

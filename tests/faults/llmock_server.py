"""``llmock serve`` in its own process, driven over its control API (``/_llmock/*``).

llmock is a fault-injecting OpenAI-compatible server: behaviours queued with
``POST /_llmock/scenario`` (``{"type": "fail", "status": 429, "retry_after": 0.3}``,
``{"type": "delay", "seconds": 2}``, ``{"type": "stream_fault", "kind": "disconnect"}``...)
are consumed by the requests that follow, and ``GET /_llmock/requests`` lists every attempt it
served with its timing, status and the fault it got. ``GET /_llmock/verdict`` is its own
judgement of the client (Retry-After ignored, a 4xx retried, a retry storm).

It runs as a separate process on purpose: the product's client then meets real sockets, real
timeouts and real dropped connections, as it would in production.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

# Generous: the CI machine has two busy cores, and uvicorn imports FastAPI before it listens.
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 10
CONTROL_TIMEOUT_S = 10
_LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


class LLMockServer:
    """One ``llmock serve`` process on a free port (port 0: the kernel picks, uvicorn logs it)."""

    def __init__(self) -> None:
        self._log = Path(tempfile.mkstemp(prefix="llmock-", suffix=".log")[1])
        self._process: subprocess.Popen[bytes] | None = None
        self.url = ""

    @property
    def base_url(self) -> str:
        """What the OpenAI SDK needs as its base URL."""
        return f"{self.url}/v1"

    def start(self) -> None:
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "llmock.cli", "serve", "--host", "127.0.0.1", "--port", "0"],
                # Its banner and access log are of no use here; uvicorn's own lines (the port,
                # a traceback) go to stderr, kept in the log for a failing test to show.
                stdout=subprocess.DEVNULL,
                stderr=log,
                # A process group of its own, so the teardown ends exactly what it started.
                start_new_session=True,
            )
        until = time.monotonic() + START_TIMEOUT_S
        while not (match := _LISTENING.search(self._log.read_text(errors="replace"))):
            if self._process.poll() is not None or time.monotonic() > until:
                self.stop()
                raise RuntimeError(f"llmock serve did not start:\n{self.log()}")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{match.group(1)}"

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait(STOP_TIMEOUT_S)
        self._process = None
        self._log.unlink(missing_ok=True)

    def log(self) -> str:
        return self._log.read_text(errors="replace") if self._log.exists() else ""

    # --- The control API ----------------------------------------------------------------

    def reset(self) -> None:
        """Forget every queued behaviour and recorded request."""
        self._call("POST", "/_llmock/reset")

    def queue(self, *behaviours: dict[str, Any]) -> None:
        self._call("POST", "/_llmock/scenario", {"behaviors": list(behaviours)})

    def clear_scenario(self) -> None:
        """Drop the behaviours still waiting; the recorded requests stay."""
        self._call("DELETE", "/_llmock/scenario")

    def requests(self) -> list[dict[str, Any]]:
        """Every request served since the last reset, oldest first, with ``started_at`` and
        ``ended_at`` (monotonic seconds), ``status`` and ``fault``. llmock waits up to two
        seconds for requests still in flight, e.g. one the client gave up on mid-delay."""
        return self._call("GET", "/_llmock/requests")["requests"]

    def verdict(self) -> dict[str, Any]:
        return self._call("GET", "/_llmock/verdict")

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=CONTROL_TIMEOUT_S) as response:
            return json.loads(response.read())

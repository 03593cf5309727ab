"""Counsel under its production server (gunicorn.conf.py: gunicorn with uvicorn workers) in
front of a slow fake model (tests/async_fake_llm.py, which counts the calls it holds at once):
a hundred people asking at once all reach the model together, answered or streamed, and a
restart or a shutdown lets the calls in flight finish.

These are properties of concurrency, not timings: the fake's own count of the calls it held
at once, and every answer arriving whole.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import sys
import urllib.request
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import MySQLdb
import pytest
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from tests.async_fake_llm import ANSWER
from tests.faults.servers import (
    LiveApp,
    Server,
    private_mariadb_server,
    request,
    served,
    wait_for,
)

MODEL_SECONDS = 3.0
# A stream the reader leaves: the model would write it for this long.
STOPPED_STREAM_SECONDS = 60.0
CONCURRENT = 100
# Room for every request to queue behind the others where a server serves few at once.
BURST_TIMEOUT_S = 180


@contextmanager
def slow_model(folder: Path) -> Iterator[str]:
    """The fake model, answering every call after MODEL_SECONDS; its base URL (`.../v1`)."""
    log_path = folder / "model.log"

    def base_url() -> str:
        return log_path.read_text().partition("\n")[0] if log_path.exists() else ""

    model = Server(
        name="fake model",
        argv=[sys.executable, "tests/async_fake_llm.py", "--seconds", str(MODEL_SECONDS)],
        log_path=log_path,
        ready=lambda: base_url().startswith("http://"),
    )
    model.start()
    try:
        yield base_url()
    finally:
        model.stop()


def _model_stats(base_url: str) -> dict[str, int]:
    """`{"inFlight", "peak", "calls"}`: the calls the model holds now, the most it held."""
    with urllib.request.urlopen(base_url.removesuffix("/v1") + "/stats", timeout=5) as answer:
        return json.load(answer)


def _model_reset(base_url: str, seconds: float) -> None:
    """The model's delay from now on (a stream's chunks spread over it); its counts zeroed."""
    reset = urllib.request.Request(
        base_url.removesuffix("/v1") + "/reset",
        data=json.dumps({"seconds": seconds}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(reset, timeout=5):
        pass


def _model_env(base_url: str) -> dict[str, str]:
    return {
        "LLM_PROVIDER": "openai",
        "LLM_BASE_URL": base_url,
        "LLM_API_KEY": "test-key",
        "LLM_TIMEOUT_MS": "60000",
        "LLM_DEADLINE_MS": "120000",
        # One client asks them all here; the limits are not what is tested.
        "AI_RATE_LIMIT_CHAT": "10000/60",
        "AI_RATE_LIMIT_CHAT_ADDRESS": "10000/60",
    }


def _ask(app: LiveApp, question: str, *, streamed: bool) -> tuple[int, str]:
    return request(
        app.url + "/api/ai/chat",
        body={"userId": app.user_id, "message": question},
        token=app.token,
        accept="text/event-stream" if streamed else "application/json",
        timeout=BURST_TIMEOUT_S,
    )


def _answer(status: int, body: str, *, streamed: bool) -> str:
    """The answer the caller read: the JSON's, or the streamed deltas put together once the
    stream said it was done."""
    assert status == 200, body[-2000:]
    if not streamed:
        return json.loads(body)["answer"]
    assert "event: done" in body, body[-2000:]
    deltas = [
        json.loads(line.removeprefix("data: ")).get("delta", "")
        for line in body.splitlines()
        if line.startswith("data: ")
    ]
    return "".join(deltas)


def _web_threads(app: LiveApp) -> int:
    """Threads of gunicorn's worker processes, together."""
    assert app.server.process is not None
    master = app.server.process.pid
    threads = 0
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
        except (NotADirectoryError, FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("PPid", "").strip() == str(master):
            threads += int(fields["Threads"])
    return threads


# --- A hundred at once ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def production_app(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveApp, str, int]]:
    """Counsel as production runs it (gunicorn.conf.py, its processes, MariaDB, Redis) in
    front of the slow model; the app, the model's base URL and the database's port."""
    if sys.platform != "linux":
        pytest.skip("counts the server's threads in /proc")
    folder = tmp_path_factory.mktemp("production")
    with (
        slow_model(folder) as model,
        private_mariadb_server() as (_database, port),
        served(
            database_url=f"mysql://root@127.0.0.1:{port}/counsel",
            tmp_path=folder,
            REDIS_URL=settings.REDIS_URL,
            **_model_env(model),
        ) as app,
    ):
        yield app, model, port


@pytest.mark.parametrize("streamed", [False, True], ids=["answered", "streamed"])
def test_a_hundred_people_asking_at_once_all_reach_the_model_together(
    production_app: tuple[LiveApp, str, int], streamed: bool
) -> None:
    app, model, _ = production_app
    _model_reset(model, MODEL_SECONDS)
    kind = "streamed" if streamed else "answered"
    with ThreadPoolExecutor(max_workers=CONCURRENT) as clients:
        asked = [
            clients.submit(_ask, app, f"Question {number} {kind}: may I sublet?", streamed=streamed)
            for number in range(CONCURRENT)
        ]
        # While every call waits at the model, count the threads serving them (a waiting call
        # should hold none); a server that lets fewer through never gets there.
        wait_for(
            lambda: _model_stats(model)["inFlight"] == CONCURRENT or all(f.done() for f in asked),
            what="the calls to reach the model or end",
            timeout=BURST_TIMEOUT_S,
        )
        threads_while_waiting = _web_threads(app)
        answers = [_answer(*future.result(), streamed=streamed) for future in asked]

    assert answers == [ANSWER] * CONCURRENT
    stats = _model_stats(model)
    assert stats["calls"] == CONCURRENT  # each question its own call: no cache, no retry
    assert stats["peak"] == CONCURRENT, f"{stats}\n{app.log()[-3000:]}"
    assert threads_while_waiting < CONCURRENT


def test_a_stream_the_reader_leaves_stops_the_model_and_is_recorded_cancelled(
    production_app: tuple[LiveApp, str, int],
) -> None:
    """The user pressed Stop (the browser closed the connection): the server stops reading
    the model at once, rather than for the minute the answer would still take, and records
    what was shown as a cancelled exchange."""
    app, model, database_port = production_app
    _model_reset(model, STOPPED_STREAM_SECONDS)
    host, port = app.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request(
        "POST",
        "/api/ai/chat",
        body=json.dumps({"userId": app.user_id, "message": "Stop me after the first words?"}),
        headers={
            "Authorization": f"Bearer {app.token}",
            "Content-Type": "application/json",
            "Accept": "text/event-stream",
        },
    )
    response = connection.getresponse()
    assert response.status == 200
    conversation_id = int(response.headers["X-Conversation-Id"])
    first = response.readline()
    while not first.startswith(b"data: "):
        first = response.readline()
    shown = json.loads(first.removeprefix(b"data: "))["delta"]
    assert _model_stats(model)["inFlight"] == 1
    connection.close()

    wait_for(
        lambda: _model_stats(model)["inFlight"] == 0,
        what="the server to close its call to the model",
        timeout=STOPPED_STREAM_SECONDS / 2,
        log=app.log,
    )
    database = MySQLdb.connect(host="127.0.0.1", port=database_port, user="root", db="counsel")
    try:

        def recorded() -> tuple[str, str, str] | None:
            database.commit()  # a fresh snapshot each look
            with database.cursor() as cursor:
                cursor.execute(
                    "SELECT outcome, error_code, answer FROM consultations_consultation"
                    " WHERE conversation_id = %s",
                    (conversation_id,),
                )
                return cursor.fetchone()

        wait_for(lambda: recorded() is not None, what="the exchange's record", log=app.log)
        outcome, error_code, answer = recorded()
    finally:
        database.close()
    assert (outcome, error_code) == ("failed", "cancelled")
    assert answer.startswith(shown)
    assert len(answer) < len(ANSWER)


# --- Metrics from every process -------------------------------------------------------------


def test_a_scrape_counts_the_calls_every_web_process_served(tmp_path: Path) -> None:
    folder = tmp_path / "prometheus"
    folder.mkdir()
    with served(
        database_url=f"sqlite:///{tmp_path / 'counsel.sqlite3'}",
        tmp_path=tmp_path,
        gunicorn_args=("--workers", "2"),
        PROMETHEUS_MULTIPROC_DIR=str(folder),
    ) as app:
        with ThreadPoolExecutor(max_workers=20) as clients:
            asked = [
                clients.submit(_ask, app, f"Offline question {number}?", streamed=False)
                for number in range(20)
            ]
            assert {future.result()[0] for future in asked} == {200}
        status, exposed = request(app.url + "/metrics", accept="text/plain")

    assert status == 200
    calls = {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(exposed)
        for sample in family.samples
        if sample.name == "counsel_ai_calls_total" and sample.labels["kind"] == "chat"
    }
    assert calls == {"ok": 20}


# --- Restarts -------------------------------------------------------------------------------


def test_calls_in_flight_are_answered_through_a_reload_and_a_shutdown(tmp_path: Path) -> None:
    """SIGHUP (a deploy's reload) and then SIGTERM (a shutdown) reach gunicorn while a chat
    and a streamed chat wait on the model: both still get their whole answer each time, and
    the server then exits cleanly."""
    with (
        slow_model(tmp_path) as model,
        served(
            database_url=f"sqlite:///{tmp_path / 'counsel.sqlite3'}",
            tmp_path=tmp_path,
            gunicorn_args=("--workers", "1"),
            **_model_env(model),
        ) as app,
    ):
        assert app.server.process is not None
        for sig in (signal.SIGHUP, signal.SIGTERM):
            wait_for(lambda: request(app.url + "/healthz", timeout=2)[0] == 200, what="the app")
            with ThreadPoolExecutor(max_workers=2) as clients:
                asked: dict[bool, Future[tuple[int, str]]] = {
                    streamed: clients.submit(
                        _ask, app, f"Before {sig.name}, streamed={streamed}?", streamed=streamed
                    )
                    for streamed in (False, True)
                }
                wait_for(
                    lambda: _model_stats(model)["inFlight"] == 2,
                    what="both calls to wait on the model",
                    log=app.log,
                )
                os.kill(app.server.process.pid, sig)
                answers: dict[bool, str] = {
                    streamed: _answer(*future.result(), streamed=streamed)
                    for streamed, future in asked.items()
                }
            assert answers == {False: ANSWER, True: ANSWER}, app.log()[-3000:]

        assert app.server.process.wait(timeout=60) == 0, app.log()[-3000:]

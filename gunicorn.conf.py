"""gunicorn's settings for Counsel, read from the folder it is started in: `gunicorn` alone
serves the app (the options on its command line still win).

gunicorn manages the processes (one per core, restarts, graceful reloads on SIGHUP) and each
process runs uvicorn's event loop serving the ASGI application (uvloop and httptools). An AI
call waiting on the model, or a streamed answer the model is still writing, is then a
coroutine, not one of a few threads: with threaded WSGI workers the 17th caller of a machine
waited in a queue while 16 threads waited on the model (issue #20). Chosen over granian by
measurement on the same machine (docs/serving.md).

The worker reports to its arbiter from its event loop, so a request that outlasts `timeout`
(an AI call may wait up to LLM_DEADLINE_MS, 50 s by default) is never mistaken for a hung
worker; only code that blocks the loop would be. Sync views, the admin and the pages run in
Django's threads as before.
"""

import os
import sys

from django.conf import settings
from prometheus_client import multiprocess
from uvicorn_worker import UvicornWorker

from config.serving import HttpToolsProtocol

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class CounselUvicornWorker(UvicornWorker):
    # The client address is the socket's, as it was under WSGI: Django and the login guard
    # read X-Forwarded-For themselves, behind PROXY_COUNT trusted proxies only. The lifespan
    # runs the MCP server's session manager (config.asgi), and a process that cannot start it
    # does not serve. The protocol is uvicorn's httptools one, bounding the request's head and
    # answering its own refusals as the API's problems (config.serving).
    CONFIG_KWARGS = {
        "loop": "uvloop",
        "http": HttpToolsProtocol,
        "proxy_headers": False,
        "lifespan": "on",
    }


wsgi_app = "config.asgi:application"
worker_class = CounselUvicornWorker
# WEB_CONCURRENCY is gunicorn's own variable for the number of worker processes.
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
# Seconds an idle client connection is kept open for its next request (uvicorn's keep-alive).
keepalive = 5
# On a restart (SIGHUP, SIGTERM) a process stops accepting and finishes what it serves: a
# request in flight may be an AI call still inside its deadline, or a stream being written.
graceful_timeout = settings.LLM_DEADLINE_MS // 1000 + 10


def child_exit(server: object, worker: object) -> None:
    """A process that ended leaves its counters' files for the scrape to sum (they happened),
    but its live gauges must go: prometheus_client's hook for a multi-process server."""
    if settings.PROMETHEUS_MULTIPROC_DIR:
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]


def post_worker_init(worker: object) -> None:
    # A worker's event loop shares the GIL with its sync and database threads, and a
    # thread running Python keeps it up to the switch interval (5 ms by default) before the
    # loop gets a turn: a convoy, every hop to a thread and back paying it. At 1 ms the loop
    # waits less; cache hits a second at 16 connections went from 112 to 189 on two cores
    # (bench/load_bench.py, docs/benchmarks.md); 0.2 ms was slower again.
    sys.setswitchinterval(0.001)

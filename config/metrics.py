"""Prometheus metrics of Counsel, and `GET /metrics` that exposes them.

Everything about metrics lives here: the metric definitions, what one AI call, one HTTP
request and one Celery task add to them, the values read at scrape time (readiness, drafts
waiting) and the restricted exposition view. The "On call" chapter of docs/operations.md
explains the alerts built on them (`deploy/prometheus/alerts.yml`).

gunicorn and the Celery worker run several processes. With `PROMETHEUS_MULTIPROC_DIR` set in
the environment before the process starts, prometheus_client keeps every process's values in
files in that folder and a scrape adds them up; without it (development, tests) each process
keeps its own values in memory.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal

from asgiref.sync import iscoroutinefunction
from django.apps import apps
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseForbidden
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.decorators import sync_and_async_middleware
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder

from config import health

logger = logging.getLogger("counsel.metrics")

# The `_created` series would double the number of series and no alert reads them.
disable_created_metrics()

# --- HTTP -----------------------------------------------------------------------------------

# Seconds; AI endpoints may legitimately take up to LLM_DEADLINE_MS (50 s by default).
_HTTP_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60)
# Any other method a client invents is counted as "other", so it cannot add series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "counsel_http_requests_total",
    "HTTP responses by URL route (the pattern, not the path), method and status code.",
    ["endpoint", "method", "status"],
)
HTTP_DURATION = Histogram(
    "counsel_http_request_duration_seconds",
    "Time from the request entering Django to its response leaving, by URL route.",
    ["endpoint"],
    buckets=_HTTP_BUCKETS,
)


def _endpoint(request: HttpRequest) -> str:
    """The route that served the request ("/api/cases/<int:case_id>"), so that two case ids
    make one series. A middleware that answered before the URL was resolved (a CORS preflight,
    an HTTPS redirect, a login lockout) is labelled with the route the path would have taken."""
    if request.path_info.startswith(settings.STATIC_URL):
        return "static"
    match = request.resolver_match
    if match is None:
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return "unmatched"
    return "/" + match.route


def http_response_observe(*, endpoint: str, method: str, status: int, seconds: float) -> None:
    """One response of `endpoint` (a route, or an ASGI application's path such as "/mcp")."""
    method = method if method in _METHODS else "other"
    HTTP_REQUESTS.labels(endpoint, method, str(status)).inc()
    HTTP_DURATION.labels(endpoint).observe(seconds)


@sync_and_async_middleware
def http_metrics_middleware(
    get_response: Callable[[HttpRequest], HttpResponseBase],
) -> Callable[[HttpRequest], HttpResponseBase]:
    """Counts and times every response. First in MIDDLEWARE, so that the time includes the
    other middleware and the responses they give on their own are counted too.

    Async under ASGI: a sync middleware would run every request, an AI call waiting on the
    model included, in a thread of its own. A streamed response is counted and timed when it
    is returned, before its body is sent: the body is never read here."""

    def observe(request: HttpRequest, response: HttpResponseBase, started: float) -> None:
        http_response_observe(
            endpoint=_endpoint(request),
            method=request.method or "",
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )

    if iscoroutinefunction(get_response):

        async def amiddleware(request: HttpRequest) -> HttpResponseBase:
            started = time.perf_counter()
            response = await get_response(request)
            observe(request, response, started)
            return response

        return amiddleware

    def middleware(request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = get_response(request)
        observe(request, response, started)
        return response

    return middleware


# --- AI calls -------------------------------------------------------------------------------

# Seconds; one call is bounded by LLM_DEADLINE_MS (50 s by default).
_LLM_BUCKETS = (0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60)

AI_CALLS = Counter(
    "counsel_ai_calls_total",
    "AI calls recorded as Consultations, by kind (chat, analyze, draft) and outcome "
    "(ok, failed, rejected); cache hits included.",
    ["kind", "outcome"],
)
AI_REFUSALS = Counter(
    "counsel_ai_refusals_total",
    "AI calls refused before the cache or the provider, by kind and reason (budget, "
    "rate_limit); also counted in counsel_ai_calls_total as outcome rejected.",
    ["kind", "reason"],
)
AI_CACHE = Counter(
    "counsel_ai_cache_total",
    "AI answer cache lookups by kind and result (hit, miss); a miss asks the provider.",
    ["kind", "result"],
)
LLM_LATENCY = Histogram(
    "counsel_llm_latency_seconds",
    "Duration of AI calls that asked the provider (cache hits excluded), failures included.",
    ["kind"],
    buckets=_LLM_BUCKETS,
)
LLM_ERRORS = Counter(
    "counsel_llm_errors_total",
    "Failed or rejected AI calls by kind and error code (timeout, unavailable, rate_limited, "
    "misconfigured, rejected, bad_output, truncated).",
    ["kind", "error"],
)
AI_TOKENS = Counter(
    "counsel_ai_tokens_total",
    "Tokens spent at the provider by kind and direction (prompt, completion); a cache hit "
    "spends none.",
    ["kind", "direction"],
)
AI_COST = Counter(
    "counsel_ai_cost_usd_total",
    "Estimated provider cost in US dollars by kind (LLM_PRICE_*_PER_MTOK).",
    ["kind"],
)


def ai_call_observe(
    *,
    kind: str,
    outcome: str,
    error_code: str,
    cache_hit: bool,
    attempts: int,
    latency_ms: int,
    prompt_tokens: int,
    completion_tokens: int,
    cost_usd: Decimal,
) -> None:
    """What one recorded AI call adds to the metrics (called by `consultation_record`).

    A cache hit records the tokens its answer originally cost, but spent none this time, so
    its tokens are not counted; a call that never reached the provider (no attempt) has no
    provider latency to observe; a refusal counts as a call and as a refusal, nothing else.
    """
    AI_CALLS.labels(kind, outcome).inc()
    if outcome == "rejected" and not attempts and not cache_hit:
        # Refused before the cache lookup (a budget, a rate limit): no lookup was made and the
        # provider did not fail, so neither the cache nor the LLM error rate hears of it.
        AI_REFUSALS.labels(kind, error_code).inc()
        return
    AI_CACHE.labels(kind, "hit" if cache_hit else "miss").inc()
    # An answered call may carry an error too: a fallback answered it (bad_output_fallback).
    if outcome != "ok" or error_code:
        LLM_ERRORS.labels(kind, error_code or "unknown").inc()
    if cache_hit:
        return
    if attempts:
        LLM_LATENCY.labels(kind).observe(latency_ms / 1000)
    AI_TOKENS.labels(kind, "prompt").inc(prompt_tokens)
    AI_TOKENS.labels(kind, "completion").inc(completion_tokens)
    AI_COST.labels(kind).inc(float(cost_usd))


TOOL_CALLS = Counter(
    "counsel_tool_calls_total",
    "Tool calls (consultations.tools) by tool, channel (chat, mcp) and result: hit or miss of "
    "the tool cache, or the error code (invalid_arguments, not_found, unknown_tool, failed).",
    ["tool", "channel", "result"],
)


def tool_call_observe(*, tool: str, channel: str, cached: bool, error_code: str) -> None:
    """One tool call (called by `consultations.tools.tool_call`); an unknown tool's name is
    counted as "unknown", so a model cannot grow the label set."""
    result = error_code or ("hit" if cached else "miss")
    TOOL_CALLS.labels(tool if error_code != "unknown_tool" else "unknown", channel, result).inc()


# --- Celery ---------------------------------------------------------------------------------

CELERY_TASKS = Counter(
    "counsel_celery_tasks_total",
    "Celery task runs by task name and state (started, succeeded, failed, retried).",
    ["task", "state"],
)


def celery_task_observe(*, task: str, state: str) -> None:
    """One state change of a task run (called by the signal handlers in `config.celery`)."""
    CELERY_TASKS.labels(task, state).inc()


# --- Read at scrape time --------------------------------------------------------------------

# A draft still queued this long after it was requested is waiting for a worker: jobs start
# within seconds when workers are up, and a draft's retries (5, 10, 20 s) end well before.
DRAFT_WAIT = timedelta(minutes=5)


class _ScrapeTimeCollector:
    """Values computed when Prometheus scrapes, not kept in any process: every web process
    answers the same, whichever one the scrape reaches.

    `counsel_ready` runs the checks of `/readyz`. `counsel_drafts_waiting` counts the drafts
    still queued more than DRAFT_WAIT after they were requested, with one COUNT on an indexed
    column: it measures the backlog of the drafting queue the same way on every broker (the
    filesystem folder of development and RabbitMQ alike), and says nothing when the database
    does not answer rather than failing the scrape.
    """

    def collect(self) -> Iterator[Metric]:
        ready = GaugeMetricFamily(
            "counsel_ready",
            "1 when the dependency passes the readiness check of /readyz, else 0.",
            labels=["dependency"],
        )
        for name, check in health.CHECKS.items():
            try:
                check()
            except Exception:  # any failure of a dependency means "not ready", as in /readyz
                ready.add_metric([name], 0)
            else:
                ready.add_metric([name], 1)
        yield ready

        draft = apps.get_model("drafting", "Draft")
        try:
            count = draft.objects.filter(
                status=draft.Status.QUEUED, created_at__lt=timezone.now() - DRAFT_WAIT
            ).count()
        except Exception:
            # Broad on purpose: the scrape must still return everything else.
            logger.warning("drafts waiting not counted", exc_info=True)
            return
        waiting = GaugeMetricFamily(
            "counsel_drafts_waiting",
            "Drafts still queued (no worker has taken them) more than `age` after the request.",
            labels=["age"],
        )
        waiting.add_metric(["over_5m"], count)
        yield waiting


def metrics_exposition(*, accept: str = "") -> tuple[bytes, str]:
    """`(body, content type)` of a scrape, in the format the `Accept` header asks for."""
    registry = CollectorRegistry()
    if settings.PROMETHEUS_MULTIPROC_DIR:
        # Every process's files, the dead ones' included: their counts still happened.
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REGISTRY)  # this process's own metrics
    registry.register(_ScrapeTimeCollector())
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type


# --- GET /metrics ---------------------------------------------------------------------------


def _scrape_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer":
        return hmac.compare_digest(given.strip().encode(), token.encode())
    # Behind a reverse proxy on the same machine every request arrives from loopback: a
    # request the proxy relayed says so in X-Forwarded-For and must show the token instead.
    # Prometheus scrapes each process directly.
    if "X-Forwarded-For" in request.headers:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:  # a dual-stack socket's IPv4 caller
        address = address.ipv4_mapped
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus exposition, for a scraper that shows `Authorization: Bearer
    <METRICS_TOKEN>` or connects from METRICS_ALLOWED_NETWORKS; 403 for anyone else."""
    if not _scrape_allowed(request):
        return HttpResponseForbidden("Forbidden.\n", content_type="text/plain")
    body, content_type = metrics_exposition(accept=request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)

"""Counsel settings, read from the environment (and an optional `.env`).

With nothing set, Counsel runs on embedded defaults: SQLite, the local-memory cache, the
offline AI provider and a filesystem Celery broker, so one machine needs no server at all.
Production sets DEBUG=False, SECRET_KEY, DATABASE_URL (MySQL/MariaDB), REDIS_URL and
CELERY_BROKER_URL; docs/configuration.md lists every variable.
"""

from __future__ import annotations

import ipaddress
import os
import re
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

from config.secret_keys import derived_key, local_secret, strong_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # local state of a one-machine run: SQLite file, job folder
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _duration(value: str) -> timedelta:
    """`900`, `15m`, `12h` or `7d` (the JWT_EXPIRES_IN forms frontends already use)."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", value)
    if not match:
        raise ValueError(f"not a duration: {value!r} (use 900, 15m, 12h or 7d)")
    amount, unit = int(match[1]), match[2] or "s"
    return timedelta(seconds=amount * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit])


DEBUG = env.bool("DEBUG", default=True)
# Production brings its own strong key. A development install makes one of its own the first
# time it starts and keeps it in var/: no key is ever written in the code, where anyone could
# read it and sign sessions and API tokens with it.
if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="") or local_secret(VAR_DIR / "secret_key")
else:
    SECRET_KEY = strong_key("SECRET_KEY", env("SECRET_KEY", default=""))
# API tokens have a key of their own, derived from SECRET_KEY unless JWT_SECRET is given.
_jwt_secret = env("JWT_SECRET", default="")
if _jwt_secret and not DEBUG:
    strong_key("JWT_SECRET", _jwt_secret)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "accounts.apps.CounselAdminConfig",  # django.contrib.admin behind 2FA
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",  # spent and revoked refresh tokens
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "simple_history",
    "axes",
    "csp",
    "config",
    "accounts",
    "cases",
    "consultations",
    "drafting",
    "notifications",
]

# The config.middleware classes are Django's and django-csp's own, whose header-only hooks
# run on the event loop under ASGI (see there). Django's deploy checks look for its security,
# CSRF and X-Frame-Options middleware by name: config.checks looks for these instead.
SILENCED_SYSTEM_CHECKS = ["security.W001", "security.W002", "security.W003"]
MIDDLEWARE = [
    "config.metrics.http_metrics_middleware",  # first: times and counts every response
    "config.errors.ApiErrorsAsJsonMiddleware",  # sees every other middleware's answer
    "config.middleware.SecurityMiddleware",
    "config.middleware.StaticFilesMiddleware",  # WhiteNoise, async under ASGI
    "corsheaders.middleware.CorsMiddleware",
    "config.middleware.SessionMiddleware",
    "config.middleware.CommonMiddleware",
    "config.middleware.CsrfViewMiddleware",
    "config.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "config.middleware.MessageMiddleware",
    "config.middleware.XFrameOptionsMiddleware",
    "config.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last: it turns a view's lost database into the 503 page, seen by every middleware above.
    "config.errors.DatabaseOutageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data -----------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'counsel.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.mysql":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"charset": "utf8mb4", "init_command": "SET sql_mode='STRICT_TRANS_TABLES'"}
    )
    DATABASES["default"]["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
else:
    # Writers wait for each other (the web process and the worker share the file) instead of
    # failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # A file, not memory, so that a Celery worker started by the tests can share the test
    # database; one per process, so that two test runs never share one.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
# Persistent connections: a new MariaDB connection per request costs more than most requests.
# The health check before each request's first query replaces one the server dropped.
# They are safe under ASGI only because request threads live long: Django's stock ASGI handler
# starts a thread per request, and each would leave its connection behind (open until the
# server's wait_timeout) when it ends. config.asgi runs every request's sync code on one of
# SYNC_THREADS long-lived threads per process instead, and the AI path's ORM work runs on
# AI_DB_THREADS more (config.dbpool), so a web process keeps at most SYNC_THREADS +
# AI_DB_THREADS connections, whatever the number of requests in flight. Set 0 to close each
# one at the end of its request (a connection pooler in front of the database, or another
# ASGI entry).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Threads per web process that run requests' synchronous code under ASGI (config.asgi): sync
# views, the pages and the admin, middleware hooks, Django's request signals.
SYNC_THREADS = env.int("SYNC_THREADS", default=8)

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "counsel",
            "OPTIONS": {
                # A Redis outage must cost milliseconds, not a hung request.
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions live in the database so that a Redis outage never logs anybody out.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "cases:list"
LOGOUT_REDIRECT_URL = "accounts:login"

OTP_TOTP_ISSUER = "Counsel"

# Failed logins (accounts.lockout; docs/accounts.md). Five for one account from one address
# lock that pair for 15 minutes, never the account elsewhere nor others at that address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "accounts.lockout.LoginGuardHandler"
# A refused attempt checks no password, so it counts as no guess (and does not prolong a lock).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A login forgets that pair's failures only: other addresses' failures against the account
# still count.
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.services.lockout_response"
# Across all addresses, after this many failures in an hour only addresses the account has
# logged in from (within the days below) may try.
LOGIN_ACCOUNT_FAILURES_PER_HOUR = env.int("LOGIN_ACCOUNT_FAILURES_PER_HOUR", default=20)
LOGIN_KNOWN_ADDRESS_DAYS = env.int("LOGIN_KNOWN_ADDRESS_DAYS", default=90)
# A password reset link works once, for this long (Django's setting, in seconds).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
# An invitation's link works once, for this many days (a resend starts them again).
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)
# Requests anyone may send, per address and per account ("<count>/<seconds>"), shared through
# the cache (accounts.throttle): asking for a reset link, setting a password with one,
# accepting an invitation.
THROTTLE_RATES = {
    "password-reset": {
        "address": env("PASSWORD_RESET_RATE_ADDRESS", default="20/3600"),
        "account": env("PASSWORD_RESET_RATE_ACCOUNT", default="3/3600"),
    },
    "password-set": {
        "address": env("PASSWORD_SET_RATE_ADDRESS", default="30/3600"),
        "account": env("PASSWORD_SET_RATE_ACCOUNT", default="10/3600"),
    },
}
# Behind N trusted proxies the client address is read from X-Forwarded-For.
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0)
if AXES_IPWARE_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.VerifiedJWTAuthentication",
        "accounts.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "config.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    # The JSON parser bounds nesting (a deep body was a RecursionError, a 500).
    # JSON bodies only: a form encoding has no arrays, objects or null, so a request's meaning
    # would depend on how it was sent. The upload endpoints take multipart themselves.
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
}
# The client-facing frontend's origins may call the API; the pages and the admin stay
# same-origin whatever is configured.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = ["authorization", "content-type", "idempotency-key", "prefer", "x-request-id"]
CORS_EXPOSE_HEADERS = [
    "retry-after",
    "location",
    "idempotent-replayed",
    "x-request-id",
    "x-conversation-id",
]
CORS_PREFLIGHT_MAX_AGE = 3600

# Requests per user and, separately, per address (an office shares one) on the AI endpoints,
# shared by every web process through the cache: "<count>/<seconds>".
AI_RATE_LIMITS = {
    scope: {
        "user": env(f"AI_RATE_LIMIT_{name}", default=per_user),
        "address": env(f"AI_RATE_LIMIT_{name}_ADDRESS", default=per_address),
    }
    for scope, name, per_user, per_address in (
        ("chat", "CHAT", "30/60", "300/60"),
        ("analyze", "ANALYZE", "10/60", "100/60"),
        ("generate-document", "GENERATE", "10/60", "100/60"),
        # Tool calls of MCP clients (consultations.mcp): reads, no model behind them.
        ("mcp", "MCP", "60/60", "600/60"),
    )
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Counsel API",
    "DESCRIPTION": (
        "Cases and the AI assistant of Counsel. Wire names are camelCase.\n\n"
        "Every error is a problem (RFC 9457, `application/problem+json`): `type`, `title`, "
        "`status`, `detail`, and on a 400 `errors`, the refused fields by wire name, nested "
        "like the request. Branch on `status` and `type`; show `detail`. A 429 or 503 says "
        "when to retry in `Retry-After`. Limits: a body of 2.5 MB (413; a document upload "
        "25 MB), 1,000 form fields or "
        "query parameters (400), a URL of 8 KiB (414), 100 headers of 32 KiB in all (431); "
        "the server itself reads at most 64 KiB of request line and headers (431). "
        "See docs/api.md.\n\n"
        "Log in at `/api/auth/login` and send the access token as `Authorization: Bearer "
        "<access>`. A typed TypeScript client is generated from this schema: "
        "`clients/typescript/`."
    ),
    "VERSION": "1.0.0",
    # Relative: the API is served from the site that serves this schema.
    "SERVERS": [{"url": "/", "description": "This Counsel server"}],
    "CONTACT": {"name": "The Counsel team"},
    # OpenAPI 3.1: JSON Schema 2020-12, which can say that a server-sent event's data is JSON
    # of a given schema (contentMediaType, contentSchema), as the chat's stream needs.
    "OAS_VERSION": "3.1.0",
    # The firm's own API, not open source (an SPDX reference of its own, as 3.1 allows).
    "LICENSE": {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"},
    "TAGS": [
        {"name": "auth", "description": "Log in and out with JWTs; who the caller is."},
        {
            "name": "ai",
            "description": "The assistant: chat (also streamed), contract analysis, "
            "and the caller's record of AI exchanges.",
        },
        {"name": "conversations", "description": "Chat conversations and their turns."},
        {
            "name": "drafts",
            "description": "Document types, drafting a document (in the request "
            "or as a job) and a draft's status.",
        },
        {
            "name": "cases",
            "description": "The cases the caller may see, opened and changed by staff.",
        },
        {
            "name": "documents",
            "description": "Documents on a case and in the firm's knowledge base: upload, "
            "extraction status, download, delete.",
        },
        {
            "name": "deadlines",
            "description": "Deadlines on a case: added, changed, completed and reopened by "
            "staff, read by the case's client.",
        },
        {
            "name": "notifications",
            "description": "The e-mails the caller gets: each topic on or off.",
        },
        {
            "name": "admin",
            "description": "The operator's endpoints: the AI answer cache. Firm "
            "admins with a second factor only.",
        },
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    # The API docs page loads Swagger UI from this site, never from a CDN: a script from
    # elsewhere would run beside staff sessions (and the page works offline).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.camel_case_path_parameters",
        "config.openapi.postprocess_schema",
    ],
    # A finding's severity and an analysis's riskLevel are the same three levels.
    "ENUM_NAME_OVERRIDES": {
        "SeverityEnum": "consultations.policies.SEVERITIES",
        # Cases and drafts both have a "status", each with its own choices.
        "CaseStatusEnum": "cases.models.Case.Status",
        "DraftStatusEnum": "drafting.models.Draft.Status",
        "DocumentStatusEnum": "cases.models.Document.Status",
        # Deadlines and consultations both have a "kind"; the consultations' keeps its name.
        "KindEnum": "consultations.models.Consultation.Kind",
        "DeadlineKindEnum": "cases.models.Deadline.Kind",
    },
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": _duration(env("JWT_EXPIRES_IN", default="15m")),
    "REFRESH_TOKEN_LIFETIME": _duration(env("JWT_REFRESH_EXPIRES_IN", default="1d")),
    "SIGNING_KEY": _jwt_secret or derived_key(SECRET_KEY, "jwt"),
    "ALGORITHM": "HS256",
    "UPDATE_LAST_LOGIN": True,
}

# --- AI -------------------------------------------------------------------------------------
LLM_API_KEY = env("LLM_API_KEY", default="")
LLM_PROVIDER = env("LLM_PROVIDER", default="openai" if LLM_API_KEY else "offline")
LLM_BASE_URL = env("LLM_BASE_URL", default="") or None
LLM_MODEL = env("LLM_MODEL", default="gpt-4o-mini")
LLM_TIMEOUT_MS = env.int("LLM_TIMEOUT_MS", default=20_000)
LLM_MAX_RETRIES = env.int("LLM_MAX_RETRIES", default=2)
# LLM_TIMEOUT_MS bounds one attempt; this bounds all attempts and back-off sleeps together.
LLM_DEADLINE_MS = env.int("LLM_DEADLINE_MS", default=LLM_TIMEOUT_MS * 5 // 2)
LLM_BACKOFF_BASE_MS = env.int("LLM_BACKOFF_BASE_MS", default=500)
# Threads (and so database connections) each web process gives the AI path's ORM work
# (config.dbpool), apart from SYNC_THREADS so that a slow page never delays an AI call's
# short database work: the most it holds however many calls wait on the model.
AI_DB_THREADS = env.int("AI_DB_THREADS", default=8)
# The provider's model for embeddings (`/v1/embeddings`): passages and questions become vectors
# for semantic search beside the lexical one. Empty: lexical search only (the offline provider
# has no embeddings whatever this says).
LLM_EMBEDDING_MODEL = env("LLM_EMBEDDING_MODEL", default="")
# Texts sent in one embeddings request (a document's passages go in batches of this many).
LLM_EMBEDDING_BATCH = env.int("LLM_EMBEDDING_BATCH", default=64)
# Megabytes of passage vectors each process keeps in memory for semantic search, so a question
# does not read them from the database again; the documents used least recently go first.
EMBEDDING_CACHE_MB = env.int("EMBEDDING_CACHE_MB", default=256)
# Seconds each kind of answer stays cached.
LLM_CACHE_TTL = {
    "chat": env.int("LLM_CACHE_TTL_CHAT", default=30 * 60),
    "analyze": env.int("LLM_CACHE_TTL_ANALYZE", default=24 * 3600),
    "draft": env.int("LLM_CACHE_TTL_DRAFT", default=24 * 3600),
}
# Seconds a tool's result (consultations.tools) stays cached; a change to what it read makes it
# stale at once anyway.
CACHE_TOOL_TTL = env.int("CACHE_TOOL_TTL", default=30 * 60)
# Whether the chat offers the model its tools (function calling). Off: the answer is the
# model's from the prompt alone, as before tools; a provider that refuses `tools` is asked
# again without them either way.
LLM_TOOLS = env.bool("LLM_TOOLS", default=True)
# Rounds of tool calls one question may take before the model must answer without tools.
LLM_TOOL_ROUNDS = env.int("LLM_TOOL_ROUNDS", default=5)
# Estimated tokens (characters / 4) of a conversation's earlier turns sent with a question;
# the oldest turns beyond it are left out.
LLM_HISTORY_TOKEN_BUDGET = env.int("LLM_HISTORY_TOKEN_BUDGET", default=2000)
# Passages of the case's documents and the knowledge base given to the model with a question.
RETRIEVAL_PASSAGES = env.int("RETRIEVAL_PASSAGES", default=5)
# Tokens an answer is assumed to take until it arrives: a call holds its prompt's estimate plus
# this against the monthly budgets while it runs (consultations.budgets).
LLM_RESERVED_OUTPUT_TOKENS = env.int("LLM_RESERVED_OUTPUT_TOKENS", default=1000)
# USD per million tokens (input, output), for the cost estimate recorded with each call.
LLM_PRICE_PER_MTOK = (
    env.float("LLM_PRICE_INPUT_PER_MTOK", default=0.15),
    env.float("LLM_PRICE_OUTPUT_PER_MTOK", default=0.60),
)

# --- Background jobs ------------------------------------------------------------------------
# The default broker is a folder: jobs still run in a separate worker process, with no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery"
    _queue_dir.mkdir(exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(_queue_dir / "control"),
        # The folder is polled; kombu's default of 1 s lets a worker take one job a second,
        # which makes a 500-row batch take over eight minutes.
        "polling_interval": 0.1,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A draft's job spends nearly all its time waiting on the model, so a worker runs its jobs on
# threads, which wait cheaply, rather than one process per job (prefork): `celery -A config
# worker` alone takes both from here (a --concurrency on its command line still wins). Each
# thread awaits its job on the process's one event loop (drafting.tasks), whose database work
# runs in config.dbpool's AI_DB_THREADS threads: a worker process holds at most AI_DB_THREADS
# + 1 database connections (the one more: its main thread's, for `drafts_recover`), however
# many threads. With prefetch 1 the broker hands a worker as many unacknowledged jobs as it
# has threads.
# CELERY_WORKER_POOL=prefork goes back to a process per job (`--pool prefork` cannot: Celery
# reads that option's default value as "take the settings' pool").
CELERY_WORKER_POOL = env("CELERY_WORKER_POOL", default="threads")
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=64)
CELERY_TASK_ALWAYS_EAGER = False
# Workers log JSON lines like the web processes.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# One queue per deployment (and per test run, so concurrent runs never take each other's jobs).
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="counsel")
# Celery beat's jobs (`celery -A config beat`, or a worker's `-B`; docs/notifications.md).
# Each notification is recorded once, so a second scheduler, or a job run again, sends nothing
# more. The deadline reminders run daily at DEADLINE_REMINDER_HOUR (TIME_ZONE), and again when
# beat starts after a day it missed; the budget alerts every BUDGET_ALERT_SECONDS.
DEADLINE_REMINDER_HOUR = env.int("DEADLINE_REMINDER_HOUR", default=7)
BUDGET_ALERT_SECONDS = env.int("BUDGET_ALERT_SECONDS", default=300)
CELERY_BEAT_SCHEDULE = {
    "deadline-reminders": {
        "task": "notifications.tasks.deadline_reminders_task",
        "schedule": crontab(hour=DEADLINE_REMINDER_HOUR, minute=0),
    },
    "budget-alerts": {
        "task": "notifications.tasks.budget_alerts_task",
        "schedule": timedelta(seconds=BUDGET_ALERT_SECONDS),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# A draft job that has held its claim this long is presumed dead and may be taken over: more
# than the longest job (two LLM deadlines: one waiting for another caller, one asking).
DRAFT_LEASE_SECONDS = env.int("DRAFT_LEASE_SECONDS", default=120)
# Four eyes: the lawyer who requested a draft (or made its version) may not approve it.
DRAFT_APPROVER_MUST_DIFFER = env.bool("DRAFT_APPROVER_MUST_DIFFER", default=False)

# --- E-mail (notifications.mail; docs/notifications.md) --------------------------------------
# EMAIL_URL names the SMTP server: smtp://user:pass@host:587 (plain), smtp+tls:// (STARTTLS),
# smtps:// or smtp+ssl:// (TLS from the first byte, usually port 465). Unset: the console
# backend, which prints each message to the worker's output (the embedded default).
EMAIL_URL = env("EMAIL_URL", default="consolemail://")
_email = environ.Env.email_url_config(EMAIL_URL)
# django-environ reads smtps:// as STARTTLS; it is the implicit-TLS scheme (RFC 8314).
_email_ssl = EMAIL_URL.startswith(("smtps:", "smtp+ssl:"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_USE_SSL = _email_ssl
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS")) and not _email_ssl
EMAIL_PORT = _email["EMAIL_PORT"] or (465 if EMAIL_USE_SSL else 587 if EMAIL_USE_TLS else 25)
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
# Seconds one SMTP conversation may take; a slow server fails the attempt, and the task retries.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Counsel <counsel@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Attempts of one message before it is given up (the first and its retries), and the seconds
# before the first retry, doubled for each later one (30 s, 1 min, 2 min, 4 min).
EMAIL_SEND_ATTEMPTS = env.int("EMAIL_SEND_ATTEMPTS", default=5)
EMAIL_RETRY_BACKOFF_SECONDS = env.int("EMAIL_RETRY_BACKOFF_SECONDS", default=30)
# The address e-mails link to (no trailing slash): pages are addressed as SITE_URL + path.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Documents (cases.uploads, cases.documents) ---------------------------------------------
# The largest document an upload may be; docs/api.md's limits.
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=25 * 1024 * 1024)
# A multipart body carries the file plus its envelope (boundaries, part headers): the server
# refuses a body past this before reading it (config.serving.RequestHeadLimits, 413).
UPLOAD_MAX_BODY_BYTES = DOCUMENT_MAX_BYTES + 64 * 1024
# An upload larger than this goes to a temporary file rather than memory while it is read.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Uploaded documents: a local folder by default; with S3_BUCKET, an S3-compatible bucket
# (AWS, MinIO, Ceph, R2...) through django-storages. Either way files are private: every
# download goes through the app, which checks access and records it; nothing builds a public
# or presigned URL.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "/media/"  # never served: FileField needs one, the app streams downloads itself


def s3_document_storage(bucket: str) -> dict:
    """The STORAGES entry of an S3-compatible bucket, its other values from the environment
    (also what the tests use against their S3 server)."""
    from botocore.config import Config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env("S3_ENDPOINT_URL", default="") or None,
            "access_key": env("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env("S3_SECRET_ACCESS_KEY", default="") or None,
            "region_name": env("S3_REGION", default="") or None,
            # "path" for most S3-compatible servers (MinIO, moto); "virtual" or "auto" for AWS.
            "addressing_style": env("S3_ADDRESSING_STYLE", default="auto"),
            "location": env("S3_PREFIX", default=""),
            # Objects take the bucket's private default ACL: no URL works without credentials.
            "default_acl": None,
            "querystring_auth": True,
            # A name already taken gets a suffix instead of replacing another document's file.
            "file_overwrite": False,
            # Outside calls have a timeout and a bounded retry.
            "client_config": Config(
                connect_timeout=env.float("S3_CONNECT_TIMEOUT", default=5.0),
                read_timeout=env.float("S3_READ_TIMEOUT", default=30.0),
                retries={"max_attempts": 3, "mode": "standard"},
                signature_version="s3v4",
            ),
        },
    }


S3_BUCKET = env("S3_BUCKET", default="")
if S3_BUCKET:
    DOCUMENT_STORAGE = s3_document_storage(S3_BUCKET)
else:
    DOCUMENT_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # Its location is MEDIA_ROOT, read when first used (so tests can move it).
        "OPTIONS": {"file_permissions_mode": 0o640, "directory_permissions_mode": 0o750},
    }

# --- Documents' text (cases.extraction, cases.indexing; docs/document-processing.md) --------
# A document past these fails with the limit it crossed: a hostile file cannot hold a worker
# for long. 2,000 pages of dense text are about 5 million characters; at the measured 80
# pages a second, the longest job takes under a minute.
DOCUMENT_MAX_PAGES = env.int("DOCUMENT_MAX_PAGES", default=2000)
DOCUMENT_MAX_CHARACTERS = env.int("DOCUMENT_MAX_CHARACTERS", default=5_000_000)
# What a Word file may unpack to (python-docx reads every part of it into memory).
DOCUMENT_MAX_UNPACKED_BYTES = env.int("DOCUMENT_MAX_UNPACKED_BYTES", default=200 * 1024 * 1024)
# Extraction jobs a worker process runs at once: they compute, so a few use the process fully
# (cases.tasks); each holds one database connection while it runs.
DOCUMENT_EXTRACTIONS_PER_WORKER = env.int("DOCUMENT_EXTRACTIONS_PER_WORKER", default=2)
# An extraction job that has held its claim this long is presumed dead and may be taken over:
# well past the longest job the limits above allow.
DOCUMENT_LEASE_SECONDS = env.int("DOCUMENT_LEASE_SECONDS", default=300)

# --- Metrics (GET /metrics, Prometheus) ------------------------------------------------------
# A scraper shows `Authorization: Bearer <METRICS_TOKEN>` (unset: no token is accepted) or
# connects from one of these networks.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = [
    ipaddress.ip_network(network)
    for network in env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
]
# Prometheus scrapes each process over the private network: no HTTPS redirect for it.
SECURE_REDIRECT_EXEMPT = [r"^metrics$"]
# Set (to an empty folder, emptied before gunicorn and the worker start) when several
# processes serve: their metrics are shared through files there. prometheus_client reads the
# environment variable itself when first imported; this copy tells config.metrics the mode.
PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR", default="")
if PROMETHEUS_MULTIPROC_DIR and not Path(PROMETHEUS_MULTIPROC_DIR).is_dir():
    raise ValueError(f"PROMETHEUS_MULTIPROC_DIR is not a folder: {PROMETHEUS_MULTIPROC_DIR}")

# --- Pages, static files, i18n --------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": DOCUMENT_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Security (production hardening follows DEBUG=False) ------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Scripts and styles come only from this site's files: no inline code and no eval, so markup
# that ever slipped past escaping could not run. The pages hold no inline script, style block or
# style attribute, and htmx is configured to need neither eval nor its own style (base.html).
# `data:` images are the icons Swagger UI's script draws on /api/docs/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        # Where browsers send violation reports (none when unset).
        "report-uri": env("CSP_REPORT_URI", default="") or None,
    }
}

# --- Logs: JSON lines; AI calls log metadata only, never content ---------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "config.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

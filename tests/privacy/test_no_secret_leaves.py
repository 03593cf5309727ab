"""The corpus through the product's AI endpoints: no secret the scrubber finds reaches the LLM,
a log line or the database, by any way through the pipeline.

How many secrets the scrubber finds is measured by test_scrubber_corpus.py; this test holds
the pipeline to masking what it finds everywhere. Every tenth corpus text (some 400, which
cover every format) goes through `POST /api/ai/chat` (as the question, and as a case's
description for the system prompt) and through `POST /api/ai/analyze`, to the fake LLM server,
which records each request. Every logger is at DEBUG (the HTTP client's included, which logs
request options), and log records are read as production writes them (JSON, `extra=` fields
included). Each secret is looked for as written and with its spaces, dashes and dots removed;
a short one (a four-digit PIN) with the words before it, since alone it is in any number.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from django.apps import apps
from django.urls import reverse
from pytest_django.fixtures import Settings
from rest_framework.test import APIClient

from accounts.models import User
from config.logging import JsonFormatter
from consultations.apis import MAX_MESSAGE_CHARS
from consultations.llm.pii import SECRET_TYPES, mask_secrets
from tests.factories import CaseFactory
from tests.fake_llm import FakeLLM, Reply
from tests.privacy.evaluation import corpus

pytestmark = pytest.mark.django_db

# Long enough that a compact form is no accident among other digits and letters.
_COMPACT_MIN = 9
_SEPARATORS = re.compile(r"[\s.\-]")
# How much of its label a short secret is looked for with: "PIN is 4193", "word: x9!aB".
_LABEL_CHARS = 6


# Every tenth text: the whole corpus would take minutes through the endpoints.
_SAMPLE_EVERY = 10


def secret_needles(item: dict[str, Any]) -> list[str]:
    """What would show that a secret of a corpus text, one the scrubber masks as a secret
    (as logs and records are masked too), leaked."""
    needles = []
    masked = mask_secrets(item["text"])
    for entity in item["entities"]:
        if entity["type"] not in SECRET_TYPES or entity["value"] in masked:
            continue
        value = entity["value"]
        if len(_SEPARATORS.sub("", value)) >= _COMPACT_MIN:
            needles.append(value)
        else:
            needles.append(item["text"][max(0, entity["start"] - _LABEL_CHARS) : entity["end"]])
    return needles


def strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)
    elif value is not None:
        yield str(value)


def leaks(secrets: Iterable[str], haystack: Iterable[str]) -> list[str]:
    """The secrets written in `haystack`, as they are or without separators, as whole words:
    a passport number inside a longer tracking number is no leak."""
    text = "\n".join(haystack)
    compact_text = _SEPARATORS.sub("", text)
    found = []
    for secret in secrets:
        compact = _SEPARATORS.sub("", secret)
        if _whole(secret).search(text) or (
            len(compact) >= _COMPACT_MIN and _whole(compact).search(compact_text)
        ):
            found.append(secret)
    return found


def _whole(value: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])")


def batches(texts: list[str], limit: int) -> list[str]:
    """The texts joined into as few messages of at most `limit` characters as they fit in."""
    joined: list[str] = []
    for text in texts:
        if joined and len(joined[-1]) + 2 + len(text) <= limit:
            joined[-1] += "\n\n" + text
        else:
            joined.append(text)
    return joined


@pytest.fixture
def every_logger_at_debug(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.fixture
def roomy_llm(fake_llm: FakeLLM, settings: Settings) -> FakeLLM:
    """The fake LLM without the rate limits and the short timeouts of the retry tests: the
    corpus takes dozens of large requests from one user, on a machine that may be busy."""
    settings.AI_RATE_LIMITS = {
        scope: {"user": "100000/60", "address": "100000/60"} for scope in settings.AI_RATE_LIMITS
    }
    settings.LLM_TIMEOUT_MS = 10_000
    settings.LLM_DEADLINE_MS = 30_000
    return fake_llm


def test_no_secret_of_the_corpus_reaches_the_llm_a_log_line_or_the_database(
    roomy_llm: FakeLLM,
    client_user: User,
    api_client_for: Callable[[User], APIClient],
    every_logger_at_debug: pytest.LogCaptureFixture,
) -> None:
    items = corpus()[::_SAMPLE_EVERY]
    secrets = [needle for item in items for needle in secret_needles(item)]
    texts = [item["text"] for item in items]
    api = api_client_for(client_user)
    findings = {"findings": [], "suggestions": ["Ask <PERSON_1> to confirm <EMAIL_1>."]}

    roomy_llm.default = Reply(text="<PERSON_1> should write to <EMAIL_1> first.")
    for number, message in enumerate(batches(texts, MAX_MESSAGE_CHARS)):
        item = items[number % len(items)]
        case = CaseFactory(
            client=client_user,
            description=item["text"],
            opposing_parties="\n".join(item["known_names"]),
        )
        response = api.post(
            reverse("ai-api:chat"),
            {"userId": client_user.pk, "message": message, "context": {"caseId": case.pk}},
            format="json",
        )
        assert response.status_code == 200, response.content
    roomy_llm.default = Reply(text=json.dumps(findings))
    for contract in batches(texts, 20_000):
        response = api.post(
            reverse("ai-api:analyze"), {"text": contract, "policy": "lease"}, format="json"
        )
        assert response.status_code == 200, response.content

    # Headers too, but not Content-Length: a body's length may be any four-digit PIN.
    sent = list(
        strings(
            [
                ({k: v for k, v in r.headers.items() if k != "content-length"}, r.json)
                for r in roomy_llm.requests
            ]
        )
    )
    formatter = JsonFormatter()
    logged = [
        line
        for record in every_logger_at_debug.records
        for line in (record.getMessage(), *strings(json.loads(formatter.format(record))))
    ]
    stored = [
        str(value)
        for model in apps.get_app_config("consultations").get_models()
        for row in model.objects.values()
        for value in row.values()
    ]

    assert len(secrets) > 800
    assert len(roomy_llm.requests) >= 10
    assert "[CARD_NUMBER]" in "\n".join(sent)  # secrets were in what was sent, masked
    assert len(logged) > 50
    assert leaks(secrets, sent) == []
    assert leaks(secrets, logged) == []
    assert leaks(secrets, stored) == []

"""The prompt registry: one Django template per prompt under ``templates/prompts/``.

Each file starts with a version line, ``{# version: 2026-11-21.1 #}`` (a template comment, so
it renders to nothing). The version goes into the cache key and the Consultation record:
change it with every change of wording, or cached answers to the old prompt keep being served.

Prompts are plain text, not HTML: they render with autoescaping off, so ``<PERSON_1>`` and
``O'Brien & Co`` reach the model as written.

Contexts (raw values: the pipeline's gate scrubs the rendered messages):
- ``chat``: ``case`` (optional mapping: ``title``, ``practice_area``, ``description``,
  ``client``, ``opposing_parties`` (a list)),
  ``locale`` (optional). The user's message goes in its own ``user`` message.
- ``analyze``: ``policy_title``, ``policy_description``, ``rules`` (list of sentences),
  ``locale`` (optional). The contract text goes in its own ``user`` message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.template import Context
from django.template.loader import get_template

_VERSION = re.compile(r"\A\{#\s*version:\s*(?P<version>[\w.-]{1,20})\s*#\}")
_BLANK_RUNS = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class RenderedPrompt:
    name: str
    version: str
    text: str


def render_prompt(name: str, context: dict[str, Any]) -> RenderedPrompt:
    template = _template(name)
    # The same small context (a chat without a case, a policy's rules) renders the same text:
    # it is kept, since rendering a template costs more than the rest of a cache hit.
    key = json.dumps(context, sort_keys=True, default=repr, ensure_ascii=False)
    text = _rendered.get((template, key)) if len(key) <= _KEPT_CONTEXT_CHARS else None
    if text is None:
        # The backend's `render` would autoescape; a Context of our own keeps the text as is.
        text = template.render(Context(context, autoescape=False))
        # Template tags leave blank lines behind; the model does not need them.
        text = _BLANK_RUNS.sub("\n\n", text).strip()
        if len(key) <= _KEPT_CONTEXT_CHARS:
            if len(_rendered) >= _KEPT_TEXTS:
                _rendered.clear()
            _rendered[template, key] = text
    return RenderedPrompt(name=name, version=_version(name, template.source), text=text)


# Rendered texts kept, by template (a changed file is a new template) and context.
_rendered: dict[tuple[Any, str], str] = {}
_KEPT_TEXTS = 256
_KEPT_CONTEXT_CHARS = 4096


def prompt_version(name: str) -> str:
    return _version(name, _template(name).source)


def _template(name: str) -> Any:
    # Django's cached loader keeps each parsed file, so text and version are read from the
    # same load and can never disagree.
    return get_template(f"prompts/{name}.txt").template


def _version(name: str, source: str) -> str:
    match = _VERSION.match(source)
    if match is None:
        raise ImproperlyConfigured(
            f"templates/prompts/{name}.txt must start with a line like "
            "'{# version: 2026-11-21.1 #}'"
        )
    return match["version"]

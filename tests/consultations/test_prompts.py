from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings

from consultations.llm.pii import scrub
from consultations.llm.prompts import prompt_version, render_prompt
from consultations.policies import POLICIES
from consultations.services.analysis import _rule_sentences

pytestmark = pytest.mark.django_db

CASE = {
    "title": "O'Brien & Co v <PERSON_1>",
    "practice_area": "Employment",
    "description": "Unfair dismissal claim; <PERSON_1> was dismissed by email.",
}
POLICY = {
    "policy_title": "Residential tenancy",
    "policy_description": "Assured shorthold tenancies in England.",
    "rules": [
        "The deposit is at most five weeks' rent.",
        "The tenancy has a break clause.",
    ],
}


@pytest.mark.parametrize("name", ["chat", "analyze"])
def test_prompt_version_comes_from_its_first_line_and_is_not_rendered(name: str) -> None:
    prompt = render_prompt(name, POLICY)

    assert prompt.name == name
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}\.\d+", prompt.version)
    assert prompt.version == prompt_version(name)
    assert "version" not in prompt.text.splitlines()[0]
    assert "{#" not in prompt.text
    assert prompt.text == prompt.text.strip()


def test_chat_prompt_includes_the_case_verbatim_without_html_escaping() -> None:
    text = render_prompt("chat", {"case": CASE}).text

    assert "Title: O'Brien & Co v <PERSON_1>" in text
    assert "Practice area: Employment" in text
    assert "Description: Unfair dismissal claim; <PERSON_1> was dismissed by email." in text
    assert "&lt;" not in text
    assert "&#x27;" not in text


def test_chat_prompt_without_a_case_mentions_none() -> None:
    text = render_prompt("chat", {}).text

    assert "Title:" not in text
    assert "\n\n\n" not in text


def test_chat_prompt_tells_the_model_to_keep_placeholders_and_admit_doubt() -> None:
    text = render_prompt("chat", {}).text

    assert "<PERSON_1>" in text
    assert "exactly as written" in text
    assert "unsure" in text
    assert "law firm" in text


def test_chat_prompt_asks_for_the_locale_only_when_given() -> None:
    assert 'locale "fr"' in render_prompt("chat", {"locale": "fr"}).text
    assert "locale" not in render_prompt("chat", {}).text


def test_analyze_prompt_names_the_policy_its_rules_and_the_json_shape() -> None:
    text = render_prompt("analyze", POLICY).text

    assert "Policy: Residential tenancy" in text
    assert "Assured shorthold tenancies in England." in text
    assert "- The deposit is at most five weeks' rent.\n" in text
    assert "- The tenancy has a break clause.\n" in text
    assert '{"findings": [{"clause": "...", "severity": "low|medium|high"' in text
    assert '"suggestions": ["..."]}' in text
    assert "JSON" in text  # OpenAI's json_object mode refuses a prompt that does not say it


def test_prompt_without_a_version_line_is_refused(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "unversioned.txt").write_text("Answer briefly.\n")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]

    with pytest.raises(ImproperlyConfigured, match="version"):
        render_prompt("unversioned", {})


def _prompts_own_words() -> list[tuple[str, str]]:
    texts = [("chat", render_prompt("chat", {"locale": "de-DE"}).text)]
    for policy in POLICIES.values():
        context = {
            "policy_title": policy.title,
            "policy_description": policy.description,
            "rules": _rule_sentences(policy),
        }
        texts.append((f"analyze/{policy.name}", render_prompt("analyze", context).text))
    return texts


@pytest.mark.parametrize(("name", "text"), _prompts_own_words(), ids=lambda value: value[:20])
def test_the_prompts_own_words_pass_the_gate_unchanged(name: str, text: str) -> None:
    # The pipeline scrubs every message whole, the prompt's instructions included: no word of
    # them may look like a person, a place or a number to the scrubber.
    assert scrub(text).text == text

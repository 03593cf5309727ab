from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.django_db

RULES_DIR = Path(settings.BASE_DIR) / "deploy" / "prometheus"
RULES = RULES_DIR / "alerts.yml"
RUNBOOK = Path(settings.BASE_DIR) / "docs" / "operations.md"
DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
# What each kind of family adds to its name in the exposition.
SUFFIXES = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "gauge": [""]}


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def readme_anchors() -> set[str]:
    """GitHub's anchors of the runbook's headings ("#### LLMErrorRate" -> "llmerrorrate")."""
    headings = re.findall(r"^#+ (.+)$", RUNBOOK.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_every_alert_has_an_expression_a_duration_a_severity_and_a_runbook() -> None:
    rules = alert_rules()
    anchors = readme_anchors()

    assert {rule["alert"] for rule in rules} >= {
        "ReadinessFailing",
        "HTTP5xxRate",
        "LLMErrorRate",
        "LLMLatencyHigh",
        "CacheHitRateCollapsed",
        "DraftQueueBackingUp",
    }
    for rule in rules:
        assert rule["expr"].strip(), rule["alert"]
        assert DURATION.match(rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        annotations = rule["annotations"]
        assert annotations["summary"].strip(), rule["alert"]
        assert annotations["description"].strip(), rule["alert"]
        page, _, anchor = annotations["runbook_url"].partition("#")
        assert page == "docs/operations.md", rule["alert"]
        # Each alert's runbook is a heading of the "On call" chapter of docs/operations.md.
        assert anchor == rule["alert"].lower(), rule["alert"]
        assert anchor in anchors, rule["alert"]


def test_every_metric_the_alerts_read_is_exposed_by_metrics(client: Client) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    exposed = {
        family.name + suffix
        for family in text_string_to_metric_families(response.content.decode())
        for suffix in SUFFIXES.get(family.type, [""])
    }

    used = {name for rule in alert_rules() for name in re.findall(r"\bcounsel_\w+", rule["expr"])}

    assert used, "the alerts read no counsel_* metric"
    assert used - exposed == set()


promtool = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    promtool is None, reason="promtool is not installed (apt-get install prometheus)"
)


@needs_promtool
def test_promtool_accepts_the_rules() -> None:
    done = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stdout + done.stderr


@needs_promtool
def test_each_alert_fires_on_its_situation_and_not_on_its_look_alike() -> None:
    # alerts_test.yml feeds series to the rules and states which alerts must fire when.
    done = subprocess.run(
        [promtool, "test", "rules", "alerts_test.yml"],
        cwd=RULES_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stdout + done.stderr

from __future__ import annotations

import csv
import io
import random
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from consultations.models import Consultation
from tests.factories import (
    AdminFactory,
    BudgetFactory,
    CaseFactory,
    ClientFactory,
    ConsultationFactory,
    FirmBudgetFactory,
    LawyerFactory,
)

pytestmark = pytest.mark.django_db

DASHBOARD = "admin:consultations_consultation_dashboard"
CSV = "admin:consultations_consultation_dashboard_csv"
TODAY = timezone.localdate()


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def consultation_on(day: date, hour: int = 12, **fields: Any) -> Consultation:
    consultation = ConsultationFactory(**fields)
    # created_at is auto_now_add: the past can only be written after the row exists.
    Consultation.objects.filter(pk=consultation.pk).update(created_at=at(day, hour))
    return consultation


@pytest.fixture
def spec() -> list[dict[str, Any]]:
    """The rows of the last five days (and one long before), as written: the expectations
    below are computed from this list, never from the database."""
    rng = random.Random(7)
    lawyers = [LawyerFactory(), LawyerFactory()]
    client = ClientFactory()
    cases = [CaseFactory(lawyers=lawyers) for _ in range(3)]
    rows = []
    for n in range(60):
        outcome = rng.choice(["ok", "ok", "ok", "failed", "rejected"])
        hit = outcome == "ok" and rng.random() < 0.4
        row = {
            "day": TODAY - timedelta(days=rng.randrange(5)),
            "hour": rng.randrange(24),
            "user": rng.choice([*lawyers, client]),
            "case": rng.choice([*cases, None]),
            "outcome": outcome,
            "cache_hit": hit,
            "error_code": "" if outcome == "ok" else rng.choice(["timeout", "unavailable", "bad"]),
            "latency_ms": rng.randrange(5, 3000),
            "prompt_tokens": rng.randrange(0, 500),
            "completion_tokens": rng.randrange(0, 200),
            "cost_estimate": Decimal(0) if hit else Decimal(rng.randrange(0, 9000)) / 10**6,
            "redactions": {"PERSON": rng.randrange(3), "EMAIL": rng.randrange(2)} if n % 3 else {},
        }
        consultation_on(
            row["day"], row["hour"], **{k: v for k, v in row.items() if k not in ("day", "hour")}
        )
        rows.append(row)
    # Outside every period asked for below.
    consultation_on(TODAY - timedelta(days=200), user=lawyers[0], outcome="failed", error_code="x")
    return rows


@pytest.fixture
def admin_page(page_client_for: Callable[[User], Client]) -> Client:
    return page_client_for(AdminFactory())


def csv_rows(page: Client, chart: str, query: str = "days=7") -> list[dict[str, str]]:
    response = page.get(reverse(CSV, args=[chart]) + "?" + query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def last_days(n: int) -> list[date]:
    return [TODAY - timedelta(days=k) for k in range(n - 1, -1, -1)]


def test_calls_per_day_count_each_outcome(admin_page: Client, spec: list[dict]) -> None:
    expected = Counter((row["day"], row["outcome"]) for row in spec)

    rows = csv_rows(admin_page, "calls")

    assert [row["day"] for row in rows] == [day.isoformat() for day in last_days(7)]
    for row in rows:
        day = date.fromisoformat(row["day"])
        for outcome in ("ok", "failed", "rejected"):
            assert int(row[outcome]) == expected[(day, outcome)]


def test_cache_hit_rate_per_day_is_hits_over_answered_calls(
    admin_page: Client, spec: list[dict]
) -> None:
    rows = {row["day"]: row for row in csv_rows(admin_page, "cache")}

    for day in last_days(7):
        answered = [row for row in spec if row["day"] == day and row["outcome"] == "ok"]
        hits = sum(row["cache_hit"] for row in answered)
        found = rows[day.isoformat()]
        assert (int(found["answered"]), int(found["hits"])) == (len(answered), hits)
        if answered:
            assert float(found["hit_rate"]) == pytest.approx(hits / len(answered), abs=1e-4)
        else:
            assert found["hit_rate"] == ""


def test_latency_percentiles_cover_provider_calls_only(
    admin_page: Client, spec: list[dict]
) -> None:
    rows = {row["day"]: row for row in csv_rows(admin_page, "latency")}

    for day in last_days(5):
        latencies = [r["latency_ms"] for r in spec if r["day"] == day and not r["cache_hit"]]
        found = rows[day.isoformat()]
        assert int(found["calls"]) == len(latencies)
        assert float(found["p50"]) == pytest.approx(statistics.median(latencies), abs=1e-3)
        p95 = statistics.quantiles(latencies, n=100, method="inclusive")[94]
        assert float(found["p95"]) == pytest.approx(p95, abs=1e-3)


def test_days_without_calls_are_zero_or_empty(admin_page: Client, spec: list[dict]) -> None:
    oldest = (TODAY - timedelta(days=6)).isoformat()

    assert csv_rows(admin_page, "calls")[0] == {
        "day": oldest,
        "ok": "0",
        "failed": "0",
        "rejected": "0",
    }
    assert csv_rows(admin_page, "latency")[0] == {"day": oldest, "calls": "0", "p50": "", "p95": ""}


def test_tokens_per_day_count_provider_calls_and_cost_every_call(
    admin_page: Client, spec: list[dict]
) -> None:
    rows = {row["day"]: row for row in csv_rows(admin_page, "usage")}

    for day in last_days(5):
        of_day = [row for row in spec if row["day"] == day]
        tokens = sum(
            r["prompt_tokens"] + r["completion_tokens"] for r in of_day if not r["cache_hit"]
        )
        assert int(rows[day.isoformat()]["tokens"]) == tokens
        assert Decimal(rows[day.isoformat()]["cost"]) == sum(r["cost_estimate"] for r in of_day)


def test_cost_per_case_and_per_lawyer_rank_the_top_spenders(
    admin_page: Client, spec: list[dict]
) -> None:
    per_case: dict[str, Decimal] = defaultdict(Decimal)
    per_lawyer: dict[str, Decimal] = defaultdict(Decimal)
    for row in spec:
        if row["case"] is not None:
            per_case[row["case"].reference] += row["cost_estimate"]
        if row["user"].role == User.Role.LAWYER:
            per_lawyer[row["user"].username] += row["cost_estimate"]

    cases = csv_rows(admin_page, "cases")
    lawyers = csv_rows(admin_page, "lawyers")

    assert {row["name"]: Decimal(row["cost"]) for row in cases} == per_case
    assert [row["name"] for row in cases] == sorted(per_case, key=lambda k: -per_case[k])
    assert {row["name"]: Decimal(row["cost"]) for row in lawyers} == per_lawyer
    calls = Counter(row["user"].username for row in spec)
    assert {row["name"]: int(row["calls"]) for row in lawyers} == {
        name: calls[name] for name in per_lawyer
    }


def test_failure_reasons_count_error_codes_of_failed_calls(
    admin_page: Client, spec: list[dict]
) -> None:
    expected = Counter(row["error_code"] for row in spec if row["outcome"] != "ok")

    rows = csv_rows(admin_page, "failures")

    assert {row["name"]: int(row["count"]) for row in rows} == dict(expected)
    assert [int(row["count"]) for row in rows] == sorted(expected.values(), reverse=True)


def test_redactions_are_summed_per_entity_type(admin_page: Client, spec: list[dict]) -> None:
    expected: Counter[str] = Counter()
    for row in spec:
        expected.update(row["redactions"])

    rows = csv_rows(admin_page, "redactions")

    assert {row["name"]: int(row["count"]) for row in rows} == {
        name: count for name, count in expected.items() if count
    }


def test_period_from_and_to_dates_limit_the_rows(admin_page: Client, spec: list[dict]) -> None:
    start, end = TODAY - timedelta(days=3), TODAY - timedelta(days=2)
    expected = Counter(row["outcome"] for row in spec if start <= row["day"] <= end)

    rows = csv_rows(admin_page, "calls", f"start={start}&end={end}")

    assert [row["day"] for row in rows] == [start.isoformat(), end.isoformat()]
    assert sum(int(row["failed"]) for row in rows) == expected["failed"]
    assert sum(int(row["ok"]) for row in rows) == expected["ok"]


def test_dashboard_draws_a_bar_per_day_and_outcome(admin_page: Client, spec: list[dict]) -> None:
    expected = Counter((row["day"], row["outcome"]) for row in spec)
    day = TODAY - timedelta(days=1)

    response = admin_page.get(reverse(DASHBOARD), {"days": 7})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<svg class="chart"') == 5
    for outcome, label in Consultation.Outcome.choices:
        if expected[(day, outcome)]:
            assert f"{day:%d %b}: {label} {expected[(day, outcome)]}</title>" in html
    for heading in ("Cost per case", "Top failure reasons", "Redactions by entity type"):
        assert heading in html


def test_dashboard_shows_budgets_and_flags_spent_ones(admin_page: Client) -> None:
    lawyer = LawyerFactory(username="spender")
    consultation_on(TODAY, user=lawyer, prompt_tokens=80, completion_tokens=20)
    BudgetFactory(user=lawyer, monthly_tokens=100)
    FirmBudgetFactory(monthly_tokens=1000)

    html = admin_page.get(reverse(DASHBOARD)).content.decode()

    assert "100 / 100</td>" in html
    assert "100 / 1000</td>" in html
    assert html.count('class="spent-flag"') == 1


def test_changelist_links_to_the_dashboard(admin_page: Client) -> None:
    html = admin_page.get(reverse("admin:consultations_consultation_changelist")).content.decode()

    assert reverse(DASHBOARD) in html


@pytest.mark.parametrize("chart", ["calls", "redactions"])
def test_lawyers_cannot_open_the_dashboard_or_its_csv(
    page_client_for: Callable[[User], Client], chart: str
) -> None:
    page = page_client_for(LawyerFactory())

    assert page.get(reverse(DASHBOARD)).status_code in (302, 403)
    assert page.get(reverse(CSV, args=[chart])).status_code in (302, 403)


def test_admin_without_a_second_factor_is_sent_to_set_one_up(admin_user: User) -> None:
    page = Client()
    page.force_login(admin_user)

    response = page.get(reverse(DASHBOARD))

    assert response.status_code == 302
    assert "csv" not in response.get("Content-Type", "")


def test_unknown_chart_csv_is_not_found(admin_page: Client) -> None:
    assert admin_page.get(reverse(CSV, args=["nope"])).status_code == 404


def test_csv_names_cannot_run_as_spreadsheet_formulas(admin_page: Client) -> None:
    consultation_on(TODAY, user=LawyerFactory(username="=cmd"), cost_estimate=Decimal("0.1"))

    rows = csv_rows(admin_page, "lawyers")

    assert rows[0]["name"] == "'=cmd"


def test_admin_index_links_to_the_dashboard_and_the_cache_page(admin_page: Client) -> None:
    html = admin_page.get(reverse("admin:index")).content.decode()

    assert reverse(DASHBOARD) in html
    assert reverse("admin:consultations_consultation_cache") in html
    assert "Consultation views" in html  # Django's own app list is still there

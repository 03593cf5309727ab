"""The numbers of the operator's dashboard, read from the Consultation rows of a period.

Every series is an aggregate the database computes (TruncDate + Count/Sum, grouped; the
redactions JSON summed one key per known entity type), except the latency percentiles:
MariaDB has no PERCENTILE_CONT, and a ROW_NUMBER window per day gives only nearest-rank
values and still needs a second pass to pick them. So the database filters and sorts, and
sends only the (day, latency_ms) pairs of the calls that reached the provider; the
percentiles are taken per day with `statistics` (linear interpolation, the "inclusive"
method). Two integers per call is small next to the rows themselves.

Days are calendar days in the site's time zone; a day without calls is a row of zeros.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import groupby
from typing import Any

from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.utils import timezone

from accounts.models import User
from consultations.llm.pii import EntityType
from consultations.models import Consultation

PERIOD_CHOICES = (7, 30, 90)
DEFAULT_DAYS = 30
MAX_DAYS = 366
TOP = 10


@dataclass(frozen=True)
class Period:
    """Calendar days `start` to `end`, both included."""

    start: date
    end: date

    @classmethod
    def last(cls, days: int, *, today: date | None = None) -> Period:
        end = today or timezone.localdate()
        return cls(start=end - timedelta(days=days - 1), end=end)

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def _rows(period: Period) -> QuerySet[Consultation]:
    # order_by() clears the model's default ordering, which would split every GROUP BY.
    return Consultation.objects.filter(
        created_at__gte=period.since, created_at__lt=period.until
    ).order_by()


def _by_day(period: Period, **aggregates: Any) -> dict[date, dict[str, Any]]:
    rows = _rows(period).annotate(day=TruncDate("created_at")).values("day").annotate(**aggregates)
    return {row["day"]: row for row in rows}


def calls_per_day(period: Period) -> list[dict[str, Any]]:
    """Calls per day by outcome: `{"day", "ok", "failed", "rejected"}`."""
    outcomes = Consultation.Outcome.values
    found = _by_day(
        period, **{outcome: Count("id", filter=Q(outcome=outcome)) for outcome in outcomes}
    )
    return [
        {"day": day, **{outcome: found.get(day, {}).get(outcome, 0) for outcome in outcomes}}
        for day in period.days
    ]


def cache_per_day(period: Period) -> list[dict[str, Any]]:
    """Answered calls per day, how many were cache hits, and the hit rate (None: no calls).

    Failures are left out: they neither hit nor filled the cache."""
    found = _by_day(
        period,
        answered=Count("id", filter=Q(outcome=Consultation.Outcome.OK)),
        hits=Count("id", filter=Q(outcome=Consultation.Outcome.OK, cache_hit=True)),
    )
    series = []
    for day in period.days:
        answered = found.get(day, {}).get("answered", 0)
        hits = found.get(day, {}).get("hits", 0)
        series.append(
            {
                "day": day,
                "answered": answered,
                "hits": hits,
                "hit_rate": hits / answered if answered else None,
            }
        )
    return series


def _percentile(sorted_values: list[int], fraction: float) -> float:
    if len(sorted_values) == 1:
        return float(sorted_values[0])
    cut = statistics.quantiles(sorted_values, n=100, method="inclusive")
    return float(cut[round(fraction * 100) - 1])


def latency_per_day(period: Period) -> list[dict[str, Any]]:
    """p50 and p95 of latency_ms per day over the calls that reached the provider (not cache
    hits; failures included, their wait was real). None on a day without such calls."""
    pairs = (
        _rows(period)
        .filter(cache_hit=False)
        .annotate(day=TruncDate("created_at"))
        .order_by("day", "latency_ms")
        .values_list("day", "latency_ms")
    )
    found = {
        day: [latency for _, latency in group] for day, group in groupby(pairs, key=lambda p: p[0])
    }
    series = []
    for day in period.days:
        values = found.get(day)
        series.append(
            {
                "day": day,
                "calls": len(values) if values else 0,
                "p50": _percentile(values, 0.5) if values else None,
                "p95": _percentile(values, 0.95) if values else None,
            }
        )
    return series


_PROVIDER_TOKENS = Sum(F("prompt_tokens") + F("completion_tokens"), filter=Q(cache_hit=False))


def usage_per_day(period: Period) -> list[dict[str, Any]]:
    """Tokens sent to and received from the provider (cache hits spent none) and the estimated
    cost, per day."""
    found = _by_day(period, tokens=_PROVIDER_TOKENS, cost=Sum("cost_estimate"))
    return [
        {
            "day": day,
            "tokens": found.get(day, {}).get("tokens") or 0,
            "cost": Decimal(found.get(day, {}).get("cost") or 0),
        }
        for day in period.days
    ]


def _top_spenders(period: Period, group: str, rows: QuerySet[Consultation]) -> list[dict[str, Any]]:
    found = (
        rows.values(group)
        .annotate(
            calls=Count("id"), tokens=Coalesce(_PROVIDER_TOKENS, 0), cost=Sum("cost_estimate")
        )
        .order_by("-cost", "-tokens", group)[:TOP]
    )
    return [
        {
            "name": row[group],
            "calls": row["calls"],
            "tokens": row["tokens"],
            "cost": Decimal(row["cost"]),
        }
        for row in found
    ]


def cost_per_case(period: Period) -> list[dict[str, Any]]:
    """The ten cases whose AI calls cost most: `{"name" (reference), "calls", "tokens", "cost"}`."""
    return _top_spenders(period, "case__reference", _rows(period).filter(case__isnull=False))


def cost_per_lawyer(period: Period) -> list[dict[str, Any]]:
    """The ten lawyers whose AI calls cost most: `{"name" (username), "calls", "tokens",
    "cost"}`."""
    return _top_spenders(
        period, "user__username", _rows(period).filter(user__role=User.Role.LAWYER)
    )


def failure_reasons(period: Period) -> list[dict[str, Any]]:
    """The ten most frequent error codes of failed and rejected calls: `{"name", "count"}`."""
    found = (
        _rows(period)
        .exclude(outcome=Consultation.Outcome.OK)
        .values("error_code")
        .annotate(count=Count("id"))
        .order_by("-count", "error_code")[:TOP]
    )
    return [{"name": row["error_code"] or "(none)", "count": row["count"]} for row in found]


def redactions_by_type(period: Period) -> list[dict[str, Any]]:
    """How many values of each entity type were scrubbed, most first; types never seen are
    left out. One SQL aggregate: each known type's JSON key, cast and summed."""
    totals = _rows(period).aggregate(
        **{
            entity.value: Coalesce(
                Sum(Cast(KeyTextTransform(entity.value, "redactions"), IntegerField())), 0
            )
            for entity in EntityType
        }
    )
    found = [{"name": name, "count": count} for name, count in totals.items() if count]
    return sorted(found, key=lambda row: (-row["count"], row["name"]))

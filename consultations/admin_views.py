"""The operator's pages inside the admin: the AI dashboard (charts and their CSVs) and the
cache control page. ConsultationAdmin.get_urls wraps each in `admin_site.admin_view`, so they
sit behind the same admins-only, OTP-verified check as the rest of the admin."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from consultations import dashboard
from consultations.budgets import budgets_usage
from consultations.cache_admin import (
    CacheUnreachable,
    cache_invalidate,
    cache_stats,
    tool_cache_stats,
)
from consultations.charts import Series, bar_chart, line_chart
from consultations.dashboard import Period
from consultations.models import CacheInvalidation, Consultation
from consultations.tools import TOOLS

OUTCOME_COLORS = {"ok": "#2e7d32", "failed": "#c62828", "rejected": "#ef6c00"}


class PeriodForm(forms.Form):
    days = forms.TypedChoiceField(
        choices=[
            *((n, f"Last {n} days") for n in dashboard.PERIOD_CHOICES),
            ("", "The dates below"),
        ],
        coerce=int,
        empty_value=None,
        required=False,
        initial=dashboard.DEFAULT_DAYS,
    )
    start = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    end = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError("The start must come before the end.")
            if (end - start).days >= dashboard.MAX_DAYS:
                raise forms.ValidationError(f"At most {dashboard.MAX_DAYS} days at a time.")
        return data

    def period(self) -> Period:
        """The dates asked for (both needed), else the last N days (default 30)."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("start") and data.get("end"):
            return Period(start=data["start"], end=data["end"])
        return Period.last(data.get("days") or dashboard.DEFAULT_DAYS)


# Each chart's CSV: the columns, and the rows as the aggregate returned them.
CSV_TABLES: dict[str, tuple[tuple[str, ...], Callable[[Period], list[dict[str, Any]]]]] = {
    "calls": (("day", "ok", "failed", "rejected"), dashboard.calls_per_day),
    "cache": (("day", "answered", "hits", "hit_rate"), dashboard.cache_per_day),
    "latency": (("day", "calls", "p50", "p95"), dashboard.latency_per_day),
    "usage": (("day", "tokens", "cost"), dashboard.usage_per_day),
    "cases": (("name", "calls", "tokens", "cost"), dashboard.cost_per_case),
    "lawyers": (("name", "calls", "tokens", "cost"), dashboard.cost_per_lawyer),
    "failures": (("name", "count"), dashboard.failure_reasons),
    "redactions": (("name", "count"), dashboard.redactions_by_type),
}


def _charts(period: Period) -> dict[str, Any]:
    days = period.days
    calls = dashboard.calls_per_day(period)
    cache_rows = dashboard.cache_per_day(period)
    latency = dashboard.latency_per_day(period)
    usage = dashboard.usage_per_day(period)
    return {
        "calls": bar_chart(
            days,
            [
                Series(label, [row[outcome] for row in calls], OUTCOME_COLORS[outcome])
                for outcome, label in Consultation.Outcome.choices
            ],
        ),
        "cache": line_chart(
            days,
            [
                Series(
                    "Hit rate",
                    [None if r["hit_rate"] is None else r["hit_rate"] * 100 for r in cache_rows],
                    "#1565c0",
                )
            ],
            unit="%",
            top=100,
        ),
        "latency": line_chart(
            days,
            [
                Series("p50", [row["p50"] for row in latency], "#1565c0"),
                Series("p95", [row["p95"] for row in latency], "#c62828"),
            ],
            unit=" ms",
        ),
        "tokens": bar_chart(
            days, [Series("Provider tokens", [row["tokens"] for row in usage], "#6a1b9a")]
        ),
        "cost": bar_chart(
            days, [Series("Cost (USD)", [float(row["cost"]) for row in usage], "#00838f")]
        ),
    }


@require_GET
def dashboard_view(request: HttpRequest, model_admin: admin.ModelAdmin) -> TemplateResponse:
    form = PeriodForm(request.GET or None)
    period = form.period()
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "AI dashboard",
        "opts": model_admin.model._meta,
        "form": form,
        "period": period,
        "query": request.GET.urlencode(),
        "charts": _charts(period),
        "cases": dashboard.cost_per_case(period),
        "lawyers": dashboard.cost_per_lawyer(period),
        "failures": dashboard.failure_reasons(period),
        "redactions": dashboard.redactions_by_type(period),
        "budgets": budgets_usage(),
    }
    return TemplateResponse(request, "admin/consultations/dashboard.html", context)


# A spreadsheet runs a cell that starts with one of these as a formula; a username may.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _csv_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return "" if value is None else value


@require_GET
def dashboard_csv_view(request: HttpRequest, chart: str) -> HttpResponse:
    if chart not in CSV_TABLES:
        raise Http404("No such chart.")
    columns, rows_of = CSV_TABLES[chart]
    period = PeriodForm(request.GET or None).period()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="ai-{chart}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(columns)
    for row in rows_of(period):
        writer.writerow([_csv_value(row[column]) for column in columns])
    return response


class InvalidateForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", "Every kind"), *Consultation.Kind.choices], required=False
    )
    prompt_version = forms.RegexField(
        r"^[\w.-]{1,20}$", required=False, label="Prompt version", help_text="Empty: every one."
    )


class ToolInvalidateForm(forms.Form):
    layer = forms.CharField(widget=forms.HiddenInput, initial=CacheInvalidation.Layer.TOOLS)
    tool = forms.ChoiceField(
        choices=[("", "Every tool"), *((name, name) for name in sorted(TOOLS))], required=False
    )


_DELETED = {
    CacheInvalidation.Layer.ANSWERS: "cached answers deleted.",
    CacheInvalidation.Layer.TOOLS: "cached tool results deleted.",
}


@require_http_methods(["GET", "POST"])
def cache_view(request: HttpRequest, model_admin: admin.ModelAdmin) -> HttpResponse:
    """Both layers of the cache, each with its statistics and its own form to empty it."""
    tools_posted = request.POST.get("layer") == CacheInvalidation.Layer.TOOLS
    form = InvalidateForm(None if tools_posted else request.POST or None)
    tool_form = ToolInvalidateForm(request.POST if tools_posted else None)
    posted = tool_form if tools_posted else form
    if request.method == "POST" and posted.is_valid():
        try:
            done = cache_invalidate(user=request.user, **posted.cleaned_data)
        except CacheUnreachable as error:
            messages.error(request, error.detail)
        else:
            messages.success(request, f"{done.keys_deleted} {_DELETED[done.layer]}")
        return redirect("admin:consultations_consultation_cache")
    until = timezone.now()
    since = until - timedelta(days=7)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "AI cache",
        "opts": model_admin.model._meta,
        "form": form,
        "tool_form": tool_form,
        "stats": cache_stats(since=since, until=until),
        "tool_stats": tool_cache_stats(since=since, until=until),
        "invalidations": CacheInvalidation.objects.select_related("user")[:20],
    }
    return TemplateResponse(request, "admin/consultations/cache.html", context)

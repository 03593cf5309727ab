"""The geometry of the dashboard's SVG charts, drawn by the server.

Server-side SVG rather than a JavaScript library: the admin pages stay free of a build or a
vendored bundle, a chart is visible without JavaScript, and a test can read its numbers from
the HTML. The template only places what these functions compute.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

WIDTH, HEIGHT = 760, 220
LEFT, RIGHT, TOP, BOTTOM = 60, 12, 12, 28
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
TICKS = 4


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]
    color: str


def _nice_max(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^n at least `value`, so ticks are round numbers."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _frame(days: Sequence[date], top: float, unit: str) -> dict[str, Any]:
    every = max(1, len(days) // 10)
    slot = PLOT_W / max(len(days), 1)
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": TOP + PLOT_H,
        "y_ticks": [
            {
                "y": round(TOP + PLOT_H - PLOT_H * n / TICKS, 1),
                "label": f"{top * n / TICKS:g}{unit}",
            }
            for n in range(TICKS + 1)
        ],
        "x_labels": [
            {"x": round(LEFT + slot * (i + 0.5), 1), "label": day.strftime("%d %b")}
            for i, day in enumerate(days)
            if i % every == 0
        ],
    }


def bar_chart(days: Sequence[date], series: Sequence[Series], *, unit: str = "") -> dict[str, Any]:
    """Bars per day, the series stacked bottom to top in the order given."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(days))]
    top = _nice_max(max(totals, default=0))
    slot = PLOT_W / max(len(days), 1)
    bars = []
    for i, day in enumerate(days):
        base = 0.0
        for s in series:
            value = s.values[i] or 0
            if value:
                height = PLOT_H * value / top
                bars.append(
                    {
                        "x": round(LEFT + slot * i + slot * 0.1, 1),
                        "y": round(TOP + PLOT_H - base - height, 1),
                        "w": round(slot * 0.8, 1),
                        "h": round(height, 1),
                        "color": s.color,
                        "title": f"{day:%d %b}: {s.label} {value:g}{unit}",
                    }
                )
                base += height
    legend = [{"label": s.label, "color": s.color} for s in series]
    return {**_frame(days, top, unit), "bars": bars, "lines": [], "legend": legend}


def line_chart(
    days: Sequence[date], series: Sequence[Series], *, unit: str = "", top: float | None = None
) -> dict[str, Any]:
    """A line per series; a day without a value (None) breaks the line, a lone day is a dot."""
    found = [v for s in series for v in s.values if v is not None]
    top = top if top is not None else _nice_max(max(found, default=0))
    slot = PLOT_W / max(len(days), 1)
    lines = []
    for s in series:
        segments: list[list[tuple[float, float]]] = [[]]
        for i, value in enumerate(s.values):
            if value is None:
                segments.append([])
                continue
            x = round(LEFT + slot * (i + 0.5), 1)
            y = round(TOP + PLOT_H - PLOT_H * min(value, top) / top, 1)
            segments[-1].append((x, y))
        for points in segments:
            if points:
                lines.append(
                    {
                        "points": " ".join(f"{x},{y}" for x, y in points),
                        "dots": [{"x": x, "y": y} for x, y in points],
                        "color": s.color,
                        "label": s.label,
                    }
                )
    legend = [{"label": s.label, "color": s.color} for s in series]
    return {**_frame(days, top, unit), "bars": [], "lines": lines, "legend": legend}

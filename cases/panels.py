"""Sections that other apps add to the case page.

Consultations and drafting sit above cases in the dependency order, so the case page cannot
import them; they register a panel here instead (from their AppConfig.ready) and the page
loads each panel's URL with htmx.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class CasePanel:
    title: str
    url_name: str  # a view taking `case_id` that renders the panel's HTML fragment

    def url(self, case_id: int) -> str:
        return reverse(self.url_name, kwargs={"case_id": case_id})


_panels: list[CasePanel] = []


def case_panel_register(*, title: str, url_name: str) -> None:
    panel = CasePanel(title=title, url_name=url_name)
    if panel not in _panels:
        _panels.append(panel)


def case_panels() -> list[CasePanel]:
    return list(_panels)

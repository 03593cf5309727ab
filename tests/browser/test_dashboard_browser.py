from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from accounts.models import User
from consultations.models import Consultation
from tests.factories import ConsultationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_sees_the_dashboard_charts_drawn(
    browser_page: Page, login_as_staff: Callable[[User], None], admin_user: User, lawyer: User
) -> None:
    ConsultationFactory(user=lawyer, latency_ms=120)
    ConsultationFactory(user=lawyer, cache_hit=True, latency_ms=3)
    ConsultationFactory(
        user=lawyer, outcome=Consultation.Outcome.FAILED, error_code="timeout", latency_ms=900
    )
    login_as_staff(admin_user)

    browser_page.goto("/admin/consultations/consultation/dashboard/?days=7")

    charts = browser_page.locator("svg.chart")
    assert charts.count() == 5
    for n in range(charts.count()):
        box = charts.nth(n).bounding_box()
        assert box is not None
        assert box["width"] > 100
        assert box["height"] > 50
    # Today's bars are drawn with a height, and the legend and axes are written out.
    bar = browser_page.locator("#calls svg.chart rect.bar").first.bounding_box()
    assert bar is not None
    assert bar["height"] > 0
    assert bar["width"] > 0
    assert browser_page.locator("#latency polyline, #latency circle").count() >= 2
    legend = browser_page.locator("#calls .legend").inner_text().split()
    assert {"OK", "Failed", "Rejected", "CSV"} <= set(legend)
    assert browser_page.locator("#cache svg.chart text", has_text="100%").count() == 1
    assert "timeout" in browser_page.locator("#failures").inner_text()

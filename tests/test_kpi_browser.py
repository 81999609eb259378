"""The KPI page in a real browser, at desktop size and on a phone (390x844), screenshots kept."""

from __future__ import annotations

import pytest

from tests.conftest import PHONE, artifact_path, demo_user, signed_in_page

pytestmark = pytest.mark.slow


def _open(browser, live_server, demo, viewport: dict, path: str = "/cockpit/kpi?period=90d"):
    context, page, problems = signed_in_page(browser, live_server, demo_user(demo, "a", "manager"), viewport,
                                             console_errors=True)
    page.goto(live_server + path)
    return context, page, problems


def test_kpi_page_on_a_desktop(browser, live_server, demo):
    context, page, problems = _open(browser, live_server, demo, {"width": 1280, "height": 900})
    try:
        assert page.locator(".kpi-card").count() == 5
        assert int(page.locator('[data-kpi="leads"]').inner_text()) > 0, "the demo manager's sites have leads"
        charts = page.locator("svg.chart[role=img]")
        assert charts.count() == 3
        for i in range(3):
            labelled = charts.nth(i).get_attribute("aria-labelledby").split()
            assert all(page.locator(f"#{ident}").count() == 1 for ident in labelled)
        # 90 days are drawn by week: 13 or 14 bars (Monday-started weeks), each with its tooltip.
        assert page.locator("svg.chart-series rect.bar > title").count() in (13, 14)
        # Each chart has its table; every table its two downloads.
        assert page.locator(".kpi-table table").count() == page.locator(".kpi-exports a").count() / 2 >= 11
        # The filter form's script: a typed date turns the period into custom dates.
        assert page.locator("#f-from").is_visible(), "a filter in use (90 days) keeps the form open"
        page.locator("#f-from").fill("2026-01-05")
        page.locator("#f-from").dispatch_event("change")
        assert page.locator("#f-period").input_value() == "custom"
        page.locator("#f-period").select_option("7d")
        assert page.locator("#f-from").input_value() == ""
        page.screenshot(path=str(artifact_path("kpi-desktop.png")), full_page=True)
        assert not problems, problems
    finally:
        context.close()


def test_kpi_page_on_a_phone(browser, live_server, demo):
    context, page, problems = _open(browser, live_server, demo, PHONE, "/cockpit/kpi")
    try:
        assert page.locator(".kpi-card").first.is_visible()
        # The filters fold away on a phone until asked for; nothing is wider than the screen.
        assert not page.locator("#f-period").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        box = page.locator("svg.chart-series").bounding_box()
        assert box["width"] <= PHONE["width"]
        page.screenshot(path=str(artifact_path("kpi-phone.png")))
        page.screenshot(path=str(artifact_path("kpi-phone-full.png")), full_page=True)
        assert not problems, problems
    finally:
        context.close()

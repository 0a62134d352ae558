"""Chosen priorities, the live convergence chart and the comparison table in a real browser (Playwright driving
Debian's Chromium) against a live ``timetable serve``: generate with custom weights, see the chart drawn from
the progress API, and read the comparison at 1280 px and 390 px without its last column cut off."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.pages.browser import LiveServer, browser_page, live_server, shot, sign_in
from timetabling.engine.priorities import CUSTOM_NAME

pytestmark = pytest.mark.slow

# the last column of every body row against the box that holds the table, and the page's own width (at 390 px
# the header row is visually hidden: each value carries its variant's name)
OVERFLOW = """() => {
  const table = document.getElementById('comparison');
  const box = table.parentElement.getBoundingClientRect();
  const doc = document.documentElement;
  const cells = [...table.querySelectorAll('tbody tr')].map(tr => tr.lastElementChild).filter(Boolean);
  const worst = Math.max(...cells.map(c => c.getBoundingClientRect().right));
  return {pageScroll: doc.scrollWidth, pageClient: doc.clientWidth, worst: worst, boxRight: box.right,
          boxScroll: table.parentElement.scrollWidth, boxClient: table.parentElement.clientWidth,
          clipped: cells.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.outerHTML.slice(0, 200))};
}"""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("live-compare")) as server:
        yield server


@pytest.fixture
def page(live: LiveServer):
    with browser_page(live, width=1280) as page:
        yield page


def test_custom_weights_the_chart_and_a_comparison_that_fits_at_1280_and_390(page, live: LiveServer) -> None:
    sign_in(page, live, "admin")
    page.goto("/admin/timetables/new")
    page.get_by_label("Number of variants").fill("2")
    page.get_by_label("Time limit (seconds)").fill("6")
    page.get_by_label("Chosen priorities").select_option("__custom__")
    page.locator("#id_weight_batch_idle").fill("9")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/admin/timetables/status/[0-9a-f-]{36}$"))
    assert "Batch idle 9" in page.locator("#chosen-priorities").inner_text()
    page.wait_for_selector("#results:not([hidden]) a", timeout=120_000)
    job_id = page.url.rsplit("/", 1)[1]

    # the chart draws one line per variant the engine reported a soft cost for
    series = page.request.get(f"/api/timetable/progress/{job_id}/").json()["convergence"]
    if series:
        page.wait_for_selector("#convergence polyline", state="attached")
        assert page.locator("#convergence-box").is_visible()
        drawn = page.locator("#convergence polyline").evaluate_all("ls => ls.map(l => l.dataset.variant)")
        assert sorted(drawn) == sorted(n for n, points in series.items() if points)
        shot(page, "18-convergence")

    page.get_by_role("link", name="Compare variants").click()
    heads = page.locator("#comparison thead th").all_inner_texts()
    assert any(CUSTOM_NAME in h for h in heads)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(200)
        text = page.locator("#comparison").inner_text()
        assert "↑ higher is better" in text and "↓ lower is better" in text
        assert "peak_load" not in text and "workload_std" not in text and "busiest slot" in text
        assert "(%)" in text
        assert page.locator("#comparison td.best-value").count() >= 1
        m = page.evaluate(OVERFLOW)
        assert m["pageScroll"] <= m["pageClient"], (width, m)
        assert m["worst"] <= m["boxRight"] + 1 and m["boxScroll"] <= m["boxClient"], (width, m)
        assert m["clipped"] == [], (width, m)
        shot(page, f"19-compare-{width}")

"""The demo's HTML timetable in Chromium: the grid on the first screen, the report in words, never a raw dump."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pages.browser import CHROMIUM, CHROMIUM_ARGS, need_chromium, shot
from timetabling.engine.checker import check
from timetabling.engine.export import write_html
from timetabling.engine.generator import generate_university
from timetabling.engine.solver import SolveOptions, solve

RAW_MARKS = ("{'", '{"', "[(", "': ", "Rule.")


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need_chromium()
    instance = generate_university("tiny", seed=1)
    result = solve(instance, SolveOptions(time_limit=5, workers=1, anneal=False))
    assert result.solution is not None
    path = tmp_path_factory.mktemp("demo") / "timetable.html"
    write_html(instance, result.solution, path, check(instance, result.solution).to_dict())
    return path


def test_the_demo_page_shows_the_grid_on_the_first_screen_and_the_report_in_words(demo_page: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = chromium.new_page(viewport={"width": 1280, "height": 800})
        page.goto(demo_page.as_uri())
        grid = page.locator("#tt-grid table.week")
        box = grid.bounding_box()
        assert box is not None and box["y"] < 800 - 200, box  # the grid's first rows are on the first screen
        assert page.locator("#tt-grid td .s").first.bounding_box()["y"] < 800  # a session, not just a heading
        verdict = page.locator(".verdict").inner_text()
        assert "No hard violations" in verdict and "soft cost" in verdict
        # every collapsible list opened: even then the visible text holds no Python or JSON
        page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        text = page.locator("body").inner_text()
        for mark in RAW_MARKS:
            assert mark not in text, (mark, text[text.find(mark) - 80:text.find(mark) + 80])
        assert "What it means" in text and "higher is better" in text and "Faculty clash" not in text
        assert "Who is affected" in text
        shot(page, "demo-page")
        page.emulate_media(media="print")
        assert page.locator(".controls").is_hidden() and page.locator("#offenders").is_hidden()
        assert page.locator("#tt-grid table.week").is_visible() and page.locator("table.rep").first.is_visible()
        chromium.close()

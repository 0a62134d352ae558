"""The issue's walk through the week grid editor in a real browser (Playwright driving Debian's Chromium) against a
live ``timetable serve``: an organization admin makes a scheduler; the scheduler gives a faculty member's slots
levels on the week grid (prohibited by dragging the mouse and by a shortcut, preferred with the keyboard), saves,
generates, and the timetables never put that faculty member in a prohibited slot."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator

import pytest

from tests.pages.browser import LiveServer, browser_page, live_server, shot, sign_in, sign_out

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("live-grid")
    with live_server(data_dir) as server:
        server.data_dir = data_dir  # type: ignore[attr-defined]  # the test reads what was stored
        yield server


@pytest.fixture
def page(live: LiveServer):
    with browser_page(live, width=1400, height=1100) as page:
        yield page


def query(live: LiveServer, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(live.data_dir / "timetable.sqlite3") as db:  # type: ignore[attr-defined]
        return db.execute(sql, args).fetchall()


def cell(page, day: int, period: int):
    return page.locator(f"[data-grid-editor=preferences] button.cell[data-day='{day}'][data-period='{period}']")


def drag(page, start, end) -> None:
    a, b = start.bounding_box(), end.bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=12)
    page.mouse.up()


def test_a_scheduler_sets_levels_on_the_week_grid_and_the_timetable_keeps_off_the_prohibited_slots(
        page, live: LiveServer) -> None:
    sign_in(page, live, "admin")
    page.get_by_role("link", name="People").click()
    page.get_by_label("Username").fill("gridplanner")
    page.get_by_label("Role").select_option(label="Scheduler")
    page.get_by_role("button", name="Make account").click()
    password = page.locator("#new-password code").inner_text().strip()
    sign_out(page)

    sign_in(page, live, "gridplanner", password)
    teacher = live.teacher["id"]
    page.goto(f"/data/faculty/{teacher}/")
    assert page.get_by_role("radio", name="prohibited").is_checked()  # the level picker is a radio group
    # the shortcuts set the chosen level: on the afternoons, then before 10:00
    page.get_by_role("radio", name="discouraged", exact=True).check()
    page.get_by_role("button", name="Mornings only").click()
    page.get_by_label("Earliest start").select_option("10:00")
    page.get_by_role("button", name="Not before").click()
    for start, morning, level in page.evaluate(
            "() => Array.from(document.querySelectorAll('[data-grid-editor=preferences] button.cell'))"
            ".map(c => [c.dataset.start, c.hasAttribute('data-morning'), c.dataset.level])"):
        if not morning or start < "10:00":
            assert level == "discouraged", (start, morning, level)
    assert "set to discouraged" in page.locator("[data-grid-status]").inner_text()
    page.get_by_role("button", name="Reset all to neutral").click()  # and the generator's levels go too
    page.get_by_role("radio", name="prohibited").check()
    first = cell(page, 0, 0)
    start = first.get_attribute("data-start")
    assert first.get_attribute("aria-label") == f"Monday {start} neutral"

    # the mouse: press on Monday's first period and drag down over the next two
    drag(page, first, cell(page, 0, 2))
    for p in range(3):
        assert cell(page, 0, p).get_attribute("data-level") == "prohibited"
        assert cell(page, 0, p).get_attribute("aria-label").endswith(" prohibited")
    assert cell(page, 0, 3).get_attribute("data-level") == "neutral"

    # a shortcut: no classes on the chosen day (Tuesday)
    page.get_by_label("Day with no classes").select_option(label="Tuesday")
    page.get_by_role("button", name="No classes on").click()
    n_periods = page.locator("[data-grid-editor=preferences] tbody tr").count()
    assert all(cell(page, 1, p).get_attribute("data-level") == "prohibited" for p in range(n_periods))

    # the keyboard: onto Wednesday's first period with the arrows, 5 chooses "preferred" and sets it; then down
    # and Space sets the chosen level there too
    cell(page, 0, 0).focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.getAttribute('data-day')") == "2"
    page.keyboard.press("5")
    assert page.get_by_role("radio", name="preferred", exact=True).is_checked()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    assert cell(page, 2, 0).get_attribute("data-level") == "preferred"
    assert cell(page, 2, 1).get_attribute("aria-label") == (
        f"Wednesday {cell(page, 2, 1).get_attribute('data-start')} preferred")
    shot(page, "45-preference-grid")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/data/faculty/$"))

    (stored,) = query(live, "SELECT preferences FROM academics_faculty WHERE id = ?", teacher)[0]
    levels = {(d, p): level for d, p, level in json.loads(stored)}
    prohibited = {(0, 0), (0, 1), (0, 2), *((1, p) for p in range(n_periods))}
    assert {s for s, level in levels.items() if level == "prohibited"} == prohibited
    assert {s for s, level in levels.items() if level == "preferred"} == {(2, 0), (2, 1)}
    page.goto(f"/data/faculty/{teacher}/history/")
    history = page.locator("#history").inner_text()
    assert "gridplanner" in history and "prohibited" in history

    # generate: no session of the faculty member's lands in a prohibited slot in any variant
    page.goto("/admin/timetables/new")
    page.get_by_label("Number of variants").fill("2")
    page.get_by_label("Time limit (seconds)").fill("3")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/admin/timetables/status/[0-9a-f-]{36}$"))
    page.wait_for_selector("#results:not([hidden]) a", timeout=120_000)
    rows = query(live, "SELECT s.timetable_id, s.day, s.period, c.session_length FROM scheduling_timetableslot s "
                       "JOIN academics_course c ON c.id = s.course_id WHERE s.faculty_id = ?", teacher)
    assert len({r[0] for r in rows}) == 2, rows  # both variants teach the faculty member's courses
    taught = {(day, period + k) for _, day, period, length in rows for k in range(max(1, length))}
    assert taught and not taught & prohibited, sorted(taught & prohibited)

"""People and data editing in a real browser (Playwright driving Debian's Chromium) against a live ``timetable
serve``: an organization admin makes a scheduler, who signs in, drags over the week grid of a room's
availability, saves, and the database holds the new availability (a faculty member's levels:
``test_preference_grid_browser.py``)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator

import pytest

from tests.pages.browser import LiveServer, browser_page, live_server, shot, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("live-people")) as server:
        yield server


@pytest.fixture
def page(live: LiveServer):
    with browser_page(live, width=1400, height=1000) as page:
        yield page


def stored_unavailable(live: LiveServer, room_id: int | None = None) -> tuple[int, list[list[int]]]:
    """A room's id (the first by code when none is given) and its stored unavailable cells."""
    with sqlite3.connect(live.data_dir / "timetable.sqlite3") as db:
        room, value = db.execute("SELECT id, unavailable FROM academics_room WHERE id = ? OR ? IS NULL ORDER BY code",
                                 (room_id, room_id)).fetchone()
    return room, json.loads(value)


def test_an_admin_makes_a_scheduler_who_edits_availability_on_the_week_grid(page, live: LiveServer) -> None:
    sign_in(page, live, "admin", live.password)
    page.get_by_role("link", name="People").click()
    page.get_by_label("Username").fill("planner")
    page.get_by_label("Role").select_option(label="Scheduler")
    page.get_by_role("button", name="Make account").click()
    password = page.locator("#new-password code").inner_text().strip()
    assert re.fullmatch(r"[a-z0-9]{4}(-[a-z0-9]{4}){3}", password)
    assert "planner" in page.locator("#people").inner_text()
    shot(page, "40-people")
    page.get_by_role("button", name=re.compile("Sign out")).click()

    sign_in(page, live, "planner", password)
    room, _ = stored_unavailable(live)
    page.goto(f"/data/rooms/{room}/")
    page.get_by_role("button", name="Reset all to available").click()
    assert page.get_by_role("radio", name="unavailable").is_checked()
    cells = "[data-grid-editor=unavailable] button.cell[data-day='0']"
    first, second = page.locator(f"{cells}[data-period='0']"), page.locator(f"{cells}[data-period='1']")
    a, b = first.bounding_box(), second.bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=4)
    page.mouse.up()
    assert first.get_attribute("aria-label").endswith(" unavailable")
    assert second.get_attribute("data-level") == "prohibited"
    shot(page, "41-availability-grid")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/data/rooms/$"))

    assert stored_unavailable(live, room) == (room, [[0, 0], [0, 1]])
    page.goto(f"/data/rooms/{room}/history/")
    assert "planner" in page.locator("#history").inner_text()

"""People and data editing in a real browser (Playwright driving Debian's Chromium) against a live ``timetable
serve``: an organization admin makes a scheduler, who signs in, drags over the week grid of a faculty member's
availability, saves, and the database holds the new availability."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator

import pytest

from tests.pages.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LiveServer,
    need_chromium,
    shot,
    start_live_server,
    stop_live_server,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    need_chromium()
    data_dir = tmp_path_factory.mktemp("live-people")
    server = start_live_server(data_dir)
    server.data_dir = data_dir  # type: ignore[attr-defined]  # the test reads the stored availability
    yield server
    stop_live_server(server)


@pytest.fixture
def page(live: LiveServer):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live.url, viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(20_000)
        page = context.new_page()
        refused: list[str] = []  # what the Content-Security-Policy blocked: these pages must need nothing it forbids
        page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
        yield page
        context.close()
        browser.close()
        assert not refused, refused


def sign_in(page, live: LiveServer, username: str, password: str) -> None:
    page.goto("/signin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/")


def stored_unavailable(live: LiveServer, faculty_id: int) -> list[list[int]]:
    with sqlite3.connect(live.data_dir / "timetable.sqlite3") as db:  # type: ignore[attr-defined]
        (value,) = db.execute("SELECT unavailable FROM academics_faculty WHERE id = ?", (faculty_id,)).fetchone()
    return json.loads(value)


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
    teacher = live.teacher["id"]
    before = stored_unavailable(live, teacher)
    page.goto(f"/data/faculty/{teacher}/")
    first, second = page.locator("#unavailable-0-0"), page.locator("#unavailable-0-1")
    painted = not first.is_checked()  # a press flips the first cell; dragging paints the others the same
    a, b = first.bounding_box(), second.bounding_box()
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=4)
    page.mouse.up()
    assert first.is_checked() == painted and second.is_checked() == painted
    shot(page, "41-availability-grid")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/data/faculty/$"))

    after = stored_unavailable(live, teacher)
    assert after != before
    for cell in ([0, 0], [0, 1]):
        assert (cell in after) == (not painted)
    page.goto(f"/data/faculty/{teacher}/history/")
    assert "planner" in page.locator("#history").inner_text()

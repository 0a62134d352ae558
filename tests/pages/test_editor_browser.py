"""The draft editor in a real browser (Playwright driving Debian's Chromium) against a live ``timetable serve``:
make a draft of the published timetable, select a session and see where it can go, move it with the keyboard,
undo, move it again by dragging, publish, and find the move in the published batch and student weeks."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.pages.browser import LiveServer, browser_page, live_server, shot, sign_in

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("live-editor")) as server:
        yield server


@pytest.fixture
def page(live: LiveServer):
    with browser_page(live, width=1400, height=1000) as page:
        yield page


def published_timetable(page) -> str:
    """Generate one variant and approve it; the review page's address."""
    page.goto("/admin/timetables/new")
    if not page.get_by_label("Number of variants").count():  # say what the page showed instead
        raise AssertionError(f"{page.url}: {page.locator('main').inner_text()[:2000]}")
    page.get_by_label("Number of variants").fill("1")
    page.get_by_label("Time limit (seconds)").fill("3")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/admin/timetables/status/[0-9a-f-]{36}$"))
    page.wait_for_selector("#results:not([hidden]) a", timeout=90_000)
    page.locator("#results a").first.click()
    page.get_by_role("button", name="Approve and publish").click()
    page.wait_for_load_state()
    assert page.locator("h1 .badge").inner_text() == "published"
    return page.url.split("?")[0]


FREE = "#week-table td.cand-free:not(.cand-current)"  # a free cell to move the selected session to
REFUSED = "#week-table td.cand-hard:not(.cand-current):not(.busy)"  # a hard cell holding no session to swap with


def cell(page, day: str, period: str):
    return page.locator(f"#week-table td[data-day='{day}'][data-period='{period}']")


def week_cell(page, day: str, period: str):
    """A cell of a week grid without the editor's marks (the published pages): by period row and day column."""
    return page.locator("table.week tbody tr:not(.break)").nth(int(period)).locator("td").nth(int(day))


def editor_says(page) -> str:
    """What the editor shows, for a failure's message."""
    return " | ".join(page.locator(f"#{i}").inner_text() for i in ("edit-selected", "edit-status", "edit-error-text"))


def wait_for_status(page, text: str) -> None:
    try:
        page.wait_for_function("(t) => document.getElementById('edit-status').textContent.includes(t)", arg=text)
    except Exception as err:
        raise AssertionError(f"waiting for '{text}': {editor_says(page)}") from err


def test_a_draft_is_edited_in_the_grid_undone_published_and_seen_by_batch_and_student(page, live: LiveServer) -> None:
    sign_in(page, live, "admin")
    review_url = published_timetable(page)
    page.goto(review_url)
    batch_id = page.locator("#owner").input_value()
    page.get_by_role("button", name="Make a draft").click()
    page.wait_for_load_state()
    assert page.locator("h1 .badge").inner_text() == "draft"
    assert page.locator("#editor").is_visible()

    # select a session with the keyboard: the cells say where it can go, with the reason (the first session that
    # has a free cell to go to: the solver's week differs from run to run)
    sessions = page.locator("#week-table .session[draggable]")
    for i in range(sessions.count()):
        session = sessions.nth(i)
        label, course = session.get_attribute("data-label"), session.get_attribute("data-title")
        home = session.locator("xpath=ancestor::td[1]")
        day, period = home.get_attribute("data-day"), home.get_attribute("data-period")
        home.focus()
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.getElementById('edit-selected').textContent.includes('free cells')")
        if page.locator(FREE).count() and page.locator(REFUSED).count():
            break
        page.keyboard.press("Escape")
    assert page.locator(FREE).count() >= 1
    hard = page.locator("#week-table td.cand-hard:not(.cand-current)").first
    why = hard.get_attribute("title")
    assert why.startswith("Breaks a hard rule: ") and len(why) > len("Breaks a hard rule: ")
    described = hard.get_attribute("aria-describedby")
    assert page.locator(f"#{described}").inner_text() == why  # what a screen reader hears on focus
    hard.focus()
    assert page.locator("#edit-hint").inner_text().endswith(why)
    assert "free cells" in page.locator("#edit-status").inner_text()
    shot(page, "20-editor-selected")

    # the arrow keys move the focus; Enter drops the session on a free cell
    home.focus()
    page.keyboard.press("ArrowDown" if period == "0" else "ArrowUp")
    assert page.evaluate("document.activeElement.tagName") == "TD"
    target = page.locator(FREE).first
    to_day, to_period = target.get_attribute("data-day"), target.get_attribute("data-period")
    target.focus()
    page.keyboard.press("Enter")
    wait_for_status(page, "moved to")
    assert cell(page, to_day, to_period).locator(f".session[data-label='{label}']").count() == 1
    assert cell(page, day, period).locator(f".session[draggable][data-label='{label}']").count() == 0
    shot(page, "21-editor-moved")

    # undo puts it back (Ctrl+Z); the redo button is offered
    page.keyboard.press("Control+z")
    wait_for_status(page, "Undone:")
    assert cell(page, day, period).locator(f".session[draggable][data-label='{label}']").count() == 1
    assert page.get_by_role("button", name="Redo").is_enabled()

    # a move the server refuses (a hard cell) leaves the grid as it was and says why
    page.locator(f"#week-table .session[draggable][data-label='{label}']").click()
    page.wait_for_function("() => document.getElementById('edit-selected').textContent.includes('free cells')")
    refused = page.locator(REFUSED).first
    refused_day, refused_period = refused.get_attribute("data-day"), refused.get_attribute("data-period")
    refused.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#edit-error:not([hidden])")
    assert page.locator("#edit-error-text").inner_text().startswith("Not done: ")
    assert cell(page, refused_day, refused_period).locator(f".session[data-label='{label}']").count() == 0

    # someone else edits the draft meanwhile: this page's next edit gets 409, is not stored, and a reload is offered
    editor = page.locator("#editor")
    other = page.locator(f"#week-table .session[draggable]:not([data-label='{label}'])").first
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    theirs = page.request.post(editor.get_attribute("data-api") + "edits/", headers={"X-CSRFToken": token}, data={
        "op": "lock", "course": other.get_attribute("data-course"), "session": int(other.get_attribute("data-session")),
        "base_version": int(editor.get_attribute("data-version"))})
    assert theirs.status == 200, theirs.text()
    stale = page.locator(FREE).first
    stale_day, stale_period = stale.get_attribute("data-day"), stale.get_attribute("data-period")
    stale.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('edit-error-text').textContent.includes('Someone else')")
    assert cell(page, stale_day, stale_period).locator(f".session[data-label='{label}']").count() == 0
    with page.expect_navigation():
        page.get_by_role("button", name="Reload the draft").click()
    assert page.locator(f"#week-table .session.locked[data-label='{other.get_attribute('data-label')}']").count()
    page.locator(f"#week-table .session[draggable][data-label='{label}']").click()
    page.wait_for_function("() => document.getElementById('edit-selected').textContent.includes('free cells')")

    # move it again, by dragging this time
    target = page.locator(FREE).first
    to_day, to_period = target.get_attribute("data-day"), target.get_attribute("data-period")
    # the HTML drag-and-drop events themselves (Playwright's mouse drag is not reliable in headless Chromium)
    moving = page.locator(f"#week-table .session[draggable][data-label='{label}']")
    carried = page.evaluate_handle("() => new DataTransfer()")
    moving.dispatch_event("dragstart", {"dataTransfer": carried})
    target.dispatch_event("dragover", {"dataTransfer": carried})
    target.dispatch_event("drop", {"dataTransfer": carried})
    wait_for_status(page, "moved to")
    assert cell(page, to_day, to_period).locator(f".session[data-label='{label}']").count() == 1

    # publish the draft; the batch and its students see the move
    page.get_by_role("button", name="Publish", exact=True).click()
    page.wait_for_load_state()
    assert "is published" in page.locator(".messages").inner_text()
    assert page.locator("h1 .badge").inner_text() == "published"
    page.goto(f"/timetables/batch/{batch_id}/")
    assert course in week_cell(page, to_day, to_period).inner_text()
    shot(page, "22-published-after-edit")
    students = page.request.get("/api/academics/students/?page_size=500").json()["results"]
    ours = [s["id"] for s in students if s["batch"] and str(s["batch"]["id"]) == batch_id]
    assert ours
    seen = 0
    for student_id in ours[:10]:
        page.goto(f"/timetables/student/{student_id}/")
        if course not in page.locator("table.week").inner_text():
            continue  # an elective this student did not choose
        seen += 1
        assert course in week_cell(page, to_day, to_period).inner_text()
    assert seen

"""The pages in a real browser (Playwright driving Debian's Chromium) against a live ``timetable serve``:
upload, generate with live progress, review, compare, approve, read and download a published timetable;
and cancel a running generation. Screenshots of the main pages go to artifacts/screenshots/."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import icalendar
import pytest

from tests.pages.browser import LiveServer, browser_page, chromium, live_server, shot, sign_in, sign_out
from tests.pages.support import pdf_text

pytestmark = pytest.mark.slow

ROOMS_HEADER = "code,name,capacity,room_type,building"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("live")) as server:
        yield server


@pytest.fixture(scope="module")
def browser(live: LiveServer) -> Iterator[object]:
    with chromium() as shared:
        yield shared


@pytest.fixture
def page(browser, live: LiveServer):
    with browser_page(live, accept_downloads=True, browser=browser) as page:
        yield page


def upload(page, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    page.get_by_label("File (.csv or .xlsx)").set_input_files(str(path))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_load_state()


def start_generation(page, time_limit: int, variants: int = 2) -> str:
    page.goto("/admin/timetables/new")
    page.get_by_label("Number of variants").fill(str(variants))
    page.get_by_label("Time limit (seconds)").fill(str(time_limit))
    assert page.locator("[data-variant='3']").is_visible() == (variants >= 3)  # one priority per variant
    shot(page, "04-new-generation")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r"/admin/timetables/status/[0-9a-f-]{36}$"))
    return page.url.rsplit("/", 1)[1]


def test_from_upload_to_a_published_timetable_downloaded_by_its_teacher(page, live: LiveServer,
                                                                        tmp_path: Path) -> None:
    sign_in(page, live, "admin")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    shot(page, "01-dashboard")

    # an upload with one bad row: the problem is shown with row and column, and nothing is stored
    page.goto("/data/rooms/")
    assert page.locator("#total").inner_text() == str(live.rooms)
    upload(page, tmp_path, "rooms.csv", f"{ROOMS_HEADER}\nNEW-1,Hall one,40,lecture,A\nNEW-2,Hall two,lots,lecture,A\n")
    problems = page.locator("#upload-problems")
    assert problems.is_visible()
    assert problems.locator("tbody tr").first.inner_text().split("\t") == [
        "3", "capacity", "'lots' is not a whole number"]
    shot(page, "02-upload-rejected")
    page.goto("/data/rooms/?q=NEW-")
    assert page.locator("#total").inner_text() == "0"

    # fixed, the same file goes in whole
    page.goto("/data/rooms/")
    upload(page, tmp_path, "rooms.csv", f"{ROOMS_HEADER}\nNEW-1,Hall one,40,lecture,A\nNEW-2,Hall two,50,lecture,A\n")
    assert "2 rooms added, 0 updated" in page.locator(".messages").inner_text()
    assert page.locator("#total").inner_text() == str(live.rooms + 2)
    shot(page, "03-data-rooms")

    # generate, and watch the progress arrive over the engine's WebSocket up to 100
    frames: list[dict] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(json.loads(payload))))
    job_id = start_generation(page, time_limit=3)
    shot(page, "05-status-running")
    page.wait_for_selector("#results:not([hidden])", timeout=90_000)
    assert page.locator("#percent").inner_text() == "100"
    assert page.locator("#progressbar").get_attribute("aria-valuenow") == "100"
    assert page.locator("#status").inner_text() == "completed"
    progress = [f["progress"] for f in frames if f.get("job_id") == job_id]
    assert progress and progress[-1] == 100 and progress == sorted(progress)
    assert frames[-1]["status"] == "completed"
    shot(page, "06-status-completed")

    # compare the variants, then review one
    page.get_by_role("link", name="Compare variants").click()
    table = page.locator("#comparison")
    assert table.locator("thead th").count() == 3  # the metric column and two variants
    assert table.get_by_role("row", name=re.compile("^hard violations \\(checker\\)")).inner_text().split("\t")[1:] \
        == ["0", "0"]
    shot(page, "07-compare")
    page.get_by_role("link", name="Review Balanced").click()
    assert page.locator("#hard-total strong").inner_text() == "0"
    grid = page.locator("table.week")
    assert grid.locator(".session").count() > 0
    assert page.locator("td.conflict").count() == 0
    shot(page, "08-review-batch")
    page.get_by_label("Show").select_option("faculty")
    page.wait_for_url(re.compile(r"kind=faculty"))
    assert "Faculty member" in page.locator("table.week caption").inner_text()
    review_url = page.url.split("?")[0]
    assert page.get_by_role("button", name="Approve and publish").count() == 1  # an org admin may approve

    # an approver approves with a comment
    sign_out(page)
    sign_in(page, live, "approver")
    page.goto(review_url)
    page.get_by_label("Comments").fill("clash-free, fewest idle periods")
    page.get_by_role("button", name="Approve and publish").click()
    page.wait_for_load_state()
    assert "approved and published" in page.locator(".messages").inner_text()
    assert "clash-free, fewest idle periods" in page.locator("#review-outcome").inner_text()
    assert page.locator("h1 .badge").inner_text() == "published"
    shot(page, "09-review-approved")

    # the teacher reads the published week and downloads it
    sign_out(page)
    sign_in(page, live, "teacher")
    page.get_by_role("link", name="My timetable").first.click()
    page.wait_for_url(re.compile(rf"/timetables/faculty/{live.teacher['id']}/$"))
    week = page.locator("table.week").inner_text()
    assert any(code in week for code in live.teacher["courses"])
    shot(page, "10-published-faculty")
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert f"Faculty member {live.teacher['code']}" in text
    assert any(code in text for code in live.teacher["courses"])
    with page.expect_download() as download:
        page.get_by_role("link", name="iCalendar (.ics)").click()
    ics = Path(download.value.path()).read_text()
    assert ics.startswith("BEGIN:VCALENDAR") and ics.count("BEGIN:VEVENT") >= 1
    events = list(icalendar.Calendar.from_ical(ics).walk("VEVENT"))
    assert events and all(e["RRULE"]["FREQ"] == ["WEEKLY"] and e["RRULE"]["BYDAY"] for e in events)
    assert any(str(e["SUMMARY"]).startswith(code) for e in events for code in live.teacher["courses"])

    # a phone's width: the menu folds, the week scrolls sideways, the page still works
    page.set_viewport_size({"width": 390, "height": 844})
    menu = page.get_by_role("button", name="Menu")
    assert menu.is_visible() and not page.get_by_role("link", name="Dashboard").is_visible()
    menu.click()
    assert page.get_by_role("link", name="Dashboard").is_visible()
    shot(page, "11-published-phone")


def test_a_running_generation_can_be_cancelled_and_polling_stands_in_for_the_websocket(page, live: LiveServer) -> None:
    page.route_web_socket(re.compile(r"/ws/progress/"), lambda ws: ws.close())  # no live connection here
    sign_in(page, live, "admin")
    start_generation(page, time_limit=120, variants=3)
    # a function, not an expression: Playwright evaluates expressions with eval, which the page's CSP forbids
    page.wait_for_function("() => Number(document.getElementById('percent').textContent) > 0", timeout=60_000)
    assert page.locator("#channel").inner_text().startswith("polling")
    page.get_by_role("button", name="Cancel generation").click()
    page.wait_for_load_state()
    assert "Cancel requested" in page.locator(".messages").inner_text()
    try:
        page.wait_for_selector("#status.cancelled", timeout=60_000)
    except Exception as err:  # say what the servers saw
        raise AssertionError(f"{err}\n{page.locator('#job').inner_text()}\n{live.log.read_text()[-4000:]}") from None
    page.wait_for_selector("#results:not([hidden])")  # the page as the server renders a finished job
    assert page.locator("#cancel-form").count() == 0 or page.locator("#cancel-form").is_hidden()
    assert int(page.locator("#percent").inner_text()) < 100
    shot(page, "12-status-cancelled")


def test_the_keyboard_signs_in_and_skips_to_the_content(page, live: LiveServer) -> None:
    page.goto("/signin/")
    assert page.evaluate("document.activeElement.id") == "id_username"  # the form has the focus at once
    page.keyboard.type("admin")
    page.keyboard.press("Tab")
    page.keyboard.type(live.password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live.url}/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden()

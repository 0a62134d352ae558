"""Issue 18 end to end in a real browser (Playwright driving Debian's Chromium) against a live ``timetable serve``
whose e-mail goes to a real SMTP server (aiosmtpd) started by the test: generate with custom weights saved as a
profile, see the convergence chart draw, receive the completion e-mail, approve from the approver's e-mail, and
read the teacher's "timetable changed" notification in the site and in the mailbox; the saved profile then
fills the form's weights, and the analytics page shows the run's time per stage."""

from __future__ import annotations

import email
import re
import threading
import time
from collections.abc import Iterator
from email.policy import default as email_policy

import pytest
from aiosmtpd.controller import Controller

from tests.pages.browser import LiveServer, browser_page, live_server, shot, sign_in, sign_out
from tests.support.processes import free_port
from timetabling.engine.priorities import CUSTOM_NAME

pytestmark = pytest.mark.slow

STATUS_URL = re.compile(r"/admin/timetables/status/[0-9a-f-]{36}")


class Mailbox:
    """aiosmtpd's handler: every message received, parsed."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=email_policy)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def wait_for(self, to: str, subject: str, timeout_s: float = 90.0) -> email.message.EmailMessage:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                for m in self.messages:
                    if m["To"] == to and subject in m["Subject"]:
                        return m
            time.sleep(0.3)
        raise AssertionError(f"no e-mail to {to} about {subject!r}; received: "
                             f"{[(m['To'], m['Subject']) for m in self.messages]}")


def body_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    server = Controller(box, hostname="127.0.0.1", port=box.port)
    server.start()
    yield box
    server.stop()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[LiveServer]:
    # the live server is its own process: its mail thread is on (unlike the test settings) and sends here
    with live_server(tmp_path_factory.mktemp("live-notify"), extra_env={
            "TIMETABLE_EMAIL_HOST": "127.0.0.1", "TIMETABLE_EMAIL_PORT": str(mailbox.port),
            "TIMETABLE_EMAIL_FROM": "timetable@tiny.test", "TIMETABLE_SITE_URL": "http://tt.tiny.test"}) as server:
        yield server


@pytest.fixture
def page(live: LiveServer):
    with browser_page(live) as page:
        yield page


def test_custom_weights_chart_completion_mail_approval_and_the_teachers_notification(
        page, live: LiveServer, mailbox: Mailbox) -> None:
    # the scheduler (here the org admin) generates with custom weights, saved as a profile
    sign_in(page, live, "admin")
    page.goto("/admin/timetables/new")
    page.get_by_label("Number of variants").fill("1")
    page.get_by_label("Time limit (seconds)").fill("6")
    page.get_by_label("Chosen priorities").select_option("__custom__")
    page.locator("#id_weight_batch_idle").fill("9")
    page.get_by_label("Save these weights as").fill("Few idle periods")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(STATUS_URL)
    job_path = page.url.removeprefix(live.url)
    assert "Batch idle 9" in page.locator("#chosen-priorities").inner_text()

    # the convergence chart draws a line per variant that reported a soft cost
    page.wait_for_selector("#results:not([hidden]) a", timeout=120_000)
    page.wait_for_selector("#convergence polyline", state="attached", timeout=30_000)
    assert page.locator("#convergence-box").is_visible()
    drawn = page.locator("#convergence polyline").evaluate_all("ls => ls.map(l => l.dataset.variant)")
    assert "Few idle periods" in drawn and CUSTOM_NAME not in drawn, drawn  # the profile's name, not "Custom"
    shot(page, "20-notify-convergence")

    # the completion e-mail reaches the SMTP server, with the job's link
    done = mailbox.wait_for("admin@tiny.test", "Generation completed")
    assert done["From"] == "timetable@tiny.test"
    assert "finished with 2 variant(s)" in body_of(done) and "Few idle periods" in body_of(done)
    assert f"http://tt.tiny.test{job_path}" in body_of(done)

    # the approver follows the link of their own e-mail and approves
    asked = mailbox.wait_for("approver@tiny.test", "Timetable waiting for approval")
    link = re.search(r"http://tt\.tiny\.test(/\S+)", body_of(asked)).group(1)
    assert link == job_path
    sign_out(page)
    sign_in(page, live, "approver")
    page.goto(link)
    page.get_by_role("link", name=re.compile("^Review ")).first.click()
    page.get_by_label("Comments").fill("fewest idle periods")
    page.get_by_role("button", name="Approve and publish").click()
    page.wait_for_load_state()
    assert "approved and published" in page.locator(".messages").inner_text()

    # the teacher is told in the site (the worker tells people after the commit) and by e-mail
    sign_out(page)
    sign_in(page, live, "teacher")
    deadline = time.monotonic() + 60
    while True:
        page.goto("/notifications/")
        notes = page.locator("ul.notifications")
        if notes.count() and "Your timetable was published" in notes.inner_text():
            break
        assert time.monotonic() < deadline, page.locator("main").inner_text()
        page.wait_for_timeout(500)
    text = notes.inner_text()
    assert any(code in text for code in live.teacher["courses"]), text
    shot(page, "21-notify-teacher")
    changed = mailbox.wait_for("teacher@tiny.test", "Your timetable was published")
    assert any(code in body_of(changed) for code in live.teacher["courses"])

    # the saved profile fills the weights on the form; editing one turns the choice to "the weights below"
    sign_out(page)
    sign_in(page, live, "admin")
    page.goto("/admin/timetables/new")
    assert page.locator("#id_weight_batch_idle").input_value() != "9"
    page.get_by_label("Chosen priorities").select_option("Few idle periods")
    assert page.locator("#id_weight_batch_idle").input_value() == "9"
    page.locator("#id_weight_batch_idle").fill("8")
    assert page.get_by_label("Chosen priorities").input_value() == "__custom__"

    # the analytics page times the run's stages and its first clash-free timetable from the engine's events
    page.goto("/admin/timetables/analytics")
    stages = page.locator("svg[aria-label='Time per stage per run']")
    assert stages.locator("rect title").filter(has_text="improving the variants").count() == 1
    assert stages.locator("rect title").filter(has_text="placing the courses").count() == 1
    generation = page.locator("svg[aria-label='Generation time per run']")
    assert generation.locator("circle title").filter(has_text="first clash-free timetable").count() == 1
    shot(page, "22-analytics-stages")

"""A live ``timetable serve`` (web backend and engine service, SQLite in a temporary folder) and Debian's
Chromium driven by Playwright, for the browser tests.

A browser test module needs only::

    @pytest.fixture(scope="module")
    def live(tmp_path_factory):
        with live_server(tmp_path_factory.mktemp("live-mine")) as server:
            yield server

    @pytest.fixture
    def page(live):
        with browser_page(live, width=1400, height=1000) as page:
            yield page

and ``sign_in(page, live, "admin")`` in its tests. ``browser_page`` fails the test when the page's
Content-Security-Policy refused anything."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import answers, free_port, tail, wait_for

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"  # git ignores artifacts/
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def need_chromium() -> None:
    """No browser: a failure in CI (CI=true), a skip elsewhere."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class LiveServer:
    url: str
    engine_url: str
    password: str
    teacher: dict
    rooms: int
    process: subprocess.Popen
    log: Path
    data_dir: Path  # its SQLite database: data_dir / "timetable.sqlite3"


def _wait_until_up(server: subprocess.Popen, urls: list[str], log: Path, timeout_s: float = 180.0) -> None:
    def up() -> bool:
        if server.poll() is not None:
            raise RuntimeError(f"timetable serve exited ({server.returncode}):\n{tail(log, 3000)}")
        return all(answers(url) for url in urls)

    try:
        wait_for(up, timeout_s, f"timetable serve to answer {urls}")
    except AssertionError as err:
        raise RuntimeError(f"{err}:\n{tail(log, 3000)}") from None


def _prepared_database(data_dir: Path, env: dict[str, str]) -> dict:
    """Put the prepared database in ``data_dir``; what the tests need to know about it. ``live_setup`` runs
    once per test process (into a folder beside ``data_dir``, under pytest's temporary root); every later
    live server starts from a copy of that database."""
    template = data_dir.parent / "live-template"
    facts_file = template / "facts.json"
    if not facts_file.exists():
        template.mkdir(exist_ok=True)
        setup = subprocess.run([sys.executable, "-m", "tests.pages.live_setup"], cwd=REPO,
                               env={**env, "TIMETABLE_DATA_DIR": str(template)}, capture_output=True, text=True,
                               timeout=180)
        if setup.returncode != 0:
            raise RuntimeError(f"live setup failed:\n{setup.stderr[-3000:]}")
        facts_file.write_text(setup.stdout.strip().splitlines()[-1])
    for database in template.glob("timetable.sqlite3*"):  # with any -wal/-shm file beside it
        shutil.copy2(database, data_dir / database.name)
    return json.loads(facts_file.read_text())


def start_live_server(data_dir: Path, time_limit: int = 3, extra_env: dict[str, str] | None = None) -> LiveServer:
    """Prepare the database (tiny university, personas: a copy of this process's first) and start ``timetable
    serve`` on free ports, with its default process runner (a Cancel ends the job's process when the solver does
    not stop in time) and short solver runs. ``extra_env``: more of the server's settings (an SMTP server:
    ``TIMETABLE_EMAIL_HOST``...)."""
    web_port, engine_port = free_port(), free_port()
    env = {
        **os.environ, "TIMETABLE_DATA_DIR": str(data_dir), "DATABASE_URL": "",
        "TIMETABLE_TIME_LIMIT": str(time_limit), "TIMETABLE_VARIANTS": "Balanced,Faculty-focused",
        "TIMETABLE_ENGINE_WORKERS": "2", "TIMETABLE_MAX_CONCURRENT_JOBS": "3", "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_DEBUG", None)  # the production defaults: DEBUG off, static files and headers as deployed
    facts = _prepared_database(data_dir, env)
    log = data_dir / "serve.log"
    command = [sys.executable, "-c", "import sys; from timetabling.cli import main; sys.exit(main())", "serve",
               "--port", str(web_port), "--engine-port", str(engine_port), "--data-dir", str(data_dir),
               "--no-demo", "--runner", "process", "--max-jobs", "2"]
    with log.open("w") as out:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url, engine_url = f"http://127.0.0.1:{web_port}", f"http://127.0.0.1:{engine_port}"
    try:
        _wait_until_up(server, [f"{url}/api/health/", f"{engine_url}/health"], log)
    except Exception:
        server.kill()
        raise
    return LiveServer(url, engine_url, facts["password"], facts["teacher"], facts["rooms"], server, log, data_dir)


def stop_live_server(live: LiveServer) -> None:
    live.process.terminate()
    try:
        live.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        live.process.kill()
        live.process.wait(timeout=5)


@contextmanager
def live_server(data_dir: Path, **options) -> Iterator[LiveServer]:
    """``start_live_server`` (its options pass through) and ``stop_live_server``; no Chromium: a failure in CI,
    a skip elsewhere (before the server starts)."""
    need_chromium()
    server = start_live_server(data_dir, **options)
    try:
        yield server
    finally:
        stop_live_server(server)


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium, headless, launched by Playwright (for modules that share one across their tests)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def browser_page(live: LiveServer, *, width: int = 1280, height: int = 900, accept_downloads: bool = False,
                 browser: object | None = None) -> Iterator[object]:
    """A fresh Chromium page (its own context: no cookies) on ``live``, relative addresses resolved against its
    web address, at most 30 s for every wait unless a call says otherwise. ``browser``: one launched by ``chromium()``
    to share; without it the page has its own. When the test body ends without an exception, asserts that the
    Content-Security-Policy refused nothing: the pages must need nothing it forbids."""
    if browser is None:
        with chromium() as own, browser_page(live, width=width, height=height, accept_downloads=accept_downloads,
                                             browser=own) as page:
            yield page
        return
    context = browser.new_context(base_url=live.url, accept_downloads=accept_downloads,
                                  viewport={"width": width, "height": height})
    context.set_default_timeout(30_000)  # a bound, not a wait: generous for a loaded parallel run
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
    try:
        yield page
    finally:
        context.close()
    assert not refused, f"the Content-Security-Policy refused: {refused}"


def sign_in(page, live: LiveServer, username: str, password: str | None = None) -> None:
    """Sign in through the form (``password``: the personas' by default) and wait for the home page."""
    page.goto("/signin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password if password is not None else live.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/")


def sign_out(page) -> None:
    page.get_by_role("button", name=re.compile("^Sign out")).click()
    page.wait_for_url(re.compile(r"/signin/"))


def shot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

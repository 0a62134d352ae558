"""A live ``timetable serve`` (web backend and engine service, SQLite in a temporary folder) and Debian's
Chromium driven by Playwright, for the browser tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    engine_url: str
    password: str
    teacher: dict
    rooms: int
    process: subprocess.Popen
    log: Path


def _wait_until_up(server: subprocess.Popen, urls: list[str], log: Path, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    pending = list(urls)
    while pending:
        if server.poll() is not None:
            raise RuntimeError(f"timetable serve exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timetable serve did not answer {pending}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(pending[0], timeout=2).status_code == 200:
                pending.pop(0)
                continue
        except httpx.HTTPError:
            pass
        time.sleep(0.3)


def start_live_server(data_dir: Path, time_limit: int = 3, extra_env: dict[str, str] | None = None) -> LiveServer:
    """Prepare the database (tiny university, personas) and start ``timetable serve`` on free ports, with its
    default process runner (a Cancel ends the job's process when the solver does not stop in time) and short
    solver runs. ``extra_env``: more of the server's settings (an SMTP server: ``TIMETABLE_EMAIL_HOST``...)."""
    web_port, engine_port = free_port(), free_port()
    env = {
        **os.environ, "TIMETABLE_DATA_DIR": str(data_dir), "DATABASE_URL": "",
        "TIMETABLE_TIME_LIMIT": str(time_limit), "TIMETABLE_VARIANTS": "Balanced,Faculty-focused",
        "TIMETABLE_ENGINE_WORKERS": "2", "TIMETABLE_MAX_CONCURRENT_JOBS": "3", "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_DEBUG", None)  # the production defaults: DEBUG off, static files and headers as deployed
    setup = subprocess.run([sys.executable, "-m", "tests.pages.live_setup"], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=180)
    if setup.returncode != 0:
        raise RuntimeError(f"live setup failed:\n{setup.stderr[-3000:]}")
    facts = json.loads(setup.stdout.strip().splitlines()[-1])
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
    return LiveServer(url, engine_url, facts["password"], facts["teacher"], facts["rooms"], server, log)


def stop_live_server(live: LiveServer) -> None:
    live.process.terminate()
    try:
        live.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        live.process.kill()
        live.process.wait(timeout=5)


def shot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

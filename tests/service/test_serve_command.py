"""``timetable serve`` starts both services in one process and stops them on Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from timetabling.service.signing import EngineAuth


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow  # a fresh interpreter, migrations, two servers: about 10 s of CPU
def test_serve_starts_the_web_backend_and_the_engine_and_stops_on_ctrl_c(tmp_path) -> None:
    web, engine = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["TIMETABLE_DATA_DIR"] = str(tmp_path)
    env["TIMETABLE_ENGINE_SECRET"] = "serve-test-engine-secret"
    proc = subprocess.Popen(
        [sys.executable, "-m", "timetabling", "serve", "--port", str(web), "--engine-port", str(engine),
         "--data-dir", str(tmp_path), "--no-demo", "--runner", "thread"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        answers: dict[str, dict] = {}
        while time.monotonic() < deadline and len(answers) < 2 and proc.poll() is None:
            for name, url in (("web", f"http://127.0.0.1:{web}/api/health/"),
                              ("engine", f"http://127.0.0.1:{engine}/health")):
                with contextlib.suppress(httpx.HTTPError):  # not listening yet
                    answers[name] = httpx.get(url, timeout=2).json()
            time.sleep(0.3)
        assert answers.get("web") == {"service": "web", "status": "ok"}
        assert answers.get("engine") == {"service": "engine", "status": "ok"}  # no figures for strangers
        health = httpx.get(f"http://127.0.0.1:{engine}/health", auth=EngineAuth("serve-test-engine-secret")).json()
        assert health["resources"]["runner"] == "thread"
        assert httpx.get(f"http://127.0.0.1:{engine}/api/variants/some-job", timeout=5).status_code == 401
        assert (tmp_path / "timetable.sqlite3").exists()
        spec = httpx.get(f"http://127.0.0.1:{web}/api/openapi.json", timeout=5).json()
        assert "/api/timetable/generate/" in spec["paths"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert proc.returncode == 0, output
    assert f"open http://127.0.0.1:{web}/ in your browser" in output

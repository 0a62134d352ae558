"""Two engine service processes on one Redis: a WebSocket client on the second follows a job submitted to the
first, and the second serves its result."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.processes import free_port
from timetabling.service.signing import EngineAuth, request_headers

from .helpers import wait_for


class Service:
    def __init__(self, env: dict[str, str], log) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "timetabling.service.app:app_from_env", "--host",
             "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            env={**os.environ, **env}, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self.log = log
        self.secret = env["TIMETABLE_ENGINE_SECRET"]
        self.http = httpx.Client(base_url=self.url, auth=EngineAuth(self.secret), timeout=30)  # as the web backend

    def wait_ready(self) -> None:
        def up() -> bool:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"{self.url}/health", timeout=2).status_code == 200
            return False

        wait_for(up, 60, f"the engine service on port {self.port}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()
        self.http.close()


@pytest.fixture
def two_services(dist, tmp_path):
    env = {**dist.env, "TIMETABLE_ENGINE_RUNNER": "celery", "TIMETABLE_CALLBACK_URL": ""}
    services = [Service(env, tmp_path / f"service{i}.log") for i in (1, 2)]
    try:
        for s in services:
            s.wait_ready()
        yield services
    finally:
        for s in services:
            s.stop()


def test_a_websocket_client_on_the_second_service_follows_a_job_submitted_to_the_first(
        dist, start_worker, two_services, tiny_university) -> None:
    start_worker("w1")
    first, second = two_services
    job = dist.job_id("two")
    health = second.http.get("/health").json()
    assert health["redis"] == "ok" and health["resources"]["runner"] == "celery"
    response = first.http.post("/api/generate_variants", json={
        "job_id": job, "instance": tiny_university, "time_limit": 4, "variants": ["Balanced", "Student-focused"]})
    assert response.status_code == 200, response.text
    port = second.url.rsplit(":", 1)[1]
    messages = []
    with connect(f"ws://127.0.0.1:{port}/ws/progress/{job}", open_timeout=10,
                 additional_headers=request_headers("GET", f"/ws/progress/{job}", b"", second.secret)) as ws:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            message = json.loads(ws.recv(timeout=60))
            messages.append(message)
            if message["status"] in ("completed", "failed", "cancelled"):
                break
    assert messages[-1]["status"] == "completed" and messages[-1]["progress"] == 100.0
    assert any(m["status"] == "running" for m in messages)
    progress = [m["progress"] for m in messages]
    assert progress == sorted(progress)
    # the second service also serves the result, and refuses the same job id again
    result = second.http.get(f"/api/variants/{job}").json()
    assert result["status"] == "completed" and [v["name"] for v in result["variants"]] == ["Balanced",
                                                                                          "Student-focused"]
    again = second.http.post("/api/generate_variants", json={"job_id": job, "instance": tiny_university})
    assert again.status_code == 409


def test_a_job_submitted_to_one_service_is_cancelled_through_the_other(
        dist, start_worker, two_services, tiny_university) -> None:
    start_worker("w1")
    first, second = two_services
    job = dist.job_id("cross-cancel")
    response = first.http.post("/api/generate_variants", json={
        "job_id": job, "instance": tiny_university, "time_limit": 60})
    assert response.status_code == 200, response.text
    wait_for(lambda: second.http.get(f"/api/variants/{job}").json()["status"] == "running", 60, "progress")
    assert second.http.post(f"/api/cancel/{job}").status_code == 200

    def final() -> str | None:
        status = second.http.get(f"/api/variants/{job}").json()["status"]
        return status if status in ("completed", "failed", "cancelled") else None

    assert wait_for(final, 60, "the job to stop", every_s=0.5) == "cancelled"

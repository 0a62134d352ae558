"""Real processes for the tests: free ports, waiting by short polls, long-running processes (each in its own
process group, its output in a log file) stopped with their children, and the web API driven as a script."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

FINAL = ("completed", "failed", "cancelled")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the system picks it: parallel tests get others)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], Any], timeout_s: float, what: str, every_s: float = 0.2) -> Any:
    """``predicate()``'s first truthy value, asked every ``every_s`` seconds; an AssertionError naming ``what``
    after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"timed out waiting for {what}")


def answers(url: str, timeout_s: float = 2.0) -> bool:
    """``url`` answers a GET with 200."""
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(url, timeout=timeout_s).status_code == 200
    return False


def tail(path: Path | None, chars: int = 4000) -> str:
    return path.read_text(errors="replace")[-chars:] if path and path.exists() else ""


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM, *, group: bool = True,
                 timeout_s: float = 30.0) -> None:
    """Send ``sig`` to the process (``group``: to its whole process group), wait up to ``timeout_s``, then kill
    its process group. Nothing when it already ended."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


class Processes:
    """Named long-running processes, each in a process group of its own, its output appended to its log."""

    def __init__(self) -> None:
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}

    def spawn(self, name: str, argv: list[str], env: dict[str, str], log: Path, cwd: Path | None = None,
              ready: Callable[[], bool] | None = None, timeout_s: float = 120.0) -> subprocess.Popen:
        """Start ``argv``; with ``ready``, wait until it says so (an AssertionError with the log when the
        process ends first or the time runs out)."""
        self.logs[name] = log
        with log.open("a") as out:
            proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.procs[name] = proc
        if ready is not None:
            def up() -> bool:
                assert proc.poll() is None, f"{name} ended ({proc.returncode}):\n{self.log(name)}"
                return ready()

            try:
                wait_for(up, timeout_s, f"{name} to start", every_s=0.2)
            except AssertionError as err:
                raise AssertionError(f"{err}\n{self.log(name)}") from None
        return proc

    def stop(self, name: str, sig: int = signal.SIGTERM, *, group: bool = True, timeout_s: float = 30.0) -> None:
        proc = self.procs.pop(name, None)
        if proc is not None:
            stop_process(proc, sig, group=group, timeout_s=timeout_s)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)

    def log(self, name: str, chars: int = 4000) -> str:
        return tail(self.logs.get(name), chars)

    def all_logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)}" for name in self.logs)

    def pid(self, name: str) -> int:
        return self.procs[name].pid


class WebApiScript:
    """The web backend's API as a script uses it, with an API token (``web_url`` and ``token`` are set by the
    class that mixes this in; ``api_headers``: more headers on every request)."""

    web_url: str
    token: str | None
    api_headers: dict[str, str] = {}

    def all_logs(self) -> str:
        return ""

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.web_url, timeout=60,
                            headers={"Authorization": f"Bearer {self.token}", **self.api_headers})

    def generate(self, time_limit: float, variants: list[str]) -> dict[str, Any]:
        with self.api() as client:
            org = client.get("/api/auth/me/").json()["organization"]["id"]
            response = client.post("/api/timetable/generate/", json={
                "academic_year": "2026-27", "semester": 1, "university_id": org, "time_limit": time_limit,
                "variants": variants})
        assert response.status_code == 200, response.text
        return response.json()

    def job(self, job_id: str) -> dict[str, Any]:
        with self.api() as client:
            response = client.get(f"/api/timetable/status/{job_id}/")
        assert response.status_code == 200, response.text
        return response.json()["job"]

    def wait_job(self, job_id: str, predicate: Callable[[dict[str, Any]], bool], timeout_s: float,
                 what: str) -> dict[str, Any]:
        """The job once ``predicate`` holds for it (polled every 0.3 s); on time out, the last state seen and
        the processes' logs."""
        last: dict[str, Any] = {}

        def check() -> dict[str, Any] | None:
            nonlocal last
            with contextlib.suppress(httpx.HTTPError):
                last = self.job(job_id)
                return last if predicate(last) else None
            return None

        try:
            return wait_for(check, timeout_s, what, every_s=0.3)
        except AssertionError:
            raise AssertionError(f"timed out waiting for {what}; last seen {last}\n{self.all_logs()}") from None

    def timetables(self, job_id: str) -> list[dict[str, Any]]:
        with self.api() as client:
            response = client.get(f"/api/timetable/result/{job_id}/")
        assert response.status_code == 200, response.text
        return response.json()["timetables"]

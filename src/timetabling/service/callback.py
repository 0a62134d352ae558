"""Tells the web backend about a job: throttled progress, and the final result with retries.

One sender thread keeps the order of a job's messages; the final result is retried with backoff, and the
web side stores it once however often it arrives."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from typing import Any

import httpx

from timetabling.service.signing import SIGNATURE_HEADER, sign

log = logging.getLogger(__name__)


class CallbackSender:
    def __init__(self, url: str | None, secret: str, retries: int = 5, progress_interval_s: float = 1.0,
                 timeout_s: float = 30.0) -> None:
        self.url = url
        self.secret = secret
        self.retries = retries
        self.progress_interval_s = progress_interval_s
        self.timeout_s = timeout_s
        self.delivered: list[dict[str, Any]] = []  # final payloads the web side accepted (for /health, tests)
        self._last_progress: dict[str, tuple[float, str]] = {}
        self._queue: queue.Queue[tuple[dict[str, Any], bool] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, daemon=True, name="engine-callback")
                self._thread.start()

    def progress(self, payload: dict[str, Any]) -> None:
        """Best effort, at most one per job per interval unless the phase changes."""
        if not self.url:
            return
        now = time.monotonic()
        last = self._last_progress.get(payload["job_id"])
        if last is not None and now - last[0] < self.progress_interval_s and last[1] == payload.get("phase"):
            return
        self._last_progress[payload["job_id"]] = (now, payload.get("phase", ""))
        self._ensure_thread()
        self._queue.put((payload, False))

    def final(self, payload: dict[str, Any]) -> None:
        if not self.url:
            return
        self._last_progress.pop(payload["job_id"], None)
        self._ensure_thread()
        self._queue.put((payload, True))

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until everything queued so far was sent (or given up); for tests and shutdown."""
        done = threading.Event()
        self._ensure_thread()
        self._queue.put(({"_flush": done}, False))
        return done.wait(timeout_s)

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            payload, final = item
            if "_flush" in payload:
                payload["_flush"].set()
                continue
            self._deliver(payload, attempts=self.retries if final else 1)

    def _deliver(self, payload: dict[str, Any], attempts: int) -> bool:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, self.secret)}
        delay = 0.5
        for attempt in range(1, attempts + 1):
            try:
                response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout_s)
                if response.status_code < 300:
                    if payload.get("status") in ("completed", "failed", "cancelled"):
                        self.delivered.append(payload)
                    return True
                if 400 <= response.status_code < 500:  # refused for good: retrying will not help
                    log.error("callback for %s refused: %s %s", payload.get("job_id"), response.status_code,
                              response.text[:300])
                    return False
                log.warning("callback for %s: %s (attempt %d)", payload.get("job_id"), response.status_code, attempt)
            except httpx.HTTPError as err:
                log.warning("callback for %s failed: %s (attempt %d)", payload.get("job_id"), err, attempt)
            if attempt < attempts:
                time.sleep(delay)
                delay = min(delay * 2, 30.0)
        return False

    def close(self) -> None:
        self._queue.put(None)

"""Tells the web backend about a job: throttled progress (best effort), and the final result (never lost).

One sender thread keeps the order of a job's messages. A final result goes into the outbox before it is
first sent and leaves it only when the web backend accepted it (2xx) or refused it for good (a 4xx other
than 408/425/429, 401/403: a wrong secret is fixed by an operator, so that result is kept); until then it is
sent again with backoff, also after the engine service restarts. The
web side stores a result once however often it arrives, so sending again is always safe."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import deque
from typing import Any

import httpx

from timetabling.service.outbox import MemoryOutbox, Outbox
from timetabling.service.signing import SIGNATURE_HEADER, sign

log = logging.getLogger(__name__)

RETRY_AGAIN_CODES = (408, 425, 429)  # 4xx answers that mean "not now" rather than "never"
SECRET_REFUSED_CODES = (401, 403)  # the web backend refused our signature: kept and sent again, never dropped
SECRET_REFUSED = "the web backend refused the engine's result: the shared secret differs (TIMETABLE_ENGINE_SECRET)"
FIRST_DELAY_S = 0.5
MAX_DELAY_S = 60.0


def redelivery_delay(failures: int, first_s: float = FIRST_DELAY_S, cap_s: float = MAX_DELAY_S) -> float:
    """Seconds before the next try of a result that failed ``failures`` times: 0.5, 1, 2, 4 ... up to 60."""
    return min(cap_s, first_s * 2 ** max(0, failures - 1))


class CallbackSender:
    """``alarm_after``: failed deliveries of one result before it is logged as an error (it is still kept
    and retried)."""

    def __init__(self, url: str | None, secret: str, alarm_after: int = 5, progress_interval_s: float = 1.0,
                 timeout_s: float = 30.0, outbox: Outbox | None = None) -> None:
        self.url = url
        self.secret = secret
        self.alarm_after = alarm_after
        self.progress_interval_s = progress_interval_s
        self.timeout_s = timeout_s
        self.outbox: Outbox = outbox if outbox is not None else MemoryOutbox()
        # the last final payloads the web side accepted (tests read them); bounded: a long-running engine
        # must not keep every timetable it ever delivered
        self.delivered: deque[dict[str, Any]] = deque(maxlen=8)
        self._last_progress: dict[str, tuple[float, tuple[str, bool]]] = {}
        self._queue: queue.Queue[tuple[str, Any] | None] = queue.Queue()
        self._due: dict[str, tuple[float, int]] = {}  # job -> (when to send next, failures so far); sender only
        self._flushes: list[threading.Event] = []
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        if self.url:
            self._queue.put(("resume", None))  # results kept by an earlier run of the service
            self._ensure_thread()

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
        # a phase's first soft cost passes too: every variant gets a point on the convergence chart
        key = (payload.get("phase", ""), payload.get("objective") is None)
        if last is not None and now - last[0] < self.progress_interval_s and last[1] == key:
            return
        self._last_progress[payload["job_id"]] = (now, key)
        self._ensure_thread()
        self._queue.put(("progress", payload))

    def final(self, payload: dict[str, Any]) -> None:
        """Keep the result in the outbox, then send it (after the job's progress sent before it)."""
        if not self.url:
            return
        self._last_progress.pop(payload["job_id"], None)
        self.outbox.put(payload["job_id"], payload)
        self._ensure_thread()
        self._queue.put(("final", payload["job_id"]))

    def pending(self) -> list[str]:
        """The jobs whose results wait in the outbox."""
        return self.outbox.job_ids()

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until everything queued so far was sent and the outbox is empty (results refused for good
        leave it too); False when that did not happen within ``timeout_s``. For tests and shutdown."""
        done = threading.Event()
        self._ensure_thread()
        self._queue.put(("flush", done))
        return done.wait(timeout_s)

    def close(self) -> None:
        self._queue.put(None)

    # ------------------------------------------------------------------------------ the sender thread

    def _loop(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self._seconds_to_next())
            except queue.Empty:
                item = ("tick", None)
            if item is None:
                return
            kind, value = item
            try:
                self._handle(kind, value)
                self._send_due()
            except Exception:  # an outbox that cannot be read or written: say so, keep the thread alive
                log.exception("the callback sender failed on %s; it tries again", kind)
                time.sleep(1.0)
            if not self._due:
                for done in self._flushes:
                    done.set()
                self._flushes.clear()

    def _handle(self, kind: str, value: Any) -> None:
        if kind == "progress":
            self._post(value)
        elif kind == "final":
            self._due[value] = (0.0, 0)
        elif kind == "resume":
            kept = self.outbox.job_ids()
            if kept:
                log.info("%d result(s) kept in the outbox (%s) are sent again", len(kept), self.outbox.describe())
            for job_id in kept:
                self._due.setdefault(job_id, (0.0, 0))
        elif kind == "flush":
            self._flushes.append(value)

    def _seconds_to_next(self) -> float | None:
        if not self._due:
            return None
        return max(0.0, min(when for when, _ in self._due.values()) - time.monotonic())

    def _send_due(self) -> None:
        now = time.monotonic()
        for job_id, (when, failures) in sorted(self._due.items(), key=lambda kv: kv[1][0]):
            if when > now:
                continue
            payload = self.outbox.get(job_id)
            if payload is None:  # delivered meanwhile by another instance sharing the outbox
                del self._due[job_id]
                continue
            answer = self._post(payload)
            if answer == "retry":
                failures += 1
                delay = redelivery_delay(failures)
                level = logging.ERROR if failures == self.alarm_after else logging.INFO
                log.log(level, "the result of job %s was not delivered after %d tries; it is kept in the outbox "
                        "and sent again in %.1f s", job_id, failures, delay)
                self._due[job_id] = (time.monotonic() + delay, failures)
                continue
            if answer == "accepted":
                self.delivered.append(payload)
            self.outbox.remove(job_id)
            del self._due[job_id]

    def _post(self, payload: dict[str, Any]) -> str:
        """One try: ``accepted``, ``refused`` (a 4xx: for good) or ``retry``."""
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, self.secret)}
        job_id = payload.get("job_id")
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as err:
            log.warning("callback for %s failed: %s", job_id, err)
            return "retry"
        if response.status_code < 300:
            return "accepted"
        if response.status_code in SECRET_REFUSED_CODES and "variants" in payload:
            # the web backend does not take our signature: the secrets differ. The result stays in the outbox
            # and is sent again (every minute at most) until an operator makes them agree; the web backend
            # meanwhile fails the job with the same reason (web/scheduling/refusals.py)
            log.error("callback for %s: %s (the web backend answered %s); the result is kept and sent again",
                      job_id, SECRET_REFUSED, response.status_code)
            return "retry"
        if 400 <= response.status_code < 500 and response.status_code not in RETRY_AGAIN_CODES:
            log.error("callback for %s refused: %s %s", job_id, response.status_code, response.text[:300])
            return "refused"
        log.warning("callback for %s: %s", job_id, response.status_code)
        return "retry"

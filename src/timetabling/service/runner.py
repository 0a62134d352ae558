"""Runners: where a job's pipeline runs. The service calls ``submit``/``cancel`` and hears back through
two callbacks, so a Celery runner (jobs on other machines) fits behind the same interface.

- ``ProcessRunner`` (the default): each job in its own process, at most ``max_jobs`` at once; cancel is
  cooperative, then the process is ended if it does not stop.
- ``ThreadRunner``: jobs in threads of the service process (tests, small machines); CP-SAT releases the
  GIL while it searches, and cancel is cooperative through the pipeline's CancelToken.

Both hand their ``max_jobs`` slots out fairly between organizations (``fair.FairSlots``), not first come
first served.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from timetabling.engine.control import CancelToken
from timetabling.service.fair import FairSlots, organization_key
from timetabling.service.jobs import JobSpec, run_job

log = logging.getLogger(__name__)

OnEvent = Callable[[dict[str, Any]], None]  # {stage, percent, message, eta_s}
OnDone = Callable[[dict[str, Any]], None]  # the outcome of run_job


class Runner(Protocol):
    name: str

    def submit(self, spec: JobSpec, on_event: OnEvent, on_done: OnDone) -> None:
        """Queue the job; ``on_event`` and ``on_done`` are called from another thread, ``on_done`` once."""

    def cancel(self, job_id: str) -> bool:
        """Ask a queued or running job to stop; False when the runner does not know it (any more)."""

    def active(self) -> int:
        """Jobs queued or running."""

    def shutdown(self) -> None: ...


def _cancelled_outcome(spec: JobSpec) -> dict[str, Any]:
    return {"job_id": spec.job_id, "status": "cancelled", "variants": [], "comparison": [],
            "generation_time": 0.0, "message": "cancelled before it started"}


def _organization(spec: JobSpec) -> str:
    return organization_key(spec.meta.get("organization_id"))


class ThreadRunner:
    name = "thread"

    def __init__(self, max_jobs: int = 2) -> None:
        self._slots = FairSlots(max_jobs)
        self._tokens: dict[str, CancelToken] = {}
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def submit(self, spec: JobSpec, on_event: OnEvent, on_done: OnDone) -> None:
        token = CancelToken()
        thread = threading.Thread(target=self._run, args=(spec, on_event, on_done, token), daemon=True,
                                  name=f"engine-job-{spec.job_id[:8]}")
        with self._lock:
            self._tokens[spec.job_id] = token
            self._threads.add(thread)
        thread.start()

    def _run(self, spec: JobSpec, on_event: OnEvent, on_done: OnDone, token: CancelToken) -> None:
        try:
            if self._slots.acquire(spec.job_id, _organization(spec), lambda: token.cancelled):
                try:
                    outcome = _cancelled_outcome(spec) if token.cancelled else run_job(spec, on_event, token)
                finally:
                    self._slots.release(spec.job_id)
            else:
                outcome = _cancelled_outcome(spec)
        finally:
            with self._lock:
                self._tokens.pop(spec.job_id, None)
                self._threads.discard(threading.current_thread())
        on_done(outcome)

    def cancel(self, job_id: str) -> bool:
        with self._lock:
            token = self._tokens.get(job_id)
        if token is None:
            return False
        token.cancel()
        return True

    def active(self) -> int:
        with self._lock:
            return len(self._tokens)

    def shutdown(self) -> None:
        with self._lock:
            for token in self._tokens.values():
                token.cancel()
            threads = list(self._threads)
        for thread in threads:
            thread.join()


def lower_priority() -> None:
    """Run a job below the services' priority (``TIMETABLE_JOB_NICE``, default 10; 0 keeps it): a generation
    takes whatever CPU is idle, and people reading timetables on the same machine are not kept waiting
    behind it. The job's own worker processes inherit it."""
    try:
        nice = int(os.environ.get("TIMETABLE_JOB_NICE", "10"))
    except ValueError:
        nice = 10
    if nice > 0 and hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(nice)


def _child_main(spec_dict: dict[str, Any], out: Any, stop: Any) -> None:
    """In the job's process: run the job, send events and the outcome back through the pipe ``out``."""
    lower_priority()
    token = CancelToken()
    sending = threading.Lock()  # the pipeline reports progress from several threads

    def send(message: tuple[str, dict[str, Any]]) -> None:
        with sending:
            out.send(message)

    def watch() -> None:
        stop.wait()
        token.cancel()

    threading.Thread(target=watch, daemon=True).start()
    outcome = run_job(JobSpec(**spec_dict), lambda e: send(("event", e)), token)
    send(("done", outcome))
    out.close()


def ended_unexpectedly(spec: JobSpec, exitcode: int | None) -> dict[str, Any]:
    """The outcome of a job whose process ended without one: killed (a signal: the out-of-memory killer, an
    operator) or crashed (an exit code)."""
    if exitcode is not None and exitcode < 0:
        try:
            how = f"signal {-exitcode}, {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"signal {-exitcode}"
    else:
        how = f"exit code {exitcode}"
    return {"job_id": spec.job_id, "status": "failed", "variants": [], "comparison": [], "generation_time": 0.0,
            "message": f"the job's process ended unexpectedly ({how}); nothing was stored, re-run the job"}


class ProcessRunner:
    """One process per job (spawned: a clean interpreter, no inherited threads), ``max_jobs`` at once."""

    name = "process"

    def __init__(self, max_jobs: int = 2, grace_s: float = 10.0) -> None:
        self._ctx = mp.get_context("spawn")
        self._slots = FairSlots(max_jobs)
        self._stops: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._grace_s = grace_s
        self._closing = False

    def submit(self, spec: JobSpec, on_event: OnEvent, on_done: OnDone) -> None:
        stop = self._ctx.Event()
        with self._lock:
            self._stops[spec.job_id] = stop
        threading.Thread(target=self._supervise, args=(spec, on_event, on_done, stop), daemon=True,
                         name=f"engine-job-{spec.job_id[:8]}").start()

    def _supervise(self, spec: JobSpec, on_event: OnEvent, on_done: OnDone, stop: Any) -> None:
        outcome: dict[str, Any] | None = None
        try:
            if not self._slots.acquire(spec.job_id, _organization(spec), stop.is_set):  # its turn, or cancelled
                outcome = _cancelled_outcome(spec)
                return
            try:
                if stop.is_set():
                    outcome = _cancelled_outcome(spec)
                    return
                try:
                    outcome = self._run_process(spec, on_event, stop)
                except Exception as err:  # it could not start, or its pipe broke: the job still ends
                    log.exception("job %s: its process failed", spec.job_id)
                    outcome = {**ended_unexpectedly(spec, None), "message": f"the job's process failed ({err})"}
            finally:
                self._slots.release(spec.job_id)
        finally:
            with self._lock:
                self._stops.pop(spec.job_id, None)
            if outcome is not None:
                on_done(outcome)

    def _run_process(self, spec: JobSpec, on_event: OnEvent, stop: Any) -> dict[str, Any]:
        reader, writer = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(target=_child_main, args=(spec.to_dict(), writer, stop), daemon=True)
        proc.start()
        writer.close()  # the child holds the only writing end now: when it dies, the pipe ends (EOFError)
        stop_seen_at: float | None = None
        try:
            while True:
                if stop.is_set() and stop_seen_at is None:
                    stop_seen_at = time.monotonic()
                if stop_seen_at is not None and time.monotonic() - stop_seen_at > self._grace_s:
                    proc.terminate()
                    return {**_cancelled_outcome(spec), "message": "cancelled (the solver was stopped)"}
                if not reader.poll(0.2):
                    continue
                try:
                    kind, payload = reader.recv()
                except EOFError:  # ended without its outcome, perhaps in the middle of sending it
                    proc.join(timeout=5)
                    return ended_unexpectedly(spec, proc.exitcode)
                if kind == "done":
                    return payload
                try:
                    on_event(payload)
                except Exception:  # progress is best effort: a failing listener does not end the job
                    log.exception("job %s: progress listener failed", spec.job_id)
        finally:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
            reader.close()

    def cancel(self, job_id: str) -> bool:
        with self._lock:
            stop = self._stops.get(job_id)
        if stop is None:
            return False
        stop.set()
        return True

    def active(self) -> int:
        with self._lock:
            return len(self._stops)

    def shutdown(self) -> None:
        with self._lock:
            for stop in self._stops.values():
                stop.set()


def make_runner(kind: str, max_jobs: int) -> Runner:
    if kind == "thread":
        return ThreadRunner(max_jobs)
    if kind == "process":
        return ProcessRunner(max_jobs)
    raise ValueError(f"unknown runner '{kind}' (known: process, thread)")

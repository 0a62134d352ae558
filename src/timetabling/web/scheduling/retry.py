"""When a job the engine service could not take is offered to it again, and who does it.

A job that waits for the engine stays queued with the phase "waiting for the engine"; it is submitted again
after 5 s, 15 s, 45 s ... (``ENGINE_SUBMIT_RETRY_DELAYS``, or ``TIMETABLE_ENGINE_RETRY_DELAYS`` as
"5,15,45"), and fails with a clear reason once the delays are spent. Three things offer due jobs again, so
that no deployment depends on one of them:

- a daemon thread in each web process, alive only while some job waits (started when a job starts to wait,
  and at a process's first request when jobs were left waiting); ``ENGINE_RETRY_THREAD = False`` turns it
  off (tests);
- the status and progress reads of the web API and pages, for the jobs of the reader's organization;
- ``python -m timetabling.web retry_waiting_jobs`` for cron.

Two of them offering the same job at once is harmless: a claim on the row lets one through, and the engine
service answers 409 to a job it already has, which counts as taken.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from django.conf import settings

from timetabling.web.background import BackgroundLoop

log = logging.getLogger(__name__)

WAITING_PHASE = "waiting for the engine"
# 5 s, x3 each time, capped at 5 min: the engine is offered the job for about 28 minutes in all
DEFAULT_DELAYS: tuple[float, ...] = (5, 15, 45, 135, 300, 300, 300, 300, 300)
THREAD_MAX_SLEEP_S = 30.0  # the thread looks again at least this often (jobs parked by other processes)


def parse_delays(text: str) -> tuple[float, ...]:
    """``"5,15,45"`` -> (5.0, 15.0, 45.0); every delay positive, at least one."""
    delays = tuple(float(part) for part in text.split(",") if part.strip())
    if not delays or any(d <= 0 for d in delays):
        raise ValueError(f"retry delays must be positive seconds separated by commas, not '{text}'")
    return delays


def retry_delays() -> tuple[float, ...]:
    configured = getattr(settings, "ENGINE_SUBMIT_RETRY_DELAYS", None)
    if configured:
        return tuple(float(d) for d in configured)
    text = os.environ.get("TIMETABLE_ENGINE_RETRY_DELAYS", "")
    return parse_delays(text) if text.strip() else DEFAULT_DELAYS


def delay_after(failures: int, delays: Sequence[float] | None = None) -> float | None:
    """Seconds to wait after the ``failures``-th failed submission before the next one; None when the
    retries are spent and the job should fail."""
    delays = retry_delays() if delays is None else delays
    if failures < 1:
        raise ValueError("delay_after counts failed submissions from 1")
    return float(delays[failures - 1]) if failures <= len(delays) else None


def retry_budget_s(delays: Sequence[float] | None = None) -> float:
    """How long a job waits for the engine, at most, before it fails."""
    return float(sum(retry_delays() if delays is None else delays))


# ---------------------------------------------------------------------------------------- the thread


def _retry_round() -> float | None:
    from timetabling.web.scheduling import submission

    submission.retry_waiting_jobs()
    return submission.seconds_to_next_retry()


def make_retry_thread() -> BackgroundLoop:
    """The loop that offers due jobs again and ends when no job waits."""
    return BackgroundLoop("engine-submit-retry", "ENGINE_RETRY_THREAD", _retry_round, THREAD_MAX_SLEEP_S,
                          "retrying the jobs that wait for the engine failed")


retry_thread = make_retry_thread()


def resume_on_first_request(**_: object) -> None:
    """``request_started`` receiver: at a web process's first request, start the thread when jobs were left
    waiting by an earlier process (a restart). Disconnects itself once it could look."""
    from django.core.signals import request_started

    from timetabling.web.scheduling import submission

    try:
        waiting = submission.seconds_to_next_retry() is not None
    except Exception:  # no database yet (or none allowed): look at the next request
        return
    request_started.disconnect(dispatch_uid=RESUME_UID)
    if waiting:
        retry_thread.ensure_running()


RESUME_UID = "timetabling.scheduling.resume_waiting_jobs"

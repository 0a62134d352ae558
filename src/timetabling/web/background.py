"""A daemon thread per process that does due work in rounds and ends when nothing is left to do.

The web backend has no scheduler of its own (the embedded default is one process; a deployment adds cron):
jobs that wait for the engine and queued e-mails are handled by such a loop, started when work appears
and woken when more work may be due sooner than it planned."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.conf import settings

log = logging.getLogger(__name__)


class BackgroundLoop:
    """Calls ``do_round`` until it answers None (nothing left); between rounds sleeps the seconds it answers
    (at most ``max_sleep_s``, so work parked by other processes is seen too). ``setting`` names a Django
    setting that turns the thread off (tests, deployments that use cron instead)."""

    def __init__(self, name: str, setting: str, do_round: Callable[[], float | None], max_sleep_s: float = 30.0,
                 failure: str = "a background round failed") -> None:
        self.name, self.setting, self.do_round, self.max_sleep_s, self.failure = (
            name, setting, do_round, max_sleep_s, failure)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()

    def ensure_running(self) -> bool:
        """Start the thread unless it runs or is turned off; wake it either way. Returns whether one runs."""
        if not getattr(settings, self.setting, True):
            return False
        with self._lock:
            self._wake.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name=self.name)
                self._thread.start()
        return True

    def _run(self) -> None:
        from django.db import close_old_connections

        while True:
            self._wake.clear()
            try:
                next_in = self.do_round()
            except Exception:  # the database is away for a moment: look again later
                log.exception(self.failure)
                next_in = self.max_sleep_s
            finally:
                close_old_connections()
            if next_in is None:
                with self._lock:  # nothing left: end, unless work appeared meanwhile
                    if not self._wake.is_set():
                        self._thread = None
                        return
                continue
            self._wake.wait(min(max(next_in, 0.2), self.max_sleep_s))

"""Fair queueing for the local runners: when every slot is taken, the job that starts next is the waiting job
of the organization with the fewest running jobs; between organizations running as many, the one that
started a job longest ago (round robin); within one organization, the job submitted first.

So one organization that submits many jobs cannot keep another's job waiting behind all of them."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field


def organization_key(organization_id: object) -> str:
    """The organization a job counts against; jobs without one count as one more organization."""
    return "" if organization_id is None else str(organization_id)


@dataclass(order=True)
class _Waiting:
    order: int
    job_id: str = field(compare=False)
    organization: str = field(compare=False)


class FairSlots:
    """At most ``slots`` jobs at once, handed out fairly between organizations (thread-safe)."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a runner needs at least one slot")
        self.slots = slots
        self._cond = threading.Condition()
        self._waiting: list[_Waiting] = []
        self._running: dict[str, str] = {}  # job id -> organization
        self._last_start: dict[str, int] = {}  # organization -> when (in starts) it last started a job
        self._starts = itertools.count(1)
        self._orders = itertools.count()

    def acquire(self, job_id: str, organization: str, cancelled: Callable[[], bool], poll_s: float = 0.5) -> bool:
        """Wait for this job's turn; False (and out of the queue) when ``cancelled()`` turns true first."""
        with self._cond:
            entry = _Waiting(next(self._orders), job_id, organization)
            self._waiting.append(entry)
            try:
                while not (len(self._running) < self.slots and self._next() is entry):
                    if cancelled():
                        return False
                    self._cond.wait(poll_s)
                self._running[job_id] = organization
                self._last_start[organization] = next(self._starts)
                return True
            finally:
                self._waiting.remove(entry)
                self._cond.notify_all()  # the next in turn may be another waiter

    def release(self, job_id: str) -> None:
        with self._cond:
            self._running.pop(job_id, None)
            self._cond.notify_all()

    def _next(self) -> _Waiting:
        running = self.running_by_organization()
        return min(self._waiting, key=lambda w: (running.get(w.organization, 0),
                                                  self._last_start.get(w.organization, 0), w.order))

    def running_by_organization(self) -> dict[str, int]:
        with self._cond:
            counts: dict[str, int] = {}
            for organization in self._running.values():
                counts[organization] = counts.get(organization, 0) + 1
            return counts

    def waiting(self) -> list[str]:
        """Job ids waiting for a slot, in submission order."""
        with self._cond:
            return [w.job_id for w in sorted(self._waiting)]

"""The progress bus: every job's latest progress, and a live stream of it for WebSocket clients.

``InMemoryProgressBus`` serves one service process. A Redis bus (pub/sub plus a key per job) implements
the same three methods so that any service instance can stream any job's progress."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from timetabling.service.contract import ProgressMessage

DAY_S = 24 * 3600.0
Clock = Callable[[], float]


class ProgressBus(Protocol):
    def publish(self, message: ProgressMessage) -> None:
        """Record ``message`` as the job's latest and deliver it to its subscribers (any thread)."""

    def latest(self, job_id: str) -> ProgressMessage | None: ...

    def subscribe(self, job_id: str) -> AsyncIterator[ProgressMessage]:
        """The job's messages from now on, until its final one (inclusive)."""

    def describe(self) -> str:
        """What backs the bus, for /health (``"not used"`` for Redis when in memory)."""


class _Expiring:
    """Finished jobs' entries, oldest first, each dropped ``ttl_s`` after it was added."""

    def __init__(self, ttl_s: float, clock: Clock) -> None:
        self.ttl_s, self.clock = ttl_s, clock
        self.added: OrderedDict[str, float] = OrderedDict()

    def add(self, job_id: str) -> None:
        self.added[job_id] = self.clock()
        self.added.move_to_end(job_id)

    def expired(self) -> list[str]:
        """The job ids whose time is up, forgotten here (the caller drops their entries)."""
        limit = self.clock() - self.ttl_s
        gone = []
        while self.added and next(iter(self.added.values())) <= limit:
            gone.append(self.added.popitem(last=False)[0])
        return gone


class InMemoryProgressBus:
    """Thread-safe: runners publish from worker threads; subscribers are coroutines on the event loop.
    A finished job's last message is forgotten ``ttl_s`` after it arrived (the job is then unknown)."""

    def __init__(self, ttl_s: float = DAY_S, clock: Clock = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._latest: dict[str, ProgressMessage] = {}
        self._finished = _Expiring(ttl_s, clock)
        self._subscribers: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = defaultdict(list)

    def publish(self, message: ProgressMessage) -> None:
        with self._lock:
            previous = self._latest.get(message.job_id)
            if previous is not None and previous.final:
                return  # a finished job stays finished
            if previous is not None and message.progress < previous.progress:
                message = message.model_copy(update={"progress": previous.progress})
            self._latest[message.job_id] = message
            if message.final:
                self._finished.add(message.job_id)
            self._forget_expired()
            subscribers = list(self._subscribers.get(message.job_id, ()))
        for loop, queue in subscribers:
            with contextlib.suppress(RuntimeError):  # that loop is closed: the client went away
                loop.call_soon_threadsafe(queue.put_nowait, message)

    def latest(self, job_id: str) -> ProgressMessage | None:
        with self._lock:
            self._forget_expired()
            return self._latest.get(job_id)

    def _forget_expired(self) -> None:
        for job_id in self._finished.expired():
            self._latest.pop(job_id, None)

    async def subscribe(self, job_id: str) -> AsyncIterator[ProgressMessage]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[ProgressMessage] = asyncio.Queue()
        entry = (loop, queue)
        with self._lock:
            self._subscribers[job_id].append(entry)
            current = self._latest.get(job_id)
        try:
            if current is not None:
                yield current
                if current.final:
                    return
            while True:
                message = await queue.get()
                yield message
                if message.final:
                    return
        finally:
            with self._lock:
                if entry in self._subscribers.get(job_id, []):
                    self._subscribers[job_id].remove(entry)

    def describe(self) -> str:
        return "not used"


class ResultStore(Protocol):
    def put(self, job_id: str, result: dict[str, Any]) -> None: ...

    def get(self, job_id: str) -> dict[str, Any] | None: ...


class InMemoryResultStore:
    """Finished results of this process, each kept ``ttl_s`` (a Redis store keeps them for every instance)."""

    def __init__(self, ttl_s: float = DAY_S, clock: Clock = time.monotonic) -> None:
        self._results: dict[str, dict[str, Any]] = {}
        self._kept = _Expiring(ttl_s, clock)
        self._lock = threading.Lock()

    def put(self, job_id: str, result: dict[str, Any]) -> None:
        with self._lock:
            self._results[job_id] = result
            self._kept.add(job_id)
            self._forget_expired()  # the expired ones go even when nobody asks for them again

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            self._forget_expired()
            return self._results.get(job_id)

    def _forget_expired(self) -> None:
        for job_id in self._kept.expired():
            self._results.pop(job_id, None)

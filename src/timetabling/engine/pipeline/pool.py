"""The local process pool that solves the parts of a wave side by side.

Each worker process holds a ``CancelToken`` over one ``multiprocessing`` event of the run and reports its pid
at start, so that a cancelled run can end a part that no flag interrupts (building its model, assigning rooms).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from timetabling.engine.control import CancelToken
from timetabling.engine.pipeline.part_jobs import MapParts, PartJob
from timetabling.engine.pipeline.parts import PartOutcome, solve_part

_worker_cancel: CancelToken | None = None  # in a worker process: the run's cancel, set by ``_init_worker``


def _init_worker(event: Any, pids: Any) -> None:
    global _worker_cancel
    _worker_cancel = CancelToken(event)
    pids.put(os.getpid())


def _run_part(args: tuple, optimise_s: float) -> PartOutcome:
    return solve_part(*args, cancel=_worker_cancel, optimise_s=optimise_s)


def can_fork_parts() -> bool:
    """A daemonic process (a service job) may not start children: its parts run in it, one after another."""
    return not mp.current_process().daemon


class PartPool:
    """``processes`` worker processes; ``cancel()`` tells every running part to stop, ``close()`` ends the pool
    (ending the workers when the run was cancelled)."""

    def __init__(self, processes: int) -> None:
        ctx = mp.get_context("spawn")
        self._event = ctx.Event()
        self._pids = ctx.SimpleQueue()  # written at once by each worker (no feeder thread)
        self._executor = ProcessPoolExecutor(max_workers=processes, mp_context=ctx, initializer=_init_worker,
                                             initargs=(self._event, self._pids))

    def cancel(self) -> None:
        self._event.set()

    def map_parts(self, cancelled: Callable[[], bool]) -> MapParts:
        """The wave's part jobs solved in the pool, yielded as each finishes, until ``cancelled()``. Each job is
        submitted as soon as it is taken from ``jobs`` (so the first parts run while the others are built), and
        all are taken before the first outcome is yielded: the wave's state does not change under them."""

        def map_parts(jobs: Iterable[PartJob]) -> Iterator[tuple[PartJob, PartOutcome]]:
            futures = {}
            for job in jobs:
                args = (job.name, job.sub, job.courses, job.time_limit, job.seed, job.threads)
                futures[self._executor.submit(_run_part, args, job.optimise_s)] = job
            pending = set(futures)
            while pending and not cancelled():
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for f in done:
                    yield futures[f], f.result()

        return map_parts

    def close(self, cancelled: bool) -> None:
        self._event.set()  # stop anything still running
        if cancelled:
            # a part may be building its model or assigning rooms, which no flag interrupts: end it
            while not self._pids.empty():
                pid = self._pids.get()
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
        self._executor.shutdown(wait=not cancelled, cancel_futures=True)
        self._pids.close()

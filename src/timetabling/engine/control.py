"""How a caller steers a long run: a ``CancelToken`` to stop it and the ``Progress`` events it reports.

Every long-running part of the engine (the CP-SAT solver, the annealing, the pipeline's stages) takes the same
token and reports the same event type, so that a caller (the CLI, the engine service) needs one handler.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

DEFAULT_TIME_LIMIT_S = 60.0  # seconds for a run when none is asked for: the one default, every layer reads it


class _Flag(Protocol):
    def set(self) -> None: ...

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


class CancelToken:
    """Set from any thread; the run stops soon after and returns the best complete result so far.

    ``flag``: the event behind the token, by default a ``threading.Event``; a process pool passes a
    ``multiprocessing`` event so that every worker process sees one run's cancel."""

    def __init__(self, flag: _Flag | None = None) -> None:
        self._flag: _Flag = flag if flag is not None else threading.Event()

    def cancel(self) -> None:
        self._flag.set()

    @property
    def cancelled(self) -> bool:
        return self._flag.is_set()

    def wait(self, timeout: float) -> bool:
        return self._flag.wait(timeout)


def is_cancelled(token: CancelToken | None) -> bool:
    """False for no token."""
    return token is not None and token.cancelled


@dataclass(frozen=True)
class Progress:
    """One progress report of a run.

    ``stage``: the step in the engine's words ("model", "solve", "rooms" in the solver; "clustering", "parts",
    "resolve", "optimise", "done" in the pipeline); ``phase``: what the run does, in plain words for the
    people who wait for it. ``percent`` (the pipeline's, never decreasing within a run) is None where the
    reporter does not know the share done (the solver alone). ``objective`` is the soft cost of the best
    timetable so far and ``bound`` a proved lower bound on it, when one is known."""

    stage: str
    message: str = ""
    elapsed_s: float = 0.0  # seconds into the run
    percent: float | None = None
    eta_s: float | None = None
    objective: float | None = None
    bound: float | None = None
    phase: str = ""
    variant: str | None = None  # the variant being improved, whose soft cost ``objective`` is
    solutions: int = 0  # timetables found so far (the solver's count)

"""What the solver is asked (``SolveOptions``) and what it answers (``SolveResult``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from timetabling.engine.control import DEFAULT_TIME_LIMIT_S, CancelToken, Progress
from timetabling.engine.model import Solution


@dataclass
class SolveOptions:
    time_limit: float = DEFAULT_TIME_LIMIT_S
    workers: int = 0  # CP-SAT search threads (and the annealing's); 0: every core
    seed: int = 0
    optimize: bool = True  # False: stop at the first feasible timetable
    rooms: str = "auto"  # auto | integrated | decomposed
    hint: Solution | None = None
    progress: Callable[[Progress], None] | None = None
    log: bool = False  # CP-SAT's own search log on stdout
    cancel: CancelToken | None = None
    lns: bool | None = None  # large neighbourhood search when optimising; None: for mid-sized models
    anneal: bool | None = None  # simulated annealing from the first timetable; None: when there are soft rules


@dataclass
class SolveResult:
    status: str  # optimal | feasible | infeasible | unknown
    solution: Solution | None
    objective: float | None = None
    bound: float | None = None
    stats: dict[str, object] = field(default_factory=dict)
    explanation: list[str] = field(default_factory=list)  # why it is infeasible, in plain words

    @property
    def feasible(self) -> bool:
        return self.status in ("optimal", "feasible")

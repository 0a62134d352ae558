"""Large neighbourhood search over the CP-SAT model: free a part of the timetable, re-solve it, keep the best.

The whole model is built once (``cpmodel.build``). A first timetable comes from the model without its
objective (a feasibility search, which is far quicker than optimising from scratch); then, until the time
runs out, each round fixes every room and time choice outside a *neighbourhood* to the incumbent (by
narrowing variable domains in the model itself, restored afterwards), hints the incumbent, and lets CP-SAT
optimise what is left for a few seconds. Neighbourhoods, all in the university's terms so they serve every
instance alike:

- ``batches``: every session of a few batches that share courses or faculty (their clashes and
  compactness are decided together);
- ``slots``: every session placed in a random set of slots (sessions swap slots and rooms there);
- ``rooms``: the room choice of every session held in a random set of rooms (rooms swap, times stay).

Each kind keeps its own size, grown when CP-SAT closes its sub-problem in time and shrunk when it does not.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from timetabling.engine.solver.cpmodel import TimeModel
from timetabling.engine.solver.cpsat import configure

SUB_TIME_PER_VARIABLE = 1 / 15_000  # seconds per neighbourhood solve: loading the model grows with its size
SUB_TIME = (1.0, 4.0)  # least and most seconds per neighbourhood solve
ROOM_SHARE = 0.1  # share of the time to choose the first timetable's rooms anew
WHOLE_SHARE = 0.1  # share of the time for CP-SAT's own search before the neighbourhoods
WHOLE_MODEL_VARIABLES = 12_000
MIN_SUB_TIME = 0.5


@dataclass
class Neighbourhood:
    """One kind of neighbourhood and its adaptive size (in its own unit: courses, slots or rooms)."""

    name: str
    size: float
    lo: float
    hi: float
    tries: int = 0
    improvements: int = 0
    success: float = 0.5  # moving average of rounds that improved

    def adapt(self, closed: bool, improved: bool) -> None:
        self.size = min(self.hi, self.size * 1.15 + 0.5) if closed else max(self.lo, self.size * 0.85)
        self.success = 0.8 * self.success + 0.2 * improved


@dataclass
class LnsResult:
    status: int  # CP-SAT status of the first search when no timetable was found, else FEASIBLE
    values: list[int] | None = None  # every model variable's value in the best timetable
    objective: float | None = None
    first_found_at: float | None = None  # time.perf_counter() of the first timetable
    stats: dict[str, object] = field(default_factory=dict)


class _First(cp_model.CpSolverSolutionCallback):
    """Stops the feasibility search at its first timetable."""

    def __init__(self) -> None:
        super().__init__()
        self.found_at: float | None = None

    def on_solution_callback(self) -> None:
        self.found_at = time.perf_counter()
        self.StopSearch()


class _Search:
    def __init__(self, tm: TimeModel, seed: int) -> None:
        self.tm = tm
        self.rng = random.Random(seed)
        self.proto = tm.model.Proto()
        inst = tm.instance
        self.courses = [c.id for c in inst.courses]
        self.x_of: dict[str, list[tuple[int, int]]] = defaultdict(list)  # course -> (slot, var index)
        self.y_of: dict[str, list[tuple[int, str, int]]] = defaultdict(list)  # course -> (slot, room, index)
        for (c, t), v in tm.x.items():
            self.x_of[c].append((t, v.Index()))
        for (c, t, r), v in tm.y.items():
            self.y_of[c].append((t, r, v.Index()))
        self.batches_of: dict[str, list[str]] = defaultdict(list)
        for b, cs in inst.courses_of_batch.items():
            for c in cs:
                self.batches_of[c].append(b)
        self.related: dict[str, set[str]] = defaultdict(set)  # course -> courses sharing a batch or faculty
        for group in [*inst.courses_of_batch.values(), *inst.courses_of_faculty.values()]:
            for c in group:
                self.related[c].update(group)
        self.n_slots = inst.grid.n_slots
        self.room_ids = sorted({r for (_c, _t, r) in tm.y})
        n = len(self.courses)
        self.kinds = [Neighbourhood("batches", min(n, max(4.0, n / 8)), min(2.0, n), max(2.0, n))]
        self.kinds.append(Neighbourhood("slots", max(2.0, self.n_slots / 5), 2.0, float(self.n_slots)))
        if len(self.room_ids) > 1:
            self.kinds.append(Neighbourhood("rooms", min(3.0, len(self.room_ids)), 2.0, float(len(self.room_ids))))
        self.saved: list[tuple[int, int, int]] = []

    def pick(self) -> Neighbourhood:
        """A kind of neighbourhood, the more likely the more often it improved lately."""
        weights = [k.success + 0.05 for k in self.kinds]
        return self.rng.choices(self.kinds, weights)[0]

    # ---- fixing variables by narrowing their domains in the model, undone by restore()

    def fix(self, indices: list[int], values: list[int]) -> None:
        for i in indices:
            dom = self.proto.variables[i].domain
            self.saved.append((i, dom[0], dom[1]))
            dom[0] = dom[1] = values[i]

    def restore(self) -> None:
        for i, lo, hi in reversed(self.saved):
            dom = self.proto.variables[i].domain
            dom[0], dom[1] = lo, hi
        self.saved.clear()

    def hint(self, values: list[int]) -> None:
        self.proto.clear_solution_hint()
        self.proto.solution_hint.vars.extend(range(len(values)))
        self.proto.solution_hint.values.extend(values)

    # ---- neighbourhoods: the variable indices to keep fixed

    def fixed_outside(self, kind: Neighbourhood, values: list[int]) -> list[int]:
        k = max(1, round(kind.size))
        if kind.name == "batches":
            free = self._related_courses(k)
            return [i for c in self.courses if c not in free for i in self._course_vars(c)]
        if kind.name == "slots":
            slots = set(self.rng.sample(range(self.n_slots), min(k, self.n_slots)))
            return [i for c in self.courses for t, i in self.x_of[c] if t not in slots] + [
                i for c in self.courses for t, _r, i in self.y_of[c] if t not in slots
            ]
        rooms = set(self.rng.sample(self.room_ids, min(k, len(self.room_ids))))
        # times stay; a session held in one of these rooms may move to another of them
        keep = [i for c in self.courses for _t, i in self.x_of[c]]
        for c in self.courses:
            held = {t for t, r, i in self.y_of[c] if values[i] and r in rooms}
            keep += [i for t, r, i in self.y_of[c] if t not in held or r not in rooms]
        return keep

    def _course_vars(self, c: str) -> list[int]:
        return [i for _t, i in self.x_of[c]] + [i for _t, _r, i in self.y_of[c]]

    def _related_courses(self, k: int) -> set[str]:
        """About ``k`` courses grown from a random one through shared batches and faculty."""
        start = self.rng.choice(self.courses)
        free = {start}
        frontier = [start]
        while frontier and len(free) < k:
            c = frontier.pop(self.rng.randrange(len(frontier)))
            nxt = [d for d in self.related[c] if d not in free]
            self.rng.shuffle(nxt)
            for d in nxt[: max(1, k - len(free))]:
                free.add(d)
                frontier.append(d)
        while len(free) < k and len(free) < len(self.courses):
            free.add(self.rng.choice(self.courses))
        return free


def greedy_rooms(tm: TimeModel, values: list[int]) -> list[int] | None:
    """``values`` with rooms chosen anew for its times: per slot, largest session first, each in the room
    its course already holds when that costs no more than one point (room stability), else the best fit.

    A feasibility search picks rooms with no regard to size or stability; this costs nothing and leaves the
    neighbourhoods the timetable's real trade-offs. None when some session finds no free room.
    """
    inst = tm.instance
    size = inst.course_size
    capacity = {r.id: r.capacity for r in inst.rooms}
    sessions = sorted(((t, c) for (c, t), v in tm.x.items() if values[v.Index()]), key=lambda k: (k[0], -size[k[1]]))
    busy: set[tuple[str, int]] = set()
    home: dict[str, str] = {}
    out = list(values)
    for v in tm.y.values():
        out[v.Index()] = 0
    for t, c in sessions:
        span = range(t, t + inst.course_by_id[c].session_length)
        free = [r for r in tm.domains.rooms.get(c, ()) if (c, t, r) in tm.y and all((r, u) not in busy for u in span)]
        if not free:
            return None

        def cost(r: str, c: str = c) -> int:
            return max(0, size[c] - capacity[r])

        room = free[0]  # best fit first
        if c in home and home[c] in free and cost(home[c]) <= cost(room) + 1:
            room = home[c]
        home.setdefault(c, room)
        busy.update((room, u) for u in span)
        out[tm.y[c, t, room].Index()] = 1
    return out


def _values(solver: cp_model.CpSolver, n: int) -> list[int]:
    return list(solver.ResponseProto().solution)[:n]


def search(
    tm: TimeModel,
    *,
    deadline: float,
    threads: int,
    seed: int = 0,
    cancelled: Callable[[], bool] = lambda: False,
    watch: Callable[[cp_model.CpSolver], Callable[[], None]] | None = None,
    on_improve: Callable[[float | None, int], None] | None = None,
    first_solver: cp_model.CpSolver | None = None,
) -> LnsResult:
    """Best timetable found by LNS on ``tm`` before ``deadline`` (a ``time.perf_counter()`` value).

    ``watch(solver)`` starts whatever stops ``solver`` on cancellation and returns the function that ends
    that watch; ``on_improve(objective, rounds)`` is told of every better timetable (of the first with
    objective None); ``first_solver``, when given, runs the first search (so that its status and statistics
    can be read when it finds nothing). The model's variable domains are as before on return; its solution
    hint is the best timetable.
    """
    n = len(tm.model.Proto().variables)

    def run(
        model: cp_model.CpModel,
        limit: float,
        callback: cp_model.CpSolverSolutionCallback | None = None,
        solver: cp_model.CpSolver | None = None,
    ) -> tuple[int, cp_model.CpSolver]:
        # light presolve: probing and symmetry detection took most of each solve here, search no worse
        solver = configure(solver or cp_model.CpSolver(), max(0.05, limit), threads=threads, seed=seed,
                           presolve="light")
        stop = watch(solver) if watch else None
        try:
            status = solver.Solve(model, callback)
        finally:
            if stop:
                stop()
        return status, solver

    # 1. a first timetable, from the model without its objective
    feasibility = tm.model.Clone()
    feasibility.Proto().clear_objective()
    first = _First()
    status, solver = run(feasibility, deadline - time.perf_counter(), first, first_solver)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return LnsResult(status)
    first_at = first.found_at or time.perf_counter()
    if on_improve:
        on_improve(None, 0)  # a timetable, its cost not yet known
    values = _values(solver, n)

    # 2. its times kept, better rooms for them (a feasibility search picks rooms carelessly): greedy, and
    # then CP-SAT for a share of the time
    s = _Search(tm, seed)
    values = greedy_rooms(tm, values) or values
    s.fix([v.Index() for v in tm.x.values()], values)
    s.hint(values)
    status, solver = run(tm.model, max(1.0, ROOM_SHARE * (deadline - time.perf_counter())))
    s.restore()
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # only when the time ran out
        return LnsResult(cp_model.FEASIBLE, values, None, first_at)
    values, best = _values(solver, n), solver.ObjectiveValue()
    if on_improve:
        on_improve(best, 0)

    # 3. CP-SAT's own search on the whole model from there, for a share of the time, where the model is small
    # enough for it: on small models it finds what the neighbourhoods miss; on larger ones it did not even load
    # the hinted timetable within its share (docs/benchmarks.md)
    share = WHOLE_SHARE * (deadline - time.perf_counter())
    if share >= MIN_SUB_TIME and best > 0 and n <= WHOLE_MODEL_VARIABLES:
        s.hint(values)
        status, solver = run(tm.model, share)
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and solver.ObjectiveValue() <= best:
            values, best = _values(solver, n), solver.ObjectiveValue()
            if on_improve:
                on_improve(best, 0)
            if status == cp_model.OPTIMAL:  # proved: no neighbourhood can do better
                s.hint(values)
                return LnsResult(cp_model.FEASIBLE, values, best, first_at, {"lns_rounds": 0, "lns_proved": True})

    # 4. neighbourhoods until the time runs out
    sub_time = min(SUB_TIME[1], max(SUB_TIME[0], n * SUB_TIME_PER_VARIABLE))
    rounds = improvements = 0
    proved = best == 0
    while not cancelled() and not proved:
        left = deadline - time.perf_counter()
        if left < MIN_SUB_TIME:
            break
        kind = s.pick()
        rounds += 1
        kind.tries += 1
        fixed = s.fixed_outside(kind, values)
        s.fix(fixed, values)
        s.hint(values)
        status, solver = run(tm.model, min(sub_time, left))
        s.restore()
        improved = status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and solver.ObjectiveValue() < best
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) and solver.ObjectiveValue() <= best:
            if improved:
                improvements += 1
                kind.improvements += 1
                best = solver.ObjectiveValue()
                if on_improve:
                    on_improve(best, rounds)
            values = _values(solver, n)  # equal cost: move anyway, to drift across plateaus
        kind.adapt(status == cp_model.OPTIMAL, improved)
        proved = (status == cp_model.OPTIMAL and not fixed) or best == 0  # nothing fixed: the whole problem
    s.hint(values)
    stats = {
        "lns_rounds": rounds,
        "lns_improvements": improvements,
        "lns_proved": proved,
        "lns_sizes": {k.name: round(k.size, 1) for k in s.kinds},
        "lns_tries": {k.name: f"{k.improvements}/{k.tries}" for k in s.kinds},
    }
    return LnsResult(cp_model.FEASIBLE, values, best, first_at, stats)

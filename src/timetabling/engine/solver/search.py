"""CP-SAT on a whole instance: ``solve_cpsat(instance, options) -> SolveResult``.

Two shapes of the same model (see ``cpmodel.py``): with rooms chosen inside CP-SAT when the instance is
small enough, or time first (with per-slot room supply bounds) and rooms per day afterwards. A session that
finds no room is forbidden at that start and the time model is solved again from the previous answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ortools.sat.python import cp_model

from timetabling.engine.checker import check
from timetabling.engine.control import CancelToken, Progress, is_cancelled
from timetabling.engine.model import Assignment, Instance, Solution
from timetabling.engine.solver.cpmodel import TimeModel, build
from timetabling.engine.solver.cpsat import configure, presolve_for
from timetabling.engine.solver.explain import explain_infeasible
from timetabling.engine.solver.lns import search as lns_search
from timetabling.engine.solver.options import SolveOptions, SolveResult
from timetabling.engine.solver.rooms import assign_rooms
from timetabling.engine.timetable.domains import Domains, build_domains

INTEGRATED_ROOM_LIMIT = 150_000  # (course, start, room) triples above which rooms are chosen afterwards
ROOM_REPAIR_ROUNDS = 4


class _Reporter(cp_model.CpSolverSolutionCallback):
    def __init__(self, t0: float, progress: Callable[[Progress], None] | None, stop_at_first: bool):
        super().__init__()
        self.t0 = t0
        self.progress = progress
        self.stop_at_first = stop_at_first
        self.solutions = 0
        self.first_solution_s: float | None = None

    def on_solution_callback(self) -> None:
        self.solutions += 1
        elapsed = time.perf_counter() - self.t0
        if self.first_solution_s is None:
            self.first_solution_s = elapsed
        if self.progress and self.stop_at_first:  # a feasibility search: no objective, no bound to show
            self.progress(Progress("solve", "found a first timetable", elapsed, solutions=self.solutions))
        elif self.progress:
            self.progress(
                Progress("solve", "found a timetable", elapsed, objective=self.ObjectiveValue(),
                         bound=self.BestObjectiveBound(), solutions=self.solutions)
            )
        if self.stop_at_first:
            self.StopSearch()


def _use_integrated_rooms(instance: Instance, domains: Domains, choice: str) -> bool:
    if not instance.rooms or choice == "decomposed":
        return False
    if choice == "integrated":
        return True
    triples = sum(len(domains.starts[c.id]) * len(domains.rooms.get(c.id, ())) for c in instance.courses)
    return triples <= INTEGRATED_ROOM_LIMIT


def _watch_cancel(solver: cp_model.CpSolver, cancel: CancelToken | None) -> threading.Event:
    """Stop ``solver`` within ~0.2 s of ``cancel.cancelled``; set the returned event to end the watch."""
    done = threading.Event()
    if cancel is not None:

        def watch() -> None:
            while not done.wait(0.2):
                if cancel.cancelled:
                    solver.StopSearch()
                    return

        threading.Thread(target=watch, daemon=True).start()
    return done


def _add_hint(tm: TimeModel, hint: Solution) -> None:
    grid = tm.instance.grid
    chosen = {(a.course, grid.slot_index(a.slot)) for a in hint.assignments}
    rooms = {(a.course, grid.slot_index(a.slot), a.room) for a in hint.assignments}
    for key, v in tm.x.items():
        tm.model.AddHint(v, key in chosen)
    for key, v in tm.y.items():
        tm.model.AddHint(v, key in rooms)


def zero_is_optimal(instance: Instance, result: SolveResult) -> SolveResult:
    """``result`` of a feasibility search, called optimal when its timetable costs nothing."""
    if result.solution is not None and check(instance, result.solution).soft_cost == 0:
        result.status, result.objective, result.bound = "optimal", 0.0, 0.0
    return result


def solve_cpsat(instance: Instance, options: SolveOptions) -> SolveResult:
    """CP-SAT alone: the first timetable, or (``optimize``) the best it finds in the time limit."""
    t0 = time.perf_counter()

    def report(message: str, phase: str = "model") -> None:
        if options.progress:
            options.progress(Progress(phase, message, time.perf_counter() - t0))

    domains = build_domains(instance)
    integrated = _use_integrated_rooms(instance, domains, options.rooms)
    report(f"building the model ({'rooms inside' if integrated else 'time first, rooms per day'})")
    tm = build(instance, domains, with_rooms=integrated, soft=options.optimize)
    build_s = time.perf_counter() - t0
    stats: dict[str, object] = {
        "rooms": "integrated" if integrated else "per-day",
        "variables": len(tm.model.Proto().variables),
        "constraints": len(tm.model.Proto().constraints),
        "student_clash_groups": len(domains.student_sets),
        "build_s": round(build_s, 3),
    }
    if options.hint is not None:
        _add_hint(tm, options.hint)

    first_solution_s = None
    forbidden: set[tuple[str, int]] = set()
    for round_no in range(ROOM_REPAIR_ROUNDS + 1):
        solver = cp_model.CpSolver()
        n_vars = len(tm.model.Proto().variables)
        configure(solver, max(0.1, options.time_limit - (time.perf_counter() - t0)), threads=options.workers,
                  seed=options.seed, log=options.log, presolve=presolve_for(n_vars))
        reporter = _Reporter(t0, options.progress, stop_at_first=not options.optimize)
        watch = _watch_cancel(solver, options.cancel)
        try:
            if round_no == 0 and _use_lns(options, tm):
                status, lns_stats = _solve_lns(tm, solver, reporter, options, t0)
                stats.update(lns_stats)
            else:
                status = solver.Solve(tm.model, reporter)
        finally:
            watch.set()
        if first_solution_s is None:
            first_solution_s = reporter.first_solution_s
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        starts = [key for key, v in tm.x.items() if solver.Value(v)]
        if integrated:
            rooms = {(c, t): r for (c, t, r), v in tm.y.items() if solver.Value(v)}
            unplaced: tuple = ()
        else:
            report("assigning rooms", "rooms")
            left = max(1.0, options.time_limit - (time.perf_counter() - t0))
            result = assign_rooms(instance, domains, starts, time_limit=min(10.0, left),
                                  threads=options.workers)
            rooms, unplaced = result.rooms, result.unplaced
        stop = time.perf_counter() - t0 > options.time_limit or is_cancelled(options.cancel)
        if not unplaced or round_no == ROOM_REPAIR_ROUNDS or stop:
            break
        # no room was free for these sessions at these starts: forbid them there and solve again
        report(f"{len(unplaced)} session(s) found no free room; re-solving", "rooms")
        forbidden.update(unplaced)
        for key in unplaced:
            tm.model.Add(tm.x[key] == 0)
        tm.model.ClearHints()
        for key, v in tm.x.items():
            tm.model.AddHint(v, solver.Value(v) if key not in forbidden else 0)
    total_s = time.perf_counter() - t0
    stats.update(
        {
            "solve_s": round(total_s, 3),
            "first_solution_s": None if first_solution_s is None else round(first_solution_s, 3),
            "room_repairs": len(forbidden),
            "cp_sat": solver.ResponseStats().splitlines()[1:2],
        }
    )
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        name = "infeasible" if status == cp_model.INFEASIBLE else "unknown"
        explanation = []
        if status == cp_model.INFEASIBLE:
            explanation = explain_infeasible(instance, domains, integrated, options.time_limit)
        elif status == cp_model.UNKNOWN:
            explanation = [f"no timetable found within the time limit of {options.time_limit:g} s"]
        return SolveResult(name, None, None, None, stats, explanation)

    solution = _to_solution(instance, starts, rooms, options, status, solver, stats)
    objective = solver.ObjectiveValue() if tm.model.HasObjective() else 0.0
    bound = solver.BestObjectiveBound() if tm.model.HasObjective() else 0.0
    if "lns_rounds" in stats and not forbidden:
        # LNS proves a bound only when a neighbourhood was the whole problem; every penalty is at least 0
        bound = objective if stats.get("lns_proved") else 0.0
    name = "optimal" if status == cp_model.OPTIMAL and not unplaced else "feasible"
    return SolveResult(name, solution, objective, bound, stats)


# LNS by default between these sizes: below, CP-SAT alone proves small models optimal and did better; above,
# loading the model for each neighbourhood costs too much (docs/benchmarks.md)
LNS_MODEL_VARIABLES = (12_000, 200_000)


def _use_lns(options: SolveOptions, tm: TimeModel) -> bool:
    if not options.optimize or not tm.model.HasObjective():
        return False
    if options.lns is not None:
        return options.lns
    return LNS_MODEL_VARIABLES[0] < len(tm.model.Proto().variables) <= LNS_MODEL_VARIABLES[1]


def _solve_lns(
    tm: TimeModel, solver: cp_model.CpSolver, reporter: _Reporter, options: SolveOptions, t0: float
) -> tuple[int, dict[str, object]]:
    """LNS until the time limit, then the best timetable loaded into ``solver`` (every choice fixed)."""

    def watch(sub: cp_model.CpSolver) -> Callable[[], None]:
        return _watch_cancel(sub, options.cancel).set

    def on_improve(objective: float | None, rounds: int) -> None:
        if options.progress:
            message = f"found a timetable (neighbourhood search, round {rounds})"
            bound = None if objective is None else 0.0
            options.progress(Progress("solve", message, time.perf_counter() - t0, objective=objective, bound=bound,
                                      solutions=rounds + 1))

    found = lns_search(
        tm,
        deadline=t0 + options.time_limit,
        threads=options.workers,
        seed=options.seed,
        cancelled=lambda: bool(is_cancelled(options.cancel)),
        watch=watch,
        on_improve=on_improve,
        first_solver=solver,
    )
    if found.values is None:
        return found.status, found.stats
    reporter.first_solution_s = found.first_found_at - t0 if found.first_found_at else None
    proto = tm.model.Proto()
    saved = []
    for v in [*tm.x.values(), *tm.y.values()]:
        dom = proto.variables[v.Index()].domain
        saved.append((dom, dom[0], dom[1]))
        dom[0] = dom[1] = found.values[v.Index()]
    solver.parameters.max_time_in_seconds = 10.0
    try:
        status = solver.Solve(tm.model)
    finally:
        for dom, lo, hi in saved:
            dom[0], dom[1] = lo, hi
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        status = cp_model.OPTIMAL if found.stats.get("lns_proved") or found.objective == 0 else cp_model.FEASIBLE
    return status, found.stats


def _to_solution(
    instance: Instance,
    starts: list[tuple[str, int]],
    rooms: dict[tuple[str, int], str],
    options: SolveOptions,
    status: int,
    solver: cp_model.CpSolver,
    stats: dict[str, object],
) -> Solution:
    grid = instance.grid
    index: dict[str, int] = {}
    assignments = []
    for c, t in sorted(starts, key=lambda k: (k[0], k[1])):
        k = index.get(c, 0)
        index[c] = k + 1
        slot = grid.slot_of(t)
        assignments.append(Assignment(course=c, session=k, day=slot.day, period=slot.period, room=rooms.get((c, t))))
    meta = {
        "solver": "cp-sat",
        "status": solver.StatusName(status).lower(),
        "seed": options.seed,
        "time_limit": options.time_limit,
        **{k: v for k, v in stats.items() if k != "cp_sat"},
    }
    return Solution(instance=instance.name, assignments=tuple(assignments), meta=meta)

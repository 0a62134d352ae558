"""The CP-SAT scheduler: ``solve(instance, options) -> SolveResult``.

Two shapes of the same model (see ``cpmodel.py``): with rooms chosen inside CP-SAT when the instance is
small enough, or time first (with per-slot room supply bounds) and rooms per day afterwards. A session that
finds no room is forbidden at that start and the time model is solved again from the previous answer.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from timetabling.engine.model import Assignment, Instance, Solution
from timetabling.engine.solver.cpmodel import TimeModel, build
from timetabling.engine.solver.domains import Domains, build_domains
from timetabling.engine.solver.lns import search as lns_search
from timetabling.engine.solver.rooms import assign_rooms

INTEGRATED_ROOM_LIMIT = 150_000  # (course, start, room) triples above which rooms are chosen afterwards
ROOM_REPAIR_ROUNDS = 4


@dataclass(frozen=True)
class Progress:
    phase: str
    elapsed: float
    message: str = ""
    objective: float | None = None
    bound: float | None = None
    solutions: int = 0


@dataclass
class SolveOptions:
    time_limit: float = 60.0
    workers: int = 0  # 0: every core
    seed: int = 0
    optimize: bool = True  # False: stop at the first feasible timetable
    rooms: str = "auto"  # auto | integrated | decomposed
    hint: Solution | None = None
    progress: Callable[[Progress], None] | None = None
    log: bool = False  # CP-SAT's own search log on stdout
    cancel: object | None = None  # anything with a ``cancelled`` property (e.g. pipeline.CancelToken)
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


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


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
            self.progress(Progress("solve", elapsed, "found a first timetable", solutions=self.solutions))
        elif self.progress:
            self.progress(
                Progress("solve", elapsed, "found a timetable", self.ObjectiveValue(), self.BestObjectiveBound(),
                         self.solutions)
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


LARGE_MODEL_VARIABLES = 50_000  # above this, presolve costs more than it saves


def _configure(solver: cp_model.CpSolver, options: SolveOptions, time_left: float, n_vars: int) -> None:
    p = solver.parameters
    p.max_time_in_seconds = max(0.1, time_left)
    p.num_workers = options.workers or default_workers()
    p.random_seed = options.seed
    p.log_search_progress = options.log
    if n_vars > LARGE_MODEL_VARIABLES:
        # measured on the university profile (105k variables): same first solution time, 200 MiB less memory
        p.symmetry_level = 0
        p.cp_model_probing_level = 0
        p.max_presolve_iterations = 1


def _watch_cancel(solver: cp_model.CpSolver, cancel: object | None) -> threading.Event:
    """Stop ``solver`` within ~0.2 s of ``cancel.cancelled``; set the returned event to end the watch."""
    done = threading.Event()
    if cancel is not None:

        def watch() -> None:
            while not done.wait(0.2):
                if getattr(cancel, "cancelled", False):
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


def solve(instance: Instance, options: SolveOptions | None = None) -> SolveResult:
    """Find a timetable that keeps every hard rule and minimises the weighted soft rules."""
    options = options or SolveOptions()
    if _use_anneal(instance, options):
        return _solve_annealing(instance, options)
    return _solve_cpsat(instance, options)


ANNEAL_SHARE = 0.8  # of the time left after the first timetable, on models small enough for CP-SAT to polish
POLISH_VARIABLES = 10_000  # CP-SAT alone proves such models optimal; above, its polish only cost time (ITC
# comp07 at 300 s: annealing 20, CP-SAT from there 63), so the annealing gets all the time
MIN_ANNEAL_TIME = 2.0  # seconds: below this the annealing is not worth its set-up


def _use_anneal(instance: Instance, options: SolveOptions) -> bool:
    if not options.optimize:
        return False
    if options.anneal is not None:
        return options.anneal
    soft = any(instance.rules.weight(r) > 0 for r in instance.rules.weights)
    return soft and options.time_limit >= 2 * MIN_ANNEAL_TIME


def _solve_annealing(instance: Instance, options: SolveOptions) -> SolveResult:
    """First timetable (CP-SAT, or the hint when it keeps every hard rule), annealing for most of the time
    left, then CP-SAT from the annealed timetable for the rest; the lower soft cost by the checker wins."""
    from dataclasses import replace

    from timetabling.engine.checker import check
    from timetabling.engine.solver.anneal import AnnealConfig, anneal, compiled_ready

    t0 = time.perf_counter()

    def report(message: str, cost: int | None = None) -> None:
        if options.progress:  # the soft cost as the checker counts it; no bound: none is proved here
            options.progress(Progress("solve", time.perf_counter() - t0, message,
                                      None if cost is None else float(cost)))

    def left() -> float:
        return options.time_limit - (time.perf_counter() - t0)

    first: SolveResult | None = None
    domains: Domains | None = None
    if options.hint is not None and check(instance, options.hint).hard_total == 0:
        start = options.hint
        report("starting from the given timetable", check(instance, start).soft_cost)
        domains = build_domains(instance)  # for the model's size here, and for the annealing
        variables = sum(len(domains.starts[c.id]) * (1 + len(domains.rooms.get(c.id, ()))) for c in instance.courses)
    else:
        first = _solve_cpsat(instance, replace(options, optimize=False, anneal=False))
        if first.solution is None or left() < MIN_ANNEAL_TIME:
            return _zero_is_optimal(instance, first)
        first_cost = check(instance, first.solution).soft_cost
        report("found a first timetable", first_cost)
        if first_cost == 0:
            first.status, first.objective, first.bound = "optimal", 0.0, 0.0
            return first
        start = first.solution
        variables = int(first.stats.get("variables", 0))  # type: ignore[call-overload]

    def on_improve(cost: int) -> None:
        report("a better timetable (annealing)", cost)

    if not compiled_ready():
        report("preparing the optimiser (first run only, about 15 s) …")

    cancelled = lambda: bool(getattr(options.cancel, "cancelled", False))  # noqa: E731
    polish = variables <= POLISH_VARIABLES
    annealed = anneal(instance, start, (ANNEAL_SHARE if polish else 1.0) * left(), seed=options.seed,
                      should_stop=cancelled, domains=domains,
                      config=AnnealConfig(threads=options.workers or default_workers()), on_improve=on_improve)
    best, best_report = start, check(instance, start)
    if annealed.solution is not None:
        report = check(instance, annealed.solution)
        if report.hard_total == 0:
            best, best_report = annealed.solution, report
    stats: dict[str, object] = {
        "anneal_s": round(annealed.seconds, 3), "anneal_moves": annealed.moves, "anneal_accepted": annealed.accepted,
        "anneal_first_cost": annealed.first_cost, "anneal_cost": annealed.cost,
        "first_solution_s": (first.stats.get("first_solution_s") if first else 0.0),
    }
    if polish and left() >= MIN_ANNEAL_TIME and not cancelled() and best_report.soft_cost > 0:
        polished = _solve_cpsat(instance, replace(options, time_limit=left(), hint=best, anneal=False))
        if polished.solution is not None:
            stats["polish_objective"] = polished.objective
            if check(instance, polished.solution).soft_cost <= best_report.soft_cost:
                polished.stats.update(stats)
                polished.stats["solve_s"] = round(time.perf_counter() - t0, 3)
                return polished
    cost = float(best_report.soft_cost)
    stats["solve_s"] = round(time.perf_counter() - t0, 3)
    meta = {**best.meta, "solver": "cp-sat + anneal", "seed": options.seed, "time_limit": options.time_limit}
    status = "optimal" if cost == 0 else "feasible"  # every soft rule costs 0 or more
    return SolveResult(status, best.model_copy(update={"meta": meta}), cost, 0.0, stats)


def _zero_is_optimal(instance: Instance, result: SolveResult) -> SolveResult:
    """``result`` of a feasibility search, called optimal when its timetable costs nothing."""
    from timetabling.engine.checker import check

    if result.solution is not None and check(instance, result.solution).soft_cost == 0:
        result.status, result.objective, result.bound = "optimal", 0.0, 0.0
    return result


def _solve_cpsat(instance: Instance, options: SolveOptions) -> SolveResult:
    t0 = time.perf_counter()

    def report(message: str, phase: str = "model") -> None:
        if options.progress:
            options.progress(Progress(phase, time.perf_counter() - t0, message))

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
        _configure(solver, options, options.time_limit - (time.perf_counter() - t0), len(tm.model.Proto().variables))
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
                                  workers=options.workers or default_workers())
            rooms, unplaced = result.rooms, result.unplaced
        stop = time.perf_counter() - t0 > options.time_limit or getattr(options.cancel, "cancelled", False)
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
            from timetabling.engine.solver.explain import explain_infeasible

            explanation = explain_infeasible(instance, domains, integrated, options)
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


# LNS by default between these sizes: below, CP-SAT alone proves small models optimal (a native "tiny"
# instance in 12 s) and did better on ITC comp01; above, loading the model for each neighbourhood costs too much
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
            options.progress(Progress("solve", time.perf_counter() - t0, message, objective, bound, rounds + 1))

    found = lns_search(
        tm,
        deadline=t0 + options.time_limit,
        workers=options.workers or default_workers(),
        seed=options.seed,
        cancelled=lambda: bool(getattr(options.cancel, "cancelled", False)),
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

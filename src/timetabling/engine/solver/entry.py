"""``solve(instance, options) -> SolveResult``: one timetable of a whole instance.

The first timetable from CP-SAT (``search.py``), then, when there are soft rules and time, the annealing of
``improve`` for most of the time left and CP-SAT polishing its result on models small enough; without soft
rules, or asked to, CP-SAT alone.
"""

from __future__ import annotations

import time
from dataclasses import replace

from timetabling.engine.checker import check
from timetabling.engine.control import Progress, is_cancelled
from timetabling.engine.model import Instance
from timetabling.engine.solver.cpsat import default_threads
from timetabling.engine.solver.options import SolveOptions, SolveResult
from timetabling.engine.solver.search import solve_cpsat, zero_is_optimal
from timetabling.engine.timetable.domains import Domains, build_domains


def solve(instance: Instance, options: SolveOptions | None = None) -> SolveResult:
    """Find a timetable that keeps every hard rule and minimises the weighted soft rules."""
    options = options or SolveOptions()
    if _use_anneal(instance, options):
        return _solve_annealing(instance, options)
    return solve_cpsat(instance, options)


ANNEAL_SHARE = 0.8  # of the time left after the first timetable, on models small enough for CP-SAT to polish
POLISH_VARIABLES = 10_000  # CP-SAT alone proves such models optimal; above, its polish only cost time
# (docs/benchmarks.md), so the annealing gets all the time
MIN_ANNEAL_TIME = 2.0  # seconds: below this the annealing is not worth its set-up


def compiled_ready() -> bool:
    """``improve.anneal.compiled_ready``, imported when asked: the annealing loads numba (slow to import),
    which a solve that never anneals (a part of the pipeline, a first timetable) need not pay for."""
    from timetabling.engine.improve.anneal import compiled_ready as ready

    return ready()


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
    from timetabling.engine.improve.anneal import AnnealConfig, anneal  # numba: only when a solve anneals

    t0 = time.perf_counter()

    def report(message: str, cost: int | None = None) -> None:
        if options.progress:  # the soft cost as the checker counts it; no bound: none is proved here
            options.progress(Progress("solve", message, time.perf_counter() - t0,
                                      objective=None if cost is None else float(cost)))

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
        first = solve_cpsat(instance, replace(options, optimize=False, anneal=False))
        if first.solution is None or left() < MIN_ANNEAL_TIME:
            return zero_is_optimal(instance, first)
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

    def cancelled() -> bool:
        return is_cancelled(options.cancel)

    polish = variables <= POLISH_VARIABLES
    annealed = anneal(instance, start, (ANNEAL_SHARE if polish else 1.0) * left(), seed=options.seed,
                      should_stop=cancelled, domains=domains,
                      config=AnnealConfig(threads=options.workers or default_threads()), on_improve=on_improve)
    best, best_report = start, check(instance, start)
    if annealed.solution is not None:
        annealed_report = check(instance, annealed.solution)
        if annealed_report.hard_total == 0:
            best, best_report = annealed.solution, annealed_report
    stats: dict[str, object] = {
        "anneal_s": round(annealed.seconds, 3), "anneal_moves": annealed.moves, "anneal_accepted": annealed.accepted,
        "anneal_first_cost": annealed.first_cost, "anneal_cost": annealed.cost,
        "first_solution_s": (first.stats.get("first_solution_s") if first else 0.0),
    }
    if polish and left() >= MIN_ANNEAL_TIME and not cancelled() and best_report.soft_cost > 0:
        polished = solve_cpsat(instance, replace(options, time_limit=left(), hint=best, anneal=False))
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

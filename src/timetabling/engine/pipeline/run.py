"""The run behind ``generate``: stages 1-3 once, then one optimisation per variant, with progress and cancel.

Progress: resources and stage 1 take the first 3 %, stage 2 up to 35 %, stage 3 up to 40 %, the variants the
rest. Time: stages 1-3 may use ``feasibility_share`` of the limit (they stop at the first timetable, so they
usually use far less); with several variants the parts spend only one variant's share of their budget on the
instance's own soft score, since each variant is then optimised under its own weights. The variants share what
is left by need: half equally, half in proportion to the shared start's soft cost under each one's weights.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from timetabling.engine.checker import Report, check
from timetabling.engine.checker.metrics import faculty_preference_bound_pct
from timetabling.engine.control import Progress, is_cancelled
from timetabling.engine.improve.genetic import optimise
from timetabling.engine.model import Instance, Rule, Solution
from timetabling.engine.pipeline.clustering import Clustering, cluster
from timetabling.engine.pipeline.eta import EtaEstimator
from timetabling.engine.pipeline.options import PipelineOptions, PipelineResult, Variant, score_of, variant_rules
from timetabling.engine.pipeline.part_jobs import Handoff, MapParts
from timetabling.engine.pipeline.parts import optimise_with_cpsat
from timetabling.engine.pipeline.resolve import RESOLVERS, resolve
from timetabling.engine.pipeline.resources import Resources, detect
from timetabling.engine.pipeline.stage2 import decompose
from timetabling.engine.solver import SolveOptions, default_threads, solve
from timetabling.engine.timetable.board import Layout, board_from, layout
from timetabling.engine.timetable.domains import Domains, build_domains
from timetabling.engine.timetable.placed import Placed, from_solution, to_solution

if TYPE_CHECKING:
    from timetabling.engine.improve.anneal import AnnealConfig

OPTIMIZERS = ("ga", "anneal", "cpsat", "none")  # none: every variant is the first timetable
WARM_START_MIN = 0.025  # of the kernel's start temperature: 0.1 in units of the largest soft weight
# each stage in the words of the people who wait for it (a step may say more: ``emit(..., phase=...)``)
PHASES = {
    "resources": "looking at the machine's cores",
    "clustering": "grouping the courses that share students, faculty or rooms",
    "parts": "placing the courses",
    "resolve": "removing the last clashes",
    "optimise": "improving the variants",
    "done": "finished",
}


class Clock:
    """Elapsed time, monotonic percent and ETA for the events of one run. ``elapsed``: seconds the run had
    already taken before this clock started (a run continued in another process or on another machine)."""

    def __init__(self, options: PipelineOptions, elapsed: float = 0.0, percent: float = 0.0):
        self.t0 = time.perf_counter() - elapsed
        self.options = options
        self.pct = percent
        self.eta = EtaEstimator()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    @property
    def left(self) -> float:
        return self.options.time_limit - self.elapsed

    def emit(self, stage: str, pct: float, message: str, **kw: Any) -> None:
        self.pct = max(self.pct, min(100.0, pct))
        if self.options.progress:
            eta = self.eta.update(stage, self.elapsed, self.pct, self.left)
            kw.setdefault("phase", PHASES.get(stage, stage))
            kw.setdefault("elapsed_s", round(self.elapsed, 2))
            self.options.progress(Progress(stage, message, percent=self.pct, eta_s=eta, **kw))

    def cancelled(self) -> bool:
        return is_cancelled(self.options.cancel)


@dataclass
class RunState:
    """What the steps of one run share: the variant names, the clock, the stats so far, the machine's
    resources, stage 1's clustering (None in a run continued elsewhere) and its summary."""

    names: list[str]
    clock: Clock
    stats: dict[str, Any]
    resources: Resources
    clustering: Clustering | None = None
    summary: dict[str, Any] = field(default_factory=dict)


def variant_names(instance: Instance, options: PipelineOptions) -> list[str]:
    """The variants to make, in order; an unknown name fails before any work."""
    if options.optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer '{options.optimizer}' (known: {', '.join(OPTIMIZERS)})")
    if options.resolver not in RESOLVERS:
        raise ValueError(f"unknown resolver '{options.resolver}' (known: {', '.join(RESOLVERS)})")
    names = list(options.variants) + [n for n in options.custom_weights if n not in options.variants]
    for n in names:
        variant_rules(instance, n, options)
    return names


def start(instance: Instance, options: PipelineOptions) -> RunState:
    """Check the options, detect the resources, run stage 1 (clustering)."""
    names = variant_names(instance, options)
    clock = Clock(options)
    stats: dict[str, Any] = {"optimizer": options.optimizer}
    resources = detect(options.workers)
    clock.emit("resources", 0.5, f"{resources.cpu_cores} core(s), pool of {resources.pool_workers}"
               + (f", GPU {resources.gpu}" if resources.gpu else "")
               + (f", Celery broker in {resources.celery_broker}" if resources.celery_broker else ""))
    t = time.perf_counter()
    clustering = cluster(instance, seed=options.seed)
    stats["stage1_s"] = round(time.perf_counter() - t, 3)
    cats = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in clustering.category_counts.items())
    clock.emit("clustering", 3.0, f"{cats}; {len(clustering.parts)} part(s)")
    return RunState(names, clock, stats, resources, clustering, clustering.summary())


def placing_phase(clustering: Clustering) -> str:
    """Stage 2 in plain words: "placing core courses and electives of 37 departments"."""
    counts = clustering.category_counts
    kinds = "core courses" if counts.get("core") else "courses"
    if counts.get("department_elective") or counts.get("open_elective"):
        kinds += " and electives"
    departments = {d for p in clustering.parts for d in p.departments if d != "-"}
    return f"placing {kinds} of {len(departments)} department{'s' if len(departments) != 1 else ''}" if departments \
        else f"placing {kinds}"


def stage2_budget(options: PipelineOptions) -> float:
    """Seconds stages 1-3 may take together."""
    return max(5.0, options.feasibility_share * options.time_limit)


def stage2(instance: Instance, options: PipelineOptions, state: RunState, map_parts: MapParts | None = None,
           side_by_side: int | None = None) -> tuple[Placed, dict[str, str]]:
    """The merged timetable of the parts (``decompose``; ``map_parts`` runs each wave's parts elsewhere) or of
    one monolithic model; returns the placements and the courses left unplaced, with the reason."""
    assert state.clustering is not None, "stage 2 needs stage 1's clustering"
    t = time.perf_counter()
    clock, stats = state.clock, state.stats
    budget = stage2_budget(options)
    unplaced_courses: dict[str, str] = {}
    if options.decomposition:
        result = decompose(
            instance, state.clustering, budget=budget, processes=state.resources.pool_workers, seed=options.seed,
            cancel=options.cancel, optimise=options.part_optimisation / max(1, len(state.names)),
            progress=lambda f, m: clock.emit("parts", 3.0 + 32.0 * f, m, phase=placing_phase(state.clustering)),
            map_parts=map_parts,
            side_by_side=side_by_side,
        )
        placed, unplaced_courses = result.placed, result.unplaced
        stats["waves"] = result.waves
        stats["parts"] = result.parts
    else:
        placed = _monolithic(instance, options, budget, clock)
    stats["stage2_s"] = round(time.perf_counter() - t, 3)
    return placed, unplaced_courses


def finish(instance: Instance, options: PipelineOptions, state: RunState, placed: Placed,
           unplaced_courses: dict[str, str]) -> PipelineResult:
    """Stage 3 on the merged timetable of stage 2, then one optimisation per variant."""
    clock, stats, resources, names = state.clock, state.stats, state.resources, state.names
    summary = state.summary
    budget = stage2_budget(options)
    t = time.perf_counter()
    domains = build_domains(instance)
    lay = layout(instance, domains)
    stats["faculty_preference_bound_pct"] = round(faculty_preference_bound_pct(instance), 2)
    stats["prepare_s"] = round(time.perf_counter() - t, 3)
    if clock.cancelled():
        stats["total_s"] = round(clock.elapsed, 3)
        return PipelineResult("cancelled", [], clock.elapsed, "cancelled before the first complete timetable",
                              stats, summary, resources.to_dict())

    # stage 3
    t = time.perf_counter()
    unplaced: dict[str, str] = {}
    if options.stage3:
        clock.emit("resolve", 36.0, "checking the merged timetable")
        fixed = resolve(instance, placed, lay=lay, time_limit=max(5.0, budget - clock.elapsed), seed=options.seed,
                        threads=resources.pool_workers, cancel=options.cancel, reasons=unplaced_courses,
                        resolver=options.resolver)
        placed, unplaced = fixed.placed, fixed.unplaced
        stats["stage3"] = {"conflicted": fixed.conflicted_before, "min_conflicts_moves": fixed.min_conflicts_moves,
                           "cpsat_rounds": fixed.cpsat_rounds, "unplaced": len(unplaced)}
    stats["stage3_s"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    base = to_solution(instance, placed, {"pipeline": "stages 1-3"})
    base_report = check(instance, base)
    stats["check_s"] = round(time.perf_counter() - t, 3)
    stats["base_hard"] = base_report.hard_total
    stats["base_soft"] = base_report.soft_cost
    clock.emit("resolve", 40.0, f"first timetable: {base_report.hard_total} hard violation(s), soft cost "
               f"{base_report.soft_cost}", objective=float(base_report.soft_cost))

    # variants: each from the shared start, under its own weights, for a share of the time by its need
    variants: list[Variant] = []
    share = 60.0 / max(1, len(names))
    starts = {n: check(instance.model_copy(update={"rules": variant_rules(instance, n, options)}), base)
              for n in names} if options.optimizer != "none" else {}
    needs = time_needs([float(starts[n].soft_cost) for n in names]) if starts else [1.0] * len(names)
    overhead = 0.0  # seconds a variant takes beyond its optimisation (set-up, checks), as last measured
    for i, name in enumerate(names):
        if clock.cancelled():
            break
        pct0 = 40.0 + i * share
        clock.emit("optimise", pct0, f"variant {name} ({options.optimizer})", phase=f"improving variant {name}",
                   variant=name)
        t = time.perf_counter()
        limit = max(1.0, (clock.left - overhead * (len(names) - i)) * needs[i] / sum(needs[i:]))
        stats.setdefault("variant_s", {})[name] = round(limit, 1)
        solution = _improve(instance, options, name, i, base, placed, lay, limit, clock, pct0, share,
                            starts.get(name), domains)
        known = None  # the checker's report of ``base`` under this variant's weights, when already made
        if solution is base:
            known = starts.get(name)
            if known is None and variant_rules(instance, name, options) == instance.rules:
                known = base_report
        variants.append(_variant(instance, options, name, solution, known))
        overhead = max(0.0, time.perf_counter() - t - limit)
        v = variants[-1]
        clock.emit("optimise", pct0 + share, f"variant {name}: soft cost {v.report.soft_cost}",
                   objective=float(v.report.soft_cost), phase=f"improving variant {name}", variant=name)
    if not variants:  # cancelled before the first variant: the first timetable is the best complete one
        variants.append(_variant(instance, options, names[0], base))
    cancelled = clock.cancelled()
    status = "cancelled" if cancelled else "completed"
    message = f"{len(unplaced)} session(s) could not be placed" if unplaced else ""
    if not cancelled:
        clock.emit("done", 100.0, f"{len(variants)} variant(s)")
    stats["total_s"] = round(clock.elapsed, 3)
    return PipelineResult(status, variants, clock.elapsed, message, stats, summary, resources.to_dict(), unplaced)


def generate(instance: Instance, options: PipelineOptions | None = None) -> PipelineResult:
    """Stage 1 (``start``), stage 2 (``stage2``), stage 3 and the variants (``finish``) in this process. The same
    steps run split across machines through ``plan`` and ``resume`` (``service.celery_runner``)."""
    options = options or PipelineOptions()
    state = start(instance, options)
    placed, unplaced_courses = stage2(instance, options, state)
    return finish(instance, options, state, placed, unplaced_courses)


@dataclass
class Plan:
    """Stages 1-2 of a run whose stage 3 and variants run elsewhere: what to hand over, and the run's state."""

    handoff: Handoff
    state: RunState


def plan(instance: Instance, options: PipelineOptions, map_parts: MapParts, side_by_side: int | None = None,
         state: RunState | None = None) -> Plan:
    """Stages 1 and 2, each wave's parts solved through ``map_parts`` (e.g. Celery tasks); ``resume`` takes the
    handoff on from there in any process. ``state``: the run as ``start`` left it, when the caller ran stage 1
    itself (to read the run's clock while the parts run)."""
    state = state or start(instance, options)
    placed, unplaced = stage2(instance, options, state, map_parts=map_parts, side_by_side=side_by_side)
    clock = state.clock
    return Plan(Handoff(placed, unplaced, dict(state.stats), clock.elapsed, clock.pct), state)


def resume(instance: Instance, options: PipelineOptions, handoff: Handoff) -> PipelineResult:
    """Stage 3 and the variants of a run whose stages 1-2 ran elsewhere (``plan``): its clock and progress go on
    from the handoff's elapsed seconds and percent."""
    state = RunState(variant_names(instance, options), Clock(options, handoff.elapsed_s, handoff.percent),
                     dict(handoff.stats), detect(options.workers))
    return finish(instance, options, state, handoff.placed, dict(handoff.unplaced))


def _variant(instance: Instance, options: PipelineOptions, name: str, solution: Solution,
             report: Report | None = None) -> Variant:
    """``report``: the checker's report of ``solution`` under the variant's weights, when the caller has it."""
    rules = variant_rules(instance, name, options)
    if report is None:
        report = check(instance.model_copy(update={"rules": rules}), solution)
    return Variant(name, rules, solution, report, score_of(report, instance.n_sessions))


def time_needs(costs: list[float]) -> list[float]:
    """Each variant's share of the optimisation time: half of it equal, half in proportion to the soft cost
    its weights put on the shared start (what it has to win back); equal when nothing costs anything."""
    total = sum(costs)
    if total <= 0:
        return [1.0] * len(costs)
    return [0.5 / len(costs) + 0.5 * c / total for c in costs]


def warm_restart(instance: Instance, seconds: float, threads: int) -> AnnealConfig:
    """The annealing of a variant: it starts from a timetable the parts already optimised, so it starts as hot
    as its time allows, a share of the kernel's own start temperature equal to the share of the kernel's own
    cooling cycle for this many sessions that it has (at least a tenth). A hot start with too few moves per
    session ends above where it began (measurements in docs/benchmarks.md)."""
    # imported here, not at the top: the annealing loads numba (slow to import), which a run without
    # annealing (``generate --first``, its pool processes) need not pay for
    from timetabling.engine.improve.anneal import CYCLE_PER_SESSION, MIN_CYCLE, T_END, T_START, AnnealConfig

    unit = max(1, max(instance.rules.weight(r) for r in Rule))
    cycle = max(MIN_CYCLE, CYCLE_PER_SESSION * instance.n_sessions)
    start = T_START * min(1.0, max(WARM_START_MIN, seconds / cycle))
    return AnnealConfig(threads=threads, t_start=start * unit, t_end=min(start, T_END) * unit)


def _improve(instance: Instance, options: PipelineOptions, name: str, index: int, base: Solution, placed: Placed,
             lay: Layout, limit: float, clock: Clock, pct0: float, share: float, old: Report | None = None,
             domains: Domains | None = None) -> Solution:
    """The variant's timetable: ``base`` improved under the variant's weights by the chosen optimiser; the
    base itself when the optimiser finds nothing better or breaks a hard rule. ``old``: the checker's report
    of ``base`` under those weights, when the caller has it."""
    rules = variant_rules(instance, name, options)
    if options.optimizer == "none":
        return base
    inst = instance.model_copy(update={"rules": rules})
    if options.optimizer == "anneal":  # the annealing kernel from ``base``, under the variant's own weights
        from timetabling.engine.improve.anneal import anneal  # numba: loaded only when a run anneals

        t0 = time.perf_counter()

        def improved(cost: int) -> None:
            done = min(1.0, (time.perf_counter() - t0) / limit)
            clock.emit("optimise", pct0 + share * done, f"variant {name}: soft cost {cost}", objective=float(cost),
                       phase=f"improving variant {name}", variant=name)

        annealed = anneal(inst, base, limit, seed=options.seed + index, domains=domains, on_improve=improved,
                          config=warm_restart(inst, limit, options.workers or default_threads()),
                          should_stop=clock.cancelled)
        candidate = annealed.solution
    elif options.optimizer == "cpsat":  # the solver from ``base``
        candidate = optimise_with_cpsat(inst, SolveOptions(
            time_limit=limit, workers=options.workers, seed=options.seed, hint=base, cancel=options.cancel,
            anneal=False))
    else:
        gens = max(1, options.ga.generations)

        def tick(gen: int, cost: float) -> None:
            clock.emit("optimise", pct0 + share * gen / gens, f"variant {name}: generation {gen}", objective=cost,
                       phase=f"improving variant {name}", variant=name)

        ga = optimise(board_from(lay, placed), rules, options.ga, seed=options.seed + index,
                      time_limit=limit, should_stop=clock.cancelled, progress=tick)
        candidate = ga.board.solution({"optimizer": "ga", "generations": ga.generations})
    if candidate is None:
        return base
    new, old = check(inst, candidate), old or check(inst, base)
    if new.hard_total > old.hard_total or (new.hard_total == old.hard_total and new.soft_cost > old.soft_cost):
        return base
    return candidate


def _monolithic(instance: Instance, options: PipelineOptions, budget: float, clock: Clock) -> Placed:
    clock.emit("parts", 4.0, "one CP-SAT model of the whole instance")
    result = solve(instance, SolveOptions(time_limit=budget, workers=options.workers, seed=options.seed,
                                          optimize=False, cancel=options.cancel))
    clock.emit("parts", 35.0, f"monolithic model: {result.status}")
    return from_solution(instance, result.solution) if result.solution is not None else {}

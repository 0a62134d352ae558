"""Generation of several timetable variants: ``generate(instance, options) -> PipelineResult``.

This is the interface the engine service and the CLI use. The first implementation solves the whole
instance once per variant weight profile (CP-SAT, each variant hinted with the previous one) and scores
every variant with the independent checker. The three-stage pipeline (clustering, parallel parts,
conflict resolution) replaces the inside of ``generate`` without changing this interface.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from timetabling.engine.checker import Report, check
from timetabling.engine.model import Instance, Rule, Rules, Solution

# weight profiles: multipliers on the instance's own soft weights (a rule the instance switched off stays off)
VARIANT_PROFILES: dict[str, dict[Rule, int]] = {
    "Balanced": {},
    "Faculty-focused": {Rule.FACULTY_PREFERENCE: 5},
    "Compactness-focused": {Rule.BATCH_IDLE: 5, Rule.ISOLATED_SESSION: 5},
    "Room-utilisation-focused": {Rule.ROOM_STABILITY: 5},
    "Student-focused": {Rule.COURSE_MIN_DAYS: 3, Rule.BATCH_IDLE: 3},
}
DEFAULT_VARIANTS = tuple(VARIANT_PROFILES)


class CancelToken:
    """Set from any thread; the run stops soon after and returns the best complete variants so far."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)


@dataclass(frozen=True)
class Event:
    """One progress report: ``percent`` never decreases within a run."""

    stage: str
    percent: float
    message: str = ""
    eta_s: float | None = None
    objective: float | None = None
    bound: float | None = None


@dataclass
class PipelineOptions:
    variants: tuple[str, ...] = DEFAULT_VARIANTS
    custom_weights: dict[str, dict[Rule, int]] = field(default_factory=dict)  # extra named profiles (absolute)
    time_limit: float = 60.0  # whole run, all variants
    workers: int = 0  # 0: every core
    seed: int = 0
    progress: Callable[[Event], None] | None = None
    cancel: CancelToken | None = None


@dataclass
class Variant:
    name: str
    rules: Rules
    solution: Solution
    report: Report  # the checker's, under the variant's own weights
    score: float  # 0-100, higher is better (see ``score_of``)

    @property
    def metrics(self) -> dict[str, float]:
        return self.report.metrics


@dataclass
class PipelineResult:
    status: str  # completed | cancelled | failed
    variants: list[Variant]
    elapsed_s: float
    message: str = ""
    stats: dict[str, Any] = field(default_factory=dict)

    def comparison(self) -> list[dict[str, Any]]:
        """One row per variant: its hard violations, soft cost, score, metrics, and the share (%) of its
        sessions placed differently from the first variant."""
        rows = []
        base = _placements(self.variants[0].solution) if self.variants else set()
        for v in self.variants:
            mine = _placements(v.solution)
            differ = 100.0 * len(mine - base) / len(mine) if mine else 0.0
            rows.append(
                {
                    "name": v.name,
                    "hard_violations": v.report.hard_total,
                    "soft_cost": v.report.soft_cost,
                    "score": round(v.score, 2),
                    "differs_from_first_pct": round(differ, 1),
                    **{k: round(x, 2) for k, x in v.metrics.items()},
                }
            )
        return rows


def _placements(solution: Solution) -> set[tuple[str, int, tuple[int, int], str | None]]:
    return {(a.course, a.session, tuple(a.slot), a.room) for a in solution.assignments}


def variant_rules(instance: Instance, name: str, options: PipelineOptions) -> Rules:
    base = instance.rules
    if name in options.custom_weights:
        weights = {r: w for r, w in options.custom_weights[name].items() if not base.is_hard(r)}
        return Rules(hard=base.hard, weights={**base.weights, **weights})
    if name not in VARIANT_PROFILES:
        known = ", ".join([*VARIANT_PROFILES, *options.custom_weights])
        raise ValueError(f"unknown variant '{name}' (known: {known})")
    factors = VARIANT_PROFILES[name]
    return Rules(hard=base.hard, weights={r: w * factors.get(r, 1) for r, w in base.weights.items()})


def score_of(report: Report, sessions: int) -> float:
    """100 with no violation and no soft cost; hard violations cost 10 points each, the soft cost per
    session scales the rest."""
    if report.hard_total:
        return max(0.0, 50.0 - 10.0 * report.hard_total)
    per_session = report.soft_cost / max(1, sessions)
    return 100.0 / (1.0 + per_session)


def generate(instance: Instance, options: PipelineOptions | None = None) -> PipelineResult:
    from timetabling.engine.solver import SolveOptions, solve

    options = options or PipelineOptions()
    names = list(options.variants) + [n for n in options.custom_weights if n not in options.variants]
    for n in names:
        variant_rules(instance, n, options)  # unknown names fail before any work
    t0 = time.perf_counter()
    last_pct = 0.0

    def emit(stage: str, pct: float, message: str, **kw: Any) -> None:
        nonlocal last_pct
        last_pct = max(last_pct, min(100.0, pct))
        if options.progress:
            elapsed = time.perf_counter() - t0
            eta = elapsed * (100.0 - last_pct) / last_pct if last_pct > 0 else None
            options.progress(Event(stage, last_pct, message, eta, **kw))

    variants: list[Variant] = []
    sessions = sum(c.sessions_per_week for c in instance.courses)
    emit("feasibility", 0.0, "looking for a first timetable that keeps every hard rule")
    first = solve(
        instance,
        SolveOptions(time_limit=options.time_limit, workers=options.workers, seed=options.seed, optimize=False,
                     cancel=options.cancel),
    )
    if first.solution is None:
        why = "; ".join(first.explanation) or first.status
        status = "cancelled" if options.cancel and options.cancel.cancelled else "failed"
        return PipelineResult(status, [], time.perf_counter() - t0, f"no timetable: {why}")
    base_pct = 30.0
    emit("feasibility", base_pct, "first timetable found")
    share = (100.0 - base_pct) / max(1, len(names))
    for i, name in enumerate(names):
        if options.cancel and options.cancel.cancelled:
            break
        left = options.time_limit - (time.perf_counter() - t0)
        rules = variant_rules(instance, name, options)
        inst = instance.model_copy(update={"rules": rules})
        emit("optimise", base_pct + i * share, f"variant {name}")
        solution = first.solution
        if left > 1.0:
            result = solve(
                inst,
                SolveOptions(time_limit=left / (len(names) - i), workers=options.workers, seed=options.seed,
                             hint=first.solution, cancel=options.cancel),
            )
            if result.solution is not None:
                solution = result.solution
        report = check(inst, solution)
        variants.append(Variant(name, rules, solution, report, score_of(report, sessions)))
        emit("optimise", base_pct + (i + 1) * share, f"variant {name} done", objective=float(report.soft_cost))
    cancelled = bool(options.cancel and options.cancel.cancelled)
    status = "cancelled" if cancelled else "completed"
    if not cancelled:
        emit("done", 100.0, f"{len(variants)} variant(s)")
    return PipelineResult(status, variants, time.perf_counter() - t0)

"""Generation of several timetable variants: ``generate(instance, options) -> PipelineResult``.

This is the interface the engine service and the CLI use. Inside, the three stages of the design:

1. ``clustering``: the course conflict graph, course categories, Louvain parts (open electives first);
2. ``decompose``: the parts solved by CP-SAT (hard rules only), wave after wave, the parts of a wave side by
   side in a process pool; then, per variant, the genetic optimiser (``genetic``) or CP-SAT improves the
   variant's weighted soft score from that common timetable;
3. ``resolve``: the checker's view of what is left: min-conflicts, then CP-SAT on the neighbourhood, else
   the sessions that could not be placed are named with the reason.

Every variant is scored by the independent checker under its own weights.

``run.py`` keeps the steps apart (``start``: stage 1; ``stage2``; ``finish``: stage 3 and the variants), and
``decompose(..., map_parts=...)`` hands each wave's part jobs to any executor, so that a distributed runner
can solve the parts on other machines (``service.celery_runner``) with the same code.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from timetabling.engine.checker import Report
from timetabling.engine.model import Instance, Rule, Rules, Solution
from timetabling.engine.pipeline.genetic import GAConfig

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
    phase: str = ""  # what the run does, in plain words ("improving variant Faculty-focused")
    variant: str | None = None  # the variant being improved, whose soft cost ``objective`` is
    elapsed_s: float | None = None  # seconds into the run


@dataclass
class PipelineOptions:
    variants: tuple[str, ...] = DEFAULT_VARIANTS
    custom_weights: dict[str, dict[Rule, int]] = field(default_factory=dict)  # extra named profiles (absolute)
    time_limit: float = 60.0  # whole run, all variants
    workers: int = 0  # 0: every core
    seed: int = 0
    progress: Callable[[Event], None] | None = None
    cancel: CancelToken | None = None
    optimizer: str = "anneal"  # anneal | ga | cpsat | none: what improves each variant (docs/benchmarks.md)
    ga: GAConfig = field(default_factory=GAConfig)
    decomposition: bool = True  # False: the first timetable from one monolithic CP-SAT model (ablation)
    stage3: bool = True  # False: no conflict resolution after merging (ablation)
    feasibility_share: float = 0.6  # of the time limit, the most stages 1-3 may take before variants
    part_optimisation: float = 0.8  # of the stage-2 budget, spent by CP-SAT improving each part's soft score


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
    clustering: dict[str, Any] = field(default_factory=dict)  # categories and parts (stage 1)
    resources: dict[str, Any] = field(default_factory=dict)  # cores, GPU, broker, pool workers
    unplaced: dict[str, str] = field(default_factory=dict)  # "course#k" -> why it could not be placed

    def comparison(self) -> list[dict[str, Any]]:
        """One row per variant: its hard violations, soft cost, score, metrics, the share (%) of its sessions
        placed differently from the first variant, and the faculty-preference bound when the run computed it."""
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
            if "faculty_preference_bound_pct" in self.stats:  # the best any timetable could reach
                rows[-1]["faculty_preference_bound_pct"] = self.stats["faculty_preference_bound_pct"]
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
    """Run the three stages and make one variant per weight profile; see ``run.py``."""
    from timetabling.engine.pipeline.run import run

    return run(instance, options or PipelineOptions())

"""What a pipeline run is asked for (``PipelineOptions``) and what it returns (``PipelineResult``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from timetabling.engine.checker import Report
from timetabling.engine.control import DEFAULT_TIME_LIMIT_S, CancelToken, Progress
from timetabling.engine.improve.genetic import GAConfig
from timetabling.engine.model import Instance, Rule, Rules, Solution
from timetabling.engine.pipeline.profiles import DEFAULT_VARIANTS, VARIANT_PROFILES, Profiles
from timetabling.engine.pipeline.profiles import variant_rules as profile_rules


@dataclass
class PipelineOptions:
    variants: tuple[str, ...] = DEFAULT_VARIANTS
    custom_weights: dict[str, dict[Rule, int]] = field(default_factory=dict)  # extra named profiles (absolute)
    profiles: Profiles = field(default_factory=lambda: dict(VARIANT_PROFILES))  # named factor sets (profiles.py)
    time_limit: float = DEFAULT_TIME_LIMIT_S  # whole run, all variants
    workers: int = 0  # cores the run may use: pool processes for the parts and search threads; 0: every core
    seed: int = 0
    progress: Callable[[Progress], None] | None = None
    cancel: CancelToken | None = None
    optimizer: str = "anneal"  # anneal | ga | cpsat | none: what improves each variant (docs/benchmarks.md)
    ga: GAConfig = field(default_factory=GAConfig)
    decomposition: bool = True  # False: the first timetable from one monolithic CP-SAT model (ablation)
    stage3: bool = True  # False: no conflict resolution after merging (ablation)
    resolver: str = "min_conflicts"  # stage 3's local repair: min_conflicts | qlearn (the learned policy)
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
    resources: dict[str, Any] = field(default_factory=dict)  # cores, GPU, broker, pool processes
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
    """The rules variant ``name`` is optimised and scored under (``profiles.variant_rules``)."""
    return profile_rules(instance, name, options.profiles, options.custom_weights)


def score_of(report: Report, sessions: int) -> float:
    """100 with no violation and no soft cost; hard violations cost 10 points each, the soft cost per
    session scales the rest."""
    if report.hard_total:
        return max(0.0, 50.0 - 10.0 * report.hard_total)
    per_session = report.soft_cost / max(1, sessions)
    return 100.0 / (1.0 + per_session)

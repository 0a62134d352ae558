"""One generation job as data, and the function that runs it with the engine's pipeline.

Runners move ``JobSpec`` to wherever the work happens and call ``run_job`` there; it returns a plain,
JSON-able outcome so that it crosses processes and machines unchanged."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from timetabling.engine.bounds import lower_bound
from timetabling.engine.control import CancelToken
from timetabling.engine.model import Instance
from timetabling.engine.pipeline import DEFAULT_VARIANTS, PipelineOptions, PipelineResult, generate
from timetabling.engine.pipeline.part_jobs import Handoff, placed_from_json
from timetabling.engine.pipeline.run import resume
from timetabling.engine.priorities import parse_weights
from timetabling.service.contract import event_json, lower_bound_of
from timetabling.service.limits import DEFAULT_TIME_LIMIT_S


@dataclass
class JobSpec:
    job_id: str
    instance: dict[str, Any]  # the native JSON form of an engine Instance
    variants: tuple[str, ...] = DEFAULT_VARIANTS
    time_limit: float = DEFAULT_TIME_LIMIT_S
    workers: int = 0
    seed: int = 0
    meta: dict[str, Any] = field(default_factory=dict)
    # chosen priorities: variant name -> {criterion: weight}, validated by ``engine.priorities.SoftWeights``
    custom_weights: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_job(spec: JobSpec, on_event: Callable[[dict[str, Any]], None], cancel: CancelToken) -> dict[str, Any]:
    """Run the pipeline on the spec's instance; never raises: a failure is an outcome with a message."""
    started = time.perf_counter()
    try:
        instance = Instance.model_validate(spec.instance)
        result = generate(instance, options_of(spec, on_event, cancel))
    except Exception as err:  # the engine failed: report it, keep the service alive
        return failed_outcome(spec, err, time.perf_counter() - started)
    return outcome_of(spec, result, instance)


def options_of(spec: JobSpec, on_event: Callable[[dict[str, Any]], None], cancel: CancelToken) -> PipelineOptions:
    return PipelineOptions(
        variants=tuple(spec.variants), time_limit=spec.time_limit, workers=spec.workers, seed=spec.seed,
        progress=lambda e: on_event(event_json(e)), cancel=cancel,
        custom_weights={name: parse_weights(w).as_rules() for name, w in spec.custom_weights.items()},
    )


def failed_outcome(spec: JobSpec, err: Exception, seconds: float) -> dict[str, Any]:
    return {"job_id": spec.job_id, "status": "failed", "variants": [], "comparison": [],
            "generation_time": seconds, "message": f"{type(err).__name__}: {err}",
            "trace": traceback.format_exc(limit=5)}


def outcome_of(spec: JobSpec, result: PipelineResult, instance: Instance | None = None) -> dict[str, Any]:
    """The plain, JSON-able outcome of a pipeline result (a ``contract.JobOutcome``); with ``instance``, each
    variant carries the lower bound on its soft cost under its own weights."""
    variants = [
        {
            "name": v.name,
            "entries": [a.model_dump(mode="json") for a in v.solution.assignments],
            "score": round(v.score, 3),
            "metrics": {**v.metrics, "hard_violations": v.report.hard_total, "soft_cost": v.report.soft_cost},
            "bound": variant_bound(instance, v.rules),
        }
        for v in result.variants
    ]
    return {"job_id": spec.job_id, "status": result.status, "variants": variants,
            "comparison": result.comparison(), "generation_time": round(result.elapsed_s, 3),
            "message": result.message}


def variant_bound(instance: Instance | None, rules: Any) -> dict[str, Any] | None:
    """The lower bound on a variant's soft cost (``engine.bounds``) as the contract's JSON; None without the
    instance, or when computing it failed (a bound is a hint: it never fails a job)."""
    if instance is None:
        return None
    try:
        bound = lower_bound_of(lower_bound(instance, rules))
    except Exception:
        return None
    return bound.model_dump(mode="json") if bound is not None else None


def finish_job(spec: JobSpec, placed: dict[str, list[list[Any]]], unplaced: dict[str, str], stats: dict[str, Any],
               elapsed: float, percent: float, on_event: Callable[[dict[str, Any]], None],
               cancel: CancelToken) -> dict[str, Any]:
    """Stage 3 and the variants of a job whose stages 1-2 ran elsewhere (``elapsed`` seconds, up to
    ``percent``), on the merged stage-2 placements; never raises, as ``run_job``."""
    started = time.perf_counter()
    try:
        instance = Instance.model_validate(spec.instance)
        handoff = Handoff(placed_from_json(placed), dict(unplaced), dict(stats), elapsed, percent)
        result = resume(instance, options_of(spec, on_event, cancel), handoff)
    except Exception as err:
        return failed_outcome(spec, err, elapsed + time.perf_counter() - started)
    outcome = outcome_of(spec, result, instance)
    outcome["stats"] = result.stats
    return outcome

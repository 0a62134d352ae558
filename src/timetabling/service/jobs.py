"""One generation job as data, and the function that runs it with the engine's pipeline.

Runners move ``JobSpec`` to wherever the work happens and call ``run_job`` there; it returns a plain,
JSON-able outcome so that it crosses processes and machines unchanged."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from timetabling.engine.model import Instance
from timetabling.engine.pipeline import (
    DEFAULT_VARIANTS,
    CancelToken,
    Event,
    PipelineOptions,
    PipelineResult,
    generate,
)
from timetabling.engine.pipeline.decompose import Placed
from timetabling.engine.pipeline.resources import detect
from timetabling.engine.pipeline.run import Clock, RunState, finish, variant_names
from timetabling.engine.priorities import parse_weights


@dataclass
class JobSpec:
    job_id: str
    instance: dict[str, Any]  # the native JSON form of an engine Instance
    variants: tuple[str, ...] = DEFAULT_VARIANTS
    time_limit: float = 60.0
    workers: int = 0
    seed: int = 0
    meta: dict[str, Any] = field(default_factory=dict)
    # chosen priorities: variant name -> {criterion: weight}, validated by ``engine.priorities.SoftWeights``
    custom_weights: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def event_json(event: Event) -> dict[str, Any]:
    return {"stage": event.stage, "percent": event.percent, "message": event.message, "eta_s": event.eta_s,
            "objective": event.objective, "phase": event.phase, "variant": event.variant,
            "elapsed_s": event.elapsed_s}


def run_job(spec: JobSpec, on_event: Callable[[dict[str, Any]], None], cancel: CancelToken) -> dict[str, Any]:
    """Run the pipeline on the spec's instance; never raises: a failure is an outcome with a message."""
    started = time.perf_counter()
    try:
        instance = Instance.model_validate(spec.instance)
        result = generate(instance, options_of(spec, on_event, cancel))
    except Exception as err:  # the engine failed: report it, keep the service alive
        return failed_outcome(spec, err, time.perf_counter() - started)
    return outcome_of(spec, result)


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


def outcome_of(spec: JobSpec, result: PipelineResult) -> dict[str, Any]:
    """The plain, JSON-able outcome of a pipeline result."""
    variants = [
        {
            "name": v.name,
            "entries": [a.model_dump(mode="json") for a in v.solution.assignments],
            "score": round(v.score, 3),
            "metrics": {**v.metrics, "hard_violations": v.report.hard_total, "soft_cost": v.report.soft_cost},
        }
        for v in result.variants
    ]
    return {"job_id": spec.job_id, "status": result.status, "variants": variants,
            "comparison": result.comparison(), "generation_time": round(result.elapsed_s, 3),
            "message": result.message}


def placed_to_json(placed: Placed) -> dict[str, list[list[Any]]]:
    return {c: [[t, room] for t, room in items] for c, items in placed.items()}


def placed_from_json(data: dict[str, list[list[Any]]]) -> Placed:
    return {c: [(int(t), room) for t, room in items] for c, items in data.items()}


def finish_job(spec: JobSpec, placed: dict[str, list[list[Any]]], unplaced: dict[str, str], stats: dict[str, Any],
               elapsed: float, percent: float, on_event: Callable[[dict[str, Any]], None],
               cancel: CancelToken) -> dict[str, Any]:
    """Stage 3 and the variants of a job whose stages 1-2 ran elsewhere (``elapsed`` seconds, up to
    ``percent``), on the merged stage-2 placements; never raises, as ``run_job``."""
    started = time.perf_counter()
    try:
        instance = Instance.model_validate(spec.instance)
        options = options_of(spec, on_event, cancel)
        state = RunState(variant_names(instance, options), Clock(options, elapsed, percent), dict(stats),
                         detect(options.workers))
        result = finish(instance, options, state, placed_from_json(placed), dict(unplaced))
    except Exception as err:
        return failed_outcome(spec, err, elapsed + time.perf_counter() - started)
    outcome = outcome_of(spec, result)
    outcome["stats"] = result.stats
    return outcome

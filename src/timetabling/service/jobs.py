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
from timetabling.engine.pipeline import DEFAULT_VARIANTS, CancelToken, Event, PipelineOptions, generate


@dataclass
class JobSpec:
    job_id: str
    instance: dict[str, Any]  # the native JSON form of an engine Instance
    variants: tuple[str, ...] = DEFAULT_VARIANTS
    time_limit: float = 60.0
    workers: int = 0
    seed: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def event_json(event: Event) -> dict[str, Any]:
    return {"stage": event.stage, "percent": event.percent, "message": event.message, "eta_s": event.eta_s}


def run_job(spec: JobSpec, on_event: Callable[[dict[str, Any]], None], cancel: CancelToken) -> dict[str, Any]:
    """Run the pipeline on the spec's instance; never raises: a failure is an outcome with a message."""
    started = time.perf_counter()
    try:
        instance = Instance.model_validate(spec.instance)
        options = PipelineOptions(
            variants=tuple(spec.variants), time_limit=spec.time_limit, workers=spec.workers, seed=spec.seed,
            progress=lambda e: on_event(event_json(e)), cancel=cancel,
        )
        result = generate(instance, options)
    except Exception as err:  # the engine failed: report it, keep the service alive
        return {"job_id": spec.job_id, "status": "failed", "variants": [], "comparison": [],
                "generation_time": time.perf_counter() - started, "message": f"{type(err).__name__}: {err}",
                "trace": traceback.format_exc(limit=5)}
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

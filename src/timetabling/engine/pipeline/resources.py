"""What this machine offers the pipeline: CPU cores, a CUDA GPU (only looked for when torch is installed),
Celery workers (only reported: a broker is configured). The pool size follows from the cores."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import asdict, dataclass

BROKER_VARIABLES = ("CELERY_BROKER_URL", "TIMETABLE_BROKER_URL", "REDIS_URL")


@dataclass(frozen=True)
class Resources:
    cpu_cores: int
    gpu: str | None  # name of a CUDA device, when torch is installed and sees one
    celery_broker: str | None  # the variable naming a broker, when one is set (workers are not probed)
    pool_workers: int  # processes the pipeline uses for parts solved side by side

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def cpu_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def cuda_gpu() -> str | None:
    if importlib.util.find_spec("torch") is None:
        return None
    try:
        import torch  # type: ignore[import-not-found]

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception:  # a broken torch install is no reason to fail a timetable
        return None


def celery_broker() -> str | None:
    return next((v for v in BROKER_VARIABLES if os.environ.get(v)), None)


def detect(requested_workers: int = 0) -> Resources:
    """``requested_workers`` > 0 caps the pool; 0 uses every core."""
    cores = cpu_cores()
    workers = min(cores, requested_workers) if requested_workers > 0 else cores
    return Resources(cpu_cores=cores, gpu=cuda_gpu(), celery_broker=celery_broker(), pool_workers=max(1, workers))

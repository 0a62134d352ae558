"""Engine service settings from the environment (shared with the web backend where they must agree)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from timetabling.service.signing import DEVELOPMENT_SECRET

DEFAULT_CALLBACK = "http://127.0.0.1:8000/api/academics/timetable/fastapi_callback/"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


@dataclass
class ServiceSettings:
    callback_url: str | None = DEFAULT_CALLBACK  # None: nobody to tell (a client polls /api/variants)
    shared_secret: str = DEVELOPMENT_SECRET
    runner: str = "process"  # process | thread
    max_jobs: int = 2  # jobs solved at once; more wait in the queue
    solver_workers: int = 0  # CP-SAT workers per job; 0 = every core
    progress_interval_s: float = 1.0  # at most one progress callback per job per interval
    callback_retries: int = 5
    development: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> ServiceSettings:
        development = _bool("DJANGO_DEBUG", True)
        secret = os.environ.get("TIMETABLE_ENGINE_SECRET", DEVELOPMENT_SECRET)
        if not development and secret == DEVELOPMENT_SECRET:
            raise RuntimeError("TIMETABLE_ENGINE_SECRET must be set when DJANGO_DEBUG is off")
        return cls(
            callback_url=os.environ.get("TIMETABLE_CALLBACK_URL", DEFAULT_CALLBACK) or None,
            shared_secret=secret,
            runner=os.environ.get("TIMETABLE_ENGINE_RUNNER", "process"),
            max_jobs=int(os.environ.get("TIMETABLE_ENGINE_MAX_JOBS", "2")),
            solver_workers=int(os.environ.get("TIMETABLE_ENGINE_WORKERS", "0")),
            development=development,
        )

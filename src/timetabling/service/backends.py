"""Which runner, progress bus and result store the engine service uses, chosen by configuration.

- ``TIMETABLE_ENGINE_RUNNER``: ``process`` (default), ``thread`` or ``celery`` (workers started with
  ``timetable worker``; broker and backend from ``TIMETABLE_BROKER_URL`` / ``REDIS_URL``);
- ``TIMETABLE_PROGRESS_BUS``: ``memory`` or ``redis``; by default ``redis`` with the Celery runner (so that
  every service instance sees every job) and ``memory`` otherwise;
- ``TIMETABLE_REDIS_URL`` or ``REDIS_URL``, and ``TIMETABLE_REDIS_PREFIX`` for the keys.

With nothing set, nothing outside the service process is needed (the embedded default).
"""

from __future__ import annotations

import os

from timetabling.service.bus import DAY_S, InMemoryProgressBus, InMemoryResultStore, ProgressBus, ResultStore
from timetabling.service.runner import Runner
from timetabling.service.runner import make_runner as make_local_runner

RUNNERS = ("process", "thread", "celery")
BUSES = ("memory", "redis")


def redis_url() -> str:
    from timetabling.service.redis_bus import DEFAULT_REDIS_URL

    return os.environ.get("TIMETABLE_REDIS_URL") or os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL


def redis_prefix() -> str:
    from timetabling.service.redis_bus import DEFAULT_PREFIX

    return os.environ.get("TIMETABLE_REDIS_PREFIX", DEFAULT_PREFIX)


def bus_kind() -> str:
    default = "redis" if os.environ.get("TIMETABLE_ENGINE_RUNNER") == "celery" else "memory"
    kind = os.environ.get("TIMETABLE_PROGRESS_BUS", default)
    if kind not in BUSES:
        raise ValueError(f"TIMETABLE_PROGRESS_BUS must be one of {', '.join(BUSES)}, not '{kind}'")
    return kind


def make_runner(kind: str, max_jobs: int) -> Runner:
    """A local runner, or the Celery runner (imported only when chosen: the default needs no Celery)."""
    if kind == "celery":
        from timetabling.service.celery_runner import CeleryRunner

        return CeleryRunner()
    if kind not in RUNNERS:
        raise ValueError(f"unknown runner '{kind}' (known: {', '.join(RUNNERS)})")
    return make_local_runner(kind, max_jobs)


def make_bus(ttl_s: float = DAY_S) -> ProgressBus:
    """``ttl_s``: how long a finished job's last message is kept."""
    if bus_kind() == "redis":
        from timetabling.service.redis_bus import RedisProgressBus

        return RedisProgressBus(redis_url(), redis_prefix(), ttl_s=int(ttl_s))
    return InMemoryProgressBus(ttl_s)


def make_result_store(ttl_s: float = DAY_S) -> ResultStore:
    """``ttl_s``: how long a finished job's result is kept."""
    if bus_kind() == "redis":
        from timetabling.service.redis_bus import RedisResultStore

        return RedisResultStore(redis_url(), redis_prefix(), ttl_s=int(ttl_s))
    return InMemoryResultStore(ttl_s)

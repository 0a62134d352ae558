"""Choosing the runner, bus and result store by configuration; the embedded default needs no service."""

from __future__ import annotations

import pytest

from timetabling.cli import build_parser
from timetabling.service import backends
from timetabling.service.bus import InMemoryProgressBus, InMemoryResultStore
from timetabling.service.runner import ProcessRunner, ThreadRunner

ENV = ("TIMETABLE_ENGINE_RUNNER", "TIMETABLE_PROGRESS_BUS", "TIMETABLE_REDIS_URL", "REDIS_URL",
       "TIMETABLE_REDIS_PREFIX", "TIMETABLE_CELERY_SPLIT")


@pytest.fixture
def clean_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_default_is_in_memory_and_local(clean_env) -> None:
    assert isinstance(backends.make_bus(), InMemoryProgressBus)
    assert isinstance(backends.make_result_store(), InMemoryResultStore)
    assert isinstance(backends.make_runner("process", 1), ProcessRunner)
    runner = backends.make_runner("thread", 1)
    assert isinstance(runner, ThreadRunner)
    runner.shutdown()


def test_the_celery_runner_brings_the_redis_bus_unless_told_otherwise(clean_env) -> None:
    from timetabling.service.celery_runner import CeleryRunner
    from timetabling.service.redis_bus import RedisProgressBus, RedisResultStore

    clean_env.setenv("TIMETABLE_ENGINE_RUNNER", "celery")
    clean_env.setenv("REDIS_URL", "redis://127.0.0.1:6399/3")
    clean_env.setenv("TIMETABLE_REDIS_PREFIX", "uni:")
    bus = backends.make_bus()
    assert isinstance(bus, RedisProgressBus) and bus.url == "redis://127.0.0.1:6399/3" and bus.prefix == "uni:"
    assert isinstance(backends.make_result_store(), RedisResultStore)
    runner = backends.make_runner("celery", 1)  # no connection is made until a job is submitted
    assert isinstance(runner, CeleryRunner)
    assert runner.settings.broker_url == "redis://127.0.0.1:6399/3" and runner.settings.queue == "timetable"
    clean_env.setenv("TIMETABLE_PROGRESS_BUS", "memory")
    assert isinstance(backends.make_bus(), InMemoryProgressBus)


def test_unknown_names_are_refused(clean_env) -> None:
    from timetabling.service.celery_app import DistributedSettings

    clean_env.setenv("TIMETABLE_PROGRESS_BUS", "kafka")
    with pytest.raises(ValueError, match="TIMETABLE_PROGRESS_BUS"):
        backends.make_bus()
    with pytest.raises(ValueError, match="unknown runner 'dask'"):
        backends.make_runner("dask", 1)
    clean_env.setenv("TIMETABLE_CELERY_SPLIT", "tasks")
    with pytest.raises(ValueError, match="TIMETABLE_CELERY_SPLIT"):
        DistributedSettings.from_env()
    clean_env.setenv("TIMETABLE_CELERY_SPLIT", "parts")
    clean_env.setenv("TIMETABLE_CELERY_PART_SLOTS", "4")
    assert (DistributedSettings.from_env().split, DistributedSettings.from_env().part_slots) == ("parts", 4)


def test_retries_back_off_exponentially_up_to_a_cap() -> None:
    from timetabling.service.celery_app import DistributedSettings

    s = DistributedSettings(retry_backoff_s=2.0, retry_backoff_max_s=10.0)
    assert [s.backoff(n) for n in range(5)] == [2.0, 4.0, 8.0, 10.0, 10.0]
    assert s.time_limits(60.0) == (120.0, 150.0)
    assert DistributedSettings(max_task_s=100.0).time_limits(60.0) == (100.0, 130.0)


def test_the_worker_command_is_registered() -> None:
    args = build_parser().parse_args(["worker", "--concurrency", "2", "--queue", "q"])
    assert (args.command, args.concurrency, args.queue) == ("worker", 2, "q")


def test_merging_variant_outcomes_keeps_task_order_and_the_worst_status() -> None:
    from timetabling.service.celery_app import merge_outcomes

    entry = {"course": "C1", "session": 0, "day": 0, "period": 0, "room": "R1"}
    moved = {**entry, "day": 1}
    outcomes = [
        {"status": "completed", "variants": [{"name": "A", "entries": [entry]}], "comparison": [{"name": "A"}],
         "generation_time": 2.0, "part": "A"},
        {"status": "cancelled", "variants": [{"name": "B", "entries": [moved]}], "comparison": [{"name": "B"}],
         "generation_time": 3.0, "part": "B", "message": "stopped"},
    ]
    merged = merge_outcomes("j", outcomes)
    assert merged["status"] == "cancelled" and merged["generation_time"] == 3.0
    assert [v["name"] for v in merged["variants"]] == ["A", "B"]
    assert [r["differs_from_first_pct"] for r in merged["comparison"]] == [0.0, 100.0]
    assert merged["message"] == "B: stopped"

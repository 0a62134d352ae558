"""A job split into its stage-2 parts (``TIMETABLE_CELERY_SPLIT=parts``), through real worker processes: each
part of each wave a ``solve_part`` task, then one ``finish_parts`` task (stage 3 and the variants)."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
import redis

from timetabling.engine.model import Instance
from timetabling.engine.pipeline.clustering import cluster

from .conftest import Distributed
from .helpers import celery_service, submit, wait_final, wait_for, zero_clash


def task_records(dist, job_id: str) -> dict[str, dict]:
    """What the workers wrote when each of the job's tasks started, by task id."""
    client = redis.Redis.from_url(dist.redis_url)
    prefix = f"{dist.prefix}running:"
    return {key.decode()[len(prefix):]: json.loads(client.get(key))
            for key in client.scan_iter(f"{prefix}{job_id}.*")}


def part_records(dist, job_id: str) -> dict[str, dict]:
    return {t: r for t, r in task_records(dist, job_id).items() if ".w" in t}


@pytest.fixture(scope="session")
def medium_university() -> dict:
    from timetabling.engine.generator import generate_university

    return generate_university("medium", seed=1).model_dump(mode="json")


@pytest.fixture(scope="session")
def small_university() -> dict:
    from timetabling.engine.generator import generate_university

    return generate_university("small", seed=1).model_dump(mode="json")


def test_a_job_split_into_part_tasks_completes_with_every_part_a_task_of_its_own(
        dist, start_worker, small_university, callback_recorder) -> None:
    start_worker("w1", concurrency=2)
    job = dist.job_id("parts")
    parts = cluster(Instance.model_validate(small_university)).parts
    assert len(parts) > 2  # several parts, in more than one wave
    with celery_service(dist, callback_recorder.url, split="parts") as client:
        submit(client, job, small_university, 10, ["Balanced", "Faculty-focused"])
        outcome = wait_final(client, job)
        assert outcome["status"] == "completed", outcome
        assert [v["name"] for v in outcome["variants"]] == ["Balanced", "Faculty-focused"]
        assert all(zero_clash(small_university, v["entries"]) for v in outcome["variants"])
        assert client.app.state.engine.callback.flush(30)
        assert client.app.state.engine.runner.active() == 0
    records = task_records(dist, job)
    by_part = part_records(dist, job)
    # one solve_part task per part (task ids <job>.<stem>.w<wave>.<n>), and one finish task
    assert sorted(r["part"] for r in by_part.values()) == sorted(p.name for p in parts)
    assert len({t.rsplit(".w", 1)[1].split(".")[0] for t in by_part}) > 1  # more than one wave
    assert [r["part"] for t, r in records.items() if t.endswith(".finish")] == ["finish"]
    assert all(r["job_id"] == job and r["retries"] == 0 for r in records.values())
    finals = callback_recorder.finals(job)
    assert len(finals) == 1 and finals[0]["status"] == "completed"
    progress = [p["progress"] for p in callback_recorder.received if p.get("job_id") == job and "progress" in p]
    assert progress and progress == sorted(progress)


def test_the_runner_reports_every_part_task_with_its_timing(dist, start_worker, small_university) -> None:
    import threading

    from timetabling.service.celery_runner import CeleryRunner
    from timetabling.service.jobs import JobSpec

    start_worker("w1")
    runner = CeleryRunner(dist.settings(split="parts"), poll_s=0.2)
    done = threading.Event()
    outcome: dict = {}
    events: list[dict] = []

    def on_done(o: dict) -> None:
        outcome.update(o)
        done.set()

    runner.submit(JobSpec(job_id=dist.job_id("timings"), instance=small_university, variants=("Balanced",),
                          time_limit=6, workers=1), events.append, on_done)
    assert done.wait(120)
    runner.shutdown()
    assert outcome["status"] == "completed", outcome
    parts = [t for t in outcome["tasks"] if t["part"] != "finish"]
    assert len(parts) == outcome["orchestration"]["parts"] == len(part_records(dist, dist.job_id("timings")))
    assert all(t["status"] in ("optimal", "feasible") and t["seconds"] >= 0 and "wave" in t for t in parts)
    assert len({t["task_id"] for t in parts}) == len(parts)
    assert outcome["tasks"][-1]["part"] == "finish"
    assert any("solving on" in e["message"] for e in events)  # the part tasks' own events, relayed
    # the instance and the wave states the part tasks read (sub-instances are built by the workers) are gone
    assert not list(redis.Redis.from_url(dist.redis_url).scan_iter(f"{dist.prefix}data:*"))
    percents = [e["percent"] for e in events]
    assert percents == sorted(percents) and percents[-1] == 100.0


def test_cancel_during_the_parts_revokes_them_and_marks_the_job_cancelled(dist, start_worker, medium_university,
                                                                           callback_recorder) -> None:
    start_worker("w1")
    job = dist.job_id("parts-cancel")
    n_parts = len(cluster(Instance.model_validate(medium_university)).parts)
    with celery_service(dist, callback_recorder.url, split="parts") as client:
        submit(client, job, medium_university, 60, ["Balanced"])
        wait_for(lambda: part_records(dist, job), 90, "the first part task to start", every_s=0.05)
        assert client.post(f"/api/cancel/{job}").status_code == 200
        outcome = wait_final(client, job, timeout_s=60)
        assert outcome["status"] == "cancelled", outcome
        assert "parts" in outcome["message"]
        assert client.app.state.engine.callback.flush(30)
        assert client.app.state.engine.runner.active() == 0
    records = task_records(dist, job)
    assert not any(t.endswith(".finish") for t in records)  # stage 3 and the variants never ran
    assert 0 < len(part_records(dist, job)) < n_parts  # the parts not started by then never ran
    assert [f["status"] for f in callback_recorder.finals(job)] == ["cancelled"]


@pytest.mark.slow
def test_a_part_task_whose_worker_process_is_killed_runs_again_and_the_job_completes_once(
        dist, start_worker, medium_university, callback_recorder) -> None:
    from celery.result import AsyncResult

    from timetabling.service.celery_app import make_celery

    app = make_celery(dist.settings())
    start_worker("w1")
    job = dist.job_id("parts-kill")
    killed: list[str] = []

    def kill_a_running_part() -> bool:
        """kill -9 of the pool process running a part task; True once one was killed mid-run and retried."""
        if any(r["retries"] >= 1 for r in part_records(dist, job).values()):
            return True
        for task_id, record in sorted(part_records(dist, job).items(), key=lambda x: -x[1]["started"]):
            if task_id not in killed and AsyncResult(task_id, app=app).state == "STARTED":
                killed.append(task_id)
                os.kill(record["pid"], signal.SIGKILL)
                break
        return False

    with celery_service(dist, callback_recorder.url, split="parts") as client:
        submit(client, job, medium_university, 30, ["Balanced"])
        wait_for(kill_a_running_part, 120, "a part task killed mid-run to run again", every_s=0.02)
        outcome = wait_final(client, job, timeout_s=180)
        assert client.app.state.engine.callback.flush(30)
    assert outcome["status"] == "completed", outcome
    assert all(zero_clash(medium_university, v["entries"]) for v in outcome["variants"])
    again = [r for r in part_records(dist, job).values() if r["retries"] >= 1]
    assert again and all(r["pid"] != 0 for r in again)
    assert len(callback_recorder.finals(job)) == 1


@pytest.mark.slow
def test_the_parts_ride_out_a_redis_restart(private_redis, start_worker, medium_university, callback_recorder,
                                            dist) -> None:
    # messages a worker held when its connection died come back after the (short, here) visibility timeout
    fast = {"TIMETABLE_VISIBILITY_TIMEOUT": "12", "TIMETABLE_UNACKED_RESTORE_INTERVAL": "1"}
    mine = Distributed(private_redis.url, dist.prefix, dist.queue, extra=fast)
    start_worker("w1", env=mine.env)
    job = mine.job_id("parts-restart")
    with celery_service(mine, callback_recorder.url, split="parts", visibility_timeout_s=12,
                        restore_interval_s=1) as client:
        submit(client, job, medium_university, 40, ["Balanced"])
        wait_for(lambda: len(part_records(mine, job)) >= 3, 90, "the parts to run", every_s=0.05)
        private_redis.stop()
        time.sleep(2)
        private_redis.start()
        outcome = wait_final(client, job, timeout_s=180)
        assert client.app.state.engine.callback.flush(30)
    assert outcome["status"] == "completed", outcome
    assert all(zero_clash(medium_university, v["entries"]) for v in outcome["variants"])
    assert len(callback_recorder.finals(job)) == 1

"""The lost-worker bookkeeping on real workers: a settled task's message that comes back is dropped without
running, and a job no worker holds is cancelled truthfully (the takeover itself: ``test_guide``)."""

from __future__ import annotations

import time

import redis

from .helpers import celery_service, running_task, submit, wait_final, wait_for


def test_a_settled_tasks_message_that_comes_back_is_dropped_without_running(dist, start_worker,
                                                                            tiny_university) -> None:
    from timetabling.service.celery_app import make_celery

    settings = dist.settings()
    client = redis.Redis.from_url(dist.redis_url)
    task_id = f"{dist.job_id('late')}.0000.job"
    client.set(settings.settled_key(task_id), "1", ex=600)  # its job was sent again under another id
    worker = start_worker("w1")
    app = make_celery(settings)
    spec = {"job_id": dist.job_id("late"), "instance": tiny_university, "variants": ["Balanced"], "time_limit": 3}
    app.send_task("timetabling.generate", args=(spec,), task_id=task_id, queue=dist.queue)
    wait_for(lambda: "is settled" in worker.log.read_text(), 60, "the worker to drop the message")
    time.sleep(1.0)
    assert running_task(dist, dist.job_id("late")) is None  # it never started the job
    assert app.backend.get_task_meta(task_id)["status"] != "SUCCESS"  # and stored no result
    assert client.llen(dist.queue) == 0  # acknowledged: it does not come back again


def test_cancelling_a_job_no_worker_holds_says_so(dist, tiny_university) -> None:
    job = dist.job_id("nobody")
    with celery_service(dist) as client:  # no worker at all: the job stays queued
        submit(client, job, tiny_university, 5, ["Balanced"])
        assert client.post(f"/api/cancel/{job}").status_code == 200
        outcome = wait_final(client, job, timeout_s=60)
    assert outcome["status"] == "cancelled"
    assert "no worker was running the job" in outcome["message"], outcome

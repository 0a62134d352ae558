"""Redis restarted in the middle of a job (a private redis-server on its own port, never the shared one)."""

from __future__ import annotations

import time

import pytest

from .conftest import Distributed
from .helpers import celery_service, submit, wait_final, wait_for


@pytest.mark.slow
def test_progress_resumes_and_the_job_completes_after_redis_restarts(private_redis, start_worker, tiny_university,
                                                                      callback_recorder, dist) -> None:
    mine = Distributed(private_redis.url, dist.prefix, dist.queue)
    start_worker("w1", env=mine.env)
    job = mine.job_id("restart")
    with celery_service(mine, callback_recorder.url) as client:
        submit(client, job, tiny_university, 12, ["Balanced", "Faculty-focused"])
        wait_for(lambda: client.get(f"/api/variants/{job}").json()["status"] == "running", 60, "progress")
        private_redis.stop()
        time.sleep(2)
        private_redis.start()
        restarted = time.time()
        outcome = wait_final(client, job, timeout_s=150)
        assert client.app.state.engine.callback.flush(30)
    assert outcome["status"] == "completed", outcome
    assert len(outcome["variants"]) == 2
    after = [p for p in callback_recorder.received
             if p.get("job_id") == job and p.get("status") == "running" and p["_received"] > restarted]
    assert after, "progress resumed after the restart"
    assert len(callback_recorder.finals(job)) == 1

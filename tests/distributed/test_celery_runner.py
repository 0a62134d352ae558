"""Generation through real Celery worker processes: end to end, cancel, a split job (a killed worker:
``test_django_callback``)."""

from __future__ import annotations

import os

import pytest

from .helpers import celery_service, running_task, submit, wait_final, wait_for, zero_clash


def test_a_generation_runs_through_a_celery_worker_end_to_end(dist, start_worker, tiny_university,
                                                              callback_recorder) -> None:
    start_worker("w1")
    job = dist.job_id("e2e")
    with celery_service(dist, callback_recorder.url) as client:
        submit(client, job, tiny_university, 3, ["Balanced", "Faculty-focused"])
        outcome = wait_final(client, job)
        assert outcome["status"] == "completed", outcome
        assert [v["name"] for v in outcome["variants"]] == ["Balanced", "Faculty-focused"]
        assert all(zero_clash(tiny_university, v["entries"]) for v in outcome["variants"])
        assert client.get("/health").json()["redis"] == "ok"
        assert client.get("/health").json()["resources"]["runner"] == "celery"
        assert client.app.state.engine.callback.flush(30)
    finals = callback_recorder.finals(job)
    assert len(finals) == 1 and finals[0]["status"] == "completed"
    progress = [p["progress"] for p in callback_recorder.received if p.get("job_id") == job and "progress" in p]
    assert progress and progress == sorted(progress)


def test_cancel_stops_the_running_task_and_marks_the_job_cancelled(dist, start_worker, tiny_university,
                                                                  callback_recorder) -> None:
    start_worker("w1")
    job = dist.job_id("cancel")
    with celery_service(dist, callback_recorder.url) as client:
        submit(client, job, tiny_university, 60, ["Balanced", "Faculty-focused", "Student-focused"])
        wait_for(lambda: client.get(f"/api/variants/{job}").json()["status"] == "running", 60, "progress")
        response = client.post(f"/api/cancel/{job}")
        assert response.status_code == 200 and response.json()["status"] == "cancelling"
        outcome = wait_final(client, job, timeout_s=60)
        assert outcome["status"] == "cancelled"
        assert client.get(f"/api/variants/{job}").json()["status"] == "cancelled"
        assert client.post(f"/api/cancel/{job}").status_code == 409
        assert client.app.state.engine.callback.flush(30)
        assert client.app.state.engine.runner.active() == 0
    finals = callback_recorder.finals(job)
    assert [f["status"] for f in finals] == ["cancelled"]


def test_a_job_cancelled_while_queued_never_runs(dist, start_worker, tiny_university) -> None:
    start_worker("w1")
    busy, queued = dist.job_id("busy"), dist.job_id("queued")
    with celery_service(dist) as client:
        submit(client, busy, tiny_university, 4, ["Balanced"])
        wait_for(lambda: running_task(dist, busy), 60, "the first job to start")
        submit(client, queued, tiny_university, 4, ["Balanced"])  # the only worker slot is taken
        assert client.post(f"/api/cancel/{queued}").status_code == 200
        outcome = wait_final(client, queued)
        assert outcome["status"] == "cancelled", outcome
        assert wait_final(client, busy)["status"] == "completed"
    assert running_task(dist, queued) is None


def test_a_task_past_its_time_limit_fails_the_job_with_the_reason(dist, start_worker, tiny_university) -> None:
    start_worker("w1")
    job = dist.job_id("limit")
    with celery_service(dist, max_task_s=2.0) as client:  # the job asks for 30 s; the task may take 2
        submit(client, job, tiny_university, 30, ["Balanced", "Faculty-focused"])
        outcome = wait_final(client, job)
    assert outcome["status"] == "failed"
    assert "TimeLimit" in outcome["message"]


@pytest.mark.slow
def test_a_job_split_per_variant_runs_as_a_chord_on_two_workers(dist, start_worker, tiny_university) -> None:
    start_worker("w1")
    start_worker("w2")
    job = dist.job_id("chord")
    with celery_service(dist, split="variants") as client:
        submit(client, job, tiny_university, 3, ["Balanced", "Faculty-focused", "Compactness-focused"])
        outcome = wait_final(client, job)
    assert outcome["status"] == "completed", outcome
    assert [v["name"] for v in outcome["variants"]] == ["Balanced", "Faculty-focused", "Compactness-focused"]
    assert [row["name"] for row in outcome["comparison"]] == [v["name"] for v in outcome["variants"]]
    assert outcome["comparison"][0]["differs_from_first_pct"] == 0.0
    assert all(zero_clash(tiny_university, v["entries"]) for v in outcome["variants"])


@pytest.mark.slow
def test_a_whole_worker_killed_mid_job_gives_the_job_to_another_worker(dist, start_worker, tiny_university,
                                                                       callback_recorder) -> None:
    # the broker gives a message held by a vanished worker back after the visibility timeout (short here)
    fast_restore = {"TIMETABLE_VISIBILITY_TIMEOUT": "12", "TIMETABLE_UNACKED_RESTORE_INTERVAL": "1"}
    workers = [start_worker("w1", env=fast_restore), start_worker("w2", env=fast_restore)]
    job = dist.job_id("whole-worker")
    with celery_service(dist, callback_recorder.url) as client:
        submit(client, job, tiny_university, 4, ["Balanced"])
        first = wait_for(lambda: running_task(dist, job), 60, "the task to start")
        holder = next(w for w in workers if os.getpgid(first["pid"]) == w.proc.pid)
        holder.stop()  # kill -9 of the worker and its pool: nothing of it is left to give the job back
        outcome = wait_final(client, job, timeout_s=150)
        assert client.app.state.engine.callback.flush(30)
    assert outcome["status"] == "completed", outcome
    assert all(zero_clash(tiny_university, v["entries"]) for v in outcome["variants"])
    again = running_task(dist, job)
    assert again["retries"] == 1 and os.getpgid(again["pid"]) != holder.proc.pid
    assert len(callback_recorder.finals(job)) == 1

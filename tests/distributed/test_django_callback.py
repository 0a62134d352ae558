"""The whole flow's storage end: a job whose Celery worker is killed mid-run is stored in Django once.

The engine service follows the job through a real worker, calls the web backend's real callback (a live Django
server on the test database: SQLite, or PostgreSQL with ``DATABASE_URL``), and the final result is stored as one
set of timetables even though the job ran twice and the result is then delivered a second time."""

from __future__ import annotations

import os
import signal

import pytest

import tests.web.support  # noqa: F401  (configures Django, as for the web tests)

from .helpers import celery_service, running_task, submit, wait_final, wait_for, zero_clash

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_job_whose_worker_was_killed_is_stored_once_by_the_web_backend(dist, start_worker, live_server) -> None:
    from tests.web.support import CALLBACK_URL, make_organization
    from timetabling.web.academics.instance import build_instance
    from timetabling.web.scheduling.models import GenerationJob, JobStatus, Timetable, TimetableSlot

    org = make_organization("killed-worker")
    job = GenerationJob.objects.create(organization=org, academic_year="2026-27", semester=1)
    job_id = str(job.pk)
    instance = build_instance(org).model_dump(mode="json")  # as the web backend submits it
    start_worker("w1")
    with celery_service(dist, f"{live_server.url}{CALLBACK_URL}") as client:
        submit(client, job_id, instance, 6, ["Balanced", "Faculty-focused"])
        first = wait_for(lambda: running_task(dist, job_id), 60, "the task to start")
        wait_for(lambda: client.get(f"/api/variants/{job_id}").json()["status"] == "running", 60, "progress")
        os.kill(first["pid"], signal.SIGKILL)
        outcome = wait_final(client, job_id, timeout_s=150)
        callback = client.app.state.engine.callback
        assert callback.flush(60)
        assert outcome["status"] == "completed", outcome
        again = running_task(dist, job_id)
        assert again["retries"] == 1 and again["pid"] != first["pid"]  # run again, as retry 1, by a new process
        assert all(zero_clash(instance, v["entries"]) for v in outcome["variants"])
        job.refresh_from_db()
        assert job.status == JobStatus.COMPLETED and job.progress == 100
        timetables = Timetable.objects.filter(generation_job=job)
        assert sorted(t.name for t in timetables) == ["Balanced", "Faculty-focused"]
        slots = TimetableSlot.objects.filter(timetable__generation_job=job).count()
        assert slots > 0
        # the engine delivers the same result again (as after a lost response): nothing more is stored
        assert len(callback.delivered) == 1
        callback.final(dict(callback.delivered[0]))
        assert callback.flush(60)
        assert len(callback.delivered) == 2
    assert Timetable.objects.filter(generation_job=job).count() == 2
    assert TimetableSlot.objects.filter(timetable__generation_job=job).count() == slots

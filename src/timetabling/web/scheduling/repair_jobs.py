"""Repair as a background job with live progress, like a generation: a ``GenerationJob`` whose metadata says
``mode: "repair"`` and names the version it repairs. The job runs in a thread of the web process (the engine's
repair is one short call, seconds at the reference scale, with no pipeline to distribute); its progress goes to
the job row, which the status page polls. The result is a draft of the version, with its diff, for approval."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as StillRunning
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from timetabling.web.academics.grid import organization_grid
from timetabling.web.scheduling import repairs, services, submission
from timetabling.web.scheduling.errors import Refused
from timetabling.web.scheduling.models import ACTIVE_STATUSES, FINAL_STATUSES, GenerationJob, JobStatus, Timetable

log = logging.getLogger(__name__)
MODE = "repair"
TIME_LIMIT = 10.0  # the engine's repair budget, seconds: the target for the reference scale
TICK = 1.0  # seconds between two progress reports while the engine works


def is_repair(job: GenerationJob) -> bool:
    return job.metadata.get("mode") == MODE


def start_repair(source: Timetable, user: Any, time_limit: float = TIME_LIMIT) -> GenerationJob:
    """A repair job of ``source``, started once the job row is committed; 429 when the organization already
    runs its most jobs at once."""
    org = source.organization
    parent_job = source.generation_job
    with transaction.atomic():
        type(org).objects.select_for_update().get(pk=org.pk)
        services.expire_stale_jobs(org)
        running = GenerationJob.objects.filter(organization=org, status__in=ACTIVE_STATUSES).count()
        if running >= settings.MAX_CONCURRENT_JOBS:
            raise Refused(429, f"your organization already runs {running} job(s), the most allowed at once is "
                           f"{settings.MAX_CONCURRENT_JOBS}; wait for one to finish or cancel it", field=None,
                           running_jobs=running)
        job = GenerationJob.objects.create(
            organization=org, academic_year=source.academic_year, semester=source.semester,
            created_by=user if getattr(user, "is_authenticated", False) else None,
            metadata={"mode": MODE, "source_timetable": source.pk, "time_limit": time_limit, "variants": [],
                      "department_ids": (parent_job.metadata.get("department_ids") or []) if parent_job else [],
                      "batch_ids": (parent_job.metadata.get("batch_ids") or []) if parent_job else [],
                      "grid": _grid_of(source), "phase": "queued"},
        )
        transaction.on_commit(lambda: launch(job.pk))
    return job


def _grid_of(source: Timetable) -> dict[str, Any]:
    """The grid the version was made on (kept with its job), else the organization's current one."""
    job = source.generation_job
    if job is not None and "grid" in job.metadata:
        return job.metadata["grid"]
    return organization_grid(source.organization).model_dump(mode="json")


def launch(job_id: Any) -> None:
    """Run the job in a daemon thread of this process (the tests replace this with a direct call)."""
    threading.Thread(target=_in_thread, args=(job_id,), name=f"repair-{job_id}", daemon=True).start()


def _in_thread(job_id: Any) -> None:
    try:
        run_repair(job_id)
    except Exception:  # a thread's exception would be lost: the job says it failed
        log.exception("repair job %s", job_id)
        job = GenerationJob.objects.filter(pk=job_id).first()
        if job is not None and job.status not in FINAL_STATUSES:
            submission.finish_without_result(job, JobStatus.FAILED, "the repair stopped on an internal error")
    finally:
        close_old_connections()


def run_repair(job_id: Any) -> GenerationJob:
    """Repair the job's version: read the data here, run the engine in a worker thread while the progress is
    reported, then store the draft; a refused repair (bad data, impossible locks) fails the job with the reason."""
    job = GenerationJob.objects.select_related("organization").get(pk=job_id)
    limit = float(job.metadata.get("time_limit") or TIME_LIMIT)
    source = Timetable.objects.select_related("organization", "generation_job").filter(
        pk=job.metadata.get("source_timetable"), organization=job.organization).first()
    if source is None:
        submission.finish_without_result(job, JobStatus.FAILED, "the timetable to repair no longer exists")
        return job
    services.record_progress(job, "running", 2, "reading today's data", limit + 2)
    started = time.monotonic()
    try:
        instance, previous, locks = repairs.prepare(source)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"repair-engine-{job.pk}") as pool:
            future = pool.submit(repairs.solve, source.pk, instance, previous, locks, limit)
            while True:
                try:
                    result = future.result(timeout=TICK)
                    break
                except StillRunning:
                    spent = time.monotonic() - started
                    if not services.record_progress(job, "running", 5 + 85 * min(1.0, spent / limit),
                                                    "repairing: the fewest moves", max(0.0, limit - spent)):
                        return GenerationJob.objects.get(pk=job.pk)  # cancelled: the result is not wanted
    except Refused as err:
        submission.finish_without_result(job, JobStatus.FAILED, err.message)
        return GenerationJob.objects.get(pk=job.pk)
    services.record_progress(job, "running", 95, "storing the draft", 1)
    return _finish(job, source, instance, result)


def _finish(job: GenerationJob, source: Timetable, instance: Any, result: Any) -> GenerationJob:
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().get(pk=job.pk)
        if job.status in FINAL_STATUSES:  # cancelled while the engine worked
            return job
        draft, changes = repairs.store(source, instance, result, job.created_by, job)
        job.status, job.progress, job.completed_at = JobStatus.COMPLETED, 100, timezone.now()
        job.metadata = {**job.metadata, "phase": JobStatus.COMPLETED, "eta_seconds": 0, "draft": draft.pk,
                        "repair": changes.get("summary", {})}
        job.save()
    from timetabling.web.notifications import events

    events.job_finished(job)  # who started it and the approvers are told; never raises
    return job

"""Handing a job to the engine service, and keeping it when the engine cannot take it yet.

A job the engine did not take (down, restarting, busy) is not failed: it stays queued with the phase
"waiting for the engine" and ``metadata["engine_wait"]`` (failures so far, when to try next, the last
error), and is offered again on the schedule of ``retry.py`` until the engine takes it or the retries are
spent. A refusal that retrying cannot change (a 4xx other than 408/409/425/429) fails the job at once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from pydantic import ValidationError

from timetabling.engine.model import Instance
from timetabling.service.contract import JobRequest
from timetabling.web.academics import models as am
from timetabling.web.academics.instance import UnusableData, build_instance
from timetabling.web.scheduling import priorities, retry
from timetabling.web.scheduling.engine_client import EngineUnavailable, engine_client
from timetabling.web.scheduling.models import GenerationJob, JobStatus

log = logging.getLogger(__name__)

NOT_NOW_CODES = (408, 425, 429)  # the engine answered "not now": offer the job again later
ALREADY_THERE = 409  # the engine has the job already (an earlier try got through): it is taken
CLAIM_S = 120  # a claimed job is not offered again by anyone else for this long (the submission's timeout)


def finish_without_result(job: GenerationJob, status: str, message: str, result_may_follow: bool = False) -> None:
    """End a job that got no result. ``result_may_follow``: the engine may still deliver one (it was only
    not heard of, or the service restarted), and ``store_result`` will then take it."""
    job.status, job.error_message, job.completed_at = status, message, timezone.now()
    metadata = {**job.metadata, "phase": status}
    metadata.pop("engine_wait", None)
    if result_may_follow:
        metadata["result_may_follow"] = True
    job.metadata = metadata
    job.save(update_fields=["status", "error_message", "completed_at", "metadata", "updated_at"])
    from timetabling.web.notifications import events

    events.job_finished(job)  # who started it is told; never raises


def engine_payload(job: GenerationJob, instance: Instance) -> dict[str, Any]:
    """The job as the contract's ``JobRequest``, in JSON; the instance is added after the check (it is large,
    and the engine service checks it as an ``Instance``)."""
    m = job.metadata
    department_ids = list(m.get("department_ids") or [])
    request = JobRequest(
        job_id=str(job.id), organization_id=job.organization_id,
        department_id=department_ids[0] if len(department_ids) == 1 else None,
        batch_ids=list(m.get("batch_ids") or []), semester=job.semester, academic_year=job.academic_year,
        **priorities.engine_fields(m), time_limit=float(m["time_limit"]), instance={},
    )
    # a chosen priority lists only the criteria given (the others keep their usual weights): no nulls
    return {**request.model_dump(mode="json", exclude_none=True), "instance": instance.model_dump(mode="json")}


def submit(job: GenerationJob, instance: Instance | None = None) -> bool:
    """Offer the job to the engine: True when the engine has it; False when it waits (again) or failed.
    Without ``instance`` it is built afresh from the organization's data (a job that waited)."""
    if instance is None:
        try:
            instance = build_instance(job.organization, job.metadata.get("department_ids") or [],
                                      job.metadata.get("batch_ids") or [])
        except UnusableData as err:
            finish_without_result(job, JobStatus.FAILED, "while the job waited for the engine, the academic data "
                                  f"became unusable: {'; '.join(err.problems[:5])}")
            return False
        job.metadata = {**job.metadata, "grid": instance.grid.model_dump(mode="json"),
                        "sessions": instance.n_sessions}
    try:
        payload = engine_payload(job, instance)
    except ValidationError as err:  # e.g. a variant TIMETABLE_VARIANTS names that the engine does not know
        first = err.errors()[0]
        finish_without_result(job, JobStatus.FAILED, f"the job cannot be sent to the engine: "
                              f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
        return False
    try:
        engine_client().submit(payload)
    except EngineUnavailable as err:
        if err.status == ALREADY_THERE:
            return _taken(job)
        if err.status is not None and 400 <= err.status < 500 and err.status not in NOT_NOW_CODES:
            finish_without_result(job, JobStatus.FAILED, refusal_reason(err))
            return False
        _wait(job, str(err))
        return False
    return _taken(job)


def refusal_reason(err: EngineUnavailable) -> str:
    """What a job failed by the engine's refusal says; a refused credential names the setting to fix."""
    if err.status in (401, 403) and "signature is wrong" in str(err):
        return ("the engine service refused the web backend's credential: the shared secret differs "
                f"(TIMETABLE_ENGINE_SECRET) ({err})")
    return f"the engine service refused the job: {err}"


def _taken(job: GenerationJob) -> bool:
    metadata = {**job.metadata, "phase": "queued"}
    metadata.pop("engine_wait", None)
    job.metadata = metadata
    job.save(update_fields=["metadata", "updated_at"])
    return True


def _wait(job: GenerationJob, error: str) -> None:
    """Count a failed submission; plan the next one, or fail the job when the retries are spent."""
    now = timezone.now()
    previous = job.metadata.get("engine_wait") or {}
    failures = int(previous.get("failures", 0)) + 1
    delay = retry.delay_after(failures)
    if delay is None:
        waited = (now - datetime.fromisoformat(previous["since"])).total_seconds() if "since" in previous else 0
        finish_without_result(
            job, JobStatus.FAILED, f"the engine service could not take the job after {failures} tries over "
            f"{waited / 60:.0f} min ({error}); start it again with Re-run once the engine service is back")
        return
    job.metadata = {**job.metadata, "phase": retry.WAITING_PHASE, "engine_wait": {
        "failures": failures, "since": previous.get("since", now.isoformat()),
        "next_at": (now + timedelta(seconds=delay)).isoformat(), "last_error": error[:500],
    }}
    job.save(update_fields=["metadata", "updated_at"])
    log.warning("job %s waits for the engine service (try %d failed: %s); next try in %.0f s", job.id, failures,
                error, delay)
    retry.retry_thread.ensure_running()


def is_waiting(job: GenerationJob) -> bool:
    return job.status == JobStatus.QUEUED and "engine_wait" in job.metadata


def _waiting(org: am.Organization | None = None) -> QuerySet[GenerationJob]:
    qs = GenerationJob.objects.filter(status=JobStatus.QUEUED, metadata__has_key="engine_wait")
    return qs if org is None else qs.filter(organization=org)


def _next_at(job: GenerationJob) -> datetime:
    return datetime.fromisoformat(job.metadata["engine_wait"]["next_at"])


def seconds_to_next_retry(org: am.Organization | None = None) -> float | None:
    """Seconds until the next waiting job is due (0 when one is overdue); None when no job waits."""
    times = [_next_at(job) for job in _waiting(org).only("metadata")]
    if not times:
        return None
    return max(0.0, (min(times) - timezone.now()).total_seconds())


def _claim(job: GenerationJob, now: datetime) -> bool:
    """Take the job for one submission, unless another process took it first (its row changed since we
    read it). The claim moves its next try out, so that nobody else offers it meanwhile."""
    wait = {**job.metadata["engine_wait"], "next_at": (now + timedelta(seconds=CLAIM_S)).isoformat()}
    claimed = GenerationJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED, updated_at=job.updated_at).update(
        metadata={**job.metadata, "engine_wait": wait}, updated_at=now)
    if claimed:
        job.refresh_from_db()
    return bool(claimed)


def retry_waiting_jobs(org: am.Organization | None = None) -> int:
    """Offer every due waiting job (of ``org``, or all) to the engine again; returns how many it took."""
    now = timezone.now()
    taken = 0
    for job in _waiting(org).select_related("organization"):
        if _next_at(job) > now or not _claim(job, now):
            continue
        failures = job.metadata["engine_wait"].get("failures", 0)
        if submit(job):
            taken += 1
            log.info("job %s: the engine service took it after %d failed tries", job.id, failures)
            _cancel_if_cancelled_meanwhile(job)
    return taken


def _cancel_if_cancelled_meanwhile(job: GenerationJob) -> None:
    job.refresh_from_db(fields=["status"])
    if job.status == JobStatus.CANCELLED:
        try:
            engine_client().cancel(str(job.id))
        except EngineUnavailable as err:
            log.warning("job %s was cancelled while it was submitted; the engine did not take the cancel: %s",
                        job.id, err)


def retry_due(org: am.Organization) -> None:
    """On a status read: offer the organization's due jobs now, and make sure the thread runs while some wait."""
    if seconds_to_next_retry(org) is None:
        return
    retry_waiting_jobs(org)
    retry.retry_thread.ensure_running()

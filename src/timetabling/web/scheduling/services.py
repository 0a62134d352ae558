"""The generation workflow: start a job, store what the engine sends back (once), approve or reject.

Views stay thin; every rule of the workflow lives here.

Longer than 400 lines on purpose: the whole workflow (start, store, approve, publish) reads as one story;
splitting it would scatter one transaction's rules.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from timetabling.engine.errors import InputError
from timetabling.engine.model import TimeGrid
from timetabling.service.contract import bound_text, lower_bound_of, time_limit_problem
from timetabling.web.academics import models as am
from timetabling.web.academics.instance import UnusableData, build_instance
from timetabling.web.notifications import events as notify
from timetabling.web.scheduling import refusals, reports, scope, submission, timings, versions
from timetabling.web.scheduling.engine_client import EngineUnavailable, engine_client
from timetabling.web.scheduling.errors import Refused
from timetabling.web.scheduling.models import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    GenerationJob,
    JobStatus,
    Timetable,
    TimetableSlot,
    TimetableStatus,
)

log = logging.getLogger(__name__)


def find_job(org: am.Organization, job_id: Any) -> GenerationJob | None:
    """The organization's job with this id; None for a malformed id, an unknown one or another's job."""
    try:
        key = uuid.UUID(str(job_id))
    except ValueError:
        return None
    return GenerationJob.objects.filter(pk=key, organization=org).first()


def expire_stale_jobs(org: am.Organization | None = None) -> int:
    """Fail the jobs the engine can no longer be working on: not heard of for twice their time limit plus
    five minutes (an engine restarted without them, a lost callback). They would hold a slot forever."""
    now = timezone.now()
    qs = GenerationJob.objects.filter(status__in=ACTIVE_STATUSES)
    if org is not None:
        qs = qs.filter(organization=org)
    expired = 0
    for job in qs.exclude(status=JobStatus.QUEUED, metadata__has_key="engine_wait"):  # waiting: retry's to end
        limit = float(job.metadata.get("time_limit") or settings.GENERATION_TIME_LIMIT)
        if (now - job.updated_at).total_seconds() > 2 * limit + 300:
            submission.finish_without_result(job, JobStatus.FAILED, "the engine service stopped reporting on this job",
                                   result_may_follow=True)
            expired += 1
    return expired


def fail_interrupted_jobs() -> int:
    """At the start of the embedded deployment no job can be running: mark the ones left over as failed (a
    result the engine finished before the restart still arrives from its outbox and is then stored). Jobs
    waiting for the engine never reached it: they keep waiting."""
    jobs = list(GenerationJob.objects.filter(status__in=ACTIVE_STATUSES).exclude(
        status=JobStatus.QUEUED, metadata__has_key="engine_wait"))
    for job in jobs:
        submission.finish_without_result(job, JobStatus.FAILED, "interrupted: the service was restarted",
                               result_may_follow=True)
    return len(jobs)


def start_generation(
    org: am.Organization,
    user: Any,
    academic_year: str,
    semester: int,
    department_ids: Iterable[int] = (),
    batch_ids: Iterable[int] = (),
    variants: Iterable[str] | None = None,
    time_limit: float | None = None,
    rerun_of: GenerationJob | None = None,
    priorities: dict[str, Any] | None = None,
) -> GenerationJob:
    """Create a job and hand its instance to the engine. Raises Refused 429 when the organization already
    runs ``MAX_CONCURRENT_JOBS`` jobs, 400 when there is nothing to schedule or the time limit is over
    ``MAX_TIME_LIMIT``. An engine that cannot take the job now leaves it queued, "waiting for the engine",
    and it is offered again later (``submission``); one that refuses it for good fails it."""
    department_ids, batch_ids = list(department_ids), list(batch_ids)
    variants = list(variants or settings.GENERATION_VARIANTS)
    time_limit = float(time_limit or settings.GENERATION_TIME_LIMIT)
    too_long = time_limit_problem(time_limit, settings.MAX_TIME_LIMIT)  # a job may not hold an engine slot for hours
    if too_long:
        raise Refused(400, too_long, field="time_limit")
    try:
        instance = build_instance(org, department_ids, batch_ids)
    except UnusableData as err:  # data the engine cannot use: name the records, never an "internal error"
        raise Refused(400, f"the academic data cannot be scheduled: {'; '.join(err.problems[:5])}"
                       + (f" (and {len(err.problems) - 5} more)" if len(err.problems) > 5 else ""),
                       field=err.field, problems=err.problems[:100]) from None
    if not instance.courses:
        raise Refused(400, "there are no courses to schedule for this selection", field="department_ids")
    fixed = 0
    if department_ids or batch_ids:  # the other departments' published sessions keep their rooms and people
        instance, fixed = scope.keep_others_fixed(instance, org, academic_year, semester)
    with transaction.atomic():
        am.Organization.objects.select_for_update().get(pk=org.pk)  # one job decision per organization at a time
        expire_stale_jobs(org)
        running = GenerationJob.objects.filter(organization=org, status__in=ACTIVE_STATUSES).count()
        limit = settings.MAX_CONCURRENT_JOBS
        if running >= limit:
            raise Refused(
                429, f"your organization already runs {running} generation job(s), the most allowed at once "
                f"is {limit}; wait for one to finish or cancel it", field=None, running_jobs=running,
            )
        job = GenerationJob.objects.create(
            organization=org, academic_year=academic_year, semester=semester,
            created_by=user if getattr(user, "is_authenticated", False) else None,
            metadata={
                "variants": variants, "time_limit": time_limit, "department_ids": department_ids,
                "batch_ids": batch_ids, "grid": instance.grid.model_dump(mode="json"),
                "sessions": instance.n_sessions, "phase": "queued", "fixed_sessions": fixed,
                **({"rerun_of": str(rerun_of.id)} if rerun_of is not None else {}),
                **({"priorities": priorities} if priorities else {}),  # from ``priorities.chosen``
            },
        )
    submission.submit(job, instance)
    return job


def rerun_generation(job: GenerationJob, user: Any) -> GenerationJob:
    """A new job with the finished job's parameters (academic year, semester, departments, batches, variants,
    time limit) on the organization's current data."""
    if job.status not in FINAL_STATUSES:
        raise Refused(409, f"the job is still {job.status}; cancel it or wait for it to finish", field="job_id")
    m = job.metadata
    if m.get("mode") == "repair":  # a repair again, of the same version, on today's data
        from timetabling.web.scheduling import repair_jobs

        source = Timetable.objects.filter(pk=m.get("source_timetable"), organization=job.organization).first()
        if source is None:
            raise Refused(409, "the timetable this job repaired no longer exists", field="job_id")
        return repair_jobs.start_repair(source, user, float(m.get("time_limit") or repair_jobs.TIME_LIMIT))
    return start_generation(job.organization, user, job.academic_year, job.semester, m.get("department_ids") or [],
                            m.get("batch_ids") or [], m.get("variants"), m.get("time_limit"), rerun_of=job,
                            priorities=m.get("priorities"))


def cancel_generation(job: GenerationJob) -> GenerationJob:
    if job.status in FINAL_STATUSES:
        raise Refused(409, f"the job is already {job.status}", field="job_id")
    if submission.is_waiting(job):  # the engine never took it: nothing to stop there
        submission.finish_without_result(job, JobStatus.CANCELLED, "cancelled while it waited for the engine service")
        return job
    if job.metadata.get("mode") == "repair":  # it runs here, not in the engine: its result will not be stored
        submission.finish_without_result(job, JobStatus.CANCELLED, "cancelled; the repair's result is not stored")
        return job
    try:
        engine_client().cancel(str(job.id))
    except EngineUnavailable as err:  # nothing runs it there any more (or never will): cancelled here
        log.warning("cancel of %s: %s", job.id, err)
        submission.finish_without_result(job, JobStatus.CANCELLED,
                                         f"cancelled; the engine service was not reachable ({err})")
        return job
    job.metadata = {**job.metadata, "cancel_requested": True}
    job.save(update_fields=["metadata", "updated_at"])
    return job


# ------------------------------------------------------------------------------- the engine's callback


CONVERGENCE_POINTS = 120  # per variant: a chart needs no more, and the job's metadata stays small
CONVERGENCE_VARIANTS = 12


def add_point(series: dict[str, list[list[float]]], point: tuple[str, float, float]) -> dict[str, list[list[float]]]:
    """The convergence series with ``(variant, seconds, soft cost)`` added; a long series keeps every other
    point of its older half, so that it stays bounded and still spans the whole run."""
    variant, seconds, cost = point
    if variant not in series and len(series) >= CONVERGENCE_VARIANTS:
        return series
    points = [*series.get(variant, []), [round(float(seconds), 2), float(cost)]]
    if len(points) > CONVERGENCE_POINTS:
        half = len(points) // 2
        points = points[:half:2] + points[half:]
    return {**series, variant: points}


def record_progress(job: GenerationJob, status: str, progress: float, phase: str, eta: float | None,
                    point: tuple[str, float, float] | None = None, elapsed: float | None = None,
                    objective: float | None = None, bound: Any = None) -> bool:
    """Progress never goes back and never changes a finished job; ``point``: (variant, seconds, soft cost) for
    the convergence chart; ``elapsed`` (seconds of the run, else since the job was created) and ``objective``
    time the phases and the first clash-free timetable (``timings``); with ``objective``, the status shows
    it against the lower bound ``bound`` (``contract.bound_text``). Returns whether anything changed."""
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().get(pk=job.pk)
        if job.status in FINAL_STATUSES:
            return False
        job.status = JobStatus.RUNNING if status == "running" else job.status
        job.progress = max(job.progress, min(99, int(progress)))
        job.metadata = {**refusals.clear(job.metadata), "phase": phase, "eta_seconds": eta}
        if status == "running":
            seconds = elapsed if elapsed is not None else (timezone.now() - job.created_at).total_seconds()
            job.metadata = timings.note_phase(job.metadata, phase, seconds, objective)
        if point is not None:
            job.metadata["convergence"] = add_point(job.metadata.get("convergence") or {}, point)
        if objective is not None:
            lower = lower_bound_of(bound)
            job.metadata["lower_bound"] = lower.model_dump(mode="json") if lower is not None else None
            job.metadata["cost_line"] = bound_text(objective, lower)
        job.save(update_fields=["status", "progress", "metadata", "updated_at"])
    return True


# a variant's slots go to the database as plain rows: at the reference scale (8,000 sessions, five variants) a
# model instance per row and the ORM's insert compiler took most of the callback's time
SLOT_COLUMNS = ("timetable_id", "day", "period", "start_time", "end_time", "course_id", "session", "faculty_id",
                "room_id", "batch_id")
Placement = tuple[str, int, int, int, str | None]  # course code, session, day, period, room code: as the checker reads


def variant_slot_rows(timetable_id: int, grid: TimeGrid, entries: list[dict[str, Any]], lookups: dict
               ) -> tuple[list[tuple[Any, ...]], list[Placement]]:
    """The variant's slot rows (``SLOT_COLUMNS``, one per faculty member and batch of each session) and its
    placements; 400 naming the entry for an unknown course or a slot outside the grid."""
    rows: list[tuple[Any, ...]] = []
    placed: list[Placement] = []
    starts = [connection.ops.adapt_timefield_value(p.start) for p in grid.periods]
    ends = [connection.ops.adapt_timefield_value(p.end) for p in grid.periods]
    for i, e in enumerate(entries):
        course = lookups["course"].get(e.get("course"))
        if course is None:
            raise Refused(400, f"unknown course '{e.get('course')}'", field=f"entries[{i}].course")
        course_id, length = course
        day, period = int(e.get("day", -1)), int(e.get("period", -1))
        last = period + length - 1
        if not (0 <= day < grid.n_days and period >= 0 and last < grid.n_periods):
            raise Refused(400, f"slot [{day}, {period}] is outside the grid", field=f"entries[{i}].day")
        room = lookups["room"].get(e.get("room")) if e.get("room") else None
        session = int(e.get("session", 0))
        placed.append((e["course"], session, day, period, e["room"] if room is not None else None))
        for f in lookups["course_faculty"].get(course_id) or (None,):
            for b in lookups["course_batches"].get(course_id) or (None,):
                rows.append((timetable_id, day, period, starts[period], ends[last], course_id, session, f, room, b))
    return rows, placed


def insert_slots(rows: list[tuple[Any, ...]], per_statement: int = 500) -> None:
    """PostgreSQL: one COPY; elsewhere many rows per INSERT statement."""
    table = connection.ops.quote_name(TimetableSlot._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in SLOT_COLUMNS)
    one = f"({', '.join(['%s'] * len(SLOT_COLUMNS))})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # binding 200,000 parameters costs seconds; COPY streams them
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        for first in range(0, len(rows), per_statement):
            chunk = rows[first:first + per_statement]
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))}",
                           [value for row in chunk for value in row])


def _links(rows: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    links: dict[int, list[int]] = {}
    for pk, other in rows:
        links.setdefault(pk, []).append(other)
    return links


def org_lookups(org: am.Organization) -> dict[str, dict]:
    """Course code -> (id, session length), room code -> id, course id -> its faculty ids and batch ids."""
    courses = am.Course.objects.filter(organization=org)
    return {
        "course": {code: (pk, length) for pk, code, length in courses.values_list("pk", "code", "session_length")},
        "room": dict(am.Room.objects.filter(organization=org).values_list("code", "pk")),
        "course_faculty": _links(am.Course.faculty.through.objects.filter(course__organization=org)
                                 .order_by("faculty__code").values_list("course_id", "faculty_id")),
        "course_batches": _links(am.Course.batches.through.objects.filter(course__organization=org)
                                 .order_by("batch__code").values_list("course_id", "batch_id")),
    }


def store_result(job: GenerationJob, status: str, variants: list[dict[str, Any]], generation_time: float | None,
                 message: str = "", comparison: list[dict[str, Any]] | None = None) -> bool:
    """Store one draft Timetable with its slots per variant and finish the job. Idempotent: a job that is
    already finished stores nothing more, except a job failed only because nothing was heard of it
    (``result_may_follow``), which takes the result that arrives late. Returns whether this call stored it.

    Each variant's checker report is computed once here, after the slots are committed, and kept with it."""
    stored: list[tuple[Timetable, list[Placement], int]] = []
    try:
        with transaction.atomic():
            job = GenerationJob.objects.select_for_update().get(pk=job.pk)
            late = job.status == JobStatus.FAILED and job.metadata.get("result_may_follow")
            if job.status in FINAL_STATUSES and not late:
                return False
            org = job.organization
            grid = TimeGrid.model_validate(job.metadata["grid"]) if "grid" in job.metadata else None
            if grid is None:
                from timetabling.web.academics.grid import organization_grid

                grid = organization_grid(org)
            lookups = org_lookups(org) if variants else {}
            for v in variants:
                timetable = Timetable.objects.create(
                    organization=org, name=str(v.get("name", "variant"))[:200], academic_year=job.academic_year,
                    semester=job.semester, generation_job=job, score=v.get("score"), metrics=v.get("metrics") or {},
                    scope=versions.scope_key(job.metadata.get("department_ids") or (),
                                             job.metadata.get("batch_ids") or ()),
                    created_by=job.created_by,
                )
                rows, placed = variant_slot_rows(timetable.pk, grid, list(v.get("entries") or []), lookups)
                insert_slots(rows)
                stored.append((timetable, placed, len(rows)))
            job.status = status
            job.progress = 100 if status == JobStatus.COMPLETED else job.progress
            job.completed_at = timezone.now()
            job.error_message = message if status != JobStatus.COMPLETED else ""
            job.metadata = {
                **job.metadata, "phase": status, "eta_seconds": 0, "generation_time": generation_time,
                "comparison": comparison or [],
                "bounds": {str(v.get("name")): v["bound"] for v in variants if v.get("bound")},
            }
            job.metadata.pop("result_may_follow", None)
            job.metadata.pop(refusals.NOTE, None)
            job.save()
    except IntegrityError:  # a parallel delivery of the same result won the race
        return False
    _store_reports(job, stored)
    notify.job_finished(job)  # who started it and the approvers are told; never raises
    return True


def _store_reports(job: GenerationJob, stored: list[tuple[Timetable, list[Placement], int]]) -> None:
    """The checker's report of each new variant, from its placements and one instance for the job."""
    if not stored:
        return
    try:
        instance = reports.job_instance(job.organization, job)
    except (InputError, ValueError):  # the data no longer builds an instance: each report says why
        instance = None
    for timetable, placed, slot_rows in stored:
        solution = reports.solution_from(placed, job.organization.slug)
        reports.compute(timetable, timetable.slots_version, instance, solution, slot_rows=slot_rows)


# ------------------------------------------------------------------------------------------ approval


def approve(job: GenerationJob, user: Any, action: str, comments: str, timetable_id: int | None) -> Timetable | None:
    """Approve: publish the chosen variant (the best scored when none is named) and archive the timetable
    published before it in the same scope. Reject: archive the job's drafts. Both record who decided and why."""
    if job.status != JobStatus.COMPLETED:
        raise Refused(409, f"only a completed job can be reviewed; this one is {job.status}", field="job_id")
    if job.metadata.get("review"):
        raise Refused(409, f"this job was already reviewed ({job.metadata['review']['action']})", field="job_id")
    drafts = Timetable.objects.filter(generation_job=job)
    if not drafts.exists():
        raise Refused(409, "the job produced no timetable", field="job_id")
    review = {
        "action": "rejected" if action == "reject" else "approved", "comments": comments,
        "by": getattr(user, "username", ""), "at": timezone.now().isoformat(),
    }
    try:
        with transaction.atomic():
            chosen = _decide(job, drafts, action, review, timetable_id)
    except IntegrityError:  # the database's one-published-timetable rule: another approval got in between
        raise Refused(409, "another timetable was published at the same moment; reload and try again",
                       field="job_id") from None
    job.refresh_from_db(fields=["metadata", "updated_at"])
    return chosen


def _decide(job: GenerationJob, drafts: Any, action: str, review: dict[str, Any],
            timetable_id: int | None) -> Timetable | None:
    """The decision itself, inside approve's transaction: one decision per organization at a time, and the
    published timetable is archived before the chosen one is published (the database allows one)."""
    am.Organization.objects.select_for_update().get(pk=job.organization_id)
    job = GenerationJob.objects.select_for_update().get(pk=job.pk)
    if job.metadata.get("review"):  # a parallel review of the same job finished first
        raise Refused(409, f"this job was already reviewed ({job.metadata['review']['action']})", field="job_id")
    if action == "reject":
        drafts.filter(status=TimetableStatus.DRAFT).update(status=TimetableStatus.ARCHIVED, is_active=False)
        job.metadata = {**job.metadata, "review": review}
        job.save(update_fields=["metadata", "updated_at"])
        return None
    if timetable_id is not None:
        chosen = drafts.filter(pk=timetable_id).first()
        if chosen is None:
            raise Refused(400, f"timetable {timetable_id} is not a variant of this job", field="timetable_id")
    else:
        chosen = drafts.order_by("-score", "id").first()
    previous = notify.published_before(chosen)
    versions.archive_scope(chosen)  # only the same (academic year, semester, departments)
    chosen.status, chosen.is_active = TimetableStatus.PUBLISHED, True
    chosen.save(update_fields=["status", "is_active"])
    job.metadata = {**job.metadata, "review": {**review, "timetable_id": chosen.pk}}
    job.save(update_fields=["metadata", "updated_at"])
    notify.timetable_published(chosen, previous)  # the people whose sessions changed are told, after the commit
    return chosen

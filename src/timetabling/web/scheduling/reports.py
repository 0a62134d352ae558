"""The checker's report of each stored timetable, computed once per version of its slots and kept with it.

``store_result`` computes the reports of a job's variants as it stores them; a timetable whose slots changed
(``slots_changed``, or a slot saved in the admin) has a stale report, which ``report_of`` replaces the first
time it is asked for, so that no page ever shows a stale one or runs the checker on every request."""

from __future__ import annotations

import time
from collections.abc import Iterable

from timetabling.engine.checker import Report, check
from timetabling.engine.errors import InputError
from timetabling.engine.model import Assignment, Instance, Solution, TimeGrid
from timetabling.web.academics.instance import build_instance
from timetabling.web.scheduling.models import (
    GenerationJob,
    Timetable,
    TimetableReport,
    TimetableSlot,
    bump_slots_version,
)
from timetabling.web.scheduling.scope import keep_others_fixed


def instance_of(timetable: Timetable) -> Instance:
    """The engine instance the timetable answers: its job's scope and grid on today's academic data."""
    return job_instance(timetable.organization, timetable.generation_job)


def job_instance(organization, job: GenerationJob | None) -> Instance:
    meta = job.metadata if job is not None else {}
    instance = build_instance(organization, meta.get("department_ids") or (), meta.get("batch_ids") or ())
    if "grid" in meta and TimeGrid.model_validate(meta["grid"]) != instance.grid:
        instance = Instance.model_validate({**instance.model_dump(mode="json"), "grid": meta["grid"]})
    if job is not None and (meta.get("department_ids") or meta.get("batch_ids")):
        # the scope's view, as its run had it: the other departments' published sessions hold their resources
        instance, _ = keep_others_fixed(instance, organization, job.academic_year, job.semester)
    return instance


def solution_from(rows: Iterable[tuple[str, int, int, int, str | None]], name: str) -> Solution:
    """(course code, session, day, period, room code) rows, one or more per session, as an engine solution."""
    seen: dict[tuple[str, int], Assignment] = {}
    for course, session, day, period, room in rows:
        if (course, session) not in seen:
            seen[course, session] = Assignment(course=course, session=session, day=day, period=period, room=room)
    return Solution(instance=name, assignments=tuple(seen.values()))


def solution_of(timetable: Timetable) -> Solution:
    rows = TimetableSlot.objects.filter(timetable=timetable).values_list(
        "course__code", "session", "day", "period", "room__code").order_by("id")
    return solution_from(rows, timetable.organization.slug)


def compute(timetable: Timetable, version: int, instance: Instance | None = None,
            solution: Solution | None = None, slot_rows: int | None = None,
            checked: Report | None = None) -> TimetableReport:
    """Run the checker on the timetable (unless ``checked`` is its report of ``solution`` already) and store
    its report as the report of slots version ``version``."""
    started = time.perf_counter()
    fields: dict[str, object] = {"slots_version": version}
    try:
        solution = solution if solution is not None else solution_of(timetable)
        report = checked or check(instance if instance is not None else instance_of(timetable), solution)
    except (InputError, ValueError) as err:
        fields.update(hard={}, hard_total=0, soft_cost=0, metrics={}, offenders=[],
                      error=f"the checker could not run on this timetable: {err}", sessions=0)
    else:
        fields.update(
            hard={r.value: n for r, n in report.hard.items()}, hard_total=report.hard_total,
            soft_cost=report.soft_cost, metrics=dict(report.metrics), error="",
            offenders=[[rule.value, what] for rule, items in report.offenders.items() if report.hard.get(rule)
                       for what in items],
            sessions=len(solution.assignments),
        )
    fields["slot_rows"] = slot_rows if slot_rows is not None else timetable.slots.count()
    fields["seconds"] = round(time.perf_counter() - started, 3)
    stored, _ = TimetableReport.objects.update_or_create(timetable=timetable, defaults=fields)
    return stored


def is_fresh(report: TimetableReport | None, timetable: Timetable) -> bool:
    return report is not None and report.slots_version == timetable.slots_version


def report_of(timetable: Timetable) -> TimetableReport:
    """The stored report of the timetable's current slots; computed (and stored) only when there is none."""
    report = TimetableReport.objects.filter(timetable=timetable).first()
    if is_fresh(report, timetable):
        return report
    return compute(timetable, timetable.slots_version)


def summaries_of(timetables: list[Timetable]) -> dict[int, TimetableReport]:
    """The reports of several timetables in one query, without their offenders (the compare page, the API's
    summary); a missing or stale one is computed first."""
    fields = ("timetable_id", "slots_version", "hard", "hard_total", "soft_cost", "error", "sessions", "slot_rows")
    found = {r.timetable_id: r for r in
             TimetableReport.objects.filter(timetable__in=timetables).only(*fields)}
    for t in timetables:
        if not is_fresh(found.get(t.pk), t):
            found[t.pk] = compute(t, t.slots_version)
    return found


def slots_changed(timetable: Timetable) -> TimetableReport:
    """After the slots of a timetable were written in bulk: a new version, and its report."""
    bump_slots_version([timetable.pk])
    timetable.refresh_from_db(fields=["slots_version"])
    return compute(timetable, timetable.slots_version)

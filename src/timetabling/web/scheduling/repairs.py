"""One-click repair: a published (or any) version re-solved on today's data by the engine's minimal-change
repair, keeping its locks; the result is a new draft, with its diff, for approval.

Three steps, so that a background job (``repair_jobs``) can run the engine's part away from the database:
``prepare`` reads the data, ``solve`` is the pure engine call, ``store`` writes the draft."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from timetabling.engine.errors import InputError
from timetabling.engine.model import Instance
from timetabling.engine.repair import Lock, RepairOptions, RepairResult, repair
from timetabling.web.scheduling import reports, services
from timetabling.web.scheduling.errors import Refused
from timetabling.web.scheduling.models import GenerationJob, Timetable


def prepare(source: Timetable) -> tuple[Instance, Any, tuple[Lock, ...]]:
    """Today's instance, the version's solution and its locks; 400 for data or locks the engine cannot read."""
    try:
        return (reports.instance_of(source), reports.solution_of(source),
                tuple(Lock.model_validate(lk) for lk in source.locks))
    except (InputError, ValueError) as err:
        raise Refused(400, f"the repair cannot start: {err}") from None


def solve(source_id: int, instance: Instance, previous: Any, locks: tuple[Lock, ...],
          time_limit: float) -> RepairResult:
    """The engine's minimal-change repair (no database); 400 for locks or a solution it cannot read, 409 when no
    timetable without hard violations exists (the engine's explanation)."""
    try:
        result = repair(instance, previous, locks, RepairOptions(time_limit=time_limit, workers=1),
                        source=f"timetable {source_id}")
    except (InputError, ValueError) as err:
        raise Refused(400, f"the repair cannot start: {err}") from None
    if not result.feasible:
        raise Refused(409, "the repair found no timetable without hard violations: "
                       + "; ".join(result.explanation[:5] or [result.status]), field="timetable_id")
    return result


def store(source: Timetable, instance: Instance, result: RepairResult, user: Any,
          job: GenerationJob | None = None) -> tuple[Timetable, dict[str, Any]]:
    """The repaired timetable as a new draft of the source's scope (kept with ``job`` when a job made it)."""
    with transaction.atomic():
        draft = Timetable.objects.create(
            organization=source.organization, name=f"{source.name} (repaired)"[:200],
            academic_year=source.academic_year, semester=source.semester,
            generation_job=job or source.generation_job,
            parent=source, scope=source.scope, locks=list(source.locks), score=source.score,
            metrics={"repair": result.changes.summary() if result.changes else {}},
            created_by=user if getattr(user, "is_authenticated", False) else None)
        entries = [a.model_dump() for a in result.solution.assignments]
        lookups = services.org_lookups(source.organization)
        rows, _ = services.variant_slot_rows(draft.pk, instance.grid, entries, lookups)
        services.insert_slots(rows)
    reports.slots_changed(draft)
    return draft, (result.changes.to_dict(instance) if result.changes else {})


def repair_draft(source: Timetable, user: Any, time_limit: float = 10.0) -> tuple[Timetable, dict[str, Any]]:
    """A new draft that keeps every hard rule under today's data and moves as few sessions as it can, made in
    this request."""
    instance, previous, locks = prepare(source)
    return store(source, instance, solve(source.pk, instance, previous, locks, time_limit), user)

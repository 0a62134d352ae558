"""One-click repair: a published (or any) version re-solved on today's data by the engine's minimal-change
repair, keeping its locks; the result is a new draft, with its diff, for approval."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from timetabling.engine.errors import InputError
from timetabling.engine.repair import Lock, RepairOptions, repair
from timetabling.web.api.errors import ApiError
from timetabling.web.scheduling import reports, services
from timetabling.web.scheduling.models import Timetable


def repair_draft(source: Timetable, user: Any, time_limit: float = 10.0) -> tuple[Timetable, dict[str, Any]]:
    """A new draft that keeps every hard rule under today's data and moves as few sessions as it can; 400 for
    data or locks the engine cannot read, 409 when no such timetable exists (the engine's explanation)."""
    try:
        instance = reports.instance_of(source)
        locks = tuple(Lock.model_validate(lk) for lk in source.locks)
        result = repair(instance, reports.solution_of(source), locks,
                        RepairOptions(time_limit=time_limit, workers=1), source=f"timetable {source.pk}")
    except (InputError, ValueError) as err:
        raise ApiError(400, f"the repair cannot start: {err}") from None
    if not result.feasible:
        raise ApiError(409, "the repair found no timetable without hard violations: "
                       + "; ".join(result.explanation[:5] or [result.status]), field="timetable_id")
    with transaction.atomic():
        draft = Timetable.objects.create(
            organization=source.organization, name=f"{source.name} (repaired)"[:200],
            academic_year=source.academic_year, semester=source.semester, generation_job=source.generation_job,
            parent=source, scope=source.scope, locks=list(source.locks), score=source.score,
            metrics={"repair": result.changes.summary() if result.changes else {}},
            created_by=user if getattr(user, "is_authenticated", False) else None)
        entries = [a.model_dump() for a in result.solution.assignments]
        rows, _ = services._slot_rows(draft.pk, instance.grid, entries, services._lookups(source.organization))
        services._insert_slots(rows)
    reports.slots_changed(draft)
    return draft, (result.changes.to_dict(instance) if result.changes else {})

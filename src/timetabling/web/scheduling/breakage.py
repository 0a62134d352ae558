"""What a change of the academic data breaks: each published timetable re-checked against today's data.

Computed on demand (the dashboard) and cached per timetable, slots version and data fingerprint, so that it
runs the checker once after each change of the data and never on an ordinary page view."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache

from timetabling.engine.checker import check
from timetabling.engine.errors import InputError
from timetabling.web.academics import models as am
from timetabling.web.scheduling import datachange, reports
from timetabling.web.scheduling.models import Timetable, TimetableStatus

KEY = "timetabling:breaks:{}:{}:{}"
SHOWN = 50  # offenders listed per timetable


def what_breaks(org: am.Organization) -> list[dict[str, Any]]:
    """Per published timetable that today's data makes break a hard rule: its id, name, the hard violations
    per rule and the sessions in conflict (rule, what); an empty list when nothing breaks."""
    fingerprint = datachange.fingerprint(org)
    broken = []
    for t in Timetable.objects.filter(organization=org, status=TimetableStatus.PUBLISHED).select_related(
            "generation_job", "organization"):
        key = KEY.format(t.pk, t.slots_version, fingerprint)
        found = cache.get(key)
        if found is None:
            found = _recheck(t)
            cache.set(key, found, 24 * 3600)
        if found["hard_total"] or found["error"]:
            broken.append({"id": t.pk, "name": t.name, **found})
    return broken


def _recheck(t: Timetable) -> dict[str, Any]:
    try:
        report = check(reports.instance_of(t), reports.solution_of(t))
    except (InputError, ValueError) as err:
        return {"hard_total": 0, "hard": {}, "offenders": [], "error": f"the checker could not run: {err}"}
    offenders = [[rule.value, what] for rule, items in report.offenders.items() if report.hard.get(rule)
                 for what in items]
    return {"hard_total": report.hard_total, "hard": {r.value: n for r, n in report.hard.items() if n},
            "offenders": offenders[:SHOWN], "error": ""}

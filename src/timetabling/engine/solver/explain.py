"""Why an instance is infeasible: the rules and entities in an infeasible core, in plain words.

The model is rebuilt with one assumption literal per (rule, entity) (every faculty member's clash rule,
every course's session count, ...). CP-SAT then returns a set of assumptions that cannot all hold; that
set names the rules and the people, batches, rooms and courses that together block a timetable.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from timetabling.engine.model import Instance
from timetabling.engine.solver.cpmodel import build
from timetabling.engine.solver.cpsat import core_solver
from timetabling.engine.timetable.domains import Domains

RULE_WORDS = {
    "unscheduled": "every session must be scheduled",
    "faculty_clash": "a faculty member teaches one session at a time",
    "batch_clash": "a batch attends one session at a time",
    "student_clash": "a student attends one session at a time",
    "room_clash": "a room holds one session at a time (not enough suitable rooms)",
    "faculty_weekly_hours": "faculty weekly hour limit",
    "faculty_daily_hours": "faculty daily hour limit",
    "faculty_consecutive": "faculty maximum consecutive periods",
    "course_max_per_day": "course maximum sessions per day",
    "course_min_days": "course minimum number of distinct days",
}


def explain_infeasible(instance: Instance, domains: Domains, integrated: bool, time_limit: float) -> list[str]:
    """Why ``instance`` has no timetable: courses without a possible start or room, then the rules of a
    minimal infeasible core, in plain words."""
    lines = _empty_domains(instance, domains)
    tm = build(instance, domains, with_rooms=integrated, explain=True)
    tm.model.ClearObjective()
    tm.model.AddAssumptions([tm.model.GetBoolVarFromProtoIndex(i) for i in tm.assumptions])
    solver = core_solver(max(5.0, min(30.0, time_limit)))
    status = solver.Solve(tm.model)
    if status != cp_model.INFEASIBLE:
        return [*lines, "the rules cannot all be met together, but no smaller cause was isolated in time"]
    core = [tm.assumptions[i] for i in solver.SufficientAssumptionsForInfeasibility()]
    by_rule: dict[str, list[str]] = defaultdict(list)
    for key in core:
        rule, entity = key.split(": ", 1)
        by_rule[rule].append(entity)
    if by_rule:
        lines.append("these rules cannot all be met together:")
    for rule, entities in sorted(by_rule.items()):
        shown = ", ".join(sorted(entities)[:8]) + (f" and {len(entities) - 8} more" if len(entities) > 8 else "")
        lines.append(f"  {RULE_WORDS.get(rule, rule)} [{rule}]: {shown}")
    return lines


def _empty_domains(instance: Instance, domains: Domains) -> list[str]:
    """Courses with fewer possible start slots than sessions, named before any search."""
    lines = []
    for c in instance.courses:
        n = len(domains.starts[c.id])
        if n < c.sessions_per_week:
            lines.append(
                f"course {c.id} needs {c.sessions_per_week} sessions but only {n} start slot(s) are possible "
                "(unavailable slots of the course or its faculty, breaks and the end of the day)"
            )
        if instance.rooms and not domains.rooms.get(c.id):
            size = instance.course_size[c.id]
            lines.append(f"course {c.id} has no suitable room (type '{c.room_type}', size {size})")
    return lines

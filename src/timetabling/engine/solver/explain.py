"""Why an instance is infeasible: the rules and entities in an infeasible core, in plain words.

The model is rebuilt with one assumption literal per (rule, entity) (every faculty member's clash rule,
every course's session count, ...). CP-SAT then returns a set of assumptions that cannot all hold; that
set names the rules and the people, batches, rooms and courses that together block a timetable.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from timetabling.engine.model import Instance
from timetabling.engine.solver.cpmodel import build
from timetabling.engine.solver.domains import Domains

if TYPE_CHECKING:
    from timetabling.engine.solver import SolveOptions

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


def explain_infeasible(
    instance: Instance, domains: Domains, integrated: bool, options: SolveOptions
) -> list[str]:
    lines = _empty_domains(instance, domains)
    tm = build(instance, domains, with_rooms=integrated, explain=True)
    tm.model.ClearObjective()
    tm.model.AddAssumptions([tm.model.GetBoolVarFromProtoIndex(i) for i in tm.assumptions])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(5.0, min(30.0, options.time_limit))
    solver.parameters.num_workers = 1  # the core is only reported by a single-worker search
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

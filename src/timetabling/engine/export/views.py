"""The one view of a timetable that every export builds on: whose sessions fall in which slot.

``grid_for`` answers "what does batch B (faculty F, room R, student S) have on the week grid": a dict
from ``(day, period)`` to the cells there. A session of length L placed at ``(day, period)`` occupies
the L periods from ``period`` on; every occupied slot gets a cell, and ``is_start`` marks the first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from timetabling.engine.model import Assignment, Instance, Solution

Kind = Literal["batch", "faculty", "room", "student"]
KINDS: tuple[str, ...] = get_args(Kind)


@dataclass(frozen=True)
class Cell:
    """One session as seen in one slot of an entity's week grid."""

    course: str
    code: str
    name: str
    session: int
    faculty: tuple[str, ...]
    room: str | None
    batches: tuple[str, ...]
    start: int  # the period the session starts in
    length: int  # periods the session occupies (clipped to the end of the day)
    is_start: bool  # True in the session's first slot only


Grid = dict[tuple[int, int], list[Cell]]


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown timetable view '{kind}' (expected one of: {', '.join(KINDS)})")


def placed(instance: Instance, solution: Solution) -> list[Assignment]:
    """The assignments that can be shown: a known course and a start inside the grid."""
    g = instance.grid
    return [
        a
        for a in solution.assignments
        if a.course in instance.course_by_id and a.day < g.n_days and a.period < g.n_periods
    ]


def session_length(instance: Instance, a: Assignment) -> int:
    """Periods the session really occupies: its length, clipped to the end of the day."""
    return min(instance.course_by_id[a.course].session_length, instance.grid.n_periods - a.period)


def owners(instance: Instance, a: Assignment, kind: str) -> Iterable[str]:
    """The ids of the entities of ``kind`` (not students) whose timetable shows this assignment."""
    course = instance.course_by_id[a.course]
    if kind == "batch":
        return course.batches
    if kind == "faculty":
        return course.faculty
    if kind == "room":
        return (a.room,) if a.room is not None else ()
    raise ValueError(f"owners() does not answer for '{kind}'")


def assignments_by_entity(instance: Instance, solution: Solution, kind: str) -> dict[str, list[Assignment]]:
    """Every entity of ``kind`` -> its assignments, computed in one pass (for exports of all entities)."""
    check_kind(kind)
    shown = placed(instance, solution)
    if kind == "student":
        by_course: dict[str, list[Assignment]] = defaultdict(list)
        for a in shown:
            by_course[a.course].append(a)
        return {
            s.id: [a for c in sorted(instance.student_courses(s)) for a in by_course.get(c, ())]
            for s in instance.students
        }
    out: dict[str, list[Assignment]] = {eid: [] for eid, _ in entities(instance, kind)}
    for a in shown:
        for eid in owners(instance, a, kind):
            if eid in out:
                out[eid].append(a)
    return out


def cells_of(instance: Instance, assignments: Iterable[Assignment]) -> Grid:
    """Lay assignments out on the week grid: one cell in every slot each session occupies."""
    grid: Grid = defaultdict(list)
    for a in sorted(assignments, key=lambda a: (a.day, a.period, a.course, a.session)):
        course = instance.course_by_id[a.course]
        length = session_length(instance, a)
        for p in range(a.period, a.period + length):
            grid[(a.day, p)].append(
                Cell(
                    course=course.id,
                    code=course.code or course.id,
                    name=course.name,
                    session=a.session,
                    faculty=course.faculty,
                    room=a.room,
                    batches=course.batches,
                    start=a.period,
                    length=length,
                    is_start=p == a.period,
                )
            )
    return dict(grid)


def grid_for(instance: Instance, solution: Solution, kind: str, entity_id: str) -> Grid:
    """The week grid of one batch, faculty member, room or student: ``(day, period) -> cells``.

    Slots with nothing in them are absent. A student attends their batch's courses plus their own choices.
    """
    check_kind(kind)
    known = {eid for eid, _ in entities(instance, kind)}
    if entity_id not in known:
        raise ValueError(f"unknown {kind} '{entity_id}'")
    shown = placed(instance, solution)
    if kind == "student":
        student = next(s for s in instance.students if s.id == entity_id)
        courses = instance.student_courses(student)
        mine = [a for a in shown if a.course in courses]
    else:
        mine = [a for a in shown if entity_id in owners(instance, a, kind)]
    return cells_of(instance, mine)


def entities(instance: Instance, kind: str) -> list[tuple[str, str]]:
    """Every entity of ``kind`` as ``(id, label)``, in the instance's order; the label is for people."""
    check_kind(kind)
    if kind == "batch":
        return [(b.id, _label(b.id, b.name)) for b in instance.batches]
    if kind == "faculty":
        return [(f.id, _label(f.id, f.name)) for f in instance.faculty]
    if kind == "room":
        return [(r.id, _label(r.id, r.name)) for r in instance.rooms]
    return [(s.id, f"{s.id} ({s.batch})" if s.batch else s.id) for s in instance.students]


def _label(eid: str, name: str) -> str:
    return f"{name} ({eid})" if name and name != eid else eid

"""The solution as the checker sees it: placed sessions with the periods they occupy, and indexes on them.

Everything here is recomputed from the ``Instance`` and the ``Solution``; nothing is shared with the solver.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from timetabling.engine.errors import InputError
from timetabling.engine.model import Course, Instance, Room, Solution


@dataclass(slots=True)
class Placed:
    """One placed session: course ``course`` session ``index`` starting at ``(day, start)`` in ``room``."""

    course: Course
    index: int
    day: int
    start: int
    room: Room | None
    periods: tuple[int, ...]  # periods of the day it occupies (clipped to the day)
    slots: tuple[int, ...] = field(default=())  # the same as flat slot indices

    @property
    def label(self) -> str:
        return f"{self.course.id}#{self.index}"


def solution_problems(inst: Instance, sol: Solution) -> list[str]:
    """Every reference in the solution the instance cannot resolve, each with its path."""
    problems = []
    g = inst.grid
    for i, a in enumerate(sol.assignments):
        course = inst.course_by_id.get(a.course)
        if course is None:
            problems.append(f"assignments[{i}].course: unknown course '{a.course}'")
        elif a.session >= course.sessions_per_week:
            problems.append(
                f"assignments[{i}].session: session {a.session} but course '{a.course}' has "
                f"{course.sessions_per_week} sessions per week"
            )
        if a.room is not None and a.room not in inst.room_by_id:
            problems.append(f"assignments[{i}].room: unknown room '{a.room}'")
        if a.day >= g.n_days or a.period >= g.n_periods:
            problems.append(
                f"assignments[{i}]: slot [{a.day}, {a.period}] is outside the grid "
                f"({g.n_days} days x {g.n_periods} periods)"
            )
    return problems


class Timeline:
    """Placed sessions of a solution plus the indexes the rules need, each built once on first use.

    Two assignments of one course at the same start slot are one placed session (the first one wins),
    as in the ITC-2007 validator, which skips repeated entries.
    """

    def __init__(self, inst: Instance, sol: Solution):
        problems = solution_problems(inst, sol)
        if problems:
            raise InputError("solution", problems)
        self.inst = inst
        self.grid = inst.grid
        n_periods = inst.grid.n_periods
        seen: set[tuple[str, int, int]] = set()
        self.sessions: list[Placed] = []
        for a in sol.assignments:
            if (a.course, a.day, a.period) in seen:
                continue
            seen.add((a.course, a.day, a.period))
            course = inst.course_by_id[a.course]
            periods = tuple(range(a.period, min(a.period + course.session_length, n_periods)))
            self.sessions.append(
                Placed(
                    course=course,
                    index=a.session,
                    day=a.day,
                    start=a.period,
                    room=inst.room_by_id[a.room] if a.room is not None else None,
                    periods=periods,
                    slots=tuple(a.day * n_periods + p for p in periods),
                )
            )

    def at(self, slot: int) -> str:
        """A flat slot index as 'Mon P2'."""
        return self.grid.slot_label(self.grid.slot_of(slot))

    @cached_property
    def by_course(self) -> dict[str, list[int]]:
        """Course id -> indexes of its placed sessions."""
        out: dict[str, list[int]] = defaultdict(list)
        for i, s in enumerate(self.sessions):
            out[s.course.id].append(i)
        return out

    @cached_property
    def by_faculty(self) -> dict[str, list[int]]:
        """Faculty id -> indexes of the placed sessions they teach."""
        out: dict[str, list[int]] = defaultdict(list)
        for i, s in enumerate(self.sessions):
            for f in s.course.faculty:
                out[f].append(i)
        return out

    @cached_property
    def by_batch(self) -> dict[str, list[int]]:
        """Batch id -> indexes of the placed sessions the batch attends."""
        out: dict[str, list[int]] = defaultdict(list)
        for i, s in enumerate(self.sessions):
            for b in s.course.batches:
                out[b].append(i)
        return out

    @cached_property
    def by_slot(self) -> dict[int, list[int]]:
        """Flat slot -> indexes of the placed sessions occupying it."""
        out: dict[int, list[int]] = defaultdict(list)
        for i, s in enumerate(self.sessions):
            for t in s.slots:
                out[t].append(i)
        return out

    @cached_property
    def overlapping_pairs(self) -> list[tuple[int, int, int]]:
        """``(slot, i, j)`` with ``i < j`` for sessions occupying one slot and sharing a course, a faculty
        member or a batch: the candidates for faculty and batch clashes, one entry per slot."""
        out = []
        for t, idx in self.by_slot.items():
            if len(idx) < 2:
                continue
            buckets: dict[tuple[str, str], list[int]] = defaultdict(list)
            for i in idx:
                c = self.sessions[i].course
                buckets["c", c.id].append(i)
                for f in c.faculty:
                    buckets["f", f].append(i)
                for b in c.batches:
                    buckets["b", b].append(i)
            pairs = set()
            for members in buckets.values():
                for a in range(len(members)):
                    for b in range(a + 1, len(members)):
                        pairs.add((min(members[a], members[b]), max(members[a], members[b])))
            out.extend((t, i, j) for i, j in sorted(pairs))
        return out

    def linked_by(self, i: int, j: int) -> tuple[str, str] | None:
        """Why two sessions may not overlap: ('course'|'faculty', id), ('batch', id) or None."""
        ci, cj = self.sessions[i].course, self.sessions[j].course
        if ci.id == cj.id:
            return "course", ci.id
        shared = set(ci.faculty).intersection(cj.faculty)
        if shared:
            return "faculty", min(shared)
        shared = set(ci.batches).intersection(cj.batches)
        if shared:
            return "batch", min(shared)
        return None

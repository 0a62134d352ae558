"""``Placed``: a timetable as the algorithms hold it, a start slot and a room per session of each course."""

from __future__ import annotations

from collections import defaultdict

from timetabling.engine.model import Assignment, Instance, Solution

Placed = dict[str, list[tuple[int, str | None]]]  # course id -> (flat start slot, room) per session


def to_solution(instance: Instance, placed: Placed, meta: dict[str, object] | None = None) -> Solution:
    """The ``Solution`` of ``placed``: sessions of a course numbered in the order of their starts."""
    grid = instance.grid
    assignments = []
    for cid in sorted(placed):
        for k, (t, room) in enumerate(sorted(placed[cid], key=lambda x: x[0])):
            slot = grid.slot_of(t)
            assignments.append(Assignment(course=cid, session=k, day=slot.day, period=slot.period, room=room))
    return Solution(instance=instance.name, assignments=tuple(assignments), meta=dict(meta or {}))


def from_solution(instance: Instance, solution: Solution) -> Placed:
    """The start slot and room of every session of ``solution``."""
    grid = instance.grid
    placed: Placed = defaultdict(list)
    for a in solution.assignments:
        placed[a.course].append((grid.slot_index(a.slot), a.room))
    return dict(placed)

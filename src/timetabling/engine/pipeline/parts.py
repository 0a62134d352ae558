"""A part of stage 2 as an instance of its own, and CP-SAT on it.

``sub_instance`` makes the part's courses plus every placed course linked to them by people (pinned at their
slots, each in a room of its own so that it takes no real room); ``solve_part`` solves it and returns the slots
and rooms of the part's own courses. Stage 3 and the repair use the same sub-instances for neighbourhoods.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from timetabling.engine.control import CancelToken
from timetabling.engine.model import Course, Instance, Room, Slot, Solution
from timetabling.engine.solver import SolveOptions, solve
from timetabling.engine.timetable.placed import Placed

PART_ROOMS = "decomposed"  # rooms of a part: chosen per day once its times are fixed


@dataclass
class PartOutcome:
    name: str
    status: str  # the solver's status: optimal/feasible mean placed
    placements: Placed
    seconds: float
    message: str = ""


def linked_courses(instance: Instance, part: set[str]) -> set[str]:
    """Courses that share a faculty member, a batch or a student with a course of ``part``."""
    students = instance.students
    index = instance.student_index
    choices_of_batch = instance.batch_choices  # what the batch's students chose on their own
    linked: set[str] = set()
    for cid in part:
        c = instance.course_by_id[cid]
        for f in c.faculty:
            linked.update(instance.courses_of_faculty.get(f, ()))
        for b in c.batches:
            linked.update(instance.courses_of_batch.get(b, ()))
            linked.update(choices_of_batch.get(b, ()))
        for sid in instance.individual_students.get(cid, ()):
            linked.update(instance.student_courses(students[index[sid]]))
    return linked - part


def sub_instance(instance: Instance, part: set[str], placed: Placed, rooms: list[str],
                 room_busy: dict[str, set[int]]) -> Instance:
    """The courses of ``part`` plus every placed course linked to them, pinned in a room of its own;
    ``rooms`` closed where earlier parts hold them. Only the students, faculty and batches these courses
    name come along (the others constrain nothing here)."""
    grid = instance.grid
    linked = {c for c in linked_courses(instance, part) if c in placed}
    all_slots = frozenset(Slot(*grid.slot_of(t)) for t in range(grid.n_slots))
    sizes = instance.course_size
    courses: list[Course] = []
    held_rooms: list[Room] = []
    for cid in sorted(part):
        courses.append(instance.course_by_id[cid].model_copy(update={"size": sizes[cid]}))
    for cid in sorted(linked):
        c = instance.course_by_id[cid]
        held = f"held:{cid}"
        starts = tuple(Slot(*grid.slot_of(t)) for t, _room in placed[cid])
        courses.append(c.model_copy(update={
            "size": sizes[cid], "fixed": starts, "unavailable": all_slots, "room_type": held,
            "room_features": frozenset(), "sessions_per_week": len(starts), "min_days": min(c.min_days, len(starts)),
        }))
        held_rooms.append(Room(id=held, capacity=max(1, sizes[cid]), type=held))
    keep = {c.id for c in courses}
    # the students enrolled on their own in a kept course, in the instance's order; a student copied only when
    # some of their choices are left out
    index = instance.student_index
    enrolled = sorted({index[sid] for cid in keep for sid in instance.individual_students.get(cid, ())})
    students = []
    for i in enrolled:
        s = instance.students[i]
        chosen = tuple(c for c in s.courses if c in keep)
        students.append(s if len(chosen) == len(s.courses) else s.model_copy(update={"courses": chosen}))
    faculty_ids = {f for c in courses for f in c.faculty}
    batch_ids = {b for c in courses for b in c.batches} | {s.batch for s in students if s.batch}
    room_list = []
    for rid in rooms:
        r = instance.room_by_id[rid]
        busy = room_busy.get(rid)
        room_list.append(r.model_copy(update={"unavailable": r.unavailable | {grid.slot_of(t) for t in busy}})
                         if busy else r)
    return rebuild(instance, name=f"{instance.name}-part", courses=tuple(courses), students=tuple(students),
                   rooms=tuple(room_list) + tuple(held_rooms),
                   faculty=tuple(f for f in instance.faculty if f.id in faculty_ids),
                   batches=tuple(b for b in instance.batches if b.id in batch_ids))


def rebuild(instance: Instance, **update: object) -> Instance:
    """A new instance with some fields replaced. Not ``model_copy``: that would carry the cached lookups
    (``room_by_id``, ``course_size``...) of the old instance over."""
    fields = {name: getattr(instance, name) for name in Instance.model_fields}
    fields.update(update)
    return Instance(**fields)


def solve_part(name: str, sub: Instance, part: tuple[str, ...], time_limit: float, seed: int, threads: int,
               cancel: CancelToken | None = None, optimise_s: float = 0.0) -> PartOutcome:
    """CP-SAT on one sub-instance with ``threads`` search workers: for ``optimise_s`` seconds minimising the
    instance's own soft score, else (or when that finds nothing) the first timetable keeping the hard rules;
    returns the slots and rooms of the part's own courses."""
    t0 = time.perf_counter()
    solution = None
    if optimise_s > 0:  # straight to the soft score; the plain first timetable only when this finds none
        solution = optimise_with_cpsat(sub, SolveOptions(time_limit=optimise_s, workers=threads, seed=seed,
                                                         rooms=PART_ROOMS, cancel=cancel))
    status, explanation = ("feasible", []) if solution is not None else ("unknown", [])
    if solution is None and not (cancel is not None and cancel.cancelled):
        # rooms per day after the times: much faster than rooms inside the model on large parts
        # (docs/benchmarks.md)
        result = solve(sub, SolveOptions(time_limit=time_limit, workers=threads, seed=seed, optimize=False,
                                         rooms=PART_ROOMS, cancel=cancel))
        status, solution, explanation = result.status, result.solution, result.explanation
    placements: Placed = defaultdict(list)
    if solution is not None:
        own = set(part)
        grid = sub.grid
        for a in solution.assignments:
            if a.course in own:
                placements[a.course].append((grid.slot_index(a.slot), a.room))
    message = "; ".join(explanation)
    return PartOutcome(name, status, dict(placements), time.perf_counter() - t0, message)


def optimise_with_cpsat(instance: Instance, options: SolveOptions) -> Solution | None:
    """CP-SAT improving a hinted timetable; None when it has nothing (or fails: the hint stands)."""
    try:
        return solve(instance, options).solution
    except RuntimeError:  # an optimisation that crashes must not cost the timetable we already have
        return None

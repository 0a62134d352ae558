"""What the solver may choose from, pruned before any variable exists.

- start slots of each course: the block fits in the day without crossing a break, and no period of it is
  unavailable to the course or to any of its faculty;
- rooms of each course: right type and features, usable by the course's department, and (when room
  capacity is a hard rule) large enough;
- student clash groups: the distinct course sets of students, with sets implied by a batch or by a larger
  set dropped, so thousands of students cost a few constraints.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from timetabling.engine.model import Course, Instance, Room, Rule


@dataclass(frozen=True)
class Domains:
    starts: dict[str, tuple[int, ...]]  # course id -> allowed flat start slots
    rooms: dict[str, tuple[str, ...]]  # course id -> compatible room ids (best fit first)
    student_sets: tuple[frozenset[str], ...]  # course sets needing a student clash constraint
    covers: dict[tuple[str, int], tuple[int, ...]]  # (course, period slot) -> starts that occupy it


def course_starts(instance: Instance, course: Course) -> tuple[int, ...]:
    grid = instance.grid
    blocked = {grid.slot_index(s) for s in course.unavailable}
    for f in course.faculty:
        blocked.update(grid.slot_index(s) for s in instance.faculty_by_id[f].unavailable)
    fixed = {grid.slot_index(s) for s in course.fixed}
    if len(blocked) >= grid.n_slots:  # nothing free (a course pinned where it is): its fixed starts only
        return tuple(sorted(fixed))
    n_periods, length = grid.n_periods, course.session_length
    fits = [grid.block_fits(period, length) for period in range(n_periods)]
    starts = []
    for t in range(grid.n_slots):  # flat index: day * n_periods + period
        if t in fixed or (fits[t % n_periods] and blocked.isdisjoint(range(t, t + length))):
            starts.append(t)
    return tuple(starts)


def room_fits(instance: Instance, course: Course, room: Room, size: int) -> bool:
    if room.type != course.room_type or not course.room_features <= room.features:
        return False
    if course.department is not None and not room.usable_by(course.department):
        return False
    if instance.rules.is_hard(Rule.ROOM_AVOIDED) and room.id in course.avoid_rooms:
        return False  # hard room constraints (ECTT's UD formulations): never placed there, by any optimiser
    return not (instance.rules.is_hard(Rule.ROOM_CAPACITY) and room.capacity < size)


def course_rooms(instance: Instance, course: Course, rooms: Iterable[Room] | None = None) -> tuple[str, ...]:
    """Rooms ``course`` may use, best fit first; ``rooms``: the candidates (default every room)."""
    size = instance.course_size[course.id]
    fits = [r for r in (instance.rooms if rooms is None else rooms) if room_fits(instance, course, r, size)]
    # best fit first: the smallest room that seats everybody, then larger; too-small rooms last
    fits.sort(key=lambda r: (r.capacity < size, r.capacity if r.capacity >= size else -r.capacity, r.id))
    return tuple(r.id for r in fits)


def student_clash_sets(instance: Instance) -> tuple[frozenset[str], ...]:
    """Course sets of students that no batch constraint already covers, without subsets of each other."""
    batch_sets: dict[str, list[frozenset[str]]] = defaultdict(list)  # course -> the batch sets holding it
    for v in instance.courses_of_batch.values():
        fs = frozenset(v)
        for c in fs:
            batch_sets[c].append(fs)
    by_batch: dict[str, frozenset[str]] = {b: frozenset(v) for b, v in instance.courses_of_batch.items()}
    candidates = set()
    for s in instance.students:
        courses = instance.student_courses(s)
        if len(courses) < 2:
            continue
        own = by_batch.get(s.batch, frozenset()) if s.batch else frozenset()
        if courses <= own:
            continue
        candidates.add(courses)
    # drop sets contained in a larger candidate or in a batch's set
    ordered = sorted(candidates, key=len, reverse=True)
    kept: list[frozenset[str]] = []
    index: dict[str, list[int]] = defaultdict(list)  # course -> kept sets containing it
    for cs in ordered:
        first = min(cs, key=lambda c: len(index[c]))
        if any(cs <= kept[i] for i in index[first]):
            continue
        if any(cs <= b for b in batch_sets.get(first, ()) if len(b) >= len(cs)):
            continue
        for c in cs:
            index[c].append(len(kept))
        kept.append(cs)
    return tuple(kept)


def all_course_rooms(instance: Instance) -> dict[str, tuple[str, ...]]:
    """``course_rooms`` of every course, computed once per distinct (type, features, department, avoided rooms
    when that rule is hard, size): the rooms that fit but for the size are found once per (type, features,
    department, avoided rooms), ordered by capacity, and each size takes its rooms from that order."""
    by_type: dict[str, list[Room]] = defaultdict(list)
    for r in instance.rooms:
        by_type[r.type].append(r)
    capacity_hard = instance.rules.is_hard(Rule.ROOM_CAPACITY)
    avoided_hard = instance.rules.is_hard(Rule.ROOM_AVOIDED)
    memo: dict[tuple, tuple[str, ...]] = {}
    usable: dict[tuple, tuple[list[Room], list[int]]] = {}  # by capacity, then id; and their capacities
    out = {}
    for c in instance.courses:
        size = instance.course_size[c.id]
        kind = (c.room_type, c.room_features, c.department, c.avoid_rooms if avoided_hard else frozenset())
        key = (*kind, size)
        if key not in memo:
            if kind not in usable:
                fits = sorted((r for r in by_type.get(c.room_type, ()) if room_fits(instance, c, r, 0)),
                              key=lambda r: (r.capacity, r.id))
                usable[kind] = (fits, [r.capacity for r in fits])
            rooms, capacities = usable[kind]
            k = bisect_left(capacities, size)  # rooms[k:] seat everybody: the best fit first, as course_rooms
            order = rooms[k:] if capacity_hard else rooms[k:] + sorted(rooms[:k], key=lambda r: (-r.capacity, r.id))
            memo[key] = tuple(r.id for r in order)
        out[c.id] = memo[key]
    return out


def build_domains(instance: Instance) -> Domains:
    starts = {c.id: course_starts(instance, c) for c in instance.courses}
    rooms = all_course_rooms(instance) if instance.rooms else {}
    covers: dict[tuple[str, int], list[int]] = defaultdict(list)
    for c in instance.courses:
        for t in starts[c.id]:
            for u in range(t, t + c.session_length):
                covers[c.id, u].append(t)
    return Domains(
        starts=starts,
        rooms=rooms,
        student_sets=student_clash_sets(instance),
        covers={k: tuple(v) for k, v in covers.items()},
    )

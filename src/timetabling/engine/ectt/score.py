"""Score a CB-CTT timetable under a formulation UD1-UD5, as the official ECTT validator does.

The scorer reads the format's own data (:class:`EcttInstance` and the lectures of a ``.sol`` file), not
the native model the solver works on, so that it can catch the mapping's and the solver's mistakes.
One function per component counts its violations; a formulation multiplies the soft ones by their weight.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from timetabling.engine.ectt.formulations import Formulation, formulation
from timetabling.engine.formats.ectt import EcttInstance, Lecture

__all__ = ["COMPONENTS", "EcttScore", "score"]


@dataclass
class EcttScore:
    formulation: str
    hard: dict[str, int]  # component -> violations
    soft: dict[str, int]  # component -> weighted cost

    @property
    def hard_total(self) -> int:
        return sum(self.hard.values())

    @property
    def soft_cost(self) -> int:
        return sum(self.soft.values())

    def to_dict(self) -> dict[str, object]:
        return {
            "formulation": self.formulation,
            "hard_total": self.hard_total,
            "soft_cost": self.soft_cost,
            "hard": dict(self.hard),
            "soft": dict(self.soft),
        }


class _Timetable:
    """The lectures indexed the ways the components ask for them."""

    def __init__(self, inst: EcttInstance, lectures: Iterable[Lecture]):
        self.inst = inst
        self.lectures = list(lectures)
        self.rooms_at: dict[tuple[str, int, int], list[str]] = defaultdict(list)  # (course, day, period) -> rooms
        for c, r, d, p in self.lectures:
            self.rooms_at[c, d, p].append(r)
        self.building = {r.id: r.building for r in inst.rooms}
        # curriculum -> (day, period) -> buildings of its lectures there (one entry per course)
        self.curriculum_at: dict[str, dict[tuple[int, int], list[str]]] = {}
        for q in inst.curricula:
            at: dict[tuple[int, int], list[str]] = defaultdict(list)
            members = set(q.courses)
            for (c, d, p), rooms in self.rooms_at.items():
                if c in members:
                    at[d, p].append(self.building.get(rooms[0], ""))
            self.curriculum_at[q.id] = at

    def curriculum_days(self, qid: str) -> dict[int, list[int]]:
        """Day -> the periods the curriculum has lectures, one entry per lecture, sorted."""
        days: dict[int, list[int]] = defaultdict(list)
        for (d, p), courses in self.curriculum_at[qid].items():
            days[d].extend([p] * len(courses))
        return {d: sorted(ps) for d, ps in days.items()}


# ------------------------------------------------------------------------------------------ hard


def lectures(t: _Timetable) -> int:
    """Each course has exactly its lectures, at distinct periods: one per lecture missing or extra."""
    placed = Counter(c for c, _, _ in t.rooms_at)
    return sum(abs(placed.get(c.id, 0) - c.lectures) for c in t.inst.courses)


def conflicts(t: _Timetable) -> int:
    """Courses of one teacher or one curriculum never share a period: one per pair and period."""
    linked: set[tuple[str, str]] = set()
    by_teacher: dict[str, list[str]] = defaultdict(list)
    for c in t.inst.courses:
        by_teacher[c.teacher].append(c.id)
    for group in [*by_teacher.values(), *(q.courses for q in t.inst.curricula)]:
        linked.update((a, b) for a in group for b in group if a < b)
    at: dict[tuple[int, int], list[str]] = defaultdict(list)
    for c, d, p in t.rooms_at:
        at[d, p].append(c)
    return sum(1 for cs in at.values() for a in cs for b in cs if a < b and (a, b) in linked)


def availability(t: _Timetable) -> int:
    """No lecture in a period its course is unavailable."""
    return sum(1 for key in t.rooms_at if key in t.inst.unavailable)


def room_occupation(t: _Timetable) -> int:
    """A room holds one lecture a period: ``k - 1`` per room and period with ``k``."""
    held = Counter((r, d, p) for _, r, d, p in t.lectures)
    return sum(k - 1 for k in held.values() if k > 1)


def room_constraints(t: _Timetable) -> int:
    """A course avoids the rooms it may not use: one per lecture in one."""
    return sum(1 for c, r, _, _ in t.lectures if (c, r) in t.inst.room_constraints)


# ------------------------------------------------------------------------------------------ soft


def room_capacity(t: _Timetable) -> int:
    """One per student over the room's capacity, per lecture."""
    students = {c.id: c.students for c in t.inst.courses}
    capacity = {r.id: r.capacity for r in t.inst.rooms}
    return sum(max(0, students[c] - capacity[r]) for c, r, _, _ in t.lectures)


def min_working_days(t: _Timetable) -> int:
    """A course spreads over its minimum working days: one per day missing."""
    days: dict[str, set[int]] = defaultdict(set)
    for c, d, _ in t.rooms_at:
        days[c].add(d)
    return sum(max(0, c.min_days - len(days.get(c.id, ()))) for c in t.inst.courses)


def isolated_lectures(t: _Timetable) -> int:
    """A curriculum's lecture has another of the curriculum in the period before or after it."""
    cost = 0
    for at in t.curriculum_at.values():
        for (d, p), courses in at.items():
            if (d, p - 1) not in at and (d, p + 1) not in at:
                cost += len(courses)
    return cost


def windows(t: _Timetable) -> int:
    """A curriculum's day has no free periods between its lectures: one per free period (compactness)."""
    cost = 0
    for q in t.inst.curricula:
        for periods in t.curriculum_days(q.id).values():
            distinct = sorted(set(periods))
            cost += sum(b - a - 1 for a, b in itertools.pairwise(distinct))
    return cost


def student_load(t: _Timetable) -> int:
    """A curriculum's day with lectures has between the minimum and maximum daily lectures."""
    lo, hi = t.inst.min_daily, t.inst.max_daily
    cost = 0
    for q in t.inst.curricula:
        for periods in t.curriculum_days(q.id).values():
            n = len(periods)
            if hi and n > hi:
                cost += n - hi
            elif n < lo:
                cost += lo - n
    return cost


def travel_distance(t: _Timetable) -> int:
    """A curriculum changes building only with a free period between: one per instantaneous move."""
    cost = 0
    for at in t.curriculum_at.values():
        for (d, p), here in at.items():
            there = at.get((d, p + 1))
            if there and any(a != b for a in here for b in there):
                cost += 1
    return cost


def room_stability(t: _Timetable) -> int:
    """A course keeps one room: one per distinct room beyond the first."""
    rooms: dict[str, set[str]] = defaultdict(set)
    for c, r, _, _ in t.lectures:
        rooms[c].add(r)
    return sum(len(rs) - 1 for rs in rooms.values() if rs)


def double_lectures(t: _Timetable) -> int:
    """A double-lecture course's lectures on a day with more than one come in pairs: adjacent periods, one
    room. One per lecture with no such neighbour."""
    wanted = {c.id for c in t.inst.courses if c.double_lectures}
    by_day: dict[tuple[str, int], list[tuple[int, str]]] = defaultdict(list)
    for c, r, d, p in t.lectures:
        if c in wanted:
            by_day[c, d].append((p, r))
    cost = 0
    for held in by_day.values():
        if len(held) < 2:
            continue
        spots = set(held)
        cost += sum(1 for p, r in held if (p - 1, r) not in spots and (p + 1, r) not in spots)
    return cost


COMPONENTS: dict[str, Callable[[_Timetable], int]] = {
    "Lectures": lectures,
    "Conflicts": conflicts,
    "Availability": availability,
    "RoomOccupation": room_occupation,
    "RoomConstraints": room_constraints,
    "RoomCapacity": room_capacity,
    "MinWorkingDays": min_working_days,
    "IsolatedLectures": isolated_lectures,
    "CurriculumCompactness": windows,
    "StudentLoad": student_load,
    "TravelDistance": travel_distance,
    "RoomStability": room_stability,
    "DoubleLectures": double_lectures,
}


def score(inst: EcttInstance, lectures: Iterable[Lecture], which: str | Formulation = "UD2") -> EcttScore:
    """Hard violations and weighted soft costs of ``lectures`` under formulation ``which``."""
    f = formulation(which) if isinstance(which, str) else which
    t = _Timetable(inst, lectures)
    hard = {name: COMPONENTS[name](t) for name in f.components if name not in f.weights}
    soft = {name: weight * COMPONENTS[name](t) for name, weight in f.weights.items()}
    return EcttScore(f.name, hard, soft)

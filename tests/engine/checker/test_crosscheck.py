"""The clash counts agree with a slow, per-student count on random small timetables."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest

from timetabling.engine.checker import check
from timetabling.engine.model import (
    Assignment,
    Batch,
    Course,
    Faculty,
    Instance,
    Room,
    Rule,
    Solution,
    Student,
    TimeGrid,
)


def random_case(seed: int) -> tuple[Instance, Solution]:
    rng = random.Random(seed)
    faculty = tuple(Faculty(id=f"F{i}") for i in range(4))
    batches = tuple(Batch(id=f"B{i}", size=rng.randint(5, 30)) for i in range(3))
    courses = tuple(
        Course(
            id=f"C{i}",
            faculty=tuple(rng.sample([f.id for f in faculty], rng.choice((1, 1, 2)))),
            batches=tuple(rng.sample([b.id for b in batches], rng.choice((0, 1, 1, 2)))),
            sessions_per_week=rng.randint(1, 3),
            session_length=rng.choice((1, 1, 2)),
            max_per_day=3,
        )
        for i in range(9)
    )
    students = tuple(
        Student(
            id=f"S{i}",
            batch=rng.choice([None, *(b.id for b in batches)]),
            courses=tuple(rng.sample([c.id for c in courses], rng.randint(0, 3))),
        )
        for i in range(40)
    )
    inst = Instance(
        grid=TimeGrid.standard(n_days=2, n_periods=4, lunch_after=1),
        faculty=faculty,
        batches=batches,
        rooms=(Room(id="R0", capacity=50), Room(id="R1", capacity=50)),
        courses=courses,
        students=students,
    )
    assignments = [
        Assignment(course=c.id, session=k, day=rng.randrange(2), period=rng.randrange(4), room=rng.choice(("R0", "R1")))
        for c in courses
        for k in range(c.sessions_per_week)
        if rng.random() < 0.9
    ]
    return inst, Solution(assignments=assignments)


def slow_counts(inst: Instance, sol: Solution) -> dict[Rule, int]:
    """Pair by pair and student by student, straight from the definitions."""
    placed, seen = [], set()
    for x in sol.assignments:
        if (x.course, x.day, x.period) not in seen:
            seen.add((x.course, x.day, x.period))
            c = inst.course_by_id[x.course]
            periods = range(x.period, min(x.period + c.session_length, inst.grid.n_periods))
            placed.append((c, {(x.day, p) for p in periods}, x.room))
    counts = Counter()
    for (a, sa, _), (b, sb, _) in itertools.combinations(placed, 2):
        overlap = len(sa & sb)
        if a.id == b.id or set(a.faculty) & set(b.faculty):
            counts[Rule.FACULTY_CLASH] += overlap
        elif set(a.batches) & set(b.batches):
            counts[Rule.BATCH_CLASH] += overlap
        else:
            both = sum(1 for s in inst.students if {a.id, b.id} <= inst.student_courses(s))
            counts[Rule.STUDENT_CLASH] += overlap * both
    held = Counter((room, slot) for _, slots, room in placed for slot in slots)
    counts[Rule.ROOM_CLASH] = sum(n - 1 for n in held.values())
    return counts


@pytest.mark.parametrize("seed", range(12))
def test_clash_counts_match_a_per_student_count(seed):
    inst, sol = random_case(seed)
    report = check(inst, sol)
    slow = slow_counts(inst, sol)
    for rule in (Rule.FACULTY_CLASH, Rule.BATCH_CLASH, Rule.STUDENT_CLASH, Rule.ROOM_CLASH):
        assert report.hard[rule] == slow[rule], rule

"""The deterministic synthetic university: realistic size and shape, solvable by design.

``generate_university("university", seed)`` builds schools, departments, programs, batches, students with
their elective choices, core courses, labs, department and open electives, faculty and rooms. Every
resource is sized from the demand with a margin (``Profile.max_batch_load``, ``faculty_target_load``,
``room_utilisation``), so that a timetable without any hard violation exists with room to spare.
The same profile and seed always give the same instance.
"""

from __future__ import annotations

import random
from collections import Counter

from timetabling.engine.generator.curriculum import build_curriculum
from timetabling.engine.generator.drafts import CourseDraft
from timetabling.engine.generator.profiles import PROFILES, Profile
from timetabling.engine.generator.resources import assign_faculty, build_rooms
from timetabling.engine.model import (
    Batch,
    Course,
    CourseKind,
    Department,
    Instance,
    School,
    Student,
    TimeGrid,
)

__all__ = ["PROFILES", "Profile", "describe", "generate_university"]


def generate_university(profile: str | Profile, seed: int = 0) -> Instance:
    """A synthetic university of the named profile (``tiny``, ``small``, ``medium``, ``university``)."""
    if isinstance(profile, str) and profile not in PROFILES:
        raise ValueError(f"unknown profile '{profile}' (known: {', '.join(PROFILES)})")
    p = PROFILES[profile] if isinstance(profile, str) else profile
    rng = random.Random(seed)
    cur = build_curriculum(p, rng)
    courses = [c for c in cur.courses if c.size > 0]
    for c in courses:
        if c.kind != CourseKind.CORE and c.size <= p.seminar_capacity:
            c.room_type = "seminar"
    faculty = assign_faculty(p, rng, cur.departments, courses)
    rooms = build_rooms(p, rng, cur.schools, courses)
    return Instance(
        name=f"synthetic-{p.name}-{seed}",
        grid=TimeGrid.standard(n_days=p.n_days, n_periods=p.n_periods, lunch_after=p.lunch_after),
        schools=tuple(School(id=s.id, name=s.name) for s in cur.schools),
        departments=tuple(Department(id=d.id, name=d.name, school=d.school) for d in cur.departments),
        rooms=tuple(rooms),
        faculty=tuple(faculty),
        batches=tuple(
            Batch(
                id=b.id, name=f"{b.program} year {b.year} {b.section}", department=b.department,
                program=b.program, year=b.year, section=b.section, size=len(b.students),
            )
            for b in cur.batches
        ),
        students=tuple(
            Student(id=s, batch=b.id, courses=tuple(cur.choices.get(s, ()))) for b in cur.batches for s in b.students
        ),
        courses=tuple(_course(c) for c in courses),
    )


def _course(c: CourseDraft) -> Course:
    return Course(
        id=c.id, code=c.code, name=c.name, department=c.department, kind=c.kind, faculty=(c.faculty,),
        sessions_per_week=c.sessions, session_length=c.length, min_days=min(c.sessions, 3), max_per_day=1,
        room_type=c.room_type, batches=tuple(c.batches),
    )


def describe(instance: Instance) -> dict[str, int]:
    """Counts that say how big an instance is: organisation, teaching, students and resources."""
    kinds = Counter(c.kind.value if c.kind else "other" for c in instance.courses)
    room_types = Counter(r.type for r in instance.rooms)
    out = {
        "schools": len(instance.schools),
        "departments": len(instance.departments),
        "programs": len({(b.department, b.program) for b in instance.batches}),
        "batches": len(instance.batches),
        "courses": len(instance.courses),
        **{f"courses_{k}": kinds[k.value] for k in CourseKind},
        "courses_lab": sum(1 for c in instance.courses if c.room_type == "lab"),
        "sessions": instance.n_sessions,
        "weekly_periods": sum(c.periods_per_week for c in instance.courses),
        "students": len(instance.students),
        "students_with_electives": sum(1 for s in instance.students if s.courses),
        "faculty": len(instance.faculty),
        "rooms": len(instance.rooms),
        **{f"rooms_{t}": n for t, n in sorted(room_types.items())},
        "slots": instance.grid.n_slots,
    }
    if kinds["other"]:
        out["courses_other"] = kinds["other"]
    return out

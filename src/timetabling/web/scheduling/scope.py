"""A run for some departments keeps every other department's published sessions where they are: those sessions
still hold their rooms, their faculty and their students. The scope's instance gets them as unavailable
periods: of the rooms and faculty they use, and of the scope's courses whose batches or students attend them,
so that nothing the run places can clash with a published session it does not own."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from timetabling.engine.model import Instance, Slot
from timetabling.web.academics import models as am
from timetabling.web.scheduling.models import Timetable, TimetableSlot, TimetableStatus


def published_elsewhere(org: am.Organization, academic_year: str, semester: int, ours: set[str]
                        ) -> list[tuple[Any, ...]]:
    """The slot rows of the term's published timetables whose course is not one of ``ours``: (course code,
    session length, session, day, period, faculty code, room code, batch code)."""
    published = Timetable.objects.filter(organization=org, status=TimetableStatus.PUBLISHED,
                                         academic_year=academic_year, semester=semester)
    return list(TimetableSlot.objects.filter(timetable__in=published).exclude(course__code__in=ours).values_list(
        "course__code", "course__session_length", "session", "day", "period", "faculty__code", "room__code",
        "batch__code"))


def keep_others_fixed(instance: Instance, org: am.Organization, academic_year: str, semester: int
                      ) -> tuple[Instance, int]:
    """``instance`` (a run's scope) with the periods of every other published session blocked for the rooms,
    faculty, batches and students it occupies; and how many such sessions there are."""
    ours = {c.id for c in instance.courses}
    rows = published_elsewhere(org, academic_year, semester, ours)
    if not rows:
        return instance, 0
    grid = instance.grid
    busy: dict[str, dict[str, set[Slot]]] = {k: defaultdict(set) for k in ("course", "faculty", "room", "batch")}
    sessions = set()
    for course, length, session, day, period, faculty, room, batch in rows:
        covered = {Slot(day, p) for p in range(period, min(period + max(1, length or 1), grid.n_periods))}
        sessions.add((course, session))
        busy["course"][course] |= covered
        for kind, code in (("faculty", faculty), ("room", room), ("batch", batch)):
            if code:
                busy[kind][code] |= covered
    # a student is busy when their batch or one of their electives has a published session elsewhere
    student_busy: dict[str, set[Slot]] = defaultdict(set)
    codes = {s.id for s in instance.students}
    for code, batch in am.Student.objects.filter(organization=org, code__in=codes).values_list("code", "batch__code"):
        student_busy[code] |= busy["batch"].get(batch, set())
    for code, course in am.ElectiveChoice.objects.filter(
            student__organization=org, student__code__in=codes, course__code__in=busy["course"]).values_list(
            "student__code", "course__code"):
        student_busy[code] |= busy["course"][course]
    attendees: dict[str, set[Slot]] = defaultdict(set)  # per course of the scope: when its students are taken
    members: dict[str, set[Slot]] = defaultdict(set)  # per batch of the scope: when one of its students is
    for s in instance.students:
        for c in s.courses:
            attendees[c] |= student_busy.get(s.id, set())
        if s.batch:
            members[s.batch] |= student_busy.get(s.id, set())
    courses = []
    for c in instance.courses:
        taken = set(attendees.get(c.id, ())).union(*(busy["batch"].get(b, set()) | members.get(b, set())
                                                     for b in c.batches))
        courses.append(c.model_copy(update={"unavailable": c.unavailable | taken}) if taken - c.unavailable else c)
    return instance.model_copy(update={
        "courses": tuple(courses),
        "faculty": tuple(f.model_copy(update={"unavailable": f.unavailable | busy["faculty"][f.id]})
                         if f.id in busy["faculty"] else f for f in instance.faculty),
        "rooms": tuple(r.model_copy(update={"unavailable": r.unavailable | busy["room"][r.id]})
                       if r.id in busy["room"] else r for r in instance.rooms),
    }), len(sessions)

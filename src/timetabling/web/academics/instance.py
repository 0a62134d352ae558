"""The engine ``Instance`` built from one organization's data, and an instance file loaded into it.

``code`` fields are the engine ids, so a generated solution maps back to the records by code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from timetabling.engine import model as em
from timetabling.web.academics import models as am
from timetabling.web.academics.grid import config_fields, organization_grid


def _slots(pairs: Iterable[Any]) -> frozenset[em.Slot]:
    return frozenset(em.Slot(int(p[0]), int(p[1])) for p in pairs or ())


def _code(obj: am.OrgScoped | None) -> str | None:
    return obj.code if obj is not None else None


def build_instance(
    org: am.Organization, department_ids: Iterable[int] = (), batch_ids: Iterable[int] = ()
) -> em.Instance:
    """The organization's data as an engine instance. With departments or batches given, only the courses
    of those departments / attended by those batches, and what they need, are included."""
    courses_qs = am.Course.objects.filter(organization=org).select_related("department")
    department_ids, batch_ids = list(department_ids), list(batch_ids)
    if department_ids:
        courses_qs = courses_qs.filter(department_id__in=department_ids)
    if batch_ids:
        courses_qs = courses_qs.filter(batches__id__in=batch_ids).distinct()
    courses = list(courses_qs.prefetch_related("faculty", "batches"))
    course_codes = {c.code for c in courses}
    subset = bool(department_ids or batch_ids)

    faculty = list(am.Faculty.objects.filter(organization=org).select_related("department"))
    batches = list(am.Batch.objects.filter(organization=org).select_related("department", "program"))
    if subset:
        used_faculty = {f.code for c in courses for f in c.faculty.all()}
        used_batches = {b.code for c in courses for b in c.batches.all()}
        faculty = [f for f in faculty if f.code in used_faculty]
        batches = [b for b in batches if b.code in used_batches]
    batch_codes = {b.code for b in batches}

    students = []
    for s in am.Student.objects.filter(organization=org).select_related("batch").prefetch_related("electives"):
        chosen = tuple(sorted(c.code for c in s.electives.all() if c.code in course_codes))
        batch = s.batch.code if s.batch and s.batch.code in batch_codes else None
        if batch or chosen:
            students.append(em.Student(id=s.code, batch=batch, courses=chosen))

    rules = em.Rules.model_validate(org.rules) if org.rules else em.Rules()
    return em.Instance(
        name=org.slug,
        grid=organization_grid(org),
        schools=tuple(em.School(id=s.code, name=s.name) for s in am.School.objects.filter(organization=org)),
        departments=tuple(
            em.Department(id=d.code, name=d.name, school=_code(d.school))
            for d in am.Department.objects.filter(organization=org).select_related("school")
        ),
        rooms=tuple(
            em.Room(
                id=r.code, name=r.name, capacity=r.capacity, type=r.room_type, features=frozenset(r.features),
                building=r.building, department=_code(r.department), shared=r.shared,
                unavailable=_slots(r.unavailable),
            )
            for r in am.Room.objects.filter(organization=org).select_related("department")
        ),
        faculty=tuple(
            em.Faculty(
                id=f.code, name=f.name, department=_code(f.department), max_hours_per_week=f.max_hours_per_week,
                max_hours_per_day=f.max_hours_per_day, max_consecutive=f.max_consecutive,
                unavailable=_slots(f.unavailable),
                preferred=tuple(em.PreferredSlot(day=p[0], period=p[1], weight=p[2] if len(p) > 2 else 1)
                                for p in f.preferred),
            )
            for f in faculty
        ),
        batches=tuple(
            em.Batch(
                id=b.code, name=b.name, department=_code(b.department), program=_code(b.program) or "",
                year=b.year, section=b.section, size=b.size,
            )
            for b in batches
        ),
        students=tuple(students),
        courses=tuple(
            em.Course(
                id=c.code, code=c.course_code, name=c.name, department=_code(c.department), kind=c.kind,
                faculty=tuple(sorted(f.code for f in c.faculty.all())),
                sessions_per_week=c.sessions_per_week, session_length=c.session_length,
                min_days=c.min_days, max_per_day=c.max_per_day, room_type=c.room_type,
                room_features=frozenset(c.room_features),
                batches=tuple(sorted(b.code for b in c.batches.all() if b.code in batch_codes)),
                size=c.size, fixed=tuple(em.Slot(int(s[0]), int(s[1])) for s in c.fixed),
                unavailable=_slots(c.unavailable),
            )
            for c in courses
        ),
        rules=rules,
    )


def nep_credits(course: em.Course) -> int:
    """NEP 2020: one credit per weekly lecture hour, one per two lab/practical hours."""
    if course.session_length > 1:
        return max(1, course.periods_per_week // 2)
    return course.periods_per_week


def _pairs(slots: Iterable[em.Slot]) -> list[list[int]]:
    return [[s[0], s[1]] for s in sorted(slots)]


@transaction.atomic
def import_instance(org: am.Organization, instance: em.Instance) -> dict[str, int]:
    """Replace the organization's academic data with ``instance``; returns the number of records per kind."""
    for kind in (am.ElectiveChoice,):
        kind.objects.filter(student__organization=org).delete()
    for kind in (am.Student, am.Course, am.Batch, am.Program, am.Faculty, am.Room, am.Department, am.School):
        kind.objects.filter(organization=org).delete()
    org.rules = instance.rules.model_dump(mode="json")
    org.save(update_fields=["rules"])
    am.TimeGridConfig.objects.update_or_create(organization=org, defaults=config_fields(instance.grid))

    def bulk(kind: type[am.OrgScoped], rows: list[am.OrgScoped]) -> dict[str, Any]:
        kind.objects.bulk_create(rows, batch_size=500)
        return {o.code: o for o in kind.objects.filter(organization=org)}

    schools = bulk(am.School, [am.School(organization=org, code=s.id, name=s.name) for s in instance.schools])
    departments = bulk(am.Department, [
        am.Department(organization=org, code=d.id, name=d.name, school=schools.get(d.school or ""))
        for d in instance.departments
    ])
    programs_of = {}
    for b in instance.batches:
        if b.program and b.program not in programs_of:
            programs_of[b.program] = b.department
    programs = bulk(am.Program, [
        am.Program(organization=org, code=code, name=code, department=departments.get(dept or ""))
        for code, dept in programs_of.items()
    ])
    rooms = bulk(am.Room, [
        am.Room(
            organization=org, code=r.id, name=r.name, capacity=r.capacity, room_type=r.type,
            features=sorted(r.features), building=r.building, department=departments.get(r.department or ""),
            shared=r.shared, unavailable=_pairs(r.unavailable),
        )
        for r in instance.rooms
    ])
    faculty = bulk(am.Faculty, [
        am.Faculty(
            organization=org, code=f.id, name=f.name, department=departments.get(f.department or ""),
            max_hours_per_week=f.max_hours_per_week, max_hours_per_day=f.max_hours_per_day,
            max_consecutive=f.max_consecutive, unavailable=_pairs(f.unavailable),
            preferred=[[p.day, p.period, p.weight] for p in f.preferred],
        )
        for f in instance.faculty
    ])
    batches = bulk(am.Batch, [
        am.Batch(
            organization=org, code=b.id, name=b.name, department=departments.get(b.department or ""),
            program=programs.get(b.program), year=b.year, section=b.section, size=b.size,
        )
        for b in instance.batches
    ])
    courses = bulk(am.Course, [
        am.Course(
            organization=org, code=c.id, name=c.name, course_code=c.code,
            department=departments.get(c.department or ""),
            kind=c.kind.value if c.kind else am.CourseKind.CORE, credits=nep_credits(c),
            sessions_per_week=c.sessions_per_week, session_length=c.session_length, min_days=c.min_days,
            max_per_day=c.max_per_day, room_type=c.room_type, room_features=sorted(c.room_features), size=c.size,
            fixed=[[s[0], s[1]] for s in c.fixed], unavailable=_pairs(c.unavailable),
        )
        for c in instance.courses
    ])
    course_faculty = am.Course.faculty.through
    course_batches = am.Course.batches.through
    course_faculty.objects.bulk_create(
        [course_faculty(course=courses[c.id], faculty=faculty[f]) for c in instance.courses for f in c.faculty],
        batch_size=1000,
    )
    course_batches.objects.bulk_create(
        [course_batches(course=courses[c.id], batch=batches[b]) for c in instance.courses for b in c.batches],
        batch_size=1000,
    )
    students = bulk(am.Student, [
        am.Student(organization=org, code=s.id, name=s.id, batch=batches.get(s.batch or ""))
        for s in instance.students
    ])
    am.ElectiveChoice.objects.bulk_create(
        [am.ElectiveChoice(student=students[s.id], course=courses[c]) for s in instance.students for c in s.courses],
        batch_size=1000,
    )
    return {
        "schools": len(schools), "departments": len(departments), "programs": len(programs), "rooms": len(rooms),
        "faculty": len(faculty), "batches": len(batches), "courses": len(courses), "students": len(students),
    }

"""The engine ``Instance`` built from one organization's data, and an instance file loaded into it.

``code`` fields are the engine ids, so a generated solution maps back to the records by code.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from pydantic import ValidationError

from timetabling.engine import model as em
from timetabling.engine.errors import InputError
from timetabling.engine.formats.native import parse, validation_problems
from timetabling.web.academics import models as am
from timetabling.web.academics.grid import config_fields, organization_grid


def _pairs_json(pairs: Any) -> Any:
    """A stored slot list as the engine's native JSON has it; what is not a list is left for the engine's
    validation to name."""
    return list(pairs) if isinstance(pairs, list | tuple) else pairs


def _code(obj: am.OrgScoped | None) -> str | None:
    return obj.code if obj is not None else None


def _preferences(stored: Any) -> Any:
    """A faculty member's stored soft levels as the engine's ``preferences`` (neutral slots are not stated, and
    prohibited ones go as ``unavailable``: one who states nothing else has no preferences to satisfy); what is
    not a list is left for the engine's validation to name."""
    if not isinstance(stored, list):
        return stored
    cells = [(p, isinstance(p, list | tuple) and len(p) >= 3) for p in stored]
    return [{"day": p[0], "period": p[1], "level": p[2]} if whole else p
            for p, whole in cells if not (whole and p[2] in (am.NEUTRAL, am.PROHIBITED))]


def _stored_levels(f: em.Faculty) -> list[list[Any]]:
    """The engine's faculty levels as the web stores them: every stated slot, unavailable ones prohibited."""
    levels: dict[em.Slot, str] = {slot: level.value for slot, level in f.levels().items()}
    levels.update((slot, em.PreferenceLevel.PROHIBITED.value) for slot in f.unavailable)
    return [[s[0], s[1], level] for s, level in sorted(levels.items()) if level != em.PreferenceLevel.NEUTRAL]


def _links(rows: Iterable[tuple[int, str]]) -> dict[int, list[str]]:
    """(record id, linked code) rows -> record id -> linked codes."""
    links: dict[int, list[str]] = defaultdict(list)
    for pk, code in rows:
        links[pk].append(code)
    return links


def instance_data(
    org: am.Organization, department_ids: Iterable[int] = (), batch_ids: Iterable[int] = ()
) -> dict[str, Any]:
    """The organization's data as the engine's native JSON (unvalidated). With departments or batches given,
    only the courses of those departments / attended by those batches, and what they need, are included."""
    courses_qs = am.Course.objects.filter(organization=org).select_related("department")
    department_ids, batch_ids = list(department_ids), list(batch_ids)
    if department_ids:
        courses_qs = courses_qs.filter(department_id__in=department_ids)
    if batch_ids:
        courses_qs = courses_qs.filter(batches__id__in=batch_ids).distinct()
    courses = list(courses_qs)
    course_codes = {c.code for c in courses}
    subset = bool(department_ids or batch_ids)
    # the many-to-many links as plain rows: at the reference scale, model instances per link take seconds
    course_faculty = _links(am.Course.faculty.through.objects.filter(course__organization=org)
                            .values_list("course_id", "faculty__code"))
    course_batches = _links(am.Course.batches.through.objects.filter(course__organization=org)
                            .values_list("course_id", "batch__code"))

    faculty = list(am.Faculty.objects.filter(organization=org).select_related("department"))
    batches = list(am.Batch.objects.filter(organization=org).select_related("department", "program"))
    if subset:
        used_faculty = {f for c in courses for f in course_faculty.get(c.pk, ())}
        used_batches = {b for c in courses for b in course_batches.get(c.pk, ())}
        faculty = [f for f in faculty if f.code in used_faculty]
        batches = [b for b in batches if b.code in used_batches]
    batch_codes = {b.code for b in batches}

    electives = _links(am.ElectiveChoice.objects.filter(student__organization=org)
                       .values_list("student_id", "course__code"))
    students = []
    for pk, code, batch_code in am.Student.objects.filter(organization=org).values_list("pk", "code", "batch__code"):
        chosen = sorted(c for c in electives.get(pk, ()) if c in course_codes)
        batch = batch_code if batch_code in batch_codes else None
        if batch or chosen:
            students.append({"id": code, "batch": batch, "courses": chosen})

    try:
        grid: Any = organization_grid(org).model_dump(mode="json")
    except ValidationError as err:  # a time grid configuration the engine cannot use
        raise InputError(f"organization '{org.slug}'", [f"time grid: {p}" for p in validation_problems(err)]) from None
    data: dict[str, Any] = {
        "name": org.slug,
        "grid": grid,
        "schools": [{"id": s.code, "name": s.name} for s in am.School.objects.filter(organization=org)],
        "departments": [
            {"id": d.code, "name": d.name, "school": _code(d.school)}
            for d in am.Department.objects.filter(organization=org).select_related("school")
        ],
        "rooms": [
            {"id": r.code, "name": r.name, "capacity": r.capacity, "type": r.room_type, "features": r.features,
             "building": r.building, "department": _code(r.department), "shared": r.shared,
             "unavailable": _pairs_json(r.unavailable)}
            for r in am.Room.objects.filter(organization=org).select_related("department")
        ],
        "faculty": [
            {"id": f.code, "name": f.name, "department": _code(f.department),
             "max_hours_per_week": f.max_hours_per_week, "max_hours_per_day": f.max_hours_per_day,
             "max_consecutive": f.max_consecutive,
             "unavailable": f.unavailable, "preferences": _preferences(f.preferences)}
            for f in faculty
        ],
        "batches": [
            {"id": b.code, "name": b.name, "department": _code(b.department), "program": _code(b.program) or "",
             "year": b.year, "section": b.section, "size": b.size}
            for b in batches
        ],
        "students": students,
        "courses": [
            {"id": c.code, "code": c.course_code, "name": c.name, "department": _code(c.department), "kind": c.kind,
             "faculty": sorted(course_faculty.get(c.pk, ())), "sessions_per_week": c.sessions_per_week,
             "session_length": c.session_length, "min_days": c.min_days, "max_per_day": c.max_per_day,
             "room_type": c.room_type, "room_features": c.room_features,
             "batches": sorted(b for b in course_batches.get(c.pk, ()) if b in batch_codes),
             "size": c.size, "fixed": _pairs_json(c.fixed), "unavailable": _pairs_json(c.unavailable)}
            for c in courses
        ],
    }
    if org.rules:
        data["rules"] = org.rules
    return data


# the records behind the native file's collections, in words
RECORD_KINDS = {"schools": "school", "departments": "department", "rooms": "room", "faculty": "faculty member",
                "batches": "batch", "students": "student", "courses": "course"}
_PROBLEM = re.compile(r"^(?P<kind>[a-z]+)\[(?P<index>\d+)\](?:\.(?P<field>[^:]*))?: (?P<reason>.*)$", re.S)


@dataclass(frozen=True)
class RecordProblem:
    """One problem of the engine's model rules, on one record: ``course 'CS201-A', sessions_per_week: ...``."""

    kind: str  # the native file's collection: courses, rooms, ...
    code: str
    field: str  # the engine's field path inside the record, e.g. ``session_length`` or ``fixed[0]``
    reason: str

    def __str__(self) -> str:
        where = f"{RECORD_KINDS[self.kind]} '{self.code}'"
        return f"{where}, {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


def record_problems(problems: Iterable[str], data: dict[str, Any]) -> list[RecordProblem | str]:
    """The engine's problems (paths into ``data``, as ``check-instance`` prints them), each turned into a
    :class:`RecordProblem` naming the record by its code where the path points at one."""
    out: list[RecordProblem | str] = []
    for problem in problems:
        match = _PROBLEM.match(problem)
        items = data.get(match["kind"]) if match else None
        index = int(match["index"]) if match else -1
        if not match or match["kind"] not in RECORD_KINDS or not isinstance(items, list) or index >= len(items):
            out.append(problem)
            continue
        item = items[index]
        code = str(item.get("id", f"#{index + 1}")) if isinstance(item, dict) else f"#{index + 1}"
        out.append(RecordProblem(match["kind"], code, match["field"] or "", match["reason"]))
    return out


def check_instance(org: am.Organization, department_ids: Iterable[int] = (),
                   batch_ids: Iterable[int] = ()) -> tuple[em.Instance | None, list[RecordProblem | str]]:
    """The engine's instance of the organization's data, or None and every problem the engine's model rules
    find in it (the messages of ``timetable check-instance``, naming records by code)."""
    data = instance_data(org, department_ids, batch_ids)
    try:
        return parse(em.Instance, data, f"organization '{org.slug}'"), []
    except InputError as err:
        return None, record_problems(err.problems, data)


def build_instance(
    org: am.Organization, department_ids: Iterable[int] = (), batch_ids: Iterable[int] = ()
) -> em.Instance:
    """The organization's data as an engine instance; an :class:`InputError` naming each record the engine's
    model rules refuse (data stored before uploads were checked, or edited in the admin)."""
    instance, problems = check_instance(org, department_ids, batch_ids)
    if instance is None:
        raise UnusableData(f"organization '{org.slug}'", problems)
    return instance


class UnusableData(InputError):
    """The organization's data breaks the engine's model rules; ``records`` names the records."""

    def __init__(self, source: str, records: list[RecordProblem | str]) -> None:
        super().__init__(source, [str(r) for r in records])
        self.records = records

    @property
    def field(self) -> str | None:
        """The first problem's record and field, as an API error's ``field``: ``courses[CS201-A].session_length``."""
        first = self.records[0] if self.records else None
        if not isinstance(first, RecordProblem):
            return None
        return f"{first.kind}[{first.code}]" + (f".{first.field}" if first.field else "")


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
            max_consecutive=f.max_consecutive, preferences=_stored_levels(f),
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

"""Schools, departments, programs, batches, students, courses and elective choices."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from timetabling.engine.generator.catalog import SCHOOLS, code_for, school_code
from timetabling.engine.generator.drafts import BatchDraft, CourseDraft, DepartmentDraft, SchoolDraft
from timetabling.engine.generator.profiles import LECTURE_SIZES, Profile
from timetabling.engine.model import CourseKind


@dataclass
class Curriculum:
    """Everything about teaching and students; resources (faculty, rooms) come afterwards."""

    schools: list[SchoolDraft] = field(default_factory=list)
    batches: list[BatchDraft] = field(default_factory=list)
    courses: list[CourseDraft] = field(default_factory=list)
    choices: dict[str, list[str]] = field(default_factory=dict)  # student id -> elective course ids

    @property
    def departments(self) -> list[DepartmentDraft]:
        return [d for s in self.schools for d in s.departments]


def build_curriculum(p: Profile, rng: random.Random) -> Curriculum:
    cur = Curriculum(schools=_organisation(p, rng))
    year_students: dict[tuple[str, int], list[BatchDraft]] = defaultdict(list)  # (school, year) -> batches
    for dept in cur.departments:
        for program, years, tag in _programs(p, rng, dept):
            for year in range(1, years + 1):
                batches = _batches(p, rng, dept, program, year)
                cur.batches.extend(batches)
                year_students[dept.school, year].extend(batches)
                code = f"{dept.id}{tag}{year}"
                cur.courses.extend(_batch_courses(p, rng, dept, code, batches))
                if year >= p.de_from_year:
                    cur.courses.extend(_department_electives(p, rng, dept, code, batches, cur.choices))
    for (school, year), batches in year_students.items():
        depts = [d for s in cur.schools if s.id == school for d in s.departments]
        cur.courses.extend(_open_electives(p, rng, depts, year, batches, cur.choices))
    return cur


def _organisation(p: Profile, rng: random.Random) -> list[SchoolDraft]:
    """``n_schools`` schools sharing ``n_departments`` departments as evenly as the catalog allows."""
    catalog = list(SCHOOLS[: p.n_schools])
    while len(catalog) < p.n_schools:
        catalog.append((f"School {len(catalog) + 1}", ()))
    per_school = [p.n_departments // p.n_schools] * p.n_schools
    for i in rng.sample(range(p.n_schools), p.n_departments % p.n_schools):
        per_school[i] += 1
    school_codes: set[str] = set()
    dept_codes: set[str] = set()
    schools = []
    for (name, dept_names), n in zip(catalog, per_school, strict=True):
        school = SchoolDraft(id=school_code(name, school_codes), name=f"School of {name}")
        names = list(dept_names[:n]) + [f"{name} Department {k + 1}" for k in range(n - len(dept_names))]
        for dname in names:
            school.departments.append(DepartmentDraft(id=code_for(dname, dept_codes), name=dname, school=school.id))
        schools.append(school)
    return schools


def _programs(p: Profile, rng: random.Random, dept: DepartmentDraft) -> list[tuple[str, int, str]]:
    """``(program id, years, course code tag)``: an undergraduate program and perhaps a postgraduate one."""
    out = [(f"{dept.id}-UG", rng.choice(p.ug_years), "")]
    if rng.random() < p.second_program_share:
        out.append((f"{dept.id}-PG", p.pg_years, "P"))
    return out


def _batches(p: Profile, rng: random.Random, dept: DepartmentDraft, program: str, year: int) -> list[BatchDraft]:
    """One program year, split into equal sections of at most ``max_batch_size`` students."""
    intake = rng.randint(*p.intake)
    n_sections = math.ceil(intake / p.max_batch_size)
    out = []
    for s in range(n_sections):
        section = "ABCDEFGH"[s]
        size = intake // n_sections + (1 if s < intake % n_sections else 0)
        batch = BatchDraft(
            id=f"{program}{year}{section}", department=dept.id, school=dept.school, program=program,
            year=year, section=section,
        )
        batch.students = [f"{batch.id}-{i + 1:03d}" for i in range(size)]
        out.append(batch)
    return out


def _core_sessions(p: Profile, rng: random.Random, lab_length: int, electives: int) -> list[int]:
    """Sessions per week of each core course, trimmed until the batch stays within ``max_batch_load``."""
    most = max(2, p.n_days - 1)  # one session a day, and a spare day
    sessions = [min(rng.choice(p.core_sessions), most) for _ in range(rng.randint(*p.core_courses))]
    limit = int(p.max_batch_load * p.n_slots)
    while sum(sessions) + lab_length + electives > limit:
        if max(sessions) > 2:
            sessions[sessions.index(max(sessions))] -= 1
        else:
            sessions.pop()
    return sessions


def _batch_courses(
    p: Profile, rng: random.Random, dept: DepartmentDraft, code: str, batches: list[BatchDraft]
) -> list[CourseDraft]:
    """Core lecture courses and one lab for each section of a program year."""
    lab_length = rng.choice(p.lab_lengths)
    electives = p.elective_sessions * (1 + (batches[0].year >= p.de_from_year))
    out = []
    for k, sessions in enumerate(_core_sessions(p, rng, lab_length, electives)):
        for b in batches:
            out.append(CourseDraft(
                id=f"{code}{k + 1:02d}-{b.section}", code=f"{code}{k + 1:02d}",
                name=f"{dept.name} {code[-1]}{k + 1:02d}", department=dept.id, school=dept.school,
                kind=CourseKind.CORE, sessions=sessions, batches=[b.id], size=len(b.students),
            ))
    for b in batches:
        out.append(CourseDraft(
            id=f"{code}L1-{b.section}", code=f"{code}L1", name=f"{dept.name} Lab {code[-1]}",
            department=dept.id, school=dept.school, kind=CourseKind.CORE, sessions=1, length=lab_length,
            room_type="lab", batches=[b.id], size=len(b.students),
        ))
    return out


def _department_electives(
    p: Profile, rng: random.Random, dept: DepartmentDraft, code: str, batches: list[BatchDraft],
    choices: dict[str, list[str]],
) -> list[CourseDraft]:
    """A few electives of one program year; each of its students chooses exactly one."""
    students = [s for b in batches for s in b.students]
    n = min(max(math.ceil(len(students) / p.de_target_size), p.de_offered[0]), p.de_offered[1])
    cap = min(LECTURE_SIZES[-1], max(p.de_target_size, math.ceil(1.3 * len(students) / n)))
    electives = [
        CourseDraft(
            id=f"{code}E{k + 1}", code=f"{code}E{k + 1}", name=f"{dept.name} Elective {code[-1]}{k + 1}",
            department=dept.id, school=dept.school, kind=CourseKind.DEPARTMENT_ELECTIVE,
            sessions=p.elective_sessions, cap=cap,
        )
        for k in range(n)
    ]
    _choose(rng, students, electives, choices, lambda student, course: True)
    return electives


def _open_electives(
    p: Profile, rng: random.Random, depts: list[DepartmentDraft], year: int, batches: list[BatchDraft],
    choices: dict[str, list[str]],
) -> list[CourseDraft]:
    """A shared pool for one (school, year); a student may choose one offered outside their department."""
    dept_of = {s: b.department for b in batches for s in b.students}
    takers = [s for s in dept_of if rng.random() < p.oe_take_share]
    n = max(2, math.ceil(len(takers) / p.oe_target_size))
    cap = min(p.oe_cap, LECTURE_SIZES[-1], max(p.oe_target_size, math.ceil(1.3 * len(takers) / n)))
    offering = [depts[i % len(depts)] for i in rng.sample(range(max(n, len(depts))), n)]
    electives = []
    for k, dept in enumerate(sorted(offering, key=lambda d: d.id)):
        code = f"OE{dept.school}{year}{k + 1}"
        electives.append(CourseDraft(
            id=code, code=code, name=f"Open Elective: {dept.name} {year}{k + 1}", department=dept.id,
            school=dept.school, kind=CourseKind.OPEN_ELECTIVE, sessions=p.elective_sessions, cap=cap,
        ))
    several = len({c.department for c in electives}) > 1
    _choose(rng, takers, electives, choices, lambda s, c: not several or c.department != dept_of[s])
    return electives


def _choose(
    rng: random.Random,
    students: list[str],
    electives: list[CourseDraft],
    choices: dict[str, list[str]],
    allowed: Callable[[str, CourseDraft], bool],
) -> None:
    """Each student picks one allowed elective that still has room, by popularity; each gets one first."""
    popularity = [rng.uniform(0.5, 1.5) for _ in electives]
    order = rng.sample(students, len(students))
    for i, student in enumerate(order):
        open_ = [k for k, c in enumerate(electives) if c.size < c.cap and allowed(student, c)]
        if not open_:
            continue
        seed_first = [k for k in open_ if electives[k].size == 0]
        if i < len(electives) and seed_first:
            k = seed_first[0]
        else:
            k = rng.choices(open_, weights=[popularity[j] for j in open_])[0]
        electives[k].size += 1
        choices.setdefault(student, []).append(electives[k].id)

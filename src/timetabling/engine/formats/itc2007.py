"""ITC-2007 track 3 (curriculum-based course timetabling): ``.ctt`` instances and ``.sol`` solutions.

The reader maps the competition's vocabulary onto the engine's own model, so the same solver and
checker serve both:

- teacher -> :class:`Faculty` with hour limits that can never bind;
- course -> :class:`Course` of ``lectures`` one-period sessions, ``size`` = the course's students;
- curriculum -> :class:`Batch` of size 0 (the course carries its own student count);
- room -> :class:`Room` of type ``lecture``; course unavailability -> ``Course.unavailable``;
- the official "UD2" scoring -> :data:`ITC_RULES`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time
from pathlib import Path

from timetabling.engine.errors import InputError
from timetabling.engine.formats.lines import Line, Problems, check_fields, read_lines
from timetabling.engine.model import (
    ALWAYS_HARD,
    Assignment,
    Batch,
    Course,
    Faculty,
    Instance,
    Period,
    Room,
    Rule,
    Rules,
    Slot,
    Solution,
    TimeGrid,
)

__all__ = [
    "ITC_RULES",
    "itc_faculty",
    "itc_grid",
    "read_ctt",
    "read_itc_solution",
    "resolve_room",
    "write_itc_solution",
]

# The official UD2 weights; every other rule is off (hard ones cannot bind: see itc_faculty).
ITC_RULES = Rules(
    hard=ALWAYS_HARD,
    weights={
        Rule.ROOM_CAPACITY: 1,  # per student over capacity, per lecture
        Rule.COURSE_MIN_DAYS: 5,  # per day below the course's minimum working days
        Rule.ISOLATED_SESSION: 2,  # per isolated lecture of a curriculum (curriculum compactness)
        Rule.ROOM_STABILITY: 1,  # per distinct room of a course beyond the first
        Rule.FACULTY_PREFERENCE: 0,
        Rule.BATCH_IDLE: 0,
        Rule.FACULTY_DAILY_HOURS: 0,
        Rule.FACULTY_WEEKLY_HOURS: 0,
        Rule.FACULTY_CONSECUTIVE: 0,
        Rule.COURSE_MAX_PER_DAY: 0,
    },
)

HEADER_FIELDS = ("Name", "Courses", "Rooms", "Days", "Periods_per_day", "Curricula", "Constraints")
SECTIONS = ("COURSES:", "ROOMS:", "CURRICULA:", "UNAVAILABILITY_CONSTRAINTS:", "END.")
# the header field that counts the lines of each section
SECTION_COUNT = {
    "COURSES:": "Courses",
    "ROOMS:": "Rooms",
    "CURRICULA:": "Curricula",
    "UNAVAILABILITY_CONSTRAINTS:": "Constraints",
}


# -------------------------------------------------------------------------------------------- .ctt


def read_ctt(path: str | Path) -> Instance:
    """Read an ITC-2007 ``.ctt`` file; any problem raises :class:`InputError` with its line number."""
    path = Path(path)
    lines = read_lines(path)
    problems = Problems()
    header, sections = _split_sections(lines, problems)
    if problems.items:
        raise InputError(str(path), problems.items)

    for section, count_field in SECTION_COUNT.items():
        expected = header.get(count_field)
        start, body = sections[section]
        if expected is not None and expected != len(body):
            problems.add(
                start,
                f"the header says {count_field}: {expected} but the {section} section has {len(body)} line(s)",
            )
    n_days, n_periods = header.get("Days"), header.get("Periods_per_day")
    if problems.items or not isinstance(n_days, int) or not isinstance(n_periods, int):
        raise InputError(str(path), problems.items)

    courses, teachers, sizes = _courses(sections["COURSES:"][1], problems)
    rooms = _rooms(sections["ROOMS:"][1], problems)
    attending = _curricula(sections["CURRICULA:"][1], courses, problems)
    unavailable = _unavailability(sections["UNAVAILABILITY_CONSTRAINTS:"][1], courses, n_days, n_periods, problems)
    if problems.items:
        raise InputError(str(path), problems.items)

    n_slots = n_days * n_periods
    faculty = tuple(itc_faculty(t, n_slots, n_periods) for t in teachers)
    course_models = []
    for cid, (line_no, teacher, lectures, min_days) in courses.items():
        if min_days > lectures:
            problems.add(line_no, f"course '{cid}' needs {min_days} working days but has only {lectures} lectures")
            continue
        course_models.append(
            Course(
                id=cid,
                faculty=(teacher,),
                sessions_per_week=lectures,
                session_length=1,
                max_per_day=lectures,
                min_days=min_days,
                room_type="lecture",
                batches=tuple(attending.get(cid, ())),
                size=sizes[cid],
                unavailable=frozenset(unavailable.get(cid, ())),
            )
        )
    if problems.items:
        raise InputError(str(path), problems.items)
    batches = tuple(Batch(id=q, size=0) for q in _curricula_ids(sections["CURRICULA:"][1]))
    return Instance(
        name=str(header.get("Name") or path.stem),
        grid=itc_grid(n_days, n_periods),
        rooms=tuple(rooms),
        faculty=faculty,
        batches=batches,
        courses=tuple(course_models),
        rules=ITC_RULES,
    )


def itc_grid(n_days: int, n_periods: int) -> TimeGrid:
    """``n_days`` x ``n_periods`` without breaks; clock times are nominal (ITC gives none)."""
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    names = days[:n_days] if n_days <= len(days) else tuple(f"D{d + 1}" for d in range(n_days))
    minutes = max(1, min(60, (15 * 60) // n_periods))  # fit any number of periods into 08:00-23:00
    periods = []
    for p in range(n_periods):
        start = 8 * 60 + p * minutes
        end = start + minutes
        periods.append(Period(name=f"P{p + 1}", start=time(start // 60, start % 60), end=time(end // 60, end % 60)))
    return TimeGrid(days=tuple(names), periods=tuple(periods))


def itc_faculty(teacher: str, n_slots: int, n_periods: int) -> Faculty:
    """An ITC teacher as a faculty member: ITC has no teacher hour limits, so each is set above anything a
    clash-free timetable can reach (``n_slots`` a week, ``n_periods`` a day)."""
    return Faculty(
        id=teacher,
        max_hours_per_week=n_slots,
        max_hours_per_day=n_periods,
        max_consecutive=max(1, n_periods),
    )


Header = dict[str, int | str | None]  # field -> value; None where the value is unusable (reported)


def _split_sections(lines: list[Line], problems: Problems) -> tuple[Header, dict[str, tuple[int, list[Line]]]]:
    """Header fields, and for each section its header's line number and its body lines."""
    it: Iterator[Line] = iter(lines)
    header: Header = {}
    sections: dict[str, tuple[int, list[Line]]] = {}
    current: str | None = None
    expected = iter(SECTIONS)
    next_section = next(expected)
    last_line = 0
    for line in it:
        last_line = line.number
        word = line.fields[0]
        if word in SECTIONS:
            if word != next_section:
                problems.add(line.number, f"expected section {next_section} but found {word}")
                return header, sections
            if current is None:
                for name in HEADER_FIELDS:
                    if name not in header:
                        problems.add(line.number, f"the header has no '{name}:' line before {word}")
            if word == "END.":
                rest = next(it, None)
                if rest is not None:
                    problems.add(rest.number, f"unexpected text after END. ({' '.join(rest.fields)!r})")
                return header, sections
            if len(line.fields) > 1:
                problems.add(line.number, f"unexpected text after {word}")
            current = word
            sections[word] = (line.number, [])
            next_section = next(expected)
        elif current is None:
            _header_line(line, header, problems)
        else:
            sections[current][1].append(line)
    problems.add(
        last_line or None,
        f"the file ends without {next_section}" + ("" if next_section == "END." else " (and the sections after it)"),
    )
    return header, sections


def _header_line(line: Line, header: Header, problems: Problems) -> None:
    key, _, value = " ".join(line.fields).partition(":")
    key, value = key.strip(), value.strip()
    if key not in HEADER_FIELDS:
        known = ", ".join(HEADER_FIELDS)
        problems.add(line.number, f"unknown header line {' '.join(line.fields)!r} (expected one of {known})")
        return
    if key in header:
        problems.add(line.number, f"'{key}:' appears twice in the header")
        return
    if key == "Name":
        header[key] = value
        return
    header[key] = None  # seen; replaced by the number once it proves usable
    try:
        number = int(value)
    except ValueError:
        problems.add(line.number, f"'{key}:' must be a whole number (got {value!r})")
        return
    minimum = 1 if key in ("Courses", "Rooms", "Days", "Periods_per_day") else 0
    if number < minimum:
        problems.add(line.number, f"'{key}:' must be at least {minimum} (got {number})")
        return
    header[key] = number


def _courses(
    body: list[Line], problems: Problems
) -> tuple[dict[str, tuple[int, str, int, int]], list[str], dict[str, int]]:
    """Course id -> (line, teacher, lectures, min days); teachers in order of appearance; sizes."""
    courses: dict[str, tuple[int, str, int, int]] = {}
    sizes: dict[str, int] = {}
    teachers: dict[str, None] = {}
    for line in body:
        if not check_fields(line, 5, "course (id teacher lectures min_working_days students)", problems):
            continue
        cid, teacher = line.fields[0], line.fields[1]
        lectures = problems.int_field(line, 2, "lectures", minimum=1)
        min_days = problems.int_field(line, 3, "min_working_days")
        students = problems.int_field(line, 4, "students")
        if cid in courses:
            problems.add(line.number, f"course '{cid}' is listed twice (first on line {courses[cid][0]})")
            continue
        if lectures is None or min_days is None or students is None:
            continue
        courses[cid] = (line.number, teacher, lectures, min_days)
        sizes[cid] = students
        teachers[teacher] = None
    return courses, list(teachers), sizes


def _rooms(body: list[Line], problems: Problems) -> list[Room]:
    rooms: dict[str, Room] = {}
    first: dict[str, int] = {}
    for line in body:
        if not check_fields(line, 2, "room (id capacity)", problems):
            continue
        rid = line.fields[0]
        capacity = problems.int_field(line, 1, "room capacity", minimum=1)
        if rid in rooms:
            problems.add(line.number, f"room '{rid}' is listed twice (first on line {first[rid]})")
            continue
        if capacity is not None:
            rooms[rid] = Room(id=rid, capacity=capacity, type="lecture")
            first[rid] = line.number
    return list(rooms.values())


def _curricula_ids(body: list[Line]) -> list[str]:
    """Curriculum ids in file order, each once."""
    return list(dict.fromkeys(line.fields[0] for line in body))


def _curricula(
    body: list[Line], courses: dict[str, tuple[int, str, int, int]], problems: Problems
) -> dict[str, list[str]]:
    """Course id -> the curricula that contain it."""
    attending: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    for line in body:
        if len(line.fields) < 2:
            problems.add(line.number, "a curriculum line is 'id number_of_courses course...'")
            continue
        qid = line.fields[0]
        n = problems.int_field(line, 1, "number of courses", minimum=0)
        if qid in seen:
            problems.add(line.number, f"curriculum '{qid}' is listed twice (first on line {seen[qid]})")
            continue
        seen[qid] = line.number
        members = line.fields[2:]
        if n is not None and n != len(members):
            problems.add(line.number, f"curriculum '{qid}' says {n} courses but lists {len(members)}")
        for cid in dict.fromkeys(members):
            if cid not in courses:
                problems.add(line.number, f"curriculum '{qid}' lists unknown course '{cid}'")
                continue
            attending.setdefault(cid, []).append(qid)
    return attending


def _unavailability(
    body: list[Line],
    courses: dict[str, tuple[int, str, int, int]],
    n_days: int,
    n_periods: int,
    problems: Problems,
) -> dict[str, set[Slot]]:
    out: dict[str, set[Slot]] = {}
    for line in body:
        if not check_fields(line, 3, "unavailability (course day period)", problems):
            continue
        cid = line.fields[0]
        day = problems.int_field(line, 1, "day")
        period = problems.int_field(line, 2, "period")
        if cid not in courses:
            problems.add(line.number, f"unknown course '{cid}'")
            continue
        if day is None or period is None:
            continue
        if not problems.in_grid(line, day, period, n_days, n_periods):
            continue
        out.setdefault(cid, set()).add(Slot(day, period))
    return out


# -------------------------------------------------------------------------------------------- .sol


def write_itc_solution(instance: Instance, solution: Solution, path: str | Path) -> None:
    """Write ``course room day period``, one line per lecture, courses in instance order."""
    order = {c.id: i for i, c in enumerate(instance.courses)}
    unknown = sorted({a.course for a in solution.assignments if a.course not in order})
    roomless = [f"{a.course} session {a.session}" for a in solution.assignments if a.room is None]
    problems = [f"unknown course '{c}'" for c in unknown]
    problems += [f"{s} has no room (the ITC format needs one per lecture)" for s in roomless]
    if problems:
        raise InputError(str(path), problems)
    rows = sorted(solution.assignments, key=lambda a: (order[a.course], a.session))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{a.course} {a.room} {a.day} {a.period}\n" for a in rows), encoding="utf-8")


def resolve_room(room: str, known: dict[str, Room]) -> str | None:
    """Match ``rB`` to ``B`` and ``B`` to ``rB``: both spellings of ITC room ids are in circulation."""
    if room in known:
        return room
    if room.startswith("r") and room[1:] in known:
        return room[1:]
    if f"r{room}" in known:
        return f"r{room}"
    return None


def read_itc_solution(path: str | Path, instance: Instance) -> Solution:
    """Read an ITC solution for ``instance``; sessions of a course are numbered in file order."""
    path = Path(path)
    lines = read_lines(path)
    problems = Problems()
    g = instance.grid
    count: dict[str, int] = {}
    assignments = []
    for line in lines:
        if not check_fields(line, 4, "solution (course room day period)", problems):
            continue
        cid, rid = line.fields[0], line.fields[1]
        day = problems.int_field(line, 2, "day")
        period = problems.int_field(line, 3, "period")
        room = resolve_room(rid, instance.room_by_id)
        if cid not in instance.course_by_id:
            problems.add(line.number, f"unknown course '{cid}'")
            continue
        if room is None:
            problems.add(line.number, f"unknown room '{rid}'")
            continue
        if day is None or period is None:
            continue
        if not problems.in_grid(line, day, period, g.n_days, g.n_periods):
            continue
        k = count.get(cid, 0)
        lectures = instance.course_by_id[cid].sessions_per_week
        if k >= lectures:
            problems.add(line.number, f"course '{cid}' has {lectures} lecture(s); this line is one more")
            continue
        count[cid] = k + 1
        assignments.append(Assignment(course=cid, session=k, day=day, period=period, room=room))
    if problems.items:
        raise InputError(str(path), problems.items)
    return Solution(instance=instance.name, assignments=tuple(assignments), meta={"source": str(path)})

"""The extended curriculum-based format (ECTT, ``.ectt``) of real universities' data, and ITC-2007's ``.ctt``.

ECTT (Bonutti, De Cesco, Di Gaspero and Schaerf) extends ``.ctt`` with a daily lecture range for every
curriculum (``Min_Max_Daily_Lectures``), a double-lectures flag per course, a building per room and a
``ROOM_CONSTRAINTS`` section (rooms a course may not use). :func:`read_ectt` reads both formats into
:class:`EcttInstance`, the format's own vocabulary, which the formulation scorer
(:mod:`timetabling.engine.ectt.score`) judges directly; :func:`timetabling.engine.ectt.mapping.to_instance`
maps it onto the native model for the solver. Solutions are ``course room day period`` lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from timetabling.engine.errors import InputError
from timetabling.engine.formats.itc2007 import resolve_room
from timetabling.engine.formats.lines import Line, Problems, check_fields, read_lines

__all__ = [
    "EcttCourse",
    "EcttCurriculum",
    "EcttInstance",
    "EcttRoom",
    "Lecture",
    "read_ectt",
    "read_ectt_solution",
    "write_ectt",
    "write_ectt_solution",
]


@dataclass(frozen=True)
class EcttCourse:
    id: str
    teacher: str
    lectures: int
    min_days: int
    students: int
    double_lectures: bool = False


@dataclass(frozen=True)
class EcttRoom:
    id: str
    capacity: int
    building: str = "0"


@dataclass(frozen=True)
class EcttCurriculum:
    id: str
    courses: tuple[str, ...]


@dataclass(frozen=True)
class EcttInstance:
    name: str
    n_days: int
    n_periods: int
    courses: tuple[EcttCourse, ...]
    rooms: tuple[EcttRoom, ...]
    curricula: tuple[EcttCurriculum, ...]
    unavailable: frozenset[tuple[str, int, int]] = frozenset()  # (course, day, period)
    room_constraints: frozenset[tuple[str, str]] = frozenset()  # (course, room) the course may not use
    min_daily: int = 0  # lectures of a curriculum on a day it has any (0: no minimum)
    max_daily: int = 0  # 0: no maximum (a .ctt file has no range)
    extended: bool = True  # False when read from a .ctt file
    course_index: dict[str, int] = field(init=False, repr=False, compare=False)
    room_index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "course_index", {c.id: i for i, c in enumerate(self.courses)})
        object.__setattr__(self, "room_index", {r.id: i for i, r in enumerate(self.rooms)})


class Lecture(NamedTuple):
    course: str
    room: str
    day: int
    period: int


CTT_HEADER = ("Name", "Courses", "Rooms", "Days", "Periods_per_day", "Curricula", "Constraints")
ECTT_HEADER = (
    "Name", "Courses", "Rooms", "Days", "Periods_per_day", "Curricula", "Min_Max_Daily_Lectures",
    "UnavailabilityConstraints", "RoomConstraints",
)  # fmt: skip
SECTION_COUNT = {  # section -> the header field that counts its lines (.ectt, .ctt)
    "COURSES:": ("Courses", "Courses"),
    "ROOMS:": ("Rooms", "Rooms"),
    "CURRICULA:": ("Curricula", "Curricula"),
    "UNAVAILABILITY_CONSTRAINTS:": ("UnavailabilityConstraints", "Constraints"),
    "ROOM_CONSTRAINTS:": ("RoomConstraints", None),
}
Sections = dict[str, tuple[int, list[Line]]]


def read_ectt(path: str | Path) -> EcttInstance:
    """Read an ``.ectt`` (or ``.ctt``) file; every problem raises :class:`InputError` naming its line."""
    path = Path(path)
    lines = read_lines(path)
    problems = Problems()
    extended = not any(ln.fields[0] == "Constraints:" for ln in lines)
    header_fields = ECTT_HEADER if extended else CTT_HEADER
    sections_order = (*tuple(SECTION_COUNT)[: 5 if extended else 4], "END.")
    header, sections = _split(lines, header_fields, sections_order, problems)
    if problems.items:
        raise InputError(str(path), problems.items)
    for section, (ectt_field, ctt_field) in SECTION_COUNT.items():
        count_field = ectt_field if extended else ctt_field
        if count_field is None:
            continue
        start, body = sections[section]
        expected = header.get(count_field)
        if isinstance(expected, int) and expected != len(body):
            problems.add(
                start, f"the header says {count_field}: {expected} but the {section} section has {len(body)} line(s)"
            )
    n_days, n_periods = header.get("Days"), header.get("Periods_per_day")
    if problems.items or not isinstance(n_days, int) or not isinstance(n_periods, int):
        raise InputError(str(path), problems.items)
    courses = _courses(sections["COURSES:"][1], extended, problems)
    rooms = _rooms(sections["ROOMS:"][1], extended, problems)
    known_rooms = {r.id for r in rooms}
    curricula = _curricula(sections["CURRICULA:"][1], courses, problems)
    unavailable = _unavailable(sections["UNAVAILABILITY_CONSTRAINTS:"][1], courses, n_days, n_periods, problems)
    forbidden = _room_constraints(sections.get("ROOM_CONSTRAINTS:", (0, []))[1], courses, known_rooms, problems)
    min_daily, max_daily = header.get("Min_Max_Daily_Lectures") or (0, 0)  # type: ignore[misc]
    if problems.items:
        raise InputError(str(path), problems.items)
    return EcttInstance(
        name=str(header.get("Name") or path.stem),
        n_days=n_days,
        n_periods=n_periods,
        courses=tuple(courses.values()),
        rooms=tuple(rooms),
        curricula=tuple(curricula),
        unavailable=frozenset(unavailable),
        room_constraints=frozenset(forbidden),
        min_daily=min_daily,
        max_daily=max_daily,
        extended=extended,
    )


def _split(
    lines: list[Line], header_fields: tuple[str, ...], order: tuple[str, ...], problems: Problems
) -> tuple[dict[str, object], Sections]:
    """Header values (None where unusable, reported) and each section's header line and body."""
    header: dict[str, object] = {}
    sections: Sections = {}
    current: str | None = None
    position = 0
    for n, line in enumerate(lines):
        word = line.fields[0]
        if word in order or word in SECTION_COUNT:
            if word != order[position]:
                problems.add(line.number, f"expected section {order[position]} but found {word}")
                return header, sections
            if current is None:
                for name in header_fields:
                    if name not in header:
                        problems.add(line.number, f"the header has no '{name}:' line before {word}")
            if word == "END.":
                if n + 1 < len(lines):
                    rest = lines[n + 1]
                    problems.add(rest.number, f"unexpected text after END. ({' '.join(rest.fields)!r})")
                return header, sections
            if len(line.fields) > 1:
                problems.add(line.number, f"unexpected text after {word}")
            current, position = word, position + 1
            sections[word] = (line.number, [])
        elif current is None:
            _header_line(line, header, header_fields, problems)
        else:
            sections[current][1].append(line)
    missing = order[position]
    problems.add(lines[-1].number if lines else None, f"the file ends without section {missing}")
    return header, sections


def _header_line(line: Line, header: dict[str, object], known: tuple[str, ...], problems: Problems) -> None:
    key, _, value = " ".join(line.fields).partition(":")
    key, value = key.strip(), value.strip()
    if key not in known:
        problems.add(line.number, f"unknown header line {' '.join(line.fields)!r} (expected one of {', '.join(known)})")
        return
    if key in header:
        problems.add(line.number, f"'{key}:' appears twice in the header")
        return
    header[key] = None  # seen; replaced by the value once it proves usable
    if key == "Name":
        header[key] = value
        return
    try:
        numbers = [int(v) for v in value.split()]
    except ValueError:
        problems.add(line.number, f"'{key}:' must be whole numbers (got {value!r})")
        return
    wanted = 2 if key == "Min_Max_Daily_Lectures" else 1
    if len(numbers) != wanted or min(numbers) < 0:
        problems.add(line.number, f"'{key}:' takes {wanted} whole number(s) of at least 0 (got {value!r})")
        return
    if key in ("Courses", "Rooms", "Days", "Periods_per_day") and numbers[0] < 1:
        problems.add(line.number, f"'{key}:' must be at least 1 (got {numbers[0]})")
        return
    if wanted == 2 and numbers[0] > numbers[1]:
        problems.add(line.number, f"'{key}:' minimum {numbers[0]} is above the maximum {numbers[1]}")
        return
    header[key] = tuple(numbers) if wanted == 2 else numbers[0]


def _courses(body: list[Line], extended: bool, problems: Problems) -> dict[str, EcttCourse]:
    courses: dict[str, EcttCourse] = {}
    first: dict[str, int] = {}
    what = "course (id teacher lectures min_working_days students" + (" double_lectures)" if extended else ")")
    for line in body:
        if not check_fields(line, 6 if extended else 5, what, problems):
            continue
        cid, teacher = line.fields[0], line.fields[1]
        lectures = problems.int_field(line, 2, "lectures", minimum=1)
        min_days = problems.int_field(line, 3, "min_working_days")
        students = problems.int_field(line, 4, "students")
        double = line.fields[5] if extended else "0"
        if double not in ("0", "1"):
            problems.add(line.number, f"double_lectures must be 0 or 1 (got {double!r})")
            continue
        if cid in courses:
            problems.add(line.number, f"course '{cid}' is listed twice (first on line {first[cid]})")
            continue
        if lectures is None or min_days is None or students is None:
            continue
        if min_days > lectures:
            problems.add(line.number, f"course '{cid}' needs {min_days} working days but has only {lectures} lectures")
            continue
        courses[cid] = EcttCourse(cid, teacher, lectures, min_days, students, double == "1")
        first[cid] = line.number
    return courses


def _rooms(body: list[Line], extended: bool, problems: Problems) -> list[EcttRoom]:
    rooms: dict[str, EcttRoom] = {}
    first: dict[str, int] = {}
    for line in body:
        what = "room (id capacity" + (" building)" if extended else ")")
        if not check_fields(line, 3 if extended else 2, what, problems):
            continue
        rid = line.fields[0]
        capacity = problems.int_field(line, 1, "room capacity", minimum=1)
        if rid in rooms:
            problems.add(line.number, f"room '{rid}' is listed twice (first on line {first[rid]})")
            continue
        if capacity is not None:
            rooms[rid] = EcttRoom(rid, capacity, line.fields[2] if extended else "0")
            first[rid] = line.number
    return list(rooms.values())


def _curricula(body: list[Line], courses: dict[str, EcttCourse], problems: Problems) -> list[EcttCurriculum]:
    out: dict[str, EcttCurriculum] = {}
    first: dict[str, int] = {}
    for line in body:
        if len(line.fields) < 2:
            problems.add(line.number, "a curriculum line is 'id number_of_courses course...'")
            continue
        qid = line.fields[0]
        n = problems.int_field(line, 1, "number of courses")
        if qid in out:
            problems.add(line.number, f"curriculum '{qid}' is listed twice (first on line {first[qid]})")
            continue
        members = tuple(dict.fromkeys(line.fields[2:]))
        if n is not None and n != len(line.fields) - 2:
            problems.add(line.number, f"curriculum '{qid}' says {n} courses but lists {len(line.fields) - 2}")
        for cid in members:
            if cid not in courses:
                problems.add(line.number, f"curriculum '{qid}' lists unknown course '{cid}'")
        out[qid] = EcttCurriculum(qid, members)
        first[qid] = line.number
    return list(out.values())


def _unavailable(
    body: list[Line], courses: dict[str, EcttCourse], n_days: int, n_periods: int, problems: Problems
) -> set[tuple[str, int, int]]:
    out: set[tuple[str, int, int]] = set()
    for line in body:
        if not check_fields(line, 3, "unavailability (course day period)", problems):
            continue
        cid = line.fields[0]
        day, period = problems.int_field(line, 1, "day"), problems.int_field(line, 2, "period")
        if cid not in courses:
            problems.add(line.number, f"unavailability of unknown course '{cid}'")
        elif day is not None and period is not None and problems.in_grid(line, day, period, n_days, n_periods):
            out.add((cid, day, period))
    return out


def _room_constraints(
    body: list[Line], courses: dict[str, EcttCourse], rooms: set[str], problems: Problems
) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for line in body:
        if not check_fields(line, 2, "room constraint (course room)", problems):
            continue
        cid, rid = line.fields
        if cid not in courses:
            problems.add(line.number, f"room constraint on unknown course '{cid}'")
        elif rid not in rooms:
            problems.add(line.number, f"room constraint on unknown room '{rid}'")
        else:
            out.add((cid, rid))
    return out


# ---------------------------------------------------------------------------------------------- writing


def write_ectt(inst: EcttInstance, path: str | Path) -> None:
    """Write ``inst`` as an ``.ectt`` file (the reader's inverse)."""
    lines = [
        f"Name: {inst.name}", f"Courses: {len(inst.courses)}", f"Rooms: {len(inst.rooms)}", f"Days: {inst.n_days}",
        f"Periods_per_day: {inst.n_periods}", f"Curricula: {len(inst.curricula)}",
        f"Min_Max_Daily_Lectures: {inst.min_daily} {inst.max_daily}",
        f"UnavailabilityConstraints: {len(inst.unavailable)}", f"RoomConstraints: {len(inst.room_constraints)}",
        "", "COURSES:",
    ]  # fmt: skip
    lines += [
        f"{c.id} {c.teacher} {c.lectures} {c.min_days} {c.students} {int(c.double_lectures)}" for c in inst.courses
    ]
    lines += ["", "ROOMS:", *(f"{r.id} {r.capacity} {r.building}" for r in inst.rooms), "", "CURRICULA:"]
    lines += [f"{q.id} {len(q.courses)} {' '.join(q.courses)}" for q in inst.curricula]
    lines += ["", "UNAVAILABILITY_CONSTRAINTS:", *(f"{c} {d} {p}" for c, d, p in sorted(inst.unavailable))]
    lines += ["", "ROOM_CONSTRAINTS:", *(f"{c} {r}" for c, r in sorted(inst.room_constraints)), "", "END."]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_ectt_solution(lectures: list[Lecture], path: str | Path) -> None:
    """``course room day period``, one line per lecture."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{c} {r} {d} {p}\n" for c, r, d, p in lectures), encoding="utf-8")


def read_ectt_solution(path: str | Path, inst: EcttInstance) -> list[Lecture]:
    """The lectures of a solution file; unknown courses and rooms and slots off the grid name their line.

    Too many or too few lectures of a course are not an input error: the scorer counts them."""
    path = Path(path)
    problems = Problems()
    known_rooms = {r.id: r for r in inst.rooms}
    out: list[Lecture] = []
    for line in read_lines(path):
        if not check_fields(line, 4, "solution (course room day period)", problems):
            continue
        cid, rid = line.fields[0], line.fields[1]
        day, period = problems.int_field(line, 2, "day"), problems.int_field(line, 3, "period")
        room = resolve_room(rid, known_rooms)  # type: ignore[arg-type]
        if cid not in inst.course_index:
            problems.add(line.number, f"unknown course '{cid}'")
        elif room is None:
            problems.add(line.number, f"unknown room '{rid}'")
        elif (
            day is not None and period is not None and problems.in_grid(line, day, period, inst.n_days, inst.n_periods)
        ):
            out.append(Lecture(cid, room, day, period))
    if problems.items:
        raise InputError(str(path), problems.items)
    return out

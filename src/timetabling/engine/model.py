"""The domain model: one immutable, validated vocabulary for files, database, solver and checker.

Time is a grid of days x periods. A slot is ``(day, period)``, both 0-based indices into the grid.
A course (a scheduled course section) has ``sessions_per_week`` sessions; each session occupies
``session_length`` consecutive periods of one day that are not separated by a break.

Enrolment has one source of truth each:
- a batch attends every course that lists the batch in ``Course.batches``;
- an individual student attends the courses of their batch plus the courses in ``Student.courses``
  (elective choices).

Longer than 400 lines on purpose: the whole vocabulary and its cross-reference validation in one place, so a
file is checked by one set of rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import time
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, NamedTuple

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FORMAT_VERSION = "1.1"  # 1.1: graded faculty preferences (``Faculty.preferences``); 1.0 files still read

Id = Annotated[str, Field(min_length=1, max_length=200)]


class Slot(NamedTuple):
    """One period of one day, as 0-based indices into the time grid."""

    day: int
    period: int


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


# --------------------------------------------------------------------------------------------- time


class Period(Frozen):
    name: str
    start: time
    end: time

    @model_validator(mode="after")
    def _ends_after_start(self) -> Period:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError(
                f"period '{self.name}': clock times must not carry a time zone (got {self.start}-{self.end})"
            )
        if self.end <= self.start:
            raise ValueError(f"period '{self.name}' ends ({self.end}) before it starts ({self.start})")
        return self


class Break(Frozen):
    """A break (lunch) after period ``after_period``; sessions never run across it."""

    after_period: int = Field(ge=0)
    name: str = "Break"


class TimeGrid(Frozen):
    days: tuple[str, ...] = Field(min_length=1)
    periods: tuple[Period, ...] = Field(min_length=1)
    breaks: tuple[Break, ...] = ()

    @model_validator(mode="after")
    def _breaks_inside_day(self) -> TimeGrid:
        for b in self.breaks:
            if b.after_period >= len(self.periods) - 1:
                raise ValueError(
                    f"break '{b.name}' after period {b.after_period} is not between two periods "
                    f"(the day has {len(self.periods)} periods)"
                )
        return self

    @property
    def n_days(self) -> int:
        return len(self.days)

    @property
    def n_periods(self) -> int:
        return len(self.periods)

    @property
    def n_slots(self) -> int:
        return len(self.days) * len(self.periods)

    def slot_index(self, slot: Slot | tuple[int, int]) -> int:
        """Flat index ``day * n_periods + period``."""
        return slot[0] * len(self.periods) + slot[1]

    def slot_of(self, index: int) -> Slot:
        return Slot(*divmod(index, len(self.periods)))

    @cached_property
    def break_after(self) -> frozenset[int]:
        return frozenset(b.after_period for b in self.breaks)

    def block_fits(self, period: int, length: int) -> bool:
        """True when ``length`` periods starting at ``period`` stay inside the day and cross no break."""
        if period < 0 or period + length > len(self.periods):
            return False
        return not any(p in self.break_after for p in range(period, period + length - 1))

    @cached_property
    def longest_run(self) -> int:
        """Longest run of consecutive periods without a break."""
        best = run = 0
        for p in range(len(self.periods)):
            run += 1
            best = max(best, run)
            if p in self.break_after:
                run = 0
        return best

    def slot_label(self, slot: Slot | tuple[int, int]) -> str:
        return f"{self.days[slot[0]]} {self.periods[slot[1]].name}"

    @classmethod
    def standard(
        cls,
        n_days: int = 5,
        n_periods: int = 8,
        lunch_after: int | None = 3,
        first_start: time = time(9, 0),
        minutes: int = 60,
    ) -> TimeGrid:
        """A regular grid: consecutive periods of ``minutes``, a 60-minute lunch after ``lunch_after``."""
        names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        days = names[:n_days] if n_days <= 7 else tuple(f"D{d + 1}" for d in range(n_days))
        periods = []
        t = first_start.hour * 60 + first_start.minute
        for p in range(n_periods):
            start, t = t, t + minutes
            periods.append(Period(name=f"P{p + 1}", start=_clock(start), end=_clock(t)))
            if lunch_after is not None and p == lunch_after:
                t += 60
        breaks = (Break(after_period=lunch_after, name="Lunch"),) if lunch_after is not None else ()
        if lunch_after is not None and lunch_after >= n_periods - 1:
            breaks = ()
        return cls(days=tuple(days), periods=tuple(periods), breaks=breaks)


def _clock(minutes: int) -> time:
    minutes = min(minutes, 24 * 60 - 1)
    return time(minutes // 60, minutes % 60)


class PreferredSlot(Frozen):
    day: int = Field(ge=0)
    period: int = Field(ge=0)
    weight: int = Field(default=1, ge=1, le=100)

    @property
    def slot(self) -> Slot:
        return Slot(self.day, self.period)


class PreferenceLevel(StrEnum):
    """How much a faculty member wants to teach in a slot (UniTime's scale). ``prohibited`` is hard: the
    slot is unavailable; the others are soft (see :data:`PREFERENCE_UNITS`). Unstated slots are neutral."""

    PROHIBITED = "prohibited"
    STRONGLY_DISCOURAGED = "strongly_discouraged"
    DISCOURAGED = "discouraged"
    NEUTRAL = "neutral"
    PREFERRED = "preferred"
    STRONGLY_PREFERRED = "strongly_preferred"


# penalty units of each soft level; a taught period at slot s costs units(s) - units(the best level the
# faculty member states anywhere), so one who states only "preferred" slots pays 1 per period outside them
# (format 1.0's rule) and one who states nothing pays 0. A prohibited slot is unavailable (a hard rule);
# should a timetable use it anyway it costs as much as a strongly discouraged one.
PREFERENCE_UNITS: dict[PreferenceLevel, int] = {
    PreferenceLevel.STRONGLY_PREFERRED: 0,
    PreferenceLevel.PREFERRED: 1,
    PreferenceLevel.NEUTRAL: 2,
    PreferenceLevel.DISCOURAGED: 4,
    PreferenceLevel.STRONGLY_DISCOURAGED: 8,
    PreferenceLevel.PROHIBITED: 8,
}


class SlotPreference(Frozen):
    """A faculty member's level for one slot."""

    day: int = Field(ge=0)
    period: int = Field(ge=0)
    level: PreferenceLevel

    @property
    def slot(self) -> Slot:
        return Slot(self.day, self.period)


# ------------------------------------------------------------------------------------ organisation


class School(Frozen):
    id: Id
    name: str = ""


class Department(Frozen):
    id: Id
    name: str = ""
    school: str | None = None


class Room(Frozen):
    id: Id
    name: str = ""
    capacity: int = Field(ge=1)
    type: str = "lecture"
    features: frozenset[str] = frozenset()
    building: str = ""
    department: str | None = None
    shared: bool = True  # may other departments use it?
    unavailable: frozenset[Slot] = frozenset()

    def usable_by(self, department: str) -> bool:
        return self.shared or self.department is None or self.department == department


class Faculty(Frozen):
    id: Id
    name: str = ""
    department: str | None = None
    max_hours_per_week: int = Field(default=20, ge=0)
    max_hours_per_day: int = Field(default=6, ge=0)
    max_consecutive: int = Field(default=4, ge=1)
    unavailable: frozenset[Slot] = frozenset()  # read: the stated slots plus the prohibited ones
    preferred: tuple[PreferredSlot, ...] = ()  # format 1.0: these slots are at level "preferred"
    preferences: tuple[SlotPreference, ...] = Field(
        default=(),
        description='Graded levels per slot (format 1.1), overriding "preferred" on a slot; unstated slots are '
        'neutral, "prohibited" ones unavailable.',
    )

    @model_validator(mode="after")
    def _prohibited_is_unavailable(self) -> Faculty:
        # the one place a prohibited slot becomes hard: every consumer of ``unavailable`` sees it
        prohibited = self.prohibited
        if prohibited - self.unavailable:
            self.__dict__["unavailable"] = self.unavailable | prohibited
        return self

    @property
    def prohibited(self) -> frozenset[Slot]:
        return frozenset(p.slot for p in self.preferences if p.level == PreferenceLevel.PROHIBITED)

    def levels(self) -> dict[Slot, PreferenceLevel]:
        """Every stated level by slot (``preferred`` first, ``preferences`` over it); others are neutral."""
        out = {p.slot: PreferenceLevel.PREFERRED for p in self.preferred}
        out.update((p.slot, p.level) for p in self.preferences)
        return out

    @property
    def has_preferences(self) -> bool:
        return bool(self.preferred or self.preferences)


def preference_penalties(instance: Instance) -> np.ndarray:
    """The ``faculty_preference`` units of one taught period, as an int64 array (faculty in
    ``instance.faculty`` order, flat slot index): units(level at the slot) - units(best level the faculty
    member states anywhere, unstated slots being neutral; prohibited ones do not count as a best).

    The one definition every consumer (checker, CP-SAT model, annealing, genetic optimiser, repair, bounds,
    metrics) uses; :attr:`Instance.preference_penalty` caches it.
    """
    g = instance.grid
    neutral = PREFERENCE_UNITS[PreferenceLevel.NEUTRAL]
    table = np.zeros((len(instance.faculty), g.n_slots), dtype=np.int64)
    for i, f in enumerate(instance.faculty):
        if not f.has_preferences:
            continue
        row = np.full(g.n_slots, neutral, dtype=np.int64)
        stated = [(s, lv) for s, lv in f.levels().items() if 0 <= s[0] < g.n_days and 0 <= s[1] < g.n_periods]
        for s, lv in stated:
            row[g.slot_index(s)] = PREFERENCE_UNITS[lv]
        soft = [PREFERENCE_UNITS[lv] for _s, lv in stated if lv != PreferenceLevel.PROHIBITED]
        if len(stated) < g.n_slots:
            soft.append(neutral)
        table[i] = row - min(soft, default=neutral)
    return np.maximum(table, 0)


class Batch(Frozen):
    """A student group of one program, year (or semester) and section, attending courses together."""

    id: Id
    name: str = ""
    department: str | None = None
    program: str = ""
    year: int = Field(default=1, ge=1)
    section: str = ""
    size: int = Field(ge=0)
    min_per_day: int = Field(default=0, ge=0)  # sessions on a day it has any (0: no minimum)
    max_per_day: int = Field(default=0, ge=0)  # sessions a day (0: no maximum)


class Student(Frozen):
    id: Id
    batch: str | None = None
    courses: tuple[str, ...] = ()  # elective choices: individual enrolments


class CourseKind(StrEnum):
    CORE = "core"
    DEPARTMENT_ELECTIVE = "department_elective"
    OPEN_ELECTIVE = "open_elective"


class Course(Frozen):
    """A course section that is scheduled: ``sessions_per_week`` sessions of ``session_length`` periods."""

    id: Id
    code: str = ""
    name: str = ""
    department: str | None = None
    kind: CourseKind | None = None
    faculty: tuple[str, ...] = ()
    sessions_per_week: int = Field(default=1, ge=1, le=50)
    session_length: int = Field(default=1, ge=1, le=12)
    min_days: int = Field(default=1, ge=0)
    max_per_day: int = Field(default=1, ge=1)
    room_type: str = "lecture"
    room_features: frozenset[str] = frozenset()
    batches: tuple[str, ...] = ()
    size: int | None = Field(default=None, ge=0)  # attendees when known directly; else derived
    fixed: tuple[Slot, ...] = ()  # pinned start slots, one session each
    unavailable: frozenset[Slot] = frozenset()
    double_sessions: bool = False  # its sessions on a day with several come in back-to-back pairs, one room
    avoid_rooms: frozenset[str] = frozenset()  # rooms it should not use (rule room_avoided)

    @model_validator(mode="after")
    def _consistent(self) -> Course:
        if self.min_days > self.sessions_per_week:
            raise ValueError(
                f"min_days ({self.min_days}) is more than sessions_per_week ({self.sessions_per_week})"
            )
        if len(self.fixed) > self.sessions_per_week:
            raise ValueError(
                f"{len(self.fixed)} fixed slots but only {self.sessions_per_week} sessions per week"
            )
        return self

    @property
    def periods_per_week(self) -> int:
        return self.sessions_per_week * self.session_length


# ------------------------------------------------------------------------------------------- rules


class Rule(StrEnum):
    """Every rule the checker knows. Hard ones are violations; soft ones cost their weight."""

    # always hard: a timetable with these is not a timetable
    FACULTY_CLASH = "faculty_clash"
    BATCH_CLASH = "batch_clash"
    STUDENT_CLASH = "student_clash"
    ROOM_CLASH = "room_clash"
    ROOM_TYPE = "room_type"
    UNAVAILABLE = "unavailable"
    LAB_BLOCK = "lab_block"
    UNSCHEDULED = "unscheduled"
    # hard by default, may be made soft
    ROOM_CAPACITY = "room_capacity"
    FACULTY_DAILY_HOURS = "faculty_daily_hours"
    FACULTY_WEEKLY_HOURS = "faculty_weekly_hours"
    FACULTY_CONSECUTIVE = "faculty_consecutive"
    COURSE_MAX_PER_DAY = "course_max_per_day"
    # soft by default
    COURSE_MIN_DAYS = "course_min_days"  # per missing distinct day
    FACULTY_PREFERENCE = "faculty_preference"  # per taught period: units of its level above the best (PREFERENCE_UNITS)
    BATCH_IDLE = "batch_idle"  # per idle period between two sessions of a batch day
    ISOLATED_SESSION = "isolated_session"  # per batch session with no batch session adjacent
    ROOM_STABILITY = "room_stability"  # per distinct room of a course beyond the first
    BATCH_DAILY_LOAD = "batch_daily_load"  # per session below a batch's daily minimum or above its maximum
    BATCH_TRAVEL = "batch_travel"  # per change of building between two consecutive periods of a batch
    COURSE_DOUBLE_SESSIONS = "course_double_sessions"  # per unpaired session of a double-session course
    ROOM_AVOIDED = "room_avoided"  # per session in a room its course should avoid (hard: never placed there)


ALWAYS_HARD: frozenset[Rule] = frozenset(
    {
        Rule.FACULTY_CLASH,
        Rule.BATCH_CLASH,
        Rule.STUDENT_CLASH,
        Rule.ROOM_CLASH,
        Rule.ROOM_TYPE,
        Rule.UNAVAILABLE,
        Rule.LAB_BLOCK,
        Rule.UNSCHEDULED,
    }
)
DEFAULT_HARD: frozenset[Rule] = ALWAYS_HARD | {
    Rule.ROOM_CAPACITY,
    Rule.FACULTY_DAILY_HOURS,
    Rule.FACULTY_WEEKLY_HOURS,
    Rule.FACULTY_CONSECUTIVE,
    Rule.COURSE_MAX_PER_DAY,
}
DEFAULT_WEIGHTS: dict[Rule, int] = {
    Rule.COURSE_MIN_DAYS: 5,
    Rule.FACULTY_PREFERENCE: 1,
    Rule.BATCH_IDLE: 2,
    Rule.ISOLATED_SESSION: 0,
    Rule.ROOM_STABILITY: 1,
}


class Rules(Frozen):
    """Which rules are hard, and the weight of each soft one (a soft rule with weight 0 is off)."""

    hard: frozenset[Rule] = DEFAULT_HARD
    weights: dict[Rule, int] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    @model_validator(mode="after")
    def _always_hard(self) -> Rules:
        missing = sorted(ALWAYS_HARD - self.hard)
        if missing:
            raise ValueError(f"these rules are always hard and cannot be made soft: {', '.join(missing)}")
        for rule, w in self.weights.items():
            if w < 0:
                raise ValueError(f"weight of '{rule}' is negative ({w})")
        return self

    def is_hard(self, rule: Rule) -> bool:
        return rule in self.hard

    def weight(self, rule: Rule) -> int:
        """Weight of a soft rule; 0 for hard rules and rules switched off."""
        return 0 if rule in self.hard else self.weights.get(rule, 0)


# ---------------------------------------------------------------------------------------- instance


class Instance(Frozen):
    format_version: str = FORMAT_VERSION
    name: str = "timetable"
    grid: TimeGrid
    schools: tuple[School, ...] = ()
    departments: tuple[Department, ...] = ()
    rooms: tuple[Room, ...] = ()
    faculty: tuple[Faculty, ...] = ()
    batches: tuple[Batch, ...] = ()
    students: tuple[Student, ...] = ()
    courses: tuple[Course, ...] = ()
    rules: Rules = Field(default_factory=Rules)

    @field_validator("format_version")
    @classmethod
    def _known_version(cls, v: str) -> str:
        if v.split(".")[0] != FORMAT_VERSION.split(".")[0]:
            raise ValueError(f"unsupported format_version '{v}' (this version reads 1.0 to {FORMAT_VERSION})")
        return v

    @model_validator(mode="after")
    def _references(self) -> Instance:
        problems = reference_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Instance:
        """A copy whose lookups are computed afresh (pydantic would carry the cached ones over, stale once
        ``update`` replaces courses, rooms or people)."""
        copy = super().model_copy(update=update, deep=deep)
        for name, attr in type(self).__dict__.items():
            if isinstance(attr, cached_property):
                copy.__dict__.pop(name, None)
        return copy

    # ---- lookups (computed once; the model is immutable)

    @cached_property
    def course_by_id(self) -> dict[str, Course]:
        return {c.id: c for c in self.courses}

    @cached_property
    def room_by_id(self) -> dict[str, Room]:
        return {r.id: r for r in self.rooms}

    @cached_property
    def faculty_by_id(self) -> dict[str, Faculty]:
        return {f.id: f for f in self.faculty}

    @cached_property
    def memo(self) -> dict[str, Any]:
        """Values other modules derive from the instance once (e.g. bounds); a copy starts empty."""
        return {}

    @cached_property
    def faculty_index(self) -> dict[str, int]:
        """Faculty id -> row of :attr:`preference_penalty`."""
        return {f.id: i for i, f in enumerate(self.faculty)}

    @cached_property
    def preference_penalty(self) -> np.ndarray:
        """:func:`preference_penalties` of this instance (read-only)."""
        table = preference_penalties(self)
        table.flags.writeable = False
        return table

    def preference_row(self, faculty: str) -> np.ndarray | None:
        """Units per flat slot of one faculty member; None when they state no preference (all 0)."""
        f = self.faculty_by_id[faculty]
        return self.preference_penalty[self.faculty_index[faculty]] if f.has_preferences else None

    @cached_property
    def batch_by_id(self) -> dict[str, Batch]:
        return {b.id: b for b in self.batches}

    @cached_property
    def courses_of_batch(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = defaultdict(list)
        for c in self.courses:
            for b in c.batches:
                out[b].append(c.id)
        return {b.id: tuple(out.get(b.id, ())) for b in self.batches}

    @cached_property
    def courses_of_faculty(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = defaultdict(list)
        for c in self.courses:
            for f in c.faculty:
                out[f].append(c.id)
        return {f.id: tuple(out.get(f.id, ())) for f in self.faculty}

    @cached_property
    def individual_students(self) -> dict[str, tuple[str, ...]]:
        """Course id -> ids of students enrolled individually (elective choices)."""
        out: dict[str, list[str]] = defaultdict(list)
        for s in self.students:
            for c in s.courses:
                out[c].append(s.id)
        return {c: tuple(v) for c, v in out.items()}

    @cached_property
    def student_index(self) -> dict[str, int]:
        """Student id -> position in ``students``."""
        return {s.id: i for i, s in enumerate(self.students)}

    @cached_property
    def batch_choices(self) -> dict[str, frozenset[str]]:
        """Batch id -> the courses its students chose on their own (individual enrolments)."""
        out: dict[str, set[str]] = defaultdict(set)
        for s in self.students:
            if s.batch and s.courses:
                out[s.batch].update(s.courses)
        return {b: frozenset(v) for b, v in out.items()}

    def student_courses(self, student: Student) -> frozenset[str]:
        """All courses a student attends: those of their batch plus their own choices."""
        batch_courses = self.courses_of_batch.get(student.batch, ()) if student.batch else ()
        return frozenset(batch_courses) | frozenset(student.courses)

    @cached_property
    def student_groups(self) -> dict[frozenset[str], tuple[str, ...]]:
        """Students grouped by identical course sets: one clash constraint per group, not per student."""
        groups: dict[frozenset[str], list[str]] = defaultdict(list)
        for s in self.students:
            groups[self.student_courses(s)].append(s.id)
        return {k: tuple(v) for k, v in groups.items()}

    @cached_property
    def course_size(self) -> dict[str, int]:
        """Number of attendees: sizes of attending batches plus individual students not in them."""
        batch_of_student = {s.id: s.batch for s in self.students}
        sizes = {}
        for c in self.courses:
            if c.size is not None:
                sizes[c.id] = c.size
                continue
            batch_ids = set(c.batches)
            n = sum(self.batch_by_id[b].size for b in c.batches)
            n += sum(1 for s in self.individual_students.get(c.id, ()) if batch_of_student[s] not in batch_ids)
            sizes[c.id] = n
        return sizes

    def sessions(self) -> list[tuple[str, int]]:
        """Every session to place, as ``(course id, session index)``."""
        return [(c.id, k) for c in self.courses for k in range(c.sessions_per_week)]

    @property
    def n_sessions(self) -> int:
        return sum(c.sessions_per_week for c in self.courses)


def reference_problems(inst: Instance) -> list[str]:
    """Every dangling reference, duplicate id and out-of-grid slot, each with its path."""
    problems: list[str] = []
    g = inst.grid

    def check_ids(name: str, items: tuple) -> set[str]:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id in seen:
                problems.append(f"{name}[{i}].id: duplicate id '{item.id}'")
            seen.add(item.id)
        return seen

    schools = check_ids("schools", inst.schools)
    departments = check_ids("departments", inst.departments)
    rooms = check_ids("rooms", inst.rooms)
    faculty = check_ids("faculty", inst.faculty)
    batches = check_ids("batches", inst.batches)
    check_ids("students", inst.students)
    courses = check_ids("courses", inst.courses)

    def check_slot(path: str, slot: tuple[int, int]) -> None:
        if not (0 <= slot[0] < g.n_days and 0 <= slot[1] < g.n_periods):
            problems.append(
                f"{path}: slot [{slot[0]}, {slot[1]}] is outside the grid ({g.n_days} days x {g.n_periods} periods)"
            )

    def check_dept(path: str, dept: str | None) -> None:
        if dept is not None and inst.departments and dept not in departments:
            problems.append(f"{path}: unknown department '{dept}'")

    for i, d in enumerate(inst.departments):
        if d.school is not None and inst.schools and d.school not in schools:
            problems.append(f"departments[{i}].school: unknown school '{d.school}'")
    for i, r in enumerate(inst.rooms):
        check_dept(f"rooms[{i}].department", r.department)
        for s in sorted(r.unavailable):
            check_slot(f"rooms[{i}].unavailable", s)
    for i, f in enumerate(inst.faculty):
        check_dept(f"faculty[{i}].department", f.department)
        for s in sorted(f.unavailable - f.prohibited):  # a prohibited slot is checked at its own path below
            check_slot(f"faculty[{i}].unavailable", s)
        for j, p in enumerate(f.preferred):
            check_slot(f"faculty[{i}].preferred[{j}]", p.slot)
        seen_slots: dict[Slot, int] = {}
        for j, p in enumerate(f.preferences):
            check_slot(f"faculty[{i}].preferences[{j}]", p.slot)
            if p.slot in seen_slots:
                problems.append(
                    f"faculty[{i}].preferences[{j}]: slot [{p.day}, {p.period}] already has a level "
                    f"(preferences[{seen_slots[p.slot]}])"
                )
            seen_slots.setdefault(p.slot, j)
    for i, b in enumerate(inst.batches):
        check_dept(f"batches[{i}].department", b.department)
    for i, s in enumerate(inst.students):
        if s.batch is not None and s.batch not in batches:
            problems.append(f"students[{i}].batch: unknown batch '{s.batch}'")
        for c in s.courses:
            if c not in courses:
                problems.append(f"students[{i}].courses: unknown course '{c}'")
    for i, c in enumerate(inst.courses):
        check_dept(f"courses[{i}].department", c.department)
        for f in c.faculty:
            if f not in faculty:
                problems.append(f"courses[{i}].faculty: unknown faculty '{f}'")
        for b in c.batches:
            if b not in batches:
                problems.append(f"courses[{i}].batches: unknown batch '{b}'")
        for r in sorted(c.avoid_rooms - rooms):
            problems.append(f"courses[{i}].avoid_rooms: unknown room '{r}'")
        for s in c.fixed:
            check_slot(f"courses[{i}].fixed", s)
        for s in sorted(c.unavailable):
            check_slot(f"courses[{i}].unavailable", s)
        if c.session_length > g.n_periods:
            problems.append(
                f"courses[{i}].session_length: {c.session_length} periods is longer than a day "
                f"({g.n_periods} periods)"
            )
    return problems


# ---------------------------------------------------------------------------------------- solution


class Assignment(Frozen):
    """One session placed: it starts at ``(day, period)`` and holds ``room`` for its whole length."""

    course: str
    session: int = Field(ge=0)
    day: int = Field(ge=0)
    period: int = Field(ge=0)
    room: str | None = None

    @property
    def slot(self) -> Slot:
        return Slot(self.day, self.period)


class Solution(Frozen):
    format_version: str = FORMAT_VERSION
    instance: str = ""  # the instance's name
    assignments: tuple[Assignment, ...] = ()
    meta: dict[str, object] = Field(default_factory=dict)  # solver, status, objective, time, seed...

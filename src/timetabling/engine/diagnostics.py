"""Before solving: explain in plain words why an instance cannot be solved.

Each check is one small function named after what it looks for; :data:`CHECKS` lists them. A check
returns findings: an ``error`` means no timetable can satisfy the hard rules; a ``warning`` means the
instance is probably not what was meant, or a soft rule cannot be met in full. The checks are necessary
conditions only: an instance without errors may still be infeasible, but one with errors surely is.

Conventions shared with the solver and the checker: every faculty member listed on a course teaches each
of its sessions; a course with no department may use any room of its type.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from timetabling.engine.model import Course, Instance, Room, Rule, Slot, TimeGrid

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem found before solving, about one entity (``"faculty F3"``)."""

    severity: Severity
    kind: str  # a stable code, e.g. "faculty_overloaded"
    entity: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.entity}: {self.message}"


Check = Callable[[Instance], Iterable[Finding]]


def _severity(instance: Instance, rule: Rule) -> Severity:
    """Breaking a hard rule makes the instance infeasible; a soft one only costs."""
    return "error" if instance.rules.is_hard(rule) else "warning"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# ---------------------------------------------------------------------------------------- helpers


def _in_grid(grid: TimeGrid, slots: Iterable[Slot]) -> set[Slot]:
    return {s for s in slots if 0 <= s[0] < grid.n_days and 0 <= s[1] < grid.n_periods}


def _blocked(instance: Instance, course: Course) -> set[Slot]:
    """Slots the course cannot occupy: unavailable to it or to any of its faculty."""
    blocked = set(course.unavailable)
    for f in course.faculty:
        blocked |= instance.faculty_by_id[f].unavailable
    return blocked


def _block(start: Slot, length: int) -> list[Slot]:
    return [Slot(start[0], start[1] + k) for k in range(length)]


def _room_fits(room: Room, course: Course) -> bool:
    """Right type and features, and usable by the course's department."""
    return (
        room.type == course.room_type
        and course.room_features <= room.features
        and (course.department is None or room.usable_by(course.department))
    )


def _free_starts(instance: Instance, course: Course) -> list[Slot]:
    """Start slots where a session fits in the day, crosses no break and meets no unavailability.

    When the instance has rooms, some fitting room must also be free for the whole block.
    """
    grid = instance.grid
    blocked = _blocked(instance, course)
    rooms = [r for r in instance.rooms if _room_fits(r, course)]
    starts = []
    for day in range(grid.n_days):
        for period in range(grid.n_periods):
            if not grid.block_fits(period, course.session_length):
                continue
            block = _block(Slot(day, period), course.session_length)
            if any(s in blocked for s in block):
                continue
            if rooms and not any(all(s not in r.unavailable for s in block) for r in rooms):
                continue
            starts.append(Slot(day, period))
    return starts


def _sessions_on_day(periods: list[int], length: int) -> int:
    """Most non-overlapping sessions of ``length`` from these start periods (earliest end first)."""
    count, free_from = 0, -1
    for p in sorted(periods):
        if p >= free_from:
            count, free_from = count + 1, p + length
    return count


# ----------------------------------------------------------------------------------------- checks


def faculty_weekly_load(instance: Instance) -> Iterator[Finding]:
    """A faculty member asked to teach more periods than they have free, or than their weekly maximum."""
    grid = instance.grid
    for f in instance.faculty:
        courses = [instance.course_by_id[c] for c in instance.courses_of_faculty[f.id]]
        load = sum(c.periods_per_week for c in courses)
        free = grid.n_slots - len(_in_grid(grid, f.unavailable))
        entity = f"faculty {f.id}"
        if load > free:
            yield Finding(
                "error",
                "faculty_no_time",
                entity,
                f"teaches {_plural(load, 'period')} a week but is available for only {free} "
                f"of the {grid.n_slots} slots",
            )
        if load > f.max_hours_per_week:
            yield Finding(
                _severity(instance, Rule.FACULTY_WEEKLY_HOURS),
                "faculty_weekly_hours",
                entity,
                f"teaches {_plural(load, 'period')} a week, more than max_hours_per_week "
                f"({f.max_hours_per_week})",
            )


def faculty_daily_load(instance: Instance) -> Iterator[Finding]:
    """More periods than a faculty member can teach day by day, or a session longer than their day."""
    grid = instance.grid
    severity = _severity(instance, Rule.FACULTY_DAILY_HOURS)
    for f in instance.faculty:
        courses = [instance.course_by_id[c] for c in instance.courses_of_faculty[f.id]]
        if not courses:
            continue
        entity = f"faculty {f.id}"
        load = sum(c.periods_per_week for c in courses)
        unavailable = _in_grid(grid, f.unavailable)
        per_day = [
            min(f.max_hours_per_day, sum(1 for p in range(grid.n_periods) if (d, p) not in unavailable))
            for d in range(grid.n_days)
        ]
        if load > sum(per_day):
            yield Finding(
                severity,
                "faculty_daily_hours",
                entity,
                f"teaches {_plural(load, 'period')} a week but can teach at most {sum(per_day)} "
                f"with max_hours_per_day {f.max_hours_per_day} and their unavailable slots",
            )
        for c in courses:
            if c.session_length > f.max_hours_per_day:
                yield Finding(
                    severity,
                    "faculty_daily_hours",
                    entity,
                    f"course {c.id} has sessions of {c.session_length} periods, more than "
                    f"max_hours_per_day ({f.max_hours_per_day})",
                )
            if c.session_length > f.max_consecutive:
                yield Finding(
                    _severity(instance, Rule.FACULTY_CONSECUTIVE),
                    "faculty_consecutive",
                    entity,
                    f"course {c.id} has sessions of {c.session_length} periods, more than "
                    f"max_consecutive ({f.max_consecutive})",
                )


def batch_weekly_load(instance: Instance) -> Iterator[Finding]:
    """A batch whose courses need more periods than the week holds."""
    grid = instance.grid
    for b in instance.batches:
        load = sum(instance.course_by_id[c].periods_per_week for c in instance.courses_of_batch[b.id])
        if load > grid.n_slots:
            yield Finding(
                "error",
                "batch_overloaded",
                f"batch {b.id}",
                f"its courses need {load} periods a week but the grid has only {grid.n_slots} slots",
            )


def student_weekly_load(instance: Instance) -> Iterator[Finding]:
    """An individual student whose courses (batch plus electives) need more periods than the week holds."""
    grid = instance.grid
    for courses, students in instance.student_groups.items():
        load = sum(instance.course_by_id[c].periods_per_week for c in courses)
        if load > grid.n_slots:
            others = f" (and {_plural(len(students) - 1, 'other student')} with the same courses)"
            yield Finding(
                "error",
                "student_overloaded",
                f"student {students[0]}",
                f"their {_plural(len(courses), 'course')} need {load} periods a week but the grid has only "
                f"{grid.n_slots} slots" + (others if len(students) > 1 else ""),
            )


def session_longer_than_run(instance: Instance) -> Iterator[Finding]:
    """A session longer than any run of periods without a break."""
    longest = instance.grid.longest_run
    for c in instance.courses:
        if c.session_length > longest:
            yield Finding(
                "error",
                "session_too_long",
                f"course {c.id}",
                f"sessions of {c.session_length} periods do not fit: the longest run of periods "
                f"without a break is {longest}",
            )


def course_without_room(instance: Instance) -> Iterator[Finding]:
    """A course that no room fits, or one larger than every room that fits."""
    if not instance.rooms:  # rooms are not being scheduled
        return
    for c in instance.courses:
        rooms = [r for r in instance.rooms if _room_fits(r, c)]
        entity = f"course {c.id}"
        wanted = f"type '{c.room_type}'" + (
            f" with {', '.join(sorted(c.room_features))}" if c.room_features else ""
        )
        if not rooms:
            whose = f" usable by department {c.department}" if c.department else ""
            yield Finding("error", "no_room", entity, f"no room of {wanted}{whose}")
            continue
        size, largest = instance.course_size[c.id], max(r.capacity for r in rooms)
        if size > largest:
            yield Finding(
                _severity(instance, Rule.ROOM_CAPACITY),
                "room_too_small",
                entity,
                f"has {size} attendees but the largest room of {wanted} it may use seats {largest}",
            )


def room_type_capacity(instance: Instance) -> Iterator[Finding]:
    """More weekly room-periods needed of a room type than its rooms offer."""
    grid = instance.grid
    needed: dict[str, int] = defaultdict(int)
    for c in instance.courses:
        needed[c.room_type] += c.periods_per_week
    offered: dict[str, int] = defaultdict(int)
    n_rooms: dict[str, int] = defaultdict(int)
    for r in instance.rooms:
        offered[r.type] += grid.n_slots - len(_in_grid(grid, r.unavailable))
        n_rooms[r.type] += 1
    for room_type, need in sorted(needed.items()):
        if n_rooms[room_type] and need > offered[room_type]:
            yield Finding(
                "error",
                "room_type_overloaded",
                f"room type '{room_type}'",
                f"courses need {need} room-periods a week but the {_plural(n_rooms[room_type], 'room')} "
                f"of this type offer {offered[room_type]}",
            )


def course_start_slots(instance: Instance) -> Iterator[Finding]:
    """A course with fewer free start slots or days than its sessions need."""
    max_per_day_hard = instance.rules.is_hard(Rule.COURSE_MAX_PER_DAY)
    for c in instance.courses:
        if c.session_length > instance.grid.longest_run:
            continue  # reported by session_longer_than_run
        entity = f"course {c.id}"
        by_day: dict[int, list[int]] = defaultdict(list)
        for s in _free_starts(instance, c):
            by_day[s.day].append(s.period)
        fit = {d: _sessions_on_day(ps, c.session_length) for d, ps in by_day.items()}
        possible = sum(fit.values())
        if possible < c.sessions_per_week:
            yield Finding(
                "error",
                "too_few_start_slots",
                entity,
                f"needs {_plural(c.sessions_per_week, 'session')} but only {possible} fit in the slots "
                f"free for the course, its faculty and its rooms",
            )
            continue
        if max_per_day_hard:
            capped = sum(min(n, c.max_per_day) for n in fit.values())
            if capped < c.sessions_per_week:
                yield Finding(
                    "error",
                    "too_few_days",
                    entity,
                    f"needs {_plural(c.sessions_per_week, 'session')} at most {c.max_per_day} a day, "
                    f"but has free slots on only {_plural(len(fit), 'day')} (room for {capped})",
                )
                continue
        if len(fit) < c.min_days:
            yield Finding(
                _severity(instance, Rule.COURSE_MIN_DAYS),
                "too_few_days",
                entity,
                f"should spread over {c.min_days} days (min_days) but has free slots on only "
                f"{_plural(len(fit), 'day')}",
            )


def course_without_faculty(instance: Instance) -> Iterator[Finding]:
    """A course nobody teaches: it can be scheduled, but probably by mistake."""
    for c in instance.courses:
        if not c.faculty:
            yield Finding("warning", "no_faculty", f"course {c.id}", "has no faculty")


def fixed_slots(instance: Instance) -> Iterator[Finding]:
    """Pinned sessions that do not fit the day, meet an unavailable slot, or overlap each other."""
    grid = instance.grid
    for c in instance.courses:
        entity = f"course {c.id}"
        blocked = _blocked(instance, c)
        taken: set[Slot] = set()
        for start in c.fixed:
            label = f"fixed slot [{start[0]}, {start[1]}] ({grid.slot_label(start)})"
            if not grid.block_fits(start[1], c.session_length):
                yield Finding(
                    "error",
                    "fixed_does_not_fit",
                    entity,
                    f"{label}: a session of {c.session_length} periods runs past the end of the day "
                    f"or across a break",
                )
                continue
            block = _block(start, c.session_length)
            bad = sorted(s for s in block if s in blocked)
            if bad:
                yield Finding(
                    "error",
                    "fixed_unavailable",
                    entity,
                    f"{label}: {grid.slot_label(bad[0])} is unavailable to the course or its faculty",
                )
            if taken & set(block):
                yield Finding("error", "fixed_overlap", entity, f"{label} overlaps another fixed session")
            taken |= set(block)


def fixed_clashes(instance: Instance) -> Iterator[Finding]:
    """Two courses sharing a faculty member or batch, pinned to overlapping periods."""
    occupants: dict[tuple[str, Slot], str] = {}  # (faculty or batch, slot) -> first course pinned there
    reported: set[tuple[str, str, str]] = set()
    for c in instance.courses:
        people = [f"faculty {f}" for f in c.faculty] + [f"batch {b}" for b in c.batches]
        for start in c.fixed:
            if not instance.grid.block_fits(start[1], c.session_length):
                continue  # reported by fixed_slots
            for s in _block(start, c.session_length):
                for who in people:
                    other = occupants.setdefault((who, s), c.id)
                    if other != c.id and (who, other, c.id) not in reported:
                        reported.add((who, other, c.id))
                        yield Finding(
                            "error",
                            "fixed_clash",
                            who,
                            f"courses {other} and {c.id} are both fixed at {instance.grid.slot_label(s)}",
                        )


CHECKS: tuple[Check, ...] = (
    session_longer_than_run,
    faculty_weekly_load,
    faculty_daily_load,
    batch_weekly_load,
    student_weekly_load,
    course_without_room,
    room_type_capacity,
    course_start_slots,
    fixed_slots,
    fixed_clashes,
    course_without_faculty,
)


def diagnose(instance: Instance, checks: Iterable[Check] = CHECKS) -> list[Finding]:
    """Every finding of every check: errors first, then warnings, each in check order."""
    findings = [f for check in checks for f in check(instance)]
    return sorted(findings, key=lambda f: f.severity != "error")


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]

"""Locks: sessions a person pinned to a day and period (optionally a room) that no solver may move.

A lock says "course C has a session starting at (day, period)", and with ``room`` "in that room". Sessions of
one course are interchangeable, so ``session`` only says which session number the lock keeps in reports.
Locks reach the solvers as the courses' pinned start slots (``Course.fixed``): the CP-SAT model fixes them and
the annealing freezes them; every result is checked against the locks afterwards (``broken_locks``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from pydantic import Field

from timetabling.engine.errors import InputError
from timetabling.engine.formats.native import parse, read_json
from timetabling.engine.model import FORMAT_VERSION, Frozen, Instance, Rule, Slot, Solution
from timetabling.engine.repair.occupancy import student_peers
from timetabling.engine.timetable.domains import room_fits


class Lock(Frozen):
    """One pinned session: a session of ``course`` starts at (``day``, ``period``), in ``room`` when given."""

    course: str = Field(min_length=1)
    session: int | None = Field(default=None, ge=0)
    day: int = Field(ge=0)
    period: int = Field(ge=0)
    room: str | None = None
    note: str = ""

    @property
    def slot(self) -> Slot:
        return Slot(self.day, self.period)


class LockFile(Frozen):
    """The lock file: ``{"format_version": "1.0", "locks": [{"course": "C1", "day": 0, "period": 2}]}``."""

    format_version: str = FORMAT_VERSION
    locks: tuple[Lock, ...] = ()


def load_locks(path: str | Path) -> tuple[Lock, ...]:
    return parse(LockFile, read_json(path), str(path)).locks


def label(instance: Instance, index: int, lock: Lock) -> str:
    """``lock 3 (C1 at Mon P2 in R4)``: how every message names a lock (numbered from 1, as in the file)."""
    where = instance.grid.slot_label(lock.slot) if _in_grid(instance, lock.slot) else f"[{lock.day}, {lock.period}]"
    room = f" in {lock.room}" if lock.room else ""
    return f"lock {index + 1} ({lock.course} at {where}{room})"


class _LazyLabel:
    """A lock's ``label``, worded only when a message needs it (thousands of locks, few messages)."""

    def __init__(self, instance: Instance, index: int, lock: Lock):
        self.args = (instance, index, lock)

    def __str__(self) -> str:
        return label(*self.args)


def _in_grid(instance: Instance, slot: Slot) -> bool:
    return slot.day < instance.grid.n_days and slot.period < instance.grid.n_periods


def lock_problems(instance: Instance, locks: Iterable[Lock]) -> list[str]:
    """Locks the instance cannot even read: a deleted course, a slot or room that does not exist."""
    problems = []
    per_course: Counter[str] = Counter()
    seen: set[tuple[str, Slot]] = set()
    for i, lock in enumerate(locks):
        path = f"locks[{i}]"
        course = instance.course_by_id.get(lock.course)
        if course is None:
            problems.append(f"{path}.course: unknown course '{lock.course}' (deleted or renamed?)")
            continue
        if not _in_grid(instance, lock.slot):
            g = instance.grid
            problems.append(f"{path}: slot [{lock.day}, {lock.period}] is outside the grid "
                            f"({g.n_days} days x {g.n_periods} periods)")
        if lock.room is not None and lock.room not in instance.room_by_id:
            problems.append(f"{path}.room: unknown room '{lock.room}'")
        if lock.session is not None and lock.session >= course.sessions_per_week:
            problems.append(f"{path}.session: session {lock.session} but course '{lock.course}' has "
                            f"{course.sessions_per_week} sessions per week")
        if (lock.course, lock.slot) in seen:
            problems.append(f"{path}: course '{lock.course}' is locked twice at [{lock.day}, {lock.period}]")
        seen.add((lock.course, lock.slot))
        per_course[lock.course] += 1
    for cid, n in per_course.items():
        spw = instance.course_by_id[cid].sessions_per_week
        if n > spw:
            problems.append(f"course '{cid}' has {n} locks but only {spw} sessions per week")
    return problems


def check_locks(instance: Instance, locks: Iterable[Lock], source: str = "locks") -> tuple[Lock, ...]:
    """The locks, or an :class:`InputError` naming every one the instance cannot read."""
    locks = tuple(locks)
    problems = lock_problems(instance, locks)
    if problems:
        raise InputError(source, problems)
    return locks


def pin(instance: Instance, locks: Iterable[Lock]) -> Instance:
    """``instance`` with every lock's slot among its course's pinned start slots (``Course.fixed``)."""
    by_course: dict[str, list[Slot]] = defaultdict(list)
    for lock in locks:
        by_course[lock.course].append(lock.slot)
    if not by_course:
        return instance
    courses = []
    for c in instance.courses:
        extra = [s for s in by_course.get(c.id, ()) if s not in c.fixed]
        courses.append(c.model_copy(update={"fixed": (*c.fixed, *extra)}) if extra else c)
    return instance.model_copy(update={"courses": tuple(courses)})


def broken_locks(instance: Instance, solution: Solution, locks: Iterable[Lock]) -> list[str]:
    """Every lock ``solution`` does not keep, in words (empty when it keeps them all)."""
    placed: dict[tuple[str, Slot], list[str | None]] = defaultdict(list)
    for a in solution.assignments:
        placed[a.course, a.slot].append(a.room)
    out = []
    for i, lock in enumerate(locks):
        rooms = placed.get((lock.course, lock.slot))
        if not rooms:
            out.append(f"{label(instance, i, lock)}: no session of {lock.course} starts there")
        elif lock.room is not None and lock.room not in rooms:
            out.append(f"{label(instance, i, lock)}: the session is in room {rooms[0]}")
    return out


# ------------------------------------------------------------------------------------- diagnosis


def lock_conflicts(instance: Instance, locks: tuple[Lock, ...]) -> list[str]:
    """Why these locks cannot all hold, in plain words, each naming the locks involved (empty when no
    such reason is visible before solving; the repair then asks CP-SAT for an infeasible core)."""
    out: list[str] = []
    grid = instance.grid
    # (resource, flat slot) -> locks holding it; resources: faculty, batch, course, room
    held: dict[tuple[str, int], list[int]] = defaultdict(list)
    day_load: dict[tuple[str, int], int] = Counter()  # (faculty, day) -> locked periods
    course_day: dict[tuple[str, int], list[int]] = defaultdict(list)
    for i, lock in enumerate(locks):
        c = instance.course_by_id[lock.course]
        name = _LazyLabel(instance, i, lock)
        if not grid.block_fits(lock.period, c.session_length):
            out.append(f"{name}: a session of {c.session_length} periods runs past the end of the day or "
                       "across a break")
            continue
        span = [Slot(lock.day, lock.period + k) for k in range(c.session_length)]
        for s in span:
            if s in c.unavailable:
                out.append(f"{name}: course {c.id} is unavailable at {grid.slot_label(s)}")
            for f in c.faculty:
                if s in instance.faculty_by_id[f].unavailable:
                    out.append(f"{name}: faculty {f} is unavailable at {grid.slot_label(s)}")
        if lock.room is not None:
            out.extend(_room_problems(instance, name, lock, span))
        keys = [f"faculty {f}" for f in c.faculty] + [f"batch {b}" for b in c.batches] + [f"course {c.id}"]
        keys += [f"room {lock.room}"] if lock.room else []
        for s in span:
            for key in keys:
                held[key, grid.slot_index(s)].append(i)
        for f in c.faculty:
            day_load[f, lock.day] += c.session_length
        course_day[c.id, lock.day].append(i)
    reported: set[tuple[str, tuple[int, ...]]] = set()
    for (key, t), idx in sorted(item for item in held.items() if len(item[1]) > 1):
        if (key, tuple(idx)) not in reported:
            reported.add((key, tuple(idx)))
            names = " and ".join(label(instance, i, locks[i]) for i in idx)
            out.append(f"{names} put {key} in two places at {grid.slot_label(grid.slot_of(t))}")
    out.extend(_student_overlaps(instance, locks))
    rules = instance.rules
    for (f, day), load in sorted(day_load.items()):
        limit = instance.faculty_by_id[f].max_hours_per_day
        if rules.is_hard(Rule.FACULTY_DAILY_HOURS) and load > limit:
            names = ", ".join(label(instance, i, lk) for i, lk in enumerate(locks)
                              if lk.day == day and f in instance.course_by_id[lk.course].faculty)
            out.append(f"{names}: faculty {f} would teach {load} periods on {grid.days[day]} (at most {limit})")
    for (cid, day), idx in sorted(course_day.items()):
        c = instance.course_by_id[cid]
        if rules.is_hard(Rule.COURSE_MAX_PER_DAY) and len(idx) > c.max_per_day:
            names = ", ".join(label(instance, i, locks[i]) for i in idx)
            out.append(f"{names}: course {cid} would have {len(idx)} sessions on {grid.days[day]} "
                       f"(at most {c.max_per_day})")
    return out


def _room_problems(instance: Instance, name: object, lock: Lock, span: list[Slot]) -> list[str]:
    c = instance.course_by_id[lock.course]
    room = instance.room_by_id[lock.room]  # type: ignore[index]
    out = []
    size = instance.course_size[c.id]
    if not room_fits(instance, c, room, size):
        if room.capacity < size and instance.rules.is_hard(Rule.ROOM_CAPACITY):
            out.append(f"{name}: room {room.id} seats {room.capacity} but {c.id} has {size} students")
        else:
            out.append(f"{name}: room {room.id} ({room.type}) does not suit {c.id} (needs a {c.room_type}"
                       + (f" with {', '.join(sorted(c.room_features))}" if c.room_features else "") + ")")
    for s in span:
        if s in room.unavailable:
            out.append(f"{name}: room {room.id} is unavailable at {instance.grid.slot_label(s)}")
    return out


def _student_overlaps(instance: Instance, locks: tuple[Lock, ...]) -> list[str]:
    """Two locked sessions at overlapping times whose courses share students (not a batch or faculty)."""
    peers = student_peers(instance)
    at: dict[int, list[int]] = defaultdict(list)
    for i, lock in enumerate(locks):
        c = instance.course_by_id[lock.course]
        for k in range(c.session_length):
            at[instance.grid.slot_index((lock.day, lock.period + k))].append(i)
    pairs: set[tuple[int, int]] = set()
    for idx in at.values():
        here = {locks[i].course for i in idx}
        for a in range(len(idx)):
            mine = peers.get(locks[idx[a]].course)
            shared = mine.keys() & here if mine else None
            if shared:
                pairs.update((idx[a], j) for j in idx[a + 1:] if locks[j].course in shared)
    out = []
    for i, j in sorted(pairs):
        ci, cj = instance.course_by_id[locks[i].course], instance.course_by_id[locks[j].course]
        if ci.id == cj.id or set(ci.faculty) & set(cj.faculty) or set(ci.batches) & set(cj.batches):
            continue  # named above
        out.append(f"{label(instance, i, locks[i])} and {label(instance, j, locks[j])} overlap, and "
                   f"{peers[ci.id][cj.id]} student(s) take both courses")
    return out

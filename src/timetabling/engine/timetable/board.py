"""Sessions as arrays, and a board that keeps resource occupancy so that a move is checked in microseconds.

``Layout`` is what never changes: every session's allowed starts and rooms, and the resources it holds
(its course, faculty, batches, student clash groups). ``Board`` is one timetable: a start and a room per
session plus occupancy counts. The genetic optimiser and stage 3 both move sessions on boards; the
independent checker has the last word on every result.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from timetabling.engine.model import Instance, Rule, Solution
from timetabling.engine.timetable.domains import Domains, build_domains
from timetabling.engine.timetable.placed import Placed, to_solution

NO_ROOM = -1


@dataclass
class Layout:
    instance: Instance
    course_ids: list[str]
    session_course: np.ndarray  # (N,) course index of each session
    length: np.ndarray  # (N,) periods of each session
    starts: list[np.ndarray]  # per session: allowed flat start slots
    rooms: list[np.ndarray]  # per session: allowed room indexes (best fit first)
    resources: list[tuple[int, ...]]  # per session: static resource rows (course, faculty, batches, groups)
    n_resources: int
    faculty_rows: np.ndarray  # (F,) resource row of each faculty member
    faculty_max_day: np.ndarray  # (F,)
    faculty_max_run: np.ndarray  # (F,)
    course_max_day: np.ndarray  # (C,)
    batch_rows: np.ndarray  # (B,)
    room_ids: list[str]
    room_blocked: np.ndarray  # (rooms, T) int16: 1 where a room is unavailable
    check_daily: bool
    check_run: bool
    check_course_day: bool
    n_days: int
    n_periods: int
    adjacent: np.ndarray  # (T,) bool: slot t and t + 1 are consecutive periods of one day

    @cached_property
    def entries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(session, resource row, offset) of every period every session holds on every static resource."""
        rows = [(i, res, off) for i in range(self.n) for res in self.resources[i] for off in range(int(self.length[i]))]
        return _columns(rows, 3)

    @cached_property
    def allowed(self) -> tuple[np.ndarray, np.ndarray]:
        """(N, T) allowed starts and (N, rooms + 1) allowed rooms (last column: no room, allowed when the
        session needs none)."""
        starts = np.zeros((self.n, self.n_slots), dtype=bool)
        rooms = np.zeros((self.n, len(self.room_ids) + 1), dtype=bool)
        for i in range(self.n):
            starts[i, self.starts[i]] = True
            rooms[i, self.rooms[i]] = True
            rooms[i, -1] = not len(self.rooms[i])
        return starts, rooms

    @property
    def n_slots(self) -> int:
        return self.n_days * self.n_periods

    @property
    def n(self) -> int:
        return len(self.session_course)


def layout(instance: Instance, domains: Domains | None = None) -> Layout:
    """``domains``: the instance's, when the caller has them already."""
    domains = domains or build_domains(instance)
    grid = instance.grid
    course_ids = [c.id for c in instance.courses]
    cindex = {c: i for i, c in enumerate(course_ids)}
    room_ids = [r.id for r in instance.rooms]
    rindex = {r: i for i, r in enumerate(room_ids)}
    rows: dict[tuple[str, str], int] = {}

    def row(kind: str, key: str) -> int:
        return rows.setdefault((kind, key), len(rows))

    for c in course_ids:
        row("course", c)
    faculty_rows = np.array([row("faculty", f.id) for f in instance.faculty], dtype=np.int64)
    batch_rows = np.array([row("batch", b.id) for b in instance.batches], dtype=np.int64)
    groups_of: dict[str, list[int]] = {}
    for g, courses in enumerate(domains.student_sets):
        r = row("group", str(g))
        for c in courses:
            groups_of.setdefault(c, []).append(r)
    session_course, length, starts, rooms, resources = [], [], [], [], []
    for c in instance.courses:
        res = (rows["course", c.id], *(rows["faculty", f] for f in c.faculty),
               *(rows["batch", b] for b in c.batches), *groups_of.get(c.id, ()))
        st = np.array(domains.starts[c.id], dtype=np.int64)
        rm = np.array([rindex[r] for r in domains.rooms.get(c.id, ())], dtype=np.int64)
        for _k in range(c.sessions_per_week):
            session_course.append(cindex[c.id])
            length.append(c.session_length)
            starts.append(st)
            rooms.append(rm)
            resources.append(res)
    blocked = np.zeros((len(room_ids), grid.n_slots), dtype=np.int16)
    for i, r in enumerate(instance.rooms):
        for s in r.unavailable:
            blocked[i, grid.slot_index(s)] = 1
    adjacent = np.array([grid.slot_of(t).period + 1 < grid.n_periods and grid.slot_of(t).period not in
                         grid.break_after for t in range(grid.n_slots)], dtype=bool)
    rules = instance.rules
    return Layout(
        instance=instance, course_ids=course_ids,
        session_course=np.array(session_course, dtype=np.int64), length=np.array(length, dtype=np.int64),
        starts=starts, rooms=rooms, resources=resources, n_resources=len(rows), faculty_rows=faculty_rows,
        faculty_max_day=np.array([f.max_hours_per_day for f in instance.faculty], dtype=np.int64),
        faculty_max_run=np.array([f.max_consecutive for f in instance.faculty], dtype=np.int64),
        course_max_day=np.array([c.max_per_day for c in instance.courses], dtype=np.int64),
        batch_rows=batch_rows, room_ids=room_ids, room_blocked=blocked,
        check_daily=rules.is_hard(Rule.FACULTY_DAILY_HOURS), check_run=rules.is_hard(Rule.FACULTY_CONSECUTIVE),
        check_course_day=rules.is_hard(Rule.COURSE_MAX_PER_DAY), n_days=grid.n_days, n_periods=grid.n_periods,
        adjacent=adjacent,
    )


class Board:
    """One timetable on a layout: ``start[i]`` (-1: not placed) and ``room[i]`` per session, with the
    occupancy of every resource row and room per slot, and the starts per course and day."""

    def __init__(self, lay: Layout, start: np.ndarray, room: np.ndarray):
        self.lay = lay
        self.start = start.astype(np.int64).copy()
        self.room = room.astype(np.int64).copy()
        self.occ = np.zeros((lay.n_resources, lay.n_slots), dtype=np.int16)
        self.rocc = lay.room_blocked.copy()
        self.cday = np.zeros((len(lay.course_ids), lay.n_days), dtype=np.int16)
        self.fac_of_row = {int(r): k for k, r in enumerate(lay.faculty_rows)}
        for i in range(lay.n):
            if self.start[i] >= 0:
                self._add(i, int(self.start[i]), int(self.room[i]), 1)

    def copy(self) -> Board:
        b = Board.__new__(Board)
        b.lay, b.fac_of_row = self.lay, self.fac_of_row
        b.start, b.room, b.occ, b.rocc, b.cday = (self.start.copy(), self.room.copy(), self.occ.copy(),
                                                   self.rocc.copy(), self.cday.copy())
        return b

    def _add(self, i: int, s: int, r: int, sign: int) -> None:
        span = slice(s, s + int(self.lay.length[i]))
        for res in self.lay.resources[i]:
            self.occ[res, span] += sign
        if r != NO_ROOM:
            self.rocc[r, span] += sign
        self.cday[self.lay.session_course[i], s // self.lay.n_periods] += sign

    def lift(self, i: int) -> None:
        if self.start[i] >= 0:
            self._add(i, int(self.start[i]), int(self.room[i]), -1)
            self.start[i] = -1

    def put(self, i: int, s: int, r: int) -> None:
        self.lift(i)
        self.start[i], self.room[i] = s, r
        self._add(i, s, r, 1)

    # ---- what a placement would cost (session ``i`` lifted)

    def clashes_at(self, i: int, s: int, r: int) -> int:
        """Hard violations session ``i`` would add at start ``s`` in room ``r`` (others as they are)."""
        lay = self.lay
        span = slice(s, s + int(lay.length[i]))
        n = 0
        for res in lay.resources[i]:
            n += int(self.occ[res, span].sum())
        if r != NO_ROOM:
            n += int(self.rocc[r, span].sum())
        elif len(lay.rooms[i]):
            n += 1  # it needs a room
        day = s // lay.n_periods
        c = lay.session_course[i]
        if lay.check_course_day and self.cday[c, day] + 1 > lay.course_max_day[c]:
            n += 1
        if lay.check_daily or lay.check_run:
            n += self._faculty_excess(i, s)
        return n

    def _faculty_excess(self, i: int, s: int) -> int:
        lay = self.lay
        n_p = lay.n_periods
        day = s // n_p
        day_slots = slice(day * n_p, (day + 1) * n_p)
        excess = 0
        for res in lay.resources[i]:
            k = self.fac_of_row.get(res)
            if k is None:
                continue
            row = self.occ[res, day_slots].copy()
            row[s - day * n_p : s - day * n_p + int(lay.length[i])] += 1
            if lay.check_daily and row.sum() > lay.faculty_max_day[k]:
                excess += 1
            if lay.check_run and _longest_run(row > 0, lay.adjacent[day_slots]) > lay.faculty_max_run[k]:
                excess += 1
        return excess

    def free_room(self, i: int, s: int) -> int:
        """The first allowed room (best fit first) free for session ``i`` at ``s``; NO_ROOM when none is."""
        span = slice(s, s + int(self.lay.length[i]))
        for r in self.lay.rooms[i]:
            if not self.rocc[r, span].any():
                return int(r)
        return NO_ROOM

    def conflicted(self) -> np.ndarray:
        """Indexes of the sessions that break a hard rule where they are, or are not placed (vectorised)."""
        lay = self.lay
        n = lay.n
        on = self.start >= 0
        bad = ~on
        sess, res, off = lay.entries
        start = np.where(on, self.start, 0)
        hit = on[sess] & (self.occ[res, start[sess] + off] > 1)
        bad |= np.bincount(sess, weights=hit, minlength=n) > 0
        roomed = on & (self.room != NO_ROOM)
        for k in range(int(lay.length.max(initial=1))):
            m = roomed & (lay.length > k)
            idx = np.flatnonzero(m)
            bad[idx] |= self.rocc[self.room[idx], start[idx] + k] > 1
        ok_start, ok_room = lay.allowed
        every = np.arange(n)
        bad |= on & ~ok_start[every, start]
        bad |= on & ~ok_room[every, self.room]  # NO_ROOM (-1) reads the last column
        day = start // lay.n_periods
        if lay.check_course_day:
            c = lay.session_course
            bad |= on & (self.cday[c, day] > lay.course_max_day[c])
        if lay.check_daily or lay.check_run:
            bad_fd = self._faculty_days_over()
            if bad_fd:
                for i in np.flatnonzero(on):
                    rows = (self.fac_of_row[r] for r in lay.resources[i] if r in self.fac_of_row)
                    bad[i] |= any((k, int(day[i])) in bad_fd for k in rows)
        return np.flatnonzero(bad)

    def _faculty_days_over(self) -> set[tuple[int, int]]:
        lay = self.lay
        n_p = lay.n_periods
        occ = self.occ[lay.faculty_rows].reshape(len(lay.faculty_rows), lay.n_days, n_p)
        out: set[tuple[int, int]] = set()
        if lay.check_daily:
            f, d = np.nonzero(occ.sum(2) > lay.faculty_max_day[:, None])
            out |= set(zip(f.tolist(), d.tolist(), strict=True))
        if lay.check_run:
            f, d = np.nonzero((occ > 0).sum(2) > lay.faculty_max_run[:, None])
            for k, day in zip(f.tolist(), d.tolist(), strict=True):
                adj = lay.adjacent[day * n_p : (day + 1) * n_p]
                if _longest_run(occ[k, day] > 0, adj) > lay.faculty_max_run[k]:
                    out.add((k, day))
        return out

    def placed(self) -> Placed:
        lay = self.lay
        out: Placed = {}
        for i in range(lay.n):
            if self.start[i] >= 0:
                cid = lay.course_ids[lay.session_course[i]]
                room = lay.room_ids[self.room[i]] if self.room[i] != NO_ROOM else None
                out.setdefault(cid, []).append((int(self.start[i]), room))
        return out

    def solution(self, meta: dict[str, object] | None = None) -> Solution:
        return to_solution(self.lay.instance, self.placed(), meta)


def _columns(rows: list[tuple[int, ...]], width: int) -> tuple[np.ndarray, ...]:
    """Rows of ints as ``width`` int64 columns (empty columns for no rows)."""
    if not rows:
        return (np.zeros(0, np.int64),) * width
    return tuple(np.asarray(rows, dtype=np.int64).T)


def _longest_run(busy: np.ndarray, adjacent: np.ndarray) -> int:
    best = run = 0
    for p in range(len(busy)):
        run = run + 1 if busy[p] else 0
        best = max(best, run)
        if not adjacent[p]:
            run = 0
    return best


def board_from(lay: Layout, placed: Placed) -> Board:
    """A board of ``placed``; sessions of a course beyond those placed stay unplaced (-1)."""
    start = np.full(lay.n, -1, dtype=np.int64)
    room = np.full(lay.n, NO_ROOM, dtype=np.int64)
    rindex = {r: k for k, r in enumerate(lay.room_ids)}
    first: dict[int, int] = {}
    for i in range(lay.n):
        first.setdefault(int(lay.session_course[i]), i)
    count = np.bincount(lay.session_course, minlength=len(lay.course_ids))
    for ci, cid in enumerate(lay.course_ids):
        items = sorted(placed.get(cid, ()), key=lambda x: x[0])
        i0 = first.get(ci)
        if i0 is None:
            continue
        for k, (t, r) in enumerate(items[: int(count[ci])]):
            start[i0 + k] = t
            room[i0 + k] = rindex[r] if r is not None else NO_ROOM
    return Board(lay, start, room)

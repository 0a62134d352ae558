"""The instance as the annealing's flat arrays (``kernels.Sessions``, ``kernels.Weights``), built from the
timetable layout every local search shares, and the way between a ``Solution`` and (start, room) arrays."""

from __future__ import annotations

import numpy as np

from timetabling.engine.improve.anneal import daily, kernels
from timetabling.engine.improve.anneal.bundles import (
    FLAG_TRAVEL,
    KIND_BATCH,
    KIND_COURSE,
    KIND_FACULTY,
    KIND_GROUP,
    Sessions,
    Weights,
)
from timetabling.engine.model import Instance, Rule, Rules, Solution
from timetabling.engine.rules import NotNeeded, Optimiser, register
from timetabling.engine.timetable.board import Board, board_from, layout
from timetabling.engine.timetable.domains import Domains
from timetabling.engine.timetable.placed import from_solution


class Problem:
    """The instance as flat arrays for the compiled search: ``sessions`` and ``weights`` are the kernels'
    bundles; the other attributes are what the driver needs around them."""

    def __init__(self, instance: Instance, domains: Domains | None = None):
        lay = layout(instance, domains)
        self.lay = lay
        rules = instance.rules
        n, n_rooms = lay.n, len(lay.room_ids)
        self.n, self.n_rooms = n, n_rooms
        self.n_days, self.n_periods = lay.n_days, lay.n_periods
        courses = instance.courses
        course = lay.session_course
        if len(course) and (np.diff(course) < 0).any():
            raise ValueError("the layout's sessions are not grouped by course")
        course_ptr = np.zeros(len(courses) + 1, dtype=np.int64)
        course_ptr[1:] = np.cumsum(np.bincount(course, minlength=len(courses)))
        start_ptr, start_list = _csr(lay.starts)
        room_ptr, room_list = _csr(lay.rooms)
        res_ptr, res_list = _csr([np.asarray(r, dtype=np.int64) for r in lay.resources])
        members: list[list[int]] = [[] for _ in range(lay.n_resources)]  # per resource row: its sessions
        for i, rows in enumerate(lay.resources):
            for row in rows:
                members[int(row)].append(i)
        row_ptr, row_sessions = _csr([np.asarray(m, dtype=np.int64) for m in members])
        allowed_start, allowed_room = lay.allowed
        kind = np.full(lay.n_resources, KIND_GROUP, dtype=np.int64)
        kind[: len(lay.course_ids)] = KIND_COURSE
        kind[lay.faculty_rows] = KIND_FACULTY
        kind[lay.batch_rows] = KIND_BATCH
        self.row_kind = kind
        row_faculty = np.full(lay.n_resources, -1, dtype=np.int64)
        row_faculty[lay.faculty_rows] = np.arange(len(lay.faculty_rows))
        # daily limits per row: a faculty member's (most periods a day, most in a row), then each batch's (most
        # and fewest sessions a day, 0 for none); row_faculty points a faculty or batch row at its own
        row_faculty[lay.batch_rows] = len(lay.faculty_rows) + np.arange(len(lay.batch_rows))
        batches = instance.batches
        self.room_blocked = lay.room_blocked.astype(np.int32)
        flags = rule_flags(rules)
        # building of each room, as an index; travel is counted only with two buildings or more
        buildings = sorted({r.building for r in instance.rooms})
        index = {b: k for k, b in enumerate(buildings)}
        room_bld = np.array([index[instance.room_by_id[r].building] for r in lay.room_ids] or [0], dtype=np.int64)
        self.n_buildings = len(buildings) if flags[FLAG_TRAVEL] != 0 and len(buildings) > 1 else 0
        self.max_weight = max([rules.weight(r) for r in Rule], default=0)
        # sessions pinned by a course's fixed slots do not move
        self.frozen = np.zeros(n, dtype=np.bool_)
        grid = instance.grid
        self.fixed_starts = [{grid.slot_index(s) for s in c.fixed} for c in courses]
        self.avoided = _avoided(instance, lay.room_ids) if rules.is_hard(Rule.ROOM_AVOIDED) else None
        self.sessions = Sessions(
            course=course, length=lay.length, res_ptr=res_ptr, res_list=res_list, row_ptr=row_ptr,
            row_sessions=row_sessions, row_kind=kind, row_faculty=row_faculty,
            fac_max_day=np.concatenate([lay.faculty_max_day, [b.max_per_day for b in batches]]).astype(np.int64),
            fac_max_run=np.concatenate([lay.faculty_max_run, [b.min_per_day for b in batches]]).astype(np.int64),
            course_max_day=lay.course_max_day, min_days=np.array([c.min_days for c in courses], dtype=np.int64),
            course_ptr=course_ptr, double=np.array([c.double_sessions for c in courses], dtype=np.bool_),
            adjacent=lay.adjacent, pref_cost=_preference_cost(instance, lay), cap_cost=_room_cost(instance, lay),
            room_bld=room_bld, start_ptr=start_ptr, start_list=start_list, room_ptr=room_ptr, room_list=room_list,
            allowed_start=allowed_start, allowed_room=np.ascontiguousarray(allowed_room[:, :n_rooms]),
            frozen=self.frozen,
        )
        self.weights = Weights(
            n_periods=int(lay.n_periods), idle=rules.weight(Rule.BATCH_IDLE), iso=rules.weight(Rule.ISOLATED_SESSION),
            days=rules.weight(Rule.COURSE_MIN_DAYS), stab=rules.weight(Rule.ROOM_STABILITY), flags=flags,
        )

    def state(self, solution: Solution) -> tuple[np.ndarray, np.ndarray] | None:
        """(start, room) per session of ``solution``; None when a session is not placed, or (room_avoided hard)
        sits in a room its course may not use."""
        board = board_from(self.lay, from_solution(self.lay.instance, solution))
        if (board.start < 0).any():
            return None
        if self.avoided is not None:
            placed_in = np.where(board.room >= 0, board.room, 0)
            if (self.avoided[self.sessions.course, placed_in] & (board.room >= 0)).any():
                return None
        self.frozen[:] = False
        taken: set[tuple[int, int]] = set()
        for i in range(self.n):
            c, s = int(self.sessions.course[i]), int(board.start[i])
            if s in self.fixed_starts[c] and (c, s) not in taken:
                taken.add((c, s))
                self.frozen[i] = True
        return board.start.copy(), board.room.copy()

    def solution(self, start: np.ndarray, room: np.ndarray, meta: dict[str, object]) -> Solution:
        return Board(self.lay, start, room).solution(meta)


def rule_flags(rules: Rules) -> np.ndarray:
    """``Weights.flags``: per rule that may be hard, > 0 its soft weight, -1 hard, 0 off (``bundles.FLAG_*``)."""
    return np.array([
        _weight_or_hard(rules, Rule.FACULTY_DAILY_HOURS), _weight_or_hard(rules, Rule.FACULTY_CONSECUTIVE),
        _weight_or_hard(rules, Rule.COURSE_MAX_PER_DAY), _weight_or_hard(rules, Rule.BATCH_DAILY_LOAD),
        _weight_or_hard(rules, Rule.BATCH_TRAVEL), _weight_or_hard(rules, Rule.COURSE_DOUBLE_SESSIONS),
    ], dtype=np.int64)


def _weight_or_hard(rules: Rules, rule: Rule) -> int:
    return -1 if rules.is_hard(rule) else rules.weight(rule)


def _preference_cost(instance: Instance, lay) -> np.ndarray:
    """(N, T): weighted faculty preference units of each session at each start."""
    n, t_n = lay.n, lay.n_slots
    w_pref = instance.rules.weight(Rule.FACULTY_PREFERENCE)
    if not w_pref:
        return np.zeros((n, t_n), dtype=np.int64)
    courses = instance.courses
    outside: dict[str, np.ndarray] = {}  # faculty -> preference units per slot (Instance.preference_penalty)
    for f in instance.faculty:
        if (row := instance.preference_row(f.id)) is not None:
            outside[f.id] = np.concatenate([row[:t_n], np.zeros(t_n + 1 - min(t_n, len(row)), dtype=np.int64)])
    per_course = np.zeros((len(courses), t_n), dtype=np.int64)
    for k, c in enumerate(courses):
        for f in c.faculty:
            if f in outside:  # periods of a block from each start outside the preferences
                sums = np.concatenate([[0], np.cumsum(outside[f])])
                ends = np.minimum(np.arange(t_n) + c.session_length, t_n + 1)
                per_course[k] += sums[ends] - sums[np.arange(t_n)]
    return w_pref * per_course[lay.session_course]


def _room_cost(instance: Instance, lay) -> np.ndarray:
    """(N, rooms): weighted cost of each session in each room: soft room capacity and soft avoided rooms (a
    hard avoided room is out of the course's room domain, ``timetable.domains.room_fits``)."""
    rules, courses = instance.rules, instance.courses
    n_rooms = len(lay.room_ids)
    cost = np.zeros((lay.n, max(1, n_rooms)), dtype=np.int32)
    w_cap = rules.weight(Rule.ROOM_CAPACITY)
    if w_cap and n_rooms:
        sizes = np.array([instance.course_size[c.id] for c in courses], dtype=np.int64)[lay.session_course]
        caps = np.array([r.capacity for r in instance.rooms], dtype=np.int64)
        cost[:, :n_rooms] = w_cap * np.maximum(0, sizes[:, None] - caps[None, :])
    w_avoid = rules.weight(Rule.ROOM_AVOIDED)  # a room a course avoids costs like capacity: per session and room
    if w_avoid and n_rooms:
        cost[:, :n_rooms] += (w_avoid * _avoided(instance, lay.room_ids)[lay.session_course]).astype(np.int32)
    return cost


def _avoided(instance: Instance, room_ids: list[str]) -> np.ndarray:
    """(C, rooms) bool: the rooms each course avoids."""
    room_index = {r: k for k, r in enumerate(room_ids)}
    out = np.zeros((len(instance.courses), max(1, len(room_ids))), dtype=np.bool_)
    for k, c in enumerate(instance.courses):
        out[k, [room_index[r] for r in c.avoid_rooms if r in room_index]] = True
    return out


def _csr(lists: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    flat = np.concatenate(lists).astype(np.int64) if lists and ptr[-1] else np.zeros(0, dtype=np.int64)
    return ptr, flat


_BY_DOMAINS = NotNeeded("moves go only to the allowed starts and rooms (timetable/domains.py), which leave it out")
register(Optimiser.ANNEAL, {
    Rule.UNSCHEDULED: NotNeeded("the search starts from a complete timetable and only moves sessions"),
    # clashes: occupancy counts per resource row (course, faculty, batch, student clash group) and room
    Rule.FACULTY_CLASH: kernels._place,
    Rule.BATCH_CLASH: kernels._place,
    Rule.STUDENT_CLASH: kernels._place,
    Rule.ROOM_CLASH: kernels._place,
    Rule.ROOM_TYPE: _BY_DOMAINS,
    Rule.UNAVAILABLE: _BY_DOMAINS,
    Rule.LAB_BLOCK: _BY_DOMAINS,
    Rule.ROOM_CAPACITY: _room_cost,  # soft; hard: _BY_DOMAINS
    Rule.FACULTY_DAILY_HOURS: daily.row_day,
    Rule.FACULTY_WEEKLY_HOURS: NotNeeded("a move changes no one's weekly periods: sessions keep their faculty"),
    Rule.FACULTY_CONSECUTIVE: daily.row_day,
    Rule.COURSE_MAX_PER_DAY: kernels._place,
    Rule.COURSE_MIN_DAYS: kernels._place,
    Rule.FACULTY_PREFERENCE: _preference_cost,
    Rule.BATCH_IDLE: daily.row_day,
    Rule.ISOLATED_SESSION: daily.row_day,
    Rule.ROOM_STABILITY: kernels._place,
    Rule.BATCH_DAILY_LOAD: daily.row_day,
    Rule.BATCH_TRAVEL: daily.row_day,
    Rule.COURSE_DOUBLE_SESSIONS: daily.double_day,
    Rule.ROOM_AVOIDED: _room_cost,  # soft; hard: _BY_DOMAINS (and Problem.state refuses a start there)
})

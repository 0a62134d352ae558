"""Numpy tables of one timetable for the candidate query, built once with its index.

The query asks, for every start of the week, which of a course's rooms are held and which sessions could
swap with the session; row by row in Python that is tens of thousands of steps per query. These tables
answer each start with one array operation: rooms held or closed per flat slot, and which courses may not
meet at the same time (the same course, a shared faculty member, batch or student). The occupancy index
stays the judge of every rule; the tables only rule out what it would rule out anyway.
"""

from __future__ import annotations

import numpy as np

from timetabling.engine.model import Course
from timetabling.engine.repair.occupancy import Occupancy


class QueryTables:
    def __init__(self, occ: Occupancy):
        inst = occ.instance
        grid = inst.grid
        self.course_index = {c.id: k for k, c in enumerate(inst.courses)}
        n = len(inst.courses)
        linked = np.zeros((n, n), dtype=bool)
        np.fill_diagonal(linked, True)
        for group in (*inst.courses_of_faculty.values(), *inst.courses_of_batch.values()):
            ix = [self.course_index[c] for c in group]
            linked[np.ix_(ix, ix)] = True
        for a, peers in occ.peers.items():
            linked[self.course_index[a], [self.course_index[b] for b in peers]] = True
        self.linked = linked  # courses that may not meet at the same time
        sessions = occ.sessions
        self.start = np.array([-1 if h.start is None else h.start for h in sessions], dtype=np.int64)
        self.length = np.array([h.course.session_length for h in sessions], dtype=np.int64)
        self.course = np.array([self.course_index[h.course.id] for h in sessions], dtype=np.int64)
        self.room_index = {r.id: k for k, r in enumerate(inst.rooms)}
        blocked = np.zeros((len(inst.rooms), grid.n_slots), dtype=bool)  # held by a session, or closed
        for room, slots in occ.room_at.items():
            for u, held in slots.items():
                if held:
                    blocked[self.room_index[room], u] = True
        for r in inst.rooms:
            for s in r.unavailable:
                if s.day < grid.n_days and s.period < grid.n_periods:
                    blocked[self.room_index[r.id], grid.slot_index(s)] = True
        self.room_blocked = blocked
        self.room = np.array([self.room_index.get(h.room, -1) if h.room else -1 for h in sessions], dtype=np.int64)
        away = np.zeros((n, grid.n_slots + 1), dtype=bool)  # the course or one of its faculty cannot be there
        for c in inst.courses:
            slots = set(c.unavailable).union(*(inst.faculty_by_id[f].unavailable for f in c.faculty))
            for s in slots:
                if s.day < grid.n_days and s.period < grid.n_periods:
                    away[self.course_index[c.id], grid.slot_index(s)] = True
        self.away = away
        self.occ = occ
        self._rooms_of: dict[str, np.ndarray] = {}
        self._fit_room: dict[str, np.ndarray] = {}

    def blocked_rooms(self, course: Course, rooms: list[str], span: range) -> np.ndarray:
        """Per room of ``rooms`` (the course's, in order): True where it is held or closed during ``span``."""
        ix = self._rooms_of.get(course.id)
        if ix is None:
            ix = self._rooms_of[course.id] = np.array([self.room_index[r] for r in rooms], dtype=np.int64)
        if not len(ix):
            return np.zeros(0, dtype=bool)
        return self.room_blocked[ix, span.start:span.stop].any(axis=1)

    def swap_partners(self, i: int, starts: np.ndarray, present: set[str], span: range,
                      rooms: list[str] | None = None) -> np.ndarray:
        """Sessions that might swap with session ``i`` (occupying ``span``): as long, of another course,
        starting at one of ``starts`` (a mask over the flat slots), free to be at ``i``'s time (neither their
        course nor faculty away, nor, when their own periods do not overlap ``i``'s, sharing people with the
        courses ``present`` there); with ``rooms`` (those ``i`` may use), in one of them and of a course that
        may use ``i``'s room."""
        me = int(self.course[i])
        length = int(self.length[i])
        ok = (self.length == length) & (self.course != me) & (self.start >= 0)
        ok &= starts[np.clip(self.start, 0, None)]
        ok &= ~self.away[:, span.start:span.stop].any(axis=1)[self.course]
        far = np.abs(self.start - self.start[i]) >= length
        if present:
            cols = [self.course_index[c] for c in present]
            busy = self.linked[:, cols].any(axis=1)
            ok &= ~(far & busy[self.course])
        if rooms is not None:
            mine = np.zeros(len(self.room_index) + 1, dtype=bool)  # the last entry: no room
            mine[[self.room_index[r] for r in rooms]] = True
            ok &= mine[self.room]
            my_room = self.occ.sessions[i].room
            ok &= self.fit_room(my_room)[self.course] if my_room else False
        return np.flatnonzero(ok)

    def fit_room(self, room: str) -> np.ndarray:
        """Per course: True when it may use ``room``."""
        fit = self._fit_room.get(room)
        if fit is None:
            fit = self._fit_room[room] = np.array([self.occ.fits(c, room) for c in self.occ.instance.courses])
        return fit

"""A quick pass before CP-SAT: each hit session to the nearest place that breaks no hard rule.

For each session that breaks a hard rule where it is, and each new session: first another room at the same
time, then the free start nearest to the old one (the same day before another day), with a free room (its
old room, else a room its course uses, else the smallest that fits); else an ejection: a start where it
clashes with one or two movable sessions only, each moved on to a free place of its own; a room whose
holders can each take another room at their own time (else another free time). Locked sessions
never move. Every place is read from the occupancy index (the checker's rules), and a session is only put
where it breaks nothing, so the pass never adds a hard violation; what it cannot place is left to CP-SAT.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from timetabling.engine.model import Rule
from timetabling.engine.repair.occupancy import Occupancy

LASTING = frozenset({Rule.UNAVAILABLE, Rule.LAB_BLOCK})  # breaches no other session's leaving can mend
EJECTIONS = 2  # sessions one placement may push on to other places
ROUNDS = 2  # passes over the sessions still to place
NEW_CHOICES = 8  # free places weighed for a new session (its batches' idle periods and lone sessions)
ROOM_EJECTIONS = 2  # sessions a room may hold and still be taken, each moved to another room at its time


@dataclass
class QuickPass:
    moved: set[int] = field(default_factory=set)  # sessions now elsewhere in time or room (new ones included)
    left: list[int] = field(default_factory=list)  # sessions still breaking a rule or without a place


def quick_repair(occ: Occupancy, hit: set[int], new: dict[str, int], locked: dict[str, dict[int, str | None]],
                 deadline: float) -> QuickPass:
    """Fix ``hit`` and place ``new`` (course -> sessions without a place) in ``occ``, in place."""
    return _Pass(occ, locked, deadline).run(hit, new)


class _Pass:
    def __init__(self, occ: Occupancy, locked: dict[str, dict[int, str | None]], deadline: float):
        self.occ = occ
        self.locked = locked
        self.deadline = deadline
        self.origin = {h.index: (h.start, h.room) for h in occ.sessions}
        self.rooms = bool(occ.instance.rooms)
        self.by_label = {h.label: h.index for h in occ.sessions}

    def run(self, hit: set[int], new: dict[str, int]) -> QuickPass:
        occ = self.occ
        todo = sorted(hit, key=lambda j: (-occ.sessions[j].course.session_length, occ.sessions[j].course.id, j))
        for cid in sorted(new):
            c = occ.instance.course_by_id[cid]
            used = {occ.sessions[k].session for k in occ.by_course[cid]}
            for k in [k for k in range(c.sessions_per_week) if k not in used][:new[cid]]:
                j = occ.add(cid, k)
                self.by_label[occ.sessions[j].label] = j
                todo.append(j)
        for _round in range(ROUNDS):  # a later move may free the place an earlier session needed
            todo = [j for j in todo if not self._fix(j)]
            if not todo:
                break
        left = [j for j in todo if occ.sessions[j].start is None or not self._fine(j)]
        moved = {j for j, h in enumerate(occ.sessions) if (h.start, h.room) != self.origin.get(j)}
        return QuickPass(moved, left)

    # ------------------------------------------------------------------------------------------------

    def _fix(self, i: int) -> bool:
        occ = self.occ
        h = occ.sessions[i]
        if h.start is not None and self._fine(i):
            return True
        if self._fixed(i) or time.perf_counter() > self.deadline:
            return False
        start, room = h.start, h.room
        if start is not None and not occ.time_breaches(i, start):  # only its room is wrong
            r = self._room(i, start) or self._room_by_ejection(i, start)
            if r is not None:
                occ.put(i, start, r)
                return True
        occ.lift(i)
        open_starts = []
        choices: list[tuple[int, str | None]] = []  # a new session: the few first places, the best kept
        for t in self._starts(i):
            if not occ.time_breaches(i, t):
                r = self._room(i, t)
                if r is not None or not self.rooms:
                    choices.append((t, r))
                    if start is not None or len(choices) == NEW_CHOICES:
                        break
                else:
                    open_starts.append(t)
        if choices:
            t, r = min(choices, key=lambda p: self._soft(i, p[0])) if start is None else choices[0]
            occ.put(i, t, r)
            return True
        for t in open_starts:  # free in time, every room taken: one that its holders can leave
            r = self._room_by_ejection(i, t)
            if r is not None:
                occ.put(i, t, r)
                return True
        if self._eject(i):
            return True
        if start is not None:
            occ.put(i, start, room)  # as it was: CP-SAT takes its course
        return False

    def _eject(self, i: int) -> bool:
        """A start where ``i`` clashes with at most ``EJECTIONS`` movable sessions, each moved on to a free
        place of its own (all undone when one finds none)."""
        occ = self.occ
        for t in self._starts(i):
            if time.perf_counter() > self.deadline:
                return False
            found = occ.time_breaches(i, t)
            if not found or any(b.rule in LASTING for b in found):
                continue
            partners = sorted({j for b in found for w in b.with_ if (j := self.by_label.get(w)) is not None})
            if not partners or len(partners) > EJECTIONS or any(self._fixed(j) for j in partners):
                continue
            was = [(j, occ.sessions[j].start, occ.sessions[j].room) for j in partners]
            for j in partners:
                occ.lift(j)
            r = self._room(i, t) if not occ.time_breaches(i, t) else None
            if r is not None or (not self.rooms and not occ.time_breaches(i, t)):
                occ.put(i, t, r)
                if all(self._elsewhere(j, jt) for j, jt, _r in was):
                    return True
                occ.lift(i)
            for j, jt, jr in was:
                occ.put(j, jt, jr)  # type: ignore[arg-type]
        return False

    def _elsewhere(self, j: int, old: int | None) -> bool:
        """Session ``j`` (lifted) to the nearest free place other than ``old``."""
        occ = self.occ
        for t in self._starts(j):
            if t != old and not occ.time_breaches(j, t):
                r = self._room(j, t)
                if r is not None or not self.rooms:
                    occ.put(j, t, r)
                    return True
        return False

    def _fine(self, i: int) -> bool:
        """Session ``i`` breaks no hard rule where it is."""
        occ = self.occ
        h = occ.sessions[i]
        if occ.time_breaches(i, h.start):  # type: ignore[arg-type]
            return False
        if not self.rooms:
            return True
        return h.room is not None and occ.fits(h.course, h.room) and not occ.room_breaches(i, h.start, h.room, {})

    def _fixed(self, i: int, start: int | None = None) -> bool:
        """Session ``i`` is locked where it is (or at ``start``, while it is lifted)."""
        h = self.occ.sessions[i]
        t = h.start if start is None else start
        return t is not None and t in self.locked.get(h.course.id, {})

    def _starts(self, i: int) -> list[int]:
        """Starts by the cost of the move: the same day nearest first, then other days; a new session
        first on the days its course does not use yet."""
        occ = self.occ
        n = occ.n_periods
        h = occ.sessions[i]
        start = self.origin.get(i, (None, None))[0]
        everything = range(occ.grid.n_slots)
        if start is not None:
            return sorted((t for t in everything if t != start),
                          key=lambda t: (t // n != start // n, abs(t % n - start % n), t))
        days = [occ.sessions[k].start // n for k in occ.by_course[h.course.id]
                if k != i and occ.sessions[k].start is not None]
        return sorted(everything, key=lambda t: (days.count(t // n), t % n, t))

    def _room(self, i: int, t: int, avoid: str | None = None) -> str | None:
        """A free room for ``i`` from ``t``: its old one, one its course uses, else the smallest that fits."""
        if not self.rooms:
            return None
        occ = self.occ
        h = occ.sessions[i]
        c = h.course
        lock_room = self.locked.get(c.id, {}).get(t)
        course_rooms = [occ.sessions[k].room for k in occ.by_course[c.id] if k != i]
        wishes = [lock_room] if lock_room else [self.origin.get(i, (None, None))[1], *course_rooms,
                                                *reversed(occ.rooms_for(c))]
        for r in dict.fromkeys(wishes):
            if r is not None and r != avoid and occ.fits(c, r) and not occ.room_breaches(i, t, r, {}):
                return r
        return None

    def _room_by_ejection(self, i: int, t: int) -> str | None:
        """A room for ``i`` from ``t`` whose holders (at most ``ROOM_EJECTIONS``) each move to another free
        room at their own time; the room, with the holders moved, or None with nothing changed."""
        occ = self.occ
        c = occ.sessions[i].course
        span = occ.span(c, t)
        closed = occ.grid.slot_of
        for r in reversed(occ.rooms_for(c)):
            blocked = occ.instance.room_by_id[r].unavailable
            if any(closed(u) in blocked for u in span):
                continue
            held = occ.room_at.get(r, {})
            holders = sorted({j for u in span for j in held.get(u, ()) if j != i})
            if not holders or len(holders) > ROOM_EJECTIONS or any(self._room_fixed(j) for j in holders):
                continue
            done: list[tuple[int, str]] = []
            for j in holders:
                tj = occ.sessions[j].start
                occ.lift(j)  # out of ``r`` while another room is looked for
                r2 = self._room(j, tj, avoid=r)  # type: ignore[arg-type]
                if r2 is not None:
                    occ.put(j, tj, r2)  # type: ignore[arg-type]
                    done.append((j, tj))
                    continue
                t2 = None if self._fixed(j, tj) else next(
                    (u for u in self._starts(j) if u != tj and not occ.time_breaches(j, u)
                     and (r2 := self._room(j, u, avoid=r)) is not None), None)
                if t2 is None:  # no other room at its time, nor another free time: back in ``r``
                    occ.put(j, tj, r)  # type: ignore[arg-type]
                    break
                occ.put(j, t2, r2)
                done.append((j, tj))
            else:
                return r
            for j, tj in done:
                occ.put(j, tj, r)  # type: ignore[arg-type]
        return None

    def _room_fixed(self, j: int) -> bool:
        h = self.occ.sessions[j]
        return h.start is not None and self.locked.get(h.course.id, {}).get(h.start) is not None

    def _soft(self, i: int, t: int) -> int:
        """Roughly what the soft cost gains with session ``i`` (not placed) starting at ``t``: the idle
        periods it adds to its batches' day, a session apart from the rest of their day, a day its course
        already uses."""
        occ = self.occ
        rules = occ.instance.rules
        n = occ.n_periods
        day = t // n
        c = occ.sessions[i].course
        mine = {u - day * n for u in occ.span(c, t)}
        cost = 0
        if any(occ.sessions[k].start is not None and occ.sessions[k].start // n == day
               for k in occ.by_course[c.id] if k != i):
            cost += rules.weight(Rule.COURSE_MIN_DAYS)
        for b in c.batches:
            busy = {u - day * n for k in occ.batch_day.get((b, day), ()) if k != i
                    for u in occ.span(occ.sessions[k].course, occ.sessions[k].start)}  # type: ignore[arg-type]
            if not any(p - 1 in busy or p + 1 in busy for p in mine):
                cost += rules.weight(Rule.ISOLATED_SESSION)
            if busy:
                both = busy | mine
                idle = (max(both) - min(both) + 1 - len(both)) - (max(busy) - min(busy) + 1 - len(busy))
                cost += rules.weight(Rule.BATCH_IDLE) * idle
        return cost

"""The candidate query: where one session of a timetable could go, and what each place would cost.

    index = CandidateIndex(instance, solution)      # once per timetable
    found = index.query("C1", 0)                      # per session: every (day, period, room)
    found.slots[k].breaches, found.slots[k].rooms[m].breaches, found.swaps

Every start slot of the grid is listed with the hard rules the session would break there (rule and with
whom) and the change of the soft cost; under it every room the course may use, with the room's own rules
(another session in it, closed) and soft change; then the swaps with other sessions that break no hard
rule. Hard rules and soft costs follow the checker's counting exactly (a test holds them to it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from timetabling.engine.model import Instance, Rule, Solution
from timetabling.engine.repair.arrays import QueryTables
from timetabling.engine.repair.occupancy import Breach, Occupancy

Moves = dict[int, tuple[int, str | None]]  # session -> (new start, new room)
# rules whose breach a swap partner's leaving may cure; others rule the start out for any swap
SWAP_CURABLE = frozenset({Rule.FACULTY_CLASH, Rule.BATCH_CLASH, Rule.STUDENT_CLASH, Rule.FACULTY_DAILY_HOURS,
                          Rule.FACULTY_CONSECUTIVE, Rule.COURSE_MAX_PER_DAY, Rule.UNSCHEDULED})


@dataclass(frozen=True)
class RoomOption:
    room: str
    breaches: tuple[Breach, ...]
    soft_delta: int  # room stability and (when soft) capacity


@dataclass(frozen=True)
class SlotOption:
    day: int
    period: int
    breaches: tuple[Breach, ...]  # time rules: clashes, unavailability, daily limits, the block
    soft_delta: int  # time rules: idle periods, isolated sessions, days, preferences
    free_rooms: tuple[str, ...] = ()  # rooms the course may use that are free for the whole session
    taken_rooms: tuple[RoomOption, ...] = ()  # the other rooms it may use, each with why not


@dataclass(frozen=True)
class Swap:
    other: str  # "C7#1"
    day: int
    period: int
    room: str | None
    soft_delta: int


@dataclass
class Candidates:
    session: str
    day: int
    period: int
    room: str | None
    slots: list[SlotOption] = field(default_factory=list)
    swaps: list[Swap] = field(default_factory=list)

    room_soft: dict[str, int] = field(default_factory=dict)  # per room: room stability and capacity change

    def options(self) -> Iterator[tuple[int, int, str | None, tuple[Breach, ...], int]]:
        """Every (day, period, room) with all the hard rules it breaks and its whole soft change."""
        for s in self.slots:
            if not s.free_rooms and not s.taken_rooms:
                yield s.day, s.period, None, s.breaches, s.soft_delta
            for room in s.free_rooms:
                yield s.day, s.period, room, s.breaches, s.soft_delta + self.room_soft[room]
            for r in s.taken_rooms:
                yield s.day, s.period, r.room, s.breaches + r.breaches, s.soft_delta + r.soft_delta

    def to_dict(self) -> dict[str, Any]:
        def breaches(bs: tuple[Breach, ...]) -> list[dict[str, Any]]:
            return [{"rule": b.rule.value, "detail": b.detail, "with": list(b.with_)} for b in bs]

        return {
            "session": self.session, "day": self.day, "period": self.period, "room": self.room,
            "room_soft_delta": self.room_soft,
            "slots": [{"day": s.day, "period": s.period, "breaches": breaches(s.breaches), "soft_delta": s.soft_delta,
                       "free_rooms": list(s.free_rooms),
                       "taken_rooms": [{"room": r.room, "breaches": breaches(r.breaches)} for r in s.taken_rooms]}
                      for s in self.slots],
            "swaps": [vars(w) for w in self.swaps],
        }


class CandidateIndex:
    """The occupancy of one timetable, built once; ``query`` then answers per session."""

    def __init__(self, instance: Instance, solution: Solution):
        grid = instance.grid
        seen: set[tuple[str, int]] = set()
        rows = []
        for a in solution.assignments:  # as the checker: one session per course and start
            t = grid.slot_index(a.slot)
            if (a.course, t) not in seen:
                seen.add((a.course, t))
                rows.append((a.course, a.session, t, a.room))
        self.occ = Occupancy(instance, rows)
        self.instance = instance
        self.by_label = {h.label: h.index for h in self.occ.sessions}
        rules = instance.rules
        self.w = {r: rules.weight(r) for r in Rule}
        self._room_cache: dict[tuple[str, int, int], tuple[Breach, ...]] = {}
        self.preferred = {f.id: row for f in instance.faculty  # units per slot: Instance.preference_penalty
                          if (row := instance.preference_row(f.id)) is not None}
        self.tables = QueryTables(self.occ)
        self._before: dict[tuple[object, ...], int] = {}  # soft costs of the timetable as it is, by rule and key

    @cached_property
    def room_masks(self) -> tuple[dict[str, int], dict[str, int]]:
        """Per room, bit ``u`` set where a session holds it at flat slot ``u``, and where it is closed."""
        grid = self.instance.grid
        busy = {r: sum(1 << u for u, held in slots.items() if held) for r, slots in self.occ.room_at.items()}
        closed = {r.id: sum(1 << grid.slot_index(s) for s in r.unavailable) for r in self.instance.rooms
                  if r.unavailable}
        return busy, closed

    def query(self, course: str, session: int, swaps: bool = True) -> Candidates:
        """Every place for session ``session`` of ``course``; a ``KeyError`` when the timetable lacks it."""
        i = self.by_label[f"{course}#{session}"]
        occ = self.occ
        me = occ.sessions[i]
        grid = self.instance.grid
        here = grid.slot_of(me.start)
        out = Candidates(me.label, here.day, here.period, me.room)
        rooms = occ.rooms_for(me.course) if self.instance.rooms else []
        out.room_soft = self._room_soft(i, rooms)
        for t in range(grid.n_slots):
            breaches = tuple(occ.time_breaches(i, t))
            delta = self._soft({i: (t, me.room)}, room_rules=False)
            span = occ.span(me.course, t)
            free, taken = rooms, []
            merged = any(b.rule == Rule.UNSCHEDULED for b in breaches)  # as the checker: one session, no room
            blocked = self.tables.blocked_rooms(me.course, rooms, span) if rooms and not merged else None
            if blocked is not None and blocked.any():
                open_ = ~blocked
                for k in blocked.nonzero()[0].tolist():
                    if why := self._room_breaches(i, rooms[k], span):
                        taken.append(RoomOption(rooms[k], why, out.room_soft[rooms[k]]))
                    else:  # held by this very session
                        open_[k] = True
                free = [rooms[k] for k in open_.nonzero()[0].tolist()]
            day, period = grid.slot_of(t)
            out.slots.append(SlotOption(day, period, breaches, delta, tuple(free), tuple(taken)))
        if swaps:
            out.swaps = self._swaps(i, out.slots)
        return out

    def _room_breaches(self, i: int, room: str, span: range) -> tuple[Breach, ...]:
        """``Occupancy.room_breaches`` with nothing moved, for the query's inner loop: the same for every
        session that does not hold the room itself, so kept for the next query."""
        if room == self.occ.sessions[i].room:
            return self._room_why(i, room, span)
        key = (room, span.start, span.stop)
        why = self._room_cache.get(key)
        if why is None:
            why = self._room_cache[key] = self._room_why(-1, room, span)
        return why

    def _room_why(self, i: int, room: str, span: range) -> tuple[Breach, ...]:
        occ = self.occ
        held = occ.room_at.get(room, {})
        holders = []
        for u in span:
            for j in held.get(u, ()):
                if j != i and occ.sessions[j].label not in holders:
                    holders.append(occ.sessions[j].label)
        out = (Breach(Rule.ROOM_CLASH, f"room {room} holds " + ", ".join(holders), tuple(holders)),) if holders else ()
        closed = self.room_masks[1].get(room, 0)
        if closed and any(closed >> u & 1 for u in span):
            grid = self.instance.grid
            where = ", ".join(grid.slot_label(grid.slot_of(u)) for u in span if closed >> u & 1)
            out += (Breach(Rule.UNAVAILABLE, f"room {room} is unavailable at {where}", (f"room {room}",)),)
        return out

    # ---------------------------------------------------------------------------------- swaps

    def _swaps(self, i: int, slots: list[SlotOption]) -> list[Swap]:
        occ = self.occ
        me = occ.sessions[i]
        length = me.course.session_length
        # the courses meeting during the session's own periods, the session aside: a partner must not share
        # people with them (the tables rule those out, ``time_breaches`` judges the rest)
        present = {cid for u in occ.span(me.course, me.start) for cid, idx in occ.courses_at[u].items()
                   if any(k != i for k in idx)}
        allowed = np.zeros(len(slots), dtype=bool)
        only: dict[int, set[str]] = {}  # start -> the one session a swap there must be with
        for t, option in enumerate(slots):
            if t != me.start and all(b.rule in SWAP_CURABLE for b in option.breaches):
                allowed[t] = True
                partners = {w for b in option.breaches for w in b.with_ if "#" in w}
                if partners:
                    only[t] = partners
        found = []
        rooms = occ.rooms_for(me.course) if self.instance.rooms else None
        starts = self.tables.start
        partners = self.tables.swap_partners(i, allowed, present, occ.span(me.course, me.start), rooms).tolist()
        for j in sorted(partners, key=lambda k: (starts[k], k)):
            other = occ.sessions[j]
            t = int(starts[j])
            option = slots[t]
            if t in only and only[t] != {other.label}:
                continue
            if occ.day_full(j, me.start // occ.n_periods):
                continue
            # overlapping periods: the partner was among the courses present, so the tables let it through
            if abs(t - me.start) < length and occ.held_by_others(j, me.start, (i, j)):
                continue
            moves: Moves = {i: (t, other.room), j: (me.start, me.room)}
            moved = {k: s for k, (s, _r) in moves.items()}
            # far apart in time, the tables ruled out its clashes and unavailability at ``me.start``
            if occ.time_breaches(j, me.start, moved, people=abs(t - me.start) < length):
                continue
            if (option.breaches or occ.linked(i, j)) and occ.time_breaches(i, t, moved):
                continue
            if other.room and (occ.room_breaches(i, t, other.room, moves)
                               or occ.room_breaches(j, me.start, me.room or "", moves)):
                continue
            delta = self._soft(moves)
            found.append(Swap(other.label, *occ.grid.slot_of(t), other.room, delta))
        return found

    # ---------------------------------------------------------------------------- soft costs

    def _room_soft(self, i: int, rooms: list[str]) -> dict[str, int]:
        """Per room, the change of room stability and (when soft) capacity if session ``i`` took it."""
        occ = self.occ
        me = occ.sessions[i]
        others = {occ.sessions[j].room for j in occ.by_course[me.course.id] if j != i} - {None}
        w_stab, w_cap = self.w[Rule.ROOM_STABILITY], self.w[Rule.ROOM_CAPACITY]
        before = w_stab * max(0, len(others | {me.room} - {None}) - 1) + self._capacity(i, {})
        size = self.instance.course_size[me.course.id]
        out = {}
        for r in rooms:
            after = w_stab * max(0, len(others | {r}) - 1)
            if w_cap:
                after += w_cap * max(0, size - self.instance.room_by_id[r].capacity)
            out[r] = after - before
        return out

    def _soft(self, moves: Moves, time_rules: bool = True, room_rules: bool = True) -> int:
        """The change of the soft cost when ``moves`` are made: every entity they touch, before and after."""
        n = self.occ.n_periods
        batch_days: set[tuple[str, int]] = set()
        courses: set[str] = set()
        for k, (t, _r) in moves.items():
            h = self.occ.sessions[k]
            courses.add(h.course.id)
            batch_days.update((b, d) for b in h.course.batches for d in (h.start // n, t // n))
        delta = 0
        if time_rules:
            delta += sum(self._batch_day(b, d, moves) - self._as_is(self._batch_day, b, d) for b, d in batch_days)
            delta += sum(self._course_days(c, moves) - self._as_is(self._course_days, c) for c in courses)
            delta += sum(self._preference(k, moves) - self._as_is(self._preference, k) for k in moves)
        if room_rules:
            delta += sum(self._stability(c, moves) - self._as_is(self._stability, c) for c in courses)
            delta += sum(self._capacity(k, moves) - self._capacity(k, {}) for k in moves)
        return delta

    def _as_is(self, cost: Callable[..., int], *key: object) -> int:
        """``cost(*key, {})``, the timetable as it is, kept for the next query."""
        found = self._before.get((cost.__name__, *key))
        if found is None:
            found = self._before[(cost.__name__, *key)] = cost(*key, {})
        return found

    def _pos(self, j: int, moves: Moves) -> tuple[int, str | None]:
        h = self.occ.sessions[j]
        return moves.get(j, (h.start, h.room))

    def _batch_day(self, b: str, d: int, moves: Moves) -> int:
        """Idle periods and isolated sessions of batch ``b`` on day ``d``."""
        if not (self.w[Rule.BATCH_IDLE] or self.w[Rule.ISOLATED_SESSION]):
            return 0
        occ = self.occ
        n = occ.n_periods
        spans = []
        on_day = [j for j in occ.batch_day.get((b, d), ()) if j not in moves]
        on_day += [j for j, (t, _r) in moves.items() if t // n == d and b in occ.sessions[j].course.batches]
        for j in on_day:
            t = self._pos(j, moves)[0]
            spans.append([u - d * n for u in occ.span(occ.sessions[j].course, t)])
        if not spans:
            return 0
        busy = {p for s in spans for p in s}
        cost = self.w[Rule.BATCH_IDLE] * (max(busy) - min(busy) + 1 - len(busy))
        if self.w[Rule.ISOLATED_SESSION]:
            breaks = occ.grid.break_after
            for s in spans:
                first, last = s[0], s[-1]
                before = first > 0 and (first - 1) not in breaks and (first - 1) in busy
                after = last + 1 < n and last not in breaks and (last + 1) in busy
                cost += 0 if before or after else self.w[Rule.ISOLATED_SESSION]
        return cost

    def _course_days(self, c: str, moves: Moves) -> int:
        if not self.w[Rule.COURSE_MIN_DAYS]:
            return 0
        occ = self.occ
        used = {self._pos(j, moves)[0] // occ.n_periods for j in occ.by_course[c]}
        return self.w[Rule.COURSE_MIN_DAYS] * max(0, self.instance.course_by_id[c].min_days - len(used))

    def _preference(self, k: int, moves: Moves) -> int:
        if not self.w[Rule.FACULTY_PREFERENCE]:
            return 0
        h = self.occ.sessions[k]
        span = self.occ.span(h.course, self._pos(k, moves)[0])
        cost = 0
        for f in h.course.faculty:
            units = self.preferred.get(f)
            if units is not None:
                cost += int(sum(units[u] for u in span if u < len(units)))
        return self.w[Rule.FACULTY_PREFERENCE] * cost

    def _stability(self, c: str, moves: Moves) -> int:
        if not self.w[Rule.ROOM_STABILITY]:
            return 0
        rooms = {r for j in self.occ.by_course[c] if (r := self._pos(j, moves)[1]) is not None}
        return self.w[Rule.ROOM_STABILITY] * max(0, len(rooms) - 1)

    def _capacity(self, k: int, moves: Moves) -> int:
        room = self._pos(k, moves)[1]
        if not self.w[Rule.ROOM_CAPACITY] or room is None:
            return 0
        h = self.occ.sessions[k]
        over = self.instance.course_size[h.course.id] - self.instance.room_by_id[room].capacity
        return self.w[Rule.ROOM_CAPACITY] * max(0, over)

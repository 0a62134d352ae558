"""Who holds what, when, in one timetable: the index that repair and the candidate query read.

Built once per timetable (a few hundred milliseconds at the ``university`` profile); afterwards the hard
rules of one session at one start are read from it in microseconds. Rules follow the checker's words and
its attribution of a clash (same course or a shared faculty member: faculty clash; else a shared batch:
batch clash; else shared students: student clash); the checker stays the judge of every result.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from timetabling.engine.model import Course, Instance, Room, Rule
from timetabling.engine.repair.screen import longest_run, suspects
from timetabling.engine.timetable.domains import room_fits


@dataclass(slots=True)
class Held:
    """One session: a start (flat slot; None while it has no place) and a room."""

    index: int
    course: Course
    session: int
    start: int | None
    room: str | None

    @property
    def label(self) -> str:
        return f"{self.course.id}#{self.session}"


class Breach(NamedTuple):
    """A hard rule a placement would break, and with whom (session labels, or the entity)."""

    rule: Rule
    detail: str
    with_: tuple[str, ...] = ()


def student_peers(instance: Instance) -> dict[str, dict[str, int]]:
    """Course -> courses sharing students with it -> how many students take both (cached on the instance)."""
    cache = instance.__dict__.get("_student_peers")
    if cache is not None:
        return cache
    peers: dict[str, dict[str, int]] = defaultdict(dict)
    for courses, students in instance.student_groups.items():
        cs = sorted(courses)
        n = len(students)
        for a in range(len(cs)):
            pa = peers[cs[a]]
            for b in range(a + 1, len(cs)):
                pa[cs[b]] = pa.get(cs[b], 0) + n
                pb = peers[cs[b]]
                pb[cs[a]] = pb.get(cs[a], 0) + n
    out = dict(peers)
    instance.__dict__["_student_peers"] = out
    return out


def rooms_by_type(instance: Instance) -> dict[str, list[Room]]:
    """Room type -> its rooms, largest first (cached on the instance)."""
    cache = instance.__dict__.get("_rooms_by_type")
    if cache is None:
        cache = defaultdict(list)
        for r in sorted(instance.rooms, key=lambda r: (-r.capacity, r.id)):
            cache[r.type].append(r)
        cache = dict(cache)
        instance.__dict__["_rooms_by_type"] = cache
    return cache


class Occupancy:
    """The sessions of a timetable indexed by resource ("faculty F1", "batch B1", "course C1"), room and slot."""

    def __init__(self, instance: Instance, placements: Iterable[tuple[str, int, int, str | None]]):
        """``placements``: (course id, session number, flat start slot, room) per session."""
        self.instance = instance
        self.grid = instance.grid
        self.n_periods = instance.grid.n_periods
        self.peers = student_peers(instance)
        self._rooms_for: dict[str, list[str]] = {}
        self._keys: dict[str, list[str]] = {}
        self._room_sets: dict[str, frozenset[str]] = {}
        self.sessions: list[Held] = []
        self.at: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.room_at: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.courses_at: list[dict[str, list[int]]] = [defaultdict(list) for _ in range(instance.grid.n_slots)]
        self.by_course: dict[str, list[int]] = defaultdict(list)
        self.starting: dict[int, list[int]] = defaultdict(list)  # flat start slot -> sessions starting there
        self.by_batch: dict[str, list[int]] = defaultdict(list)
        self.batch_day: dict[tuple[str, int], list[int]] = defaultdict(list)
        self.by_faculty: dict[str, list[int]] = defaultdict(list)
        for cid, k, t, room in placements:
            j = self.add(cid, k)
            self.put(j, t, room)

    # ---------------------------------------------------------------------------- changing the timetable

    def add(self, course: str, session: int) -> int:
        """A session of ``course`` that has no place yet (``put`` places it); its index."""
        c = self.instance.course_by_id[course]
        h = Held(len(self.sessions), c, session, None, None)
        self.sessions.append(h)
        self.by_course[c.id].append(h.index)
        for b in c.batches:
            self.by_batch[b].append(h.index)
        for f in c.faculty:
            self.by_faculty[f].append(h.index)
        return h.index

    def put(self, j: int, t: int, room: str | None) -> None:
        """Session ``j`` now starts at ``t`` in ``room`` (taken from where it was)."""
        self.lift(j)
        h = self.sessions[j]
        h.start, h.room = t, room
        c = h.course
        for u in self.span(c, t):
            for key in self.keys(c):
                self.at[key][u].append(j)
            self.courses_at[u][c.id].append(j)
            if room is not None:
                self.room_at[room][u].append(j)
        self.starting[t].append(j)
        for b in c.batches:
            self.batch_day[b, t // self.n_periods].append(j)

    def lift(self, j: int) -> None:
        """Session ``j`` leaves its place: it holds nothing until ``put`` again."""
        h = self.sessions[j]
        t, room = h.start, h.room
        if t is None:
            return
        c = h.course
        for u in self.span(c, t):
            for key in self.keys(c):
                self.at[key][u].remove(j)
            here = self.courses_at[u]
            here[c.id].remove(j)
            if not here[c.id]:
                del here[c.id]  # the query tests a course's presence by its key
            if room is not None:
                self.room_at[room][u].remove(j)
        self.starting[t].remove(j)
        for b in c.batches:
            self.batch_day[b, t // self.n_periods].remove(j)
        h.start, h.room = None, None

    def rooms_for(self, c: Course) -> list[str]:
        """Rooms ``c`` may use (type, features, department, and size when capacity is hard), largest first."""
        rooms = self._rooms_for.get(c.id)
        if rooms is None:
            size = self.instance.course_size[c.id]
            rooms = [r.id for r in rooms_by_type(self.instance).get(c.room_type, ())
                     if room_fits(self.instance, c, r, size)]
            self._rooms_for[c.id] = rooms
        return rooms

    def fits(self, c: Course, room: str) -> bool:
        """True when ``c`` may use ``room``."""
        fit = self._room_sets.get(c.id)
        if fit is None:
            if c.id not in self._rooms_for:  # one room to judge: cheaper than listing every room of the course
                return room_fits(self.instance, c, self.instance.room_by_id[room], self.instance.course_size[c.id])
            fit = self._room_sets[c.id] = frozenset(self._rooms_for[c.id])
        return room in fit

    def day_full(self, j: int, day: int) -> bool:
        """True when the course of session ``j`` already has its most sessions a day on ``day`` without it."""
        c = self.sessions[j].course
        n = sum(1 for k in self.by_course[c.id] if k != j and self.sessions[k].start // self.n_periods == day)
        return n >= c.max_per_day and self.instance.rules.is_hard(Rule.COURSE_MAX_PER_DAY)

    def keys(self, c: Course) -> list[str]:
        """The resources a session of ``c`` holds: its course, its faculty, its batches."""
        keys = self._keys.get(c.id)
        if keys is None:
            keys = [f"course {c.id}", *(f"faculty {f}" for f in c.faculty), *(f"batch {b}" for b in c.batches)]
            self._keys[c.id] = keys
        return keys

    def span(self, c: Course, t: int) -> range:
        """Flat slots a session of ``c`` starting at ``t`` occupies, clipped to its day (as the checker)."""
        day_end = (t // self.n_periods + 1) * self.n_periods
        return range(t, min(t + c.session_length, day_end))

    def where(self, j: int, moved: Mapping[int, int | None]) -> int | None:
        """Start of session ``j`` with ``moved`` applied (None: not placed)."""
        return moved[j] if j in moved else self.sessions[j].start

    # ---------------------------------------------------------------------------- time rules

    def time_breaches(self, i: int, t: int, moved: Mapping[int, int | None] | None = None,
                      people: bool = True) -> list[Breach]:
        """Hard rules session ``i`` breaks when it starts at ``t``, with the sessions of ``moved`` at their
        new starts (None: lifted); its room is judged apart (``room_breaches``). ``people`` False leaves out
        clashes and unavailability, for a caller that has ruled them out already."""
        moved = dict(moved or {})
        moved[i] = t
        me = self.sessions[i]
        c = me.course
        inst = self.instance
        grid = self.grid
        twins = [j for j in self.by_course[c.id] if j != i and self.where(j, moved) == t]
        if twins:  # the checker keeps one session per course and start: this one would be lost
            return [Breach(Rule.UNSCHEDULED, f"course {c.id} already has a session starting there",
                           tuple(self.sessions[j].label for j in twins))]
        out: list[Breach] = []
        day, period = divmod(t, self.n_periods)
        if not grid.block_fits(period, c.session_length):
            out.append(Breach(Rule.LAB_BLOCK, f"{c.session_length} periods from {grid.slot_label((day, period))} "
                                              "leave the day or cross a break"))
        span = self.span(c, t)
        if not people:
            return out + self._daily(i, day, moved)
        blocked = []
        for u in span:
            s = grid.slot_of(u)
            if s in c.unavailable:
                blocked.append(f"course {c.id}")
            blocked += [f"faculty {f}" for f in c.faculty if s in inst.faculty_by_id[f].unavailable]
        if blocked:
            out.append(Breach(Rule.UNAVAILABLE, "unavailable: " + ", ".join(sorted(set(blocked))),
                              tuple(sorted(set(blocked)))))
        out += self._clashes(i, span, moved)
        out += self._daily(i, day, moved)
        return out

    def _others_at(self, key_map: dict[int, list[int]] | None, u: int, i: int, moved: Mapping[int, int | None],
                   extra: list[int]) -> list[int]:
        """Sessions other than ``i`` occupying slot ``u`` on one resource, ``moved`` applied."""
        found = [j for j in (key_map.get(u, ()) if key_map else ()) if j != i and j not in moved]
        return found + [j for j in extra if j != i and u in self._span_of(j, moved)]

    def _span_of(self, j: int, moved: Mapping[int, int | None]) -> range:
        t = self.where(j, moved)
        return self.span(self.sessions[j].course, t) if t is not None else range(0)

    def _clashes(self, i: int, span: range, moved: Mapping[int, int | None]) -> list[Breach]:
        c = self.sessions[i].course
        extra = [j for j in moved if j != i and moved[j] is not None]
        found: dict[int, Rule] = {}
        for key in self.keys(c):
            rule = Rule.BATCH_CLASH if key.startswith("batch") else Rule.FACULTY_CLASH
            key_map = self.at.get(key)
            for u in span:
                for j in self._others_at(key_map, u, i, moved, [j for j in extra if self._shares(j, key)]):
                    if found.get(j) != Rule.FACULTY_CLASH:
                        found[j] = rule
        peers = self.peers.get(c.id, {})
        if peers:
            for u in span:
                here = self.courses_at[u]
                shared = [cid for cid in peers if cid in here] if len(peers) < len(here) else \
                    [cid for cid in here if cid in peers]
                for cid in shared:
                    for j in here[cid]:
                        if j != i and j not in moved and j not in found:
                            found[j] = Rule.STUDENT_CLASH
                for j in extra:
                    if self.sessions[j].course.id in peers and u in self._span_of(j, moved) and j not in found:
                        found[j] = Rule.STUDENT_CLASH
        out = []
        by_rule: dict[Rule, list[int]] = defaultdict(list)
        for j, rule in found.items():
            by_rule[rule].append(j)
        for rule, idx in by_rule.items():
            names = tuple(self.sessions[j].label for j in sorted(idx))
            if rule == Rule.STUDENT_CLASH:
                n = sum(peers.get(self.sessions[j].course.id, 0) for j in idx)
                detail = f"students ({n}) also in " + ", ".join(names)
            else:
                detail = "at the same time as " + ", ".join(names)
            out.append(Breach(rule, detail, names))
        return out

    def held_by_others(self, j: int, t: int, ignore: tuple[int, ...]) -> bool:
        """True when a faculty member, batch, student or the course of session ``j`` is busy at ``t`` with a
        session outside ``ignore`` (a quick test before ``time_breaches``)."""
        c = self.sessions[j].course
        span = self.span(c, t)
        for key in self.keys(c):
            key_map = self.at.get(key)
            if key_map and any(k not in ignore for u in span for k in key_map.get(u, ())):
                return True
        peers = self.peers.get(c.id)
        if peers:
            for u in span:
                here = self.courses_at[u]
                if any(k not in ignore for cid in here if cid in peers for k in here[cid]):
                    return True
        return False

    def linked(self, i: int, j: int) -> bool:
        """True when two sessions share a course, a faculty member, a batch or students."""
        a, b = self.sessions[i].course, self.sessions[j].course
        return (a.id == b.id or bool(set(a.faculty) & set(b.faculty)) or bool(set(a.batches) & set(b.batches))
                or b.id in self.peers.get(a.id, {}))

    def _shares(self, j: int, key: str) -> bool:
        return key in self.keys(self.sessions[j].course)

    def _daily(self, i: int, day: int, moved: Mapping[int, int | None]) -> list[Breach]:
        """Faculty daily hours and consecutive periods, and course sessions per day, on ``day``."""
        inst = self.instance
        rules = inst.rules
        c = self.sessions[i].course
        out = []
        lo, hi = day * self.n_periods, (day + 1) * self.n_periods
        if rules.is_hard(Rule.COURSE_MAX_PER_DAY):
            same = [j for j in self.by_course[c.id] if (t := self.where(j, moved)) is not None and lo <= t < hi]
            if len(same) > c.max_per_day:
                out.append(Breach(Rule.COURSE_MAX_PER_DAY, f"course {c.id} would have {len(same)} sessions on "
                                  f"{self.grid.days[day]} (at most {c.max_per_day})", (f"course {c.id}",)))
        daily, run = rules.is_hard(Rule.FACULTY_DAILY_HOURS), rules.is_hard(Rule.FACULTY_CONSECUTIVE)
        if not (daily or run):
            return out
        for f in c.faculty:
            fac = inst.faculty_by_id[f]
            periods: list[int] = []
            for j in self.by_faculty[f]:
                t = self.where(j, moved)
                if t is not None and lo <= t < hi:
                    periods += [u - lo for u in self.span(self.sessions[j].course, t)]
            if daily and len(periods) > fac.max_hours_per_day:
                out.append(Breach(Rule.FACULTY_DAILY_HOURS, f"faculty {f} would teach {len(periods)} periods on "
                                  f"{self.grid.days[day]} (at most {fac.max_hours_per_day})", (f"faculty {f}",)))
            if run and longest_run(set(periods), self.grid.break_after) > fac.max_consecutive:
                out.append(Breach(Rule.FACULTY_CONSECUTIVE, f"faculty {f} would teach more than "
                                  f"{fac.max_consecutive} periods in a row on {self.grid.days[day]}",
                                  (f"faculty {f}",)))
        return out

    # ---------------------------------------------------------------------------- room rules

    def room_breaches(self, i: int, t: int, room: str,
                      moved_rooms: Mapping[int, tuple[int, str | None]]) -> list[Breach]:
        """Room rules of session ``i`` in ``room`` from ``t``; ``moved_rooms``: sessions placed elsewhere."""
        c = self.sessions[i].course
        r = self.instance.room_by_id[room]
        out = []
        span = self.span(c, t)
        holders = set()
        room_map = self.room_at.get(room, {})
        for u in span:
            holders.update(j for j in room_map.get(u, ()) if j != i and j not in moved_rooms)
        for j, (tj, rj) in moved_rooms.items():
            if j != i and rj == room and set(span) & set(self.span(self.sessions[j].course, tj)):
                holders.add(j)
        if holders:
            names = tuple(self.sessions[j].label for j in sorted(holders))
            out.append(Breach(Rule.ROOM_CLASH, f"room {room} holds " + ", ".join(names), names))
        bad = [u for u in span if self.grid.slot_of(u) in r.unavailable]
        if bad:
            out.append(Breach(Rule.UNAVAILABLE, f"room {room} is unavailable at "
                              + ", ".join(self.grid.slot_label(self.grid.slot_of(u)) for u in bad), (f"room {room}",)))
        return out

    # ---------------------------------------------------------------------------- whole timetable

    def conflicted(self) -> set[int]:
        """Sessions that break a hard rule where they are (both sides of a clash)."""
        bad: set[int] = set()
        rooms = bool(self.instance.rooms)
        for i in sorted(suspects(self)):
            h = self.sessions[i]
            room_bad = rooms and (h.room is None or not self.fits(h.course, h.room)
                                  or bool(self.room_breaches(i, h.start, h.room, {})))
            if room_bad or self.time_breaches(i, h.start):
                bad.add(i)
        return bad


"""Which sessions of a timetable might break a hard rule: a quick screen before the exact test.

``Occupancy.conflicted`` asks ``time_breaches`` and ``room_breaches`` about every session, some hundred
microseconds each: a second for the ``university`` profile, on every repair. Most sessions share nothing:
they are alone on each of their resources and rooms, meet no course that shares students with them, and sit
on a day within their faculty's limits. This screen finds, from the index's maps, the few that are not (a
superset of those that break a rule), and only those are tested exactly.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from timetabling.engine.repair.occupancy import Occupancy


def suspects(occ: Occupancy) -> set[int]:
    """Sessions that may break a hard rule where they are; every session that does is among them."""
    out: set[int] = set()
    for maps in (occ.at, occ.room_at):  # two sessions on one faculty, batch, course or room at once
        for key_map in maps.values():
            for held in key_map.values():
                if len(held) > 1:
                    out.update(held)
    for here in occ.courses_at:  # courses sharing students at once
        for cid, held in here.items():
            peers = occ.peers.get(cid)
            if peers and (any(p in here for p in peers) if len(peers) < len(here) else any(p in peers for p in here)):
                out.update(held)
    inst = occ.instance
    grid = occ.grid
    n = occ.n_periods
    rooms = bool(inst.rooms)
    faculty_day: dict[tuple[str, int], list[int]] = defaultdict(list)
    course_day: dict[tuple[str, int], list[int]] = defaultdict(list)
    for h in occ.sessions:
        if h.start is None:
            continue
        c = h.course
        day, period = divmod(h.start, n)
        span = occ.span(c, h.start)
        slots = [grid.slot_of(u) for u in span]
        if (not grid.block_fits(period, c.session_length)
                or any(s in c.unavailable for s in slots)
                or any(s in inst.faculty_by_id[f].unavailable for f in c.faculty for s in slots)):
            out.add(h.index)
        if rooms and (h.room is None or not occ.fits(c, h.room)
                      or any(s in inst.room_by_id[h.room].unavailable for s in slots)):
            out.add(h.index)
        for f in c.faculty:
            faculty_day[f, day].append(h.index)
        course_day[c.id, day].append(h.index)
    for (cid, _day), held in course_day.items():
        if len(held) > inst.course_by_id[cid].max_per_day:
            out.update(held)
    for (f, day), held in faculty_day.items():
        fac = inst.faculty_by_id[f]
        periods = [u - day * n for j in held for u in occ.span(occ.sessions[j].course, occ.sessions[j].start)]
        if len(periods) > fac.max_hours_per_day or longest_run(set(periods), grid.break_after) > fac.max_consecutive:
            out.update(held)
    return out


def longest_run(periods: set[int], breaks: frozenset[int]) -> int:
    """Longest run of consecutive periods of ``periods`` (a break ends a run)."""
    best = run = 0
    prev = None
    for p in sorted(periods):
        run = run + 1 if prev is not None and p == prev + 1 and prev not in breaks else 1
        best = max(best, run)
        prev = p
    return best

"""A previous timetable carried onto a changed instance: what stays, what is gone, what is new, what is hit.

- sessions of a removed course, and sessions numbered beyond a course's new ``sessions_per_week``, are gone;
- sessions the previous timetable lacks (a new course, one more weekly session) are new and must be placed;
- a slot outside the new grid, or a room that no longer exists, leaves the session to be placed again;
- a lock puts its session where the lock says (the session it numbers, else one at that slot, else a new one,
  else one on the same day, else the last one);
- the sessions that now break a hard rule where they are (``Occupancy.conflicted``) are *hit* by the change.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from timetabling.engine.errors import InputError
from timetabling.engine.model import Assignment, Instance, Solution
from timetabling.engine.repair.locks import Lock
from timetabling.engine.repair.occupancy import Occupancy

FOREIGN_SHARE = 0.5  # a previous timetable whose sessions mostly name unknown courses is another instance's

Seat = tuple[int, int, str | None]  # (session number, flat start slot, room)


@dataclass
class Carried:
    seats: dict[str, list[Seat]]  # course -> its sessions that have a place, locks applied
    gone: list[tuple[Assignment, str]] = field(default_factory=list)  # (previous assignment, why)
    new: dict[str, int] = field(default_factory=dict)  # course -> sessions without a place
    locked: dict[str, dict[int, str | None]] = field(default_factory=dict)  # course -> start -> room (or None)

    def placements(self) -> list[tuple[str, int, int, str | None]]:
        return [(c, k, t, r) for c, seats in self.seats.items() for k, t, r in seats]

    def solution(self, instance: Instance) -> Solution:
        """The carried sessions as a timetable of ``instance`` (new sessions left out)."""
        grid = instance.grid
        rows = [Assignment(course=c, session=k, day=grid.slot_of(t).day, period=grid.slot_of(t).period, room=r)
                for c, k, t, r in sorted(self.placements())]
        return Solution(instance=instance.name, assignments=tuple(rows))


def carry_over(instance: Instance, previous: Solution, locks: tuple[Lock, ...] = (),
               source: str = "previous timetable") -> Carried:
    """``previous`` on ``instance`` (see the module's rules); an :class:`InputError` when ``previous`` is
    evidently a timetable of another instance."""
    grid = instance.grid
    unknown = [a.course for a in previous.assignments if a.course not in instance.course_by_id]
    if previous.assignments and len(unknown) > FOREIGN_SHARE * len(previous.assignments):
        shown = ", ".join(sorted(set(unknown))[:5])
        raise InputError(source, [
            f"{len(unknown)} of its {len(previous.assignments)} sessions belong to courses this instance does not "
            f"have ({shown}...): it looks like a timetable of another instance"
            + (f" ('{previous.instance}', not '{instance.name}')" if previous.instance != instance.name else "")])
    carried = Carried(seats=defaultdict(list))
    taken: set[tuple[str, int]] = set()  # (course, session number)
    starts: set[tuple[str, int]] = set()  # (course, start)
    for a in previous.assignments:
        course = instance.course_by_id.get(a.course)
        if course is None:
            carried.gone.append((a, "course removed"))
            continue
        if a.session >= course.sessions_per_week:
            carried.gone.append((a, f"the course now has {course.sessions_per_week} sessions a week"))
            continue
        if (a.course, a.session) in taken:
            carried.gone.append((a, "session listed twice"))
            continue
        if a.day >= grid.n_days or a.period >= grid.n_periods:
            continue  # its slot no longer exists: placed again as a new session
        t = grid.slot_index(a.slot)
        if (a.course, t) in starts:
            continue
        room = a.room if a.room is None or a.room in instance.room_by_id else None
        taken.add((a.course, a.session))
        starts.add((a.course, t))
        carried.seats[a.course].append((a.session, t, room))
    for c in instance.courses:
        missing = c.sessions_per_week - len(carried.seats.get(c.id, ()))
        if missing > 0:
            carried.new[c.id] = missing
    _apply_locks(instance, carried, locks)
    carried.seats = dict(carried.seats)
    return carried


def _apply_locks(instance: Instance, carried: Carried, locks: tuple[Lock, ...]) -> None:
    grid = instance.grid
    for lock in locks:
        t = grid.slot_index(lock.slot)
        carried.locked.setdefault(lock.course, {})[t] = lock.room
    by_course: dict[str, list[Lock]] = defaultdict(list)
    for lock in locks:
        by_course[lock.course].append(lock)
    for cid in carried.locked:
        seats = carried.seats.setdefault(cid, [])
        course_locks = by_course[cid]
        # first the locks already met at their slot, so that the others do not take those sessions
        held = {t for _k, t, _r in seats}
        course_locks.sort(key=lambda lk: grid.slot_index(lk.slot) not in held)
        done: set[int] = set()  # starts already holding a lock
        for lock in course_locks:
            t = grid.slot_index(lock.slot)
            at = next((i for i, (_k, s, _r) in enumerate(seats) if s == t), None)
            if at is None:
                at = _seat_for(instance, carried, cid, lock, seats, done)
            k, _t, room = seats[at]
            seats[at] = (k, t, lock.room if lock.room is not None else room)
            done.add(t)


def _seat_for(instance: Instance, carried: Carried, cid: str, lock: Lock, seats: list[Seat], done: set[int]) -> int:
    """Which session of ``cid`` goes to the lock's slot; a new session is given a number and a seat."""
    free = [i for i, (_k, t, _r) in enumerate(seats) if t not in done]
    numbered = [i for i in free if seats[i][0] == lock.session]
    if numbered:
        return numbered[0]
    if carried.new.get(cid, 0) > 0:
        carried.new[cid] -= 1
        if not carried.new[cid]:
            del carried.new[cid]
        used = {k for k, _t, _r in seats}
        k = next(n for n in range(instance.course_by_id[cid].sessions_per_week) if n not in used)
        seats.append((k, instance.grid.slot_index(lock.slot), None))
        return len(seats) - 1
    n = instance.grid.n_periods
    same_day = [i for i in free if seats[i][1] // n == lock.day]
    return (same_day or free)[-1]


def hit_sessions(instance: Instance, carried: Carried) -> tuple[Occupancy, set[int]]:
    """The index of the carried sessions and those of them that break a hard rule where they are."""
    occ = Occupancy(instance, carried.placements())
    return occ, occ.conflicted()


def placed_by_course(carried: Carried) -> dict[str, list[tuple[int, str | None]]]:
    out: dict[str, list[tuple[int, str | None]]] = defaultdict(list)
    for c, seats in carried.seats.items():
        for _k, t, r in seats:
            out[c].append((t, r))
    return dict(out)

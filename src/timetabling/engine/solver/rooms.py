"""Room assignment after the time model: per day, give every session a compatible room free for its span.

A best-fit greedy handles almost every day (the time model already bounded, per slot, the sessions
competing for each set of rooms); a day the greedy cannot finish is solved as an exact CP-SAT matching.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from timetabling.engine.model import Instance
from timetabling.engine.solver.cpsat import new_solver
from timetabling.engine.timetable.domains import Domains

Session = tuple[str, int]  # (course id, flat start slot)


@dataclass(frozen=True)
class RoomResult:
    rooms: dict[Session, str]
    unplaced: tuple[Session, ...]  # sessions for which no compatible room was free


def assign_rooms(
    instance: Instance, domains: Domains, sessions: list[Session], time_limit: float = 10.0, threads: int = 1,
    keep: dict[Session, str] | None = None,
) -> RoomResult:
    """Rooms per day; ``keep``: a room each session had before, kept wherever the day allows (repair)."""
    if not instance.rooms:
        return RoomResult({}, ())
    by_day: dict[int, list[Session]] = defaultdict(list)
    for c, t in sessions:
        by_day[instance.grid.slot_of(t).day].append((c, t))
    rooms: dict[Session, str] = {}
    unplaced: list[Session] = []
    preferred: dict[str, list[str]] = defaultdict(list)  # rooms a course already uses: keep them
    for day in sorted(by_day):
        day_sessions = by_day[day]
        placed, failed = _greedy_day(instance, domains, day_sessions, preferred)
        if failed:
            placed, failed = _exact_day(instance, domains, day_sessions, time_limit, threads, keep or {})
        rooms.update(placed)
        unplaced.extend(failed)
        for (c, _t), r in placed.items():
            if r not in preferred[c]:
                preferred[c].append(r)
    return RoomResult(rooms, tuple(unplaced))


def _span(instance: Instance, course: str, t: int) -> range:
    return range(t, t + instance.course_by_id[course].session_length)


def _free(instance: Instance, room: str, span: range, busy: dict[str, set[int]]) -> bool:
    r = instance.room_by_id[room]
    taken = busy[room]
    return not any(u in taken or instance.grid.slot_of(u) in r.unavailable for u in span)


def _greedy_day(
    instance: Instance, domains: Domains, sessions: list[Session], preferred: dict[str, list[str]]
) -> tuple[dict[Session, str], list[Session]]:
    busy: dict[str, set[int]] = defaultdict(set)
    placed: dict[Session, str] = {}
    failed: list[Session] = []

    def order(s: Session) -> tuple:
        c = instance.course_by_id[s[0]]
        return (len(domains.rooms.get(c.id, ())), -c.session_length, -instance.course_size[c.id], s)

    for c, t in sorted(sessions, key=order):
        span = _span(instance, c, t)
        candidates = domains.rooms.get(c, ())
        choice = next((r for r in preferred.get(c, ()) if _free(instance, r, span, busy)), None)
        if choice is None:
            choice = next((r for r in candidates if _free(instance, r, span, busy)), None)
        if choice is None:
            failed.append((c, t))
            continue
        placed[c, t] = choice
        busy[choice].update(span)
    return placed, failed


def _exact_day(
    instance: Instance, domains: Domains, sessions: list[Session], time_limit: float, threads: int,
    keep: dict[Session, str] | None = None,
) -> tuple[dict[Session, str], list[Session]]:
    """Maximum matching of one day's sessions to rooms (the greedy's fallback), each session's ``keep`` room
    worth more than any best fit, fewer than one more session placed."""
    model = cp_model.CpModel()
    y: dict[tuple[Session, str], cp_model.IntVar] = {}
    covering: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
    for s in sessions:
        c, t = s
        span = _span(instance, c, t)
        options = []
        for r in domains.rooms.get(c, ()):
            room = instance.room_by_id[r]
            if any(instance.grid.slot_of(u) in room.unavailable for u in span):
                continue
            v = model.NewBoolVar(f"y[{c},{t},{r}]")
            y[s, r] = v
            options.append(v)
            for u in span:
                covering[r, u].append(v)
        model.AddAtMostOne(options)
    for vs in covering.values():
        model.AddAtMostOne(vs)
    # place as many sessions as possible, preferring best-fit rooms (earlier in the candidate list)
    rank = {(c, r): i for c in {s[0] for s in sessions} for i, r in enumerate(domains.rooms.get(c, ()))}
    kept = keep or {}
    place = 2000 * (len(sessions) + 1)  # one more session placed outweighs every kept room and best fit
    model.Maximize(sum(v * (place + 1000 - min(rank[s[0], r], 999) + (1000 if kept.get(s) == r else 0))
                       for (s, r), v in y.items()))
    solver = new_solver(time_limit, threads=threads)
    status = solver.Solve(model)
    placed: dict[Session, str] = {}
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for (s, r), v in y.items():
            if solver.Value(v):
                placed[s] = r
    return placed, [s for s in sessions if s not in placed]

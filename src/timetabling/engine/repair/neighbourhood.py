"""One neighbourhood re-solved by CP-SAT: its courses free, every other session where it is.

The free courses and the kept courses linked to them make a sub-instance (the pipeline's ``sub_instance``:
kept courses pinned, rooms closed where kept sessions hold them). The model is the solver's own
(``cpmodel.build``) with two additions through its ``customise`` hook: the weighted moves of the free
courses' previous sessions, which dominate the objective (``big`` x moves + soft cost, so fewer moves always
win), and an optional cap on the sessions moved. Rooms are chosen in the model when it is small enough,
else per day afterwards, keeping each session's previous room where it is free.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from timetabling.engine.model import Instance
from timetabling.engine.pipeline.parts import sub_instance
from timetabling.engine.repair.changes import DAY, MOVE_WEIGHTS, PERIOD, ROOM
from timetabling.engine.repair.locks import Lock
from timetabling.engine.solver import INTEGRATED_ROOM_LIMIT, default_threads
from timetabling.engine.solver.cpmodel import TimeModel, build
from timetabling.engine.solver.cpsat import new_solver
from timetabling.engine.solver.rooms import assign_rooms
from timetabling.engine.timetable.domains import Domains, build_domains
from timetabling.engine.timetable.placed import Placed

ROOM_ROUNDS = 3  # times a session that found no room is forbidden there and the model solved again



@dataclass
class Attempt:
    status: str  # feasible | optimal | infeasible | unknown
    placed: Placed = field(default_factory=dict)  # the free courses' sessions
    stats: dict[str, object] = field(default_factory=dict)


def solve_neighbourhood(instance: Instance, kept: Placed, free: set[str], previous: Placed, *,
                        locks: tuple[Lock, ...], regenerate: frozenset[str], time_limit: float, seed: int,
                        workers: int, max_moves: int | None, polish: float) -> Attempt:
    """Place the sessions of ``free`` (``previous``: where they were) around the ``kept`` ones (the sessions
    of every other course): first the fewest weighted moves (hard rules only: a small model), then, for at
    most ``polish`` seconds, the lowest soft cost among the timetables with no more weighted moves (and at
    most ``max_moves`` moved sessions, which may be more than the fewest)."""
    t0 = time.perf_counter()
    grid = instance.grid
    room_busy: dict[str, set[int]] = defaultdict(set)
    for cid, seats in kept.items():
        length = instance.course_by_id[cid].session_length
        for t, r in seats:
            if r is not None:
                room_busy[r].update(range(t, t + length))
    sub = sub_instance(instance, free, kept, [r.id for r in instance.rooms], room_busy)
    domains = build_domains(sub)
    triples = sum(len(domains.starts[c.id]) * len(domains.rooms.get(c.id, ())) for c in sub.courses)
    job = _Job(sub, domains, free, free - regenerate, previous, bool(sub.rooms) and triples <= INTEGRATED_ROOM_LIMIT,
               {(lk.course, grid.slot_index(lk.slot)): lk.room for lk in locks if lk.room and lk.course in free},
               seed, workers or default_threads())
    stats: dict[str, object] = {"courses": len(free), "sub_courses": len(sub.courses),
                                "rooms": "integrated" if job.integrated else "per-day"}
    deadline = t0 + time_limit
    first = job.run(deadline, moves_bound=None, cap=max_moves)
    stats.update(first.stats)
    if first.status not in ("optimal", "feasible"):
        stats["solve_s"] = round(time.perf_counter() - t0, 3)
        return Attempt(first.status, {}, stats)
    best = first
    polish_until = min(deadline, time.perf_counter() + polish)
    if polish_until - time.perf_counter() > 0.2:
        bound = first.weighted if max_moves is None else None
        second = job.run(polish_until, moves_bound=bound, cap=max_moves, hint=first.placed)
        if second.status in ("optimal", "feasible"):  # started from the first answer, never more moves
            best = second
        stats["polish"] = second.status
    stats["weighted_moves"] = best.weighted
    stats["solve_s"] = round(time.perf_counter() - t0, 3)
    return Attempt(first.status, best.placed, stats)


@dataclass
class _Outcome:
    status: str
    placed: Placed = field(default_factory=dict)
    weighted: int = 0
    soft: float = 0.0
    stats: dict[str, object] = field(default_factory=dict)


@dataclass
class _Job:
    """One neighbourhood's sub-instance and what both phases share."""

    sub: Instance
    domains: Domains
    free: set[str]
    charged: set[str]  # free courses whose moves count (not those re-generated)
    previous: Placed
    integrated: bool
    room_locks: dict[tuple[str, int], str]
    seed: int
    workers: int

    def run(self, deadline: float, moves_bound: int | None, cap: int | None, hint: Placed | None = None) -> _Outcome:
        """Fewest weighted moves (``moves_bound`` None), else the least soft cost with at most ``moves_bound``."""
        t0 = time.perf_counter()
        terms: dict[str, object] = {}

        def customise(tm: TimeModel) -> None:
            weighted, moved = _add_moves(tm, self.previous, self.charged, self.integrated)
            terms["weighted"] = weighted
            if cap is not None and moved:
                tm.model.Add(sum(moved) <= cap)
            if moves_bound is None:
                tm.extra_objective.extend(weighted)
            elif weighted:
                tm.model.Add(sum(coef * v for v, coef in weighted) <= moves_bound - _constant(self.previous,
                                                                                           self.charged))
            for (c, t), r in self.room_locks.items():
                if self.integrated:
                    y = tm.y.get((c, t, r))
                    tm.model.AddBoolOr([y] if y is not None else [])  # no such variable: the room is closed there

        tm = build(self.sub, self.domains, with_rooms=self.integrated, soft=moves_bound is not None,
                   customise=customise)
        wished = hint if hint is not None else self.previous
        for c in self.free:
            starts = {t for t, _r in wished.get(c, ())}
            for t in self.domains.starts.get(c, ()):
                tm.model.AddHint(tm.x[c, t], t in starts)
        stats = {"variables": len(tm.model.Proto().variables), "build_s": round(time.perf_counter() - t0, 3)}
        for _round in range(ROOM_ROUNDS + 1):
            solver = new_solver(max(0.1, deadline - time.perf_counter()), threads=self.workers, seed=self.seed)
            status = solver.Solve(tm.model)
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                return _Outcome("infeasible" if status == cp_model.INFEASIBLE else "unknown", stats=stats)
            starts = [(c, t) for (c, t), v in tm.x.items() if c in self.free and solver.Value(v)]
            if self.integrated:
                rooms = {(c, t): r for (c, t, r), v in tm.y.items() if c in self.free and solver.Value(v)}
                unplaced: list[tuple[str, int]] = []
            else:
                rooms, unplaced = _rooms_per_day(self.sub, self.domains, starts, self.previous, self.room_locks,
                                                 self.workers)
            if not unplaced:
                break
            for key in unplaced:  # no room was free there: forbid it and solve again from this answer
                tm.model.Add(tm.x[key] == 0)
            tm.model.ClearHints()
            for key, v in tm.x.items():
                tm.model.AddHint(v, solver.Value(v) if key not in unplaced else 0)
        else:
            return _Outcome("unknown", stats={**stats, "message": "sessions found no free room"})
        placed: Placed = defaultdict(list)
        for c, t in sorted(starts):
            placed[c].append((t, rooms.get((c, t))))
        weighted = _constant(self.previous, self.charged) + sum(
            coef * solver.Value(v) for v, coef in terms["weighted"])  # type: ignore[attr-defined]
        soft = solver.ObjectiveValue() if moves_bound is not None and tm.model.HasObjective() else 0.0
        status_name = "optimal" if status == cp_model.OPTIMAL else "feasible"
        return _Outcome(status_name, dict(placed), int(weighted), soft, stats)


def _constant(previous: Placed, charged: set[str]) -> int:
    """The weighted moves when every previous session of ``charged`` moves to another day."""
    return MOVE_WEIGHTS[DAY] * sum(len(previous.get(c, ())) for c in charged)


def _add_moves(tm: TimeModel, previous: Placed, charged: set[str], integrated: bool
               ) -> tuple[list[tuple[cp_model.IntVar, int]], list[cp_model.LinearExprT]]:
    """The weighted moves of the previous sessions of the ``charged`` courses, as terms that add to
    ``_constant`` (every session on another day): keeping the day saves ``DAY - PERIOD``, the start
    ``PERIOD - ROOM``, the room ``ROOM`` (rooms chosen in the model; else keeping the start keeps the room);
    and per session an expression that is 1 when it moves in time or room."""
    n = tm.instance.grid.n_periods
    terms: list[tuple[cp_model.IntVar, int]] = []
    moved: list[cp_model.LinearExprT] = []
    for c in sorted(charged):
        seats = previous.get(c, ())
        if not seats:
            continue
        per_day: dict[int, list] = defaultdict(list)
        for (cc, t), v in tm.x.items():
            if cc == c:
                per_day[t // n].append(v)
        kept_on_day: dict[int, list] = defaultdict(list)
        for t_old, r_old in seats:
            day = t_old // n
            time_kept = tm.x.get((c, t_old))
            day_kept = tm.model.NewBoolVar(f"day_kept[{c},{t_old}]")
            tm.model.Add(day_kept <= sum(per_day[day])) if per_day[day] else tm.model.Add(day_kept == 0)
            kept_on_day[day].append(day_kept)
            terms.append((day_kept, -(MOVE_WEIGHTS[DAY] - MOVE_WEIGHTS[PERIOD])))
            if time_kept is None:
                moved.append(1)
                continue
            tm.model.Add(day_kept >= time_kept)
            terms.append((time_kept, -(MOVE_WEIGHTS[PERIOD] - MOVE_WEIGHTS[ROOM])))
            y = tm.y.get((c, t_old, r_old)) if integrated and r_old is not None else None
            if y is not None:
                terms.append((y, -MOVE_WEIGHTS[ROOM]))
                moved.append(1 - y)
            elif integrated:
                moved.append(1)
            else:
                terms.append((time_kept, -MOVE_WEIGHTS[ROOM]))
                moved.append(1 - time_kept)
        for day, kept in kept_on_day.items():
            if len(kept) > 1:
                tm.model.Add(sum(kept) <= sum(per_day[day]))
    return terms, moved


def _rooms_per_day(sub: Instance, domains: Domains, starts: list[tuple[str, int]], previous: Placed,
                   room_locks: dict[tuple[str, int], str], workers: int
                   ) -> tuple[dict[tuple[str, int], str], list[tuple[str, int]]]:
    """A room for every free session: its lock's, else the room it had at this start, else one the course
    used before, else the best fit that is free; the exact per-day matching when this greedy fails."""
    if not sub.rooms:
        return {}, []
    grid = sub.grid
    busy: dict[str, set[int]] = defaultdict(set)
    old_at = {(c, t): r for c, seats in previous.items() for t, r in seats if r is not None}
    old_rooms = {c: [r for _t, r in seats if r is not None] for c, seats in previous.items()}

    def free(room: str, span: range) -> bool:
        blocked = sub.room_by_id[room].unavailable
        return not any(u in busy[room] or grid.slot_of(u) in blocked for u in span)

    def order(s: tuple[str, int]) -> tuple:
        return (s not in room_locks, s not in old_at, len(domains.rooms.get(s[0], ())), s)

    rooms: dict[tuple[str, int], str] = {}
    unplaced: list[tuple[str, int]] = []
    by_day: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for c, t in starts:
        by_day[t // grid.n_periods].append((c, t))
    for day_starts in by_day.values():
        chosen: dict[tuple[str, int], str] = {}
        for c, t in sorted(day_starts, key=order):
            span = range(t, t + sub.course_by_id[c].session_length)
            allowed = domains.rooms.get(c, ())
            wishes = [room_locks.get((c, t)), old_at.get((c, t)), *old_rooms.get(c, ()), *allowed]
            ok = set(allowed)
            choice = next((r for r in wishes if r is not None and r in ok and free(r, span)), None)
            if choice is None:
                break
            chosen[c, t] = choice
            busy[choice].update(span)
        else:
            rooms.update(chosen)
            continue
        # this day's greedy failed: the exact matching of the day (rooms of the other days are not touched)
        for (c, t), r in chosen.items():
            busy[r].difference_update(range(t, t + sub.course_by_id[c].session_length))
        result = assign_rooms(sub, domains, day_starts, time_limit=5.0, threads=workers or default_threads(),
                              keep={s: old_at[s] for s in day_starts if s in old_at})
        rooms.update(result.rooms)
        unplaced += result.unplaced
    return rooms, unplaced

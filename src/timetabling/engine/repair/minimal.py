"""Minimal-perturbation repair: ``repair(instance, previous, locks, options) -> RepairResult``.

1. the previous timetable is carried onto the (changed) instance, locks applied (``carry.py``);
2. the sessions that now break a hard rule, the new sessions and the courses to re-generate are *hit*;
3. a quick pass moves each hit session to the nearest place that breaks nothing, and places each new one
   (``greedy.py``); when it leaves none, that is the answer, but for courses to re-generate: those the
   annealing optimiser then places afresh around the fixed others, kept when cheaper (``polish.py``);
4. else CP-SAT re-solves the courses of the sessions the pass left, every other session kept where it is,
   minimising the weighted moves first and the soft cost second (``neighbourhood.py``); when that has no
   answer the neighbourhood widens to the courses sharing people with it, then to every course while
   building its model fits the time left;
5. the result is numbered like the previous timetable and compared with it (``changes.py``).

A lock set that cannot hold is diagnosed in words before any search (``locks.lock_conflicts``), else from an
infeasible core of the locks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from timetabling.engine.checker import check
from timetabling.engine.diagnostics import diagnose, errors
from timetabling.engine.model import Assignment, Instance, Solution
from timetabling.engine.pipeline.parts import linked_courses
from timetabling.engine.repair.carry import Carried, Seat, carry_over, hit_sessions, placed_by_course
from timetabling.engine.repair.changes import Changes, diff, match
from timetabling.engine.repair.greedy import quick_repair
from timetabling.engine.repair.locks import Lock, broken_locks, check_locks, label, lock_conflicts, pin
from timetabling.engine.repair.neighbourhood import Placed, solve_neighbourhood
from timetabling.engine.repair.occupancy import Occupancy
from timetabling.engine.repair.polish import anneal_courses
from timetabling.engine.solver.cpmodel import build
from timetabling.engine.solver.cpsat import core_solver
from timetabling.engine.solver.explain import explain_infeasible
from timetabling.engine.timetable.domains import build_domains

WIDENINGS = 1  # neighbourhoods grown by the courses sharing people, before every course is freed
FIRST_SHARE = 0.5  # of the time left, the most one neighbourhood may take (the last takes all)
BUILD_S_PER_COURSE = 0.02  # seconds to build a neighbourhood's model, per free course (university, 2 cores)
QUICK_SHARE = 0.7  # of the time left, the most the quick pass (``greedy.py``) may take (CP-SAT the rest)
MIN_REGENERATE_S = 2.5  # seconds left below which re-generated courses stay where they are
FINISH_S = 0.3  # seconds kept for the last steps after a search (numbering, the change report)
QUICK_MIN_S = 2.0  # seconds the quick pass may take however little is left: a late answer beats none


@dataclass
class RepairOptions:
    time_limit: float = 10.0
    max_moves: int | None = None  # at most this many previous sessions move (in time or room)
    seed: int = 0
    workers: int = 0  # 0: every core
    regenerate: frozenset[str] = frozenset()  # courses placed afresh: their moves cost nothing
    polish: float = 0.2  # share of the time limit spent lowering the soft cost once the fewest moves are known
    # (re-generated courses: whatever time is left, their soft cost being the point of placing them afresh)
    quick: bool = True  # first the quick pass (``greedy.py``); CP-SAT only for the sessions it leaves


@dataclass
class RepairResult:
    status: str  # unchanged | repaired | infeasible | unknown
    solution: Solution | None
    changes: Changes | None = None
    hit: int = 0  # sessions the change hits directly: breaking a hard rule where they are, or new
    explanation: list[str] = field(default_factory=list)
    stats: dict[str, object] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        return self.solution is not None


def repair(instance: Instance, previous: Solution, locks: tuple[Lock, ...] = (),
           options: RepairOptions | None = None, source: str = "previous timetable") -> RepairResult:
    """A timetable of ``instance`` that keeps every hard rule and every lock and moves as few sessions of
    ``previous`` as it can (another day > another period > another room), then costs as little as it can.

    Raises ``InputError`` for locks the instance cannot read and for a ``previous`` of another instance."""
    options = options or RepairOptions()
    t0 = time.perf_counter()
    locks = check_locks(instance, locks)
    carried = carry_over(instance, previous, locks, source)
    conflicts = lock_conflicts(instance, locks)
    if conflicts:
        return RepairResult("infeasible", None, explanation=["the locks cannot all hold:", *conflicts])
    pinned = pin(instance, locks)
    occ, hit = hit_sessions(pinned, carried)
    hit_courses = {occ.sessions[i].course.id for i in hit} | set(carried.new) | set(options.regenerate)
    n_hit = len(hit) + sum(carried.new.values())
    if options.regenerate:
        n_hit += sum(1 for h in occ.sessions if h.course.id in options.regenerate and h.index not in hit)
    stats: dict[str, object] = {"hit_courses": len(hit_courses), "carry_s": round(time.perf_counter() - t0, 3)}
    if not hit_courses:
        solution = carried.solution(instance).model_copy(update={"meta": {"solver": "repair", "moves": 0}})
        return RepairResult("unchanged", solution, diff(instance, previous, solution), 0, stats=stats)
    previous_seats = placed_by_course(carried)
    if options.quick:
        t1 = time.perf_counter()
        left = options.time_limit - (t1 - t0)
        quick = quick_repair(occ, hit, carried.new, carried.locked, t1 + max(QUICK_SHARE * left, QUICK_MIN_S))
        stats["quick"] = {"moved": len(quick.moved), "left": len(quick.left), "s": round(time.perf_counter() - t1, 3)}
        if options.max_moves is None or len(quick.moved) <= options.max_moves:
            carried = _carried_from(occ, carried)
            hit_courses = {occ.sessions[j].course.id for j in quick.left}
            if not hit_courses and not options.regenerate:
                return _result(instance, previous, carried.solution(instance), "quick", n_hit, options, stats, t0)
            if not hit_courses:
                solution, status = _regenerated(pinned, instance, carried, locks, options, previous_seats, stats, t0)
                return _result(instance, previous, solution, status, n_hit, options, stats, t0)
            hit_courses |= set(options.regenerate)
    current = placed_by_course(carried)
    roomless = _roomless(occ, hit_courses)
    if roomless:
        return RepairResult("infeasible", None, hit=n_hit, stats=stats, explanation=[
            "the instance has no timetable that keeps every hard rule:", *roomless])
    attempts = []
    found = None
    neighbourhoods = _neighbourhoods(pinned, hit_courses)
    for level, free in enumerate(neighbourhoods):
        left = options.time_limit - (time.perf_counter() - t0)
        last = level == len(neighbourhoods) - 1
        if left <= 0.05:
            break
        if level and len(free) * BUILD_S_PER_COURSE > left:  # its model alone would take the time left
            attempts.append({"level": level, "status": "unknown", "courses": len(free), "skipped": "no time"})
            break
        kept = {c: s for c, s in current.items() if c not in free}
        attempt = solve_neighbourhood(pinned, kept, free, previous_seats, locks=locks,
                                      regenerate=options.regenerate, time_limit=left if last else FIRST_SHARE * left,
                                      seed=options.seed, workers=options.workers, max_moves=options.max_moves,
                                      polish=options.time_limit if options.regenerate
                                      else options.polish * options.time_limit)
        attempts.append({"level": level, "status": attempt.status, **attempt.stats})
        if attempt.placed or attempt.status in ("feasible", "optimal"):
            found = (free, attempt)
            break
    stats["neighbourhoods"] = attempts
    if found is None:
        return RepairResult(_failure(attempts), None, hit=n_hit, stats=stats,
                            explanation=_explain(instance, locks, attempts, options))
    free, attempt = found
    solution = _merge(instance, carried, free, attempt.placed, previous_seats)
    return _result(instance, previous, solution, attempt.status, n_hit, options, stats, t0)


def _regenerated(pinned: Instance, instance: Instance, carried: Carried, locks: tuple[Lock, ...],
                 options: RepairOptions, previous: Placed, stats: dict[str, object], t0: float
                 ) -> tuple[Solution, str]:
    """The re-generated courses placed afresh by the annealing optimiser, every other session where it is
    (``polish.py``); kept only when the checker finds it clash-free, within the locks and cheaper than
    ``carried`` (clash-free already), which is the answer otherwise."""
    kept = carried.solution(instance)
    t1 = time.perf_counter()
    if t0 + options.time_limit - t1 < MIN_REGENERATE_S:  # no time to search, nor to check what it finds
        stats["anneal"] = "no time"
        return kept, "quick"
    kept_soft = check(instance, kept).soft_cost
    check_s = time.perf_counter() - t1
    # the same check of the optimiser's answer, and about as much again for each of numbering it and the change
    # report (both walk the whole timetable)
    deadline = t0 + options.time_limit - 3 * check_s - FINISH_S
    placed = anneal_courses(pinned, placed_by_course(carried), set(options.regenerate), deadline, options.seed)
    stats["anneal"] = "improved" if placed else "nothing better"
    if placed:
        solution = _merge(instance, carried, set(options.regenerate), placed, previous)
        report = check(instance, solution)
        if report.hard_total == 0 and report.soft_cost < kept_soft and not broken_locks(instance, solution, locks):
            return solution, "annealed"
    return kept, "quick"


def _result(instance: Instance, previous: Solution, solution: Solution, status: str, n_hit: int,
            options: RepairOptions, stats: dict[str, object], t0: float) -> RepairResult:
    changes = diff(instance, previous, solution)
    stats["solve_s"] = round(time.perf_counter() - t0, 3)
    meta = {"solver": "repair", "status": status, "seed": options.seed, "time_limit": options.time_limit,
            "moves": changes.moved_in_time, "rooms_changed": changes.count("room"), "hit": n_hit}
    return RepairResult("repaired", solution.model_copy(update={"meta": meta}), changes, n_hit, stats=stats)


def _carried_from(occ: Occupancy, carried: Carried) -> Carried:
    """``carried`` with the sessions where ``occ`` has them now (those without a place are new again)."""
    seats: dict[str, list[Seat]] = {}
    new: dict[str, int] = {}
    for h in occ.sessions:
        if h.start is None:
            new[h.course.id] = new.get(h.course.id, 0) + 1
        else:
            seats.setdefault(h.course.id, []).append((h.session, h.start, h.room))
    return replace(carried, seats=seats, new=new)


def keep_locks(instance: Instance, solution: Solution, locks: tuple[Lock, ...],
               options: RepairOptions | None = None) -> RepairResult:
    """``solution`` when it keeps every lock; else repaired from it with the locks (the fewest moves). The
    last word for optimisers that may move a pinned session."""
    if not broken_locks(instance, solution, locks):
        return RepairResult("unchanged", solution)
    return repair(instance, solution, locks, options)


def _neighbourhoods(instance: Instance, hit: set[str]) -> list[set[str]]:
    """The hit courses; then with the courses sharing a faculty member or a batch with them; then with every
    course sharing people (students too) with those, ``WIDENINGS`` times; then every course."""
    levels = [set(hit)]
    people = set(hit)
    for cid in hit:
        c = instance.course_by_id[cid]
        for f in c.faculty:
            people.update(instance.courses_of_faculty.get(f, ()))
        for b in c.batches:
            people.update(instance.courses_of_batch.get(b, ()))
    if len(people) > len(hit):
        levels.append(people)
    for _ in range(WIDENINGS):
        grown = levels[-1] | linked_courses(instance, levels[-1])
        if len(grown) == len(levels[-1]):
            break
        levels.append(grown)
    everything = {c.id for c in instance.courses}
    if len(levels[-1]) < len(everything):
        levels.append(everything)
    return levels


def _merge(instance: Instance, carried: Carried, free: set[str], placed: Placed, previous: Placed) -> Solution:
    """Kept sessions as they were, the free courses' sessions numbered after the previous ones they match."""
    grid = instance.grid
    rows: list[Assignment] = []
    for c in instance.courses:
        old = [Assignment(course=c.id, session=k, day=grid.slot_of(t).day, period=grid.slot_of(t).period, room=r)
               for k, t, r in carried.seats.get(c.id, ())]
        if c.id not in free:
            rows += old
            continue
        new = [Assignment(course=c.id, session=0, day=grid.slot_of(t).day, period=grid.slot_of(t).period, room=r)
               for t, r in placed.get(c.id, ())]
        used: set[int] = set()
        pending = []
        for a, b in match(old, new):
            if b is not None and a is not None:
                used.add(a.session)
                rows.append(b.model_copy(update={"session": a.session}))
            elif b is not None:
                pending.append(b)
        spare = iter([k for k in range(c.sessions_per_week) if k not in used])
        rows += [b.model_copy(update={"session": next(spare)}) for b in pending]
    rows.sort(key=lambda a: (a.course, a.session))
    return Solution(instance=instance.name, assignments=tuple(rows))


def _roomless(occ: Occupancy, courses: set[str]) -> list[str]:
    """The courses of ``courses`` that no room may hold (type, features, department, size when capacity is
    hard): no timetable can place them, so no search is worth its time."""
    if not occ.instance.rooms:
        return []
    out = []
    for cid in sorted(courses):
        c = occ.instance.course_by_id[cid]
        if not occ.rooms_for(c):
            out.append(f"course {cid}: no room of type '{c.room_type}' it may use seats its "
                       f"{occ.instance.course_size[cid]} attendees")
    return out


def _failure(attempts: list[dict[str, object]]) -> str:
    return "infeasible" if attempts and attempts[-1]["status"] == "infeasible" else "unknown"


def _explain(instance: Instance, locks: tuple[Lock, ...], attempts: list[dict[str, object]],
             options: RepairOptions) -> list[str]:
    if not attempts or attempts[-1]["status"] != "infeasible":
        return [f"no timetable found within the time limit of {options.time_limit:g} s"]
    if options.max_moves is not None:
        lines = [f"no timetable moves at most {options.max_moves} session(s); try a larger --max-moves"]
    else:
        lines = []
    core = lock_core(instance, locks, time_limit=max(5.0, options.time_limit)) if locks else None
    if core:
        return [*lines, "these locks cannot all hold together with the hard rules:", *[f"  {c}" for c in core]]
    pinned = pin(instance, locks)
    found = [str(f) for f in errors(diagnose(pinned))]
    if not found:
        found = explain_infeasible(pinned, build_domains(pinned), False, options.time_limit)
    return [*lines, "the instance has no timetable that keeps every hard rule" + (":" if found else ""), *found]


def lock_core(instance: Instance, locks: tuple[Lock, ...], time_limit: float = 10.0) -> list[str]:
    """Locks that cannot all hold (an infeasible core of one assumption per lock, every rule hard); empty
    when the instance fails without them too, or no core is found in time."""
    domains = build_domains(instance)
    tm = build(instance, domains, with_rooms=False, soft=False)
    grid = instance.grid
    lits = {}
    for i, lock in enumerate(locks):
        lit = tm.model.NewBoolVar(f"lock[{i}]")
        x = tm.x.get((lock.course, grid.slot_index(lock.slot)))
        tm.model.AddBoolOr([x] if x is not None else []).OnlyEnforceIf(lit)
        lits[lit.Index()] = i
    tm.model.AddAssumptions([tm.model.GetBoolVarFromProtoIndex(i) for i in lits])
    solver = core_solver(time_limit)
    if solver.Solve(tm.model) != cp_model.INFEASIBLE:
        return []
    core = sorted(lits[i] for i in solver.SufficientAssumptionsForInfeasibility())
    return [label(instance, i, locks[i]) for i in core]

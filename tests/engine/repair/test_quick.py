"""The quick pass of repair (``repair/greedy.py``), the occupancy index it changes, and rooms kept in place."""

from __future__ import annotations

import random

from tests.conftest import tiny_instance
from tests.engine.repair.test_repair import FAST, busiest_day, places, small, without_day
from timetabling.engine.checker import check
from timetabling.engine.model import Assignment, Instance, Room, Slot, Solution
from timetabling.engine.repair import Lock, RepairOptions, broken_locks, repair
from timetabling.engine.repair.candidates import CandidateIndex
from timetabling.engine.repair.carry import carry_over, hit_sessions
from timetabling.engine.repair.greedy import quick_repair
from timetabling.engine.repair.occupancy import Occupancy
from timetabling.engine.solver.rooms import _exact_day
from timetabling.engine.timetable.domains import build_domains


def close_room(inst: Instance, room: str) -> Instance:
    every = frozenset(Slot(d, p) for d in range(inst.grid.n_days) for p in range(inst.grid.n_periods))
    return inst.model_copy(update={"rooms": tuple(r.model_copy(update={"unavailable": every}) if r.id == room else r
                                                  for r in inst.rooms)})


def solution_of(occ: Occupancy) -> Solution:
    grid = occ.grid
    return Solution(instance=occ.instance.name, assignments=tuple(
        Assignment(course=h.course.id, session=h.session, day=grid.slot_of(h.start).day,
                   period=grid.slot_of(h.start).period, room=h.room)
        for h in occ.sessions if h.start is not None))


def test_closing_a_room_moves_its_sessions_and_only_those_that_make_way_for_them() -> None:
    inst, sol = small()
    room = max({a.room for a in sol.assignments}, key=lambda r: sum(a.room == r for a in sol.assignments))
    changed = close_room(inst, room)
    result = repair(changed, sol, options=FAST)
    assert result.solution is not None and check(changed, result.solution).hard_total == 0
    hit = [a for a in sol.assignments if a.room == room]
    assert result.hit == len(hit)
    assert len(hit) <= result.changes.moved_in_time + result.changes.count("room") <= 3 * len(hit)
    # a session outside the closed room keeps its time and room, unless it made way for a hit session or its
    # course was re-solved with the hit sessions (the CP-SAT step after the quick pass re-solves whole courses)
    now = {(a.course, a.session): a for a in result.solution.assignments}
    hit_now = {(now[a.course, a.session].room, now[a.course, a.session].day, now[a.course, a.session].period)
               for a in hit}
    hit_courses = {a.course for a in hit}
    for a in sol.assignments:
        b = now[a.course, a.session]
        if a.room != room and (b.room, b.day, b.period) != (a.room, a.day, a.period):
            assert (a.room, a.day, a.period) in hit_now or a.course in hit_courses, (a, b)


def test_a_new_session_takes_a_free_slot_without_moving_any_other() -> None:
    inst, sol = small()
    grown = next(c for c in inst.courses if c.sessions_per_week < inst.grid.n_days)
    changed = inst.model_copy(update={"courses": tuple(
        c.model_copy(update={"sessions_per_week": c.sessions_per_week + 1}) if c.id == grown.id else c
        for c in inst.courses)})
    result = repair(changed, sol, options=FAST)
    assert result.solution is not None and check(changed, result.solution).hard_total == 0
    assert result.changes.count("added") == 1
    assert result.changes.moved_in_time == 0 and result.changes.count("room") == 0
    assert places(sol) <= places(result.solution)


def test_the_quick_pass_never_leaves_a_hard_violation_the_checker_sees() -> None:
    inst, sol = small()
    faculty, day = busiest_day(inst, sol)
    rooms = sorted({a.room for a in sol.assignments if a.room})
    rng = random.Random(5)
    changes = [without_day(inst, faculty, day), close_room(inst, rooms[0]), close_room(inst, rng.choice(rooms))]
    for changed in changes:
        carried = carry_over(changed, sol, ())
        occ, hit = hit_sessions(changed, carried)
        assert hit
        before = check(changed, solution_of(occ)).hard_total
        found = quick_repair(occ, hit, carried.new, carried.locked, deadline=float("inf"))
        after = check(changed, solution_of(occ)).hard_total
        assert after <= before
        if not found.left:
            assert after == 0
        assert len(found.moved) <= 3 * len(hit)


def test_the_quick_pass_keeps_locked_sessions_where_they_are() -> None:
    inst, sol = small()
    faculty, day = busiest_day(inst, sol)
    changed = without_day(inst, faculty, day)
    carried = carry_over(changed, sol, ())
    occ, hit = hit_sessions(changed, carried)
    locked_index = min(hit)
    h = occ.sessions[locked_index]
    locked = {h.course.id: {h.start: h.room}}
    found = quick_repair(occ, hit, {}, locked, deadline=float("inf"))
    assert (occ.sessions[locked_index].start, occ.sessions[locked_index].room) == (h.start, h.room)
    assert locked_index in found.left


def test_lifting_and_putting_back_leaves_the_index_as_built() -> None:
    inst, sol = small()
    grid = inst.grid
    rows = [(a.course, a.session, grid.slot_index(a.slot), a.room) for a in sol.assignments]
    occ = Occupancy(inst, rows)
    for j in random.Random(2).sample(range(len(rows)), 20):
        h = occ.sessions[j]
        start, room = h.start, h.room
        occ.put(j, (start + 1) % grid.n_slots, None)
        occ.lift(j)
        occ.put(j, start, room)
    fresh = Occupancy(inst, rows)
    assert occ.conflicted() == fresh.conflicted()
    for key in fresh.at:
        assert {u: sorted(v) for u, v in occ.at[key].items() if v} == \
            {u: sorted(v) for u, v in fresh.at[key].items() if v}
    assert {r: {u: sorted(v) for u, v in m.items() if v} for r, m in occ.room_at.items()} == \
        {r: {u: sorted(v) for u, v in m.items() if v} for r, m in fresh.room_at.items()}
    assert CandidateIndex(inst, sol).query(rows[0][0], rows[0][1]).to_dict() is not None


def test_the_exact_room_matching_keeps_a_session_s_old_room() -> None:
    inst = tiny_instance(rooms=(Room(id="R1", capacity=60), Room(id="R2", capacity=60),
                                Room(id="LAB", capacity=30, type="lab")))
    domains = build_domains(inst)
    sessions = [("C1", 0), ("C2", 4)]
    placed, failed = _exact_day(inst, domains, sessions, 5.0, 1)
    assert not failed
    first = placed[("C1", 0)]
    other = next(r for r in ("R1", "R2") if r != first)
    kept, failed = _exact_day(inst, domains, sessions, 5.0, 1, keep={("C1", 0): other})
    assert not failed and kept[("C1", 0)] == other


def test_a_regenerated_department_keeps_every_lock_and_never_costs_more() -> None:
    inst, sol = small()
    dept = sorted({c.department for c in inst.courses if c.department})[0]
    mine = frozenset(c.id for c in inst.courses if c.department == dept)
    locks = tuple(Lock(course=a.course, session=a.session, day=a.day, period=a.period, room=a.room)
                  for a in sol.assignments if a.course not in mine)
    result = repair(inst, sol, locks, RepairOptions(time_limit=10, workers=1, regenerate=mine))
    assert result.solution is not None
    report = check(inst, result.solution)
    assert report.hard_total == 0
    assert broken_locks(inst, result.solution, locks) == []
    assert report.soft_cost <= check(inst, sol).soft_cost

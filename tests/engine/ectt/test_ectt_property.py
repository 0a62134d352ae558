"""Property tests: on random small CB-CTT instances and random timetables, the formulation scorer agrees with
a brute-force count written another way and with the native checker on the rules they share; and the
solver's claimed cost is the scorer's."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from timetabling.engine.checker import check
from timetabling.engine.ectt import FORMULATIONS, score, to_instance
from timetabling.engine.ectt.mapping import NOT_OPTIMISED, RULE_OF, lectures_of
from timetabling.engine.formats.ectt import EcttCourse, EcttCurriculum, EcttInstance, EcttRoom, Lecture
from timetabling.engine.model import Assignment, Solution
from timetabling.engine.solver import SolveOptions, solve


@st.composite
def instances_and_timetables(draw) -> tuple[EcttInstance, list[Lecture]]:
    n_days, n_periods = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    rooms = tuple(
        EcttRoom(f"r{i}", draw(st.integers(1, 40)), str(draw(st.integers(0, 1))))
        for i in range(draw(st.integers(1, 3)))
    )
    courses = []
    for i in range(draw(st.integers(1, 5))):
        lectures = draw(st.integers(1, 4))
        teacher = f"t{draw(st.integers(0, 2))}"
        students = draw(st.integers(0, 50))
        courses.append(
            EcttCourse(f"c{i}", teacher, lectures, draw(st.integers(0, lectures)), students, draw(st.booleans()))
        )
    ids = [c.id for c in courses]
    curricula = tuple(
        EcttCurriculum(f"q{j}", tuple(draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))))
        for j in range(draw(st.integers(0, 3)))
    )
    slots = [(d, p) for d in range(n_days) for p in range(n_periods)]
    unavailable = frozenset(draw(st.sets(st.tuples(st.sampled_from(ids), st.sampled_from(slots)), max_size=4)))
    room_ids = [r.id for r in rooms]
    lo = draw(st.integers(0, 2))
    inst = EcttInstance(
        name="random",
        n_days=n_days,
        n_periods=n_periods,
        courses=tuple(courses),
        rooms=rooms,
        curricula=curricula,
        unavailable=frozenset((c, d, p) for c, (d, p) in unavailable),
        room_constraints=frozenset(
            draw(st.sets(st.tuples(st.sampled_from(ids), st.sampled_from(room_ids)), max_size=3))
        ),
        min_daily=lo,
        max_daily=draw(st.integers(max(lo, 1), 3)),
    )
    lectures = []
    for c in courses:  # at most its lectures, at distinct periods
        placed = draw(st.lists(st.sampled_from(slots), max_size=c.lectures, unique=True))
        lectures += [Lecture(c.id, draw(st.sampled_from(room_ids)), d, p) for d, p in placed]
    return inst, lectures


def brute_force(inst: EcttInstance, lectures: list[Lecture]) -> dict[str, int]:
    """Every component counted period by period, curriculum by curriculum."""
    course = {c.id: c for c in inst.courses}
    capacity = {r.id: r for r in inst.rooms}
    where = {(x.course, x.day, x.period): x.room for x in lectures}
    out = Counter[str]()
    for c in inst.courses:
        mine = [x for x in lectures if x.course == c.id]
        out["Lectures"] += abs(len(mine) - c.lectures)
        out["MinWorkingDays"] += max(0, c.min_days - len({x.day for x in mine}))
        out["RoomStability"] += max(0, len({x.room for x in mine}) - 1)
    for i, a in enumerate(inst.courses):
        for b in inst.courses[i + 1 :]:
            if a.teacher == b.teacher or any(a.id in q.courses and b.id in q.courses for q in inst.curricula):
                out["Conflicts"] += sum(1 for (c, d, p) in where if c == a.id and (b.id, d, p) in where)
    for x in lectures:
        out["Availability"] += (x.course, x.day, x.period) in inst.unavailable
        out["RoomConstraints"] += (x.course, x.room) in inst.room_constraints
        out["RoomCapacity"] += max(0, course[x.course].students - capacity[x.room].capacity)
        same_room = [y for y in lectures if (y.room, y.day, y.period) == (x.room, x.day, x.period)]
        out["RoomOccupation"] += (len(same_room) - 1) / len(same_room)  # k - 1 shared among the k
        if course[x.course].double_lectures:
            that_day = [y for y in lectures if y.course == x.course and y.day == x.day]
            paired = any(y.room == x.room and abs(y.period - x.period) == 1 for y in that_day)
            out["DoubleLectures"] += len(that_day) > 1 and not paired
    for q in inst.curricula:
        for d in range(inst.n_days):
            count = [sum((c, d, p) in where for c in q.courses) for p in range(inst.n_periods)]
            busy = [p for p in range(inst.n_periods) if count[p]]
            n = sum(count)
            out["StudentLoad"] += max(0, n - inst.max_daily) + (max(0, inst.min_daily - n) if n else 0)
            if busy:
                out["CurriculumCompactness"] += sum(1 for p in range(busy[0], busy[-1] + 1) if not count[p])
            for p in busy:
                near = (p > 0 and count[p - 1]) or (p + 1 < inst.n_periods and count[p + 1])
                out["IsolatedLectures"] += 0 if near else count[p]
                if p + 1 < inst.n_periods and count[p + 1]:
                    here = {capacity[where[c, d, p]].building for c in q.courses if (c, d, p) in where}
                    there = {capacity[where[c, d, p + 1]].building for c in q.courses if (c, d, p + 1) in where}
                    out["TravelDistance"] += here != there or len(here) > 1
    return {k: round(v) for k, v in out.items()}


def native_solution(lectures: list[Lecture]) -> Solution:
    seen = Counter[str]()
    assignments = []
    for x in lectures:
        assignments.append(Assignment(course=x.course, session=seen[x.course], day=x.day, period=x.period, room=x.room))
        seen[x.course] += 1
    return Solution(instance="random", assignments=tuple(assignments))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances_and_timetables())
def test_the_scorer_agrees_with_a_brute_force_count_and_the_native_checker(case):
    inst, lectures = case
    counted = brute_force(inst, lectures)
    for f in FORMULATIONS.values():
        result = score(inst, lectures, f)
        for name, units in result.hard.items():
            assert units == counted.get(name, 0), (f.name, name)
        for name, cost in result.soft.items():
            assert cost == f.weights[name] * counted.get(name, 0), (f.name, name)
        native = to_instance(inst, f)
        report = check(native, native_solution(lectures))
        for name, cost in result.soft.items():
            if name in RULE_OF:
                assert report.soft_cost_by_rule.get(RULE_OF[name], 0) == cost, (f.name, name)


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances_and_timetables(), st.sampled_from(sorted(FORMULATIONS)))
def test_the_solvers_claimed_cost_is_the_scorers(case, which):
    inst, _ = case
    result = solve(to_instance(inst, which), SolveOptions(time_limit=5, workers=1, anneal=False, rooms="integrated"))
    if result.status != "optimal":
        return  # an instance the draw made infeasible, or one not proven in time: nothing claimed
    judged = score(inst, lectures_of(result.solution), which)
    assert judged.hard_total == 0
    not_optimised = sum(judged.soft.get(name, 0) for name in NOT_OPTIMISED)
    assert result.objective == judged.soft_cost - not_optimised

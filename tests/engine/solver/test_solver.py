"""The CP-SAT scheduler, always judged by the independent checker."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import tiny_instance
from timetabling.engine.checker import check
from timetabling.engine.model import Batch, Course, Faculty, Instance, Room, Rule, Slot, Student, TimeGrid
from timetabling.engine.solver import SolveOptions, solve


@pytest.mark.parametrize("rooms", ["integrated", "decomposed"])
def test_it_solves_the_builder_instance_with_zero_violations(rooms: str) -> None:
    inst = tiny_instance()
    result = solve(inst, SolveOptions(time_limit=10, workers=1, rooms=rooms))
    assert result.feasible
    report = check(inst, result.solution)
    assert report.hard_total == 0
    assert len(result.solution.assignments) == inst.n_sessions


def test_it_keeps_pinned_slots() -> None:
    base = tiny_instance()
    c1 = base.courses[0].model_copy(update={"fixed": (Slot(2, 3),)})
    inst = tiny_instance(courses=(c1, *base.courses[1:]))
    result = solve(inst, SolveOptions(time_limit=10, workers=1))
    placed = {(a.day, a.period) for a in result.solution.assignments if a.course == "C1"}
    assert (2, 3) in placed
    assert check(inst, result.solution).hard_total == 0


def test_it_keeps_students_apart_across_batches() -> None:
    # B1 and B2 share no course, but a student of B1 also takes B2's course E: E must not meet C1
    grid = TimeGrid.standard(n_days=1, n_periods=3, lunch_after=None)
    inst = Instance(
        grid=grid,
        faculty=(Faculty(id="F1"), Faculty(id="F2")),
        batches=(Batch(id="B1", size=1), Batch(id="B2", size=0)),
        rooms=(Room(id="R1", capacity=10), Room(id="R2", capacity=10)),
        courses=(
            Course(id="C1", faculty=("F1",), batches=("B1",), sessions_per_week=1),
            Course(id="E", faculty=("F2",), batches=("B2",), sessions_per_week=1),
        ),
        students=(Student(id="s1", batch="B1", courses=("E",)),),
    )
    result = solve(inst, SolveOptions(time_limit=10, workers=1))
    starts = {a.course: a.period for a in result.solution.assignments}
    assert starts["C1"] != starts["E"]
    assert check(inst, result.solution).hard[Rule.STUDENT_CLASH] == 0


def test_an_infeasible_instance_names_what_blocks_it() -> None:
    # F1 teaches 3 + 1 sessions but is free in one slot only
    free_once = frozenset(Slot(d, p) for d in range(5) for p in range(4)) - {Slot(0, 0)}
    inst = tiny_instance(faculty=(Faculty(id="F1", unavailable=free_once), Faculty(id="F2")))
    result = solve(inst, SolveOptions(time_limit=10, workers=1))
    assert result.status == "infeasible"
    assert result.solution is None
    text = "\n".join(result.explanation)
    assert "course C1" in text
    assert "[unscheduled]" in text


def test_an_infeasible_clash_core_names_the_faculty() -> None:
    # four one-session courses of one teacher on a grid of three slots
    grid = TimeGrid.standard(n_days=1, n_periods=3, lunch_after=None)
    courses = tuple(Course(id=f"C{i}", faculty=("F1",)) for i in range(4))
    inst = Instance(grid=grid, faculty=(Faculty(id="F1"),), courses=courses)
    result = solve(inst, SolveOptions(time_limit=10, workers=1))
    assert result.status == "infeasible"
    assert any("faculty F1" in line and "faculty_clash" in line for line in result.explanation)


def test_soft_preferences_are_met_when_possible() -> None:
    grid = TimeGrid.standard(n_days=2, n_periods=4, lunch_after=None)
    from timetabling.engine.model import PreferredSlot

    f = Faculty(id="F1", preferred=(PreferredSlot(day=1, period=2),))
    inst = Instance(grid=grid, faculty=(f,), courses=(Course(id="C", faculty=("F1",)),))
    result = solve(inst, SolveOptions(time_limit=10, workers=1))
    assert result.status == "optimal"
    (a,) = result.solution.assignments
    assert (a.day, a.period) == (1, 2)
    assert check(inst, result.solution).metrics["faculty_preference_pct"] == 100.0


@st.composite
def random_instances(draw) -> Instance:
    n_days = draw(st.integers(2, 4))
    n_periods = draw(st.integers(3, 6))
    lunch = draw(st.sampled_from([None, 1, 2]))
    grid = TimeGrid.standard(n_days=n_days, n_periods=n_periods, lunch_after=lunch)
    slots = [Slot(d, p) for d in range(n_days) for p in range(n_periods)]
    faculty = tuple(
        Faculty(id=f"F{i}", unavailable=frozenset(draw(st.lists(st.sampled_from(slots), max_size=3))))
        for i in range(draw(st.integers(1, 3)))
    )
    batches = tuple(Batch(id=f"B{i}", size=draw(st.integers(5, 30))) for i in range(draw(st.integers(1, 3))))
    rooms = (
        Room(id="R1", capacity=draw(st.integers(20, 80))),
        Room(id="R2", capacity=draw(st.integers(20, 80))),
        Room(id="LAB", capacity=60, type="lab"),
    )
    courses = []
    for i in range(draw(st.integers(1, 5))):
        lab = draw(st.booleans())
        courses.append(
            Course(
                id=f"C{i}",
                faculty=(draw(st.sampled_from(faculty)).id,),
                batches=tuple(sorted({draw(st.sampled_from(batches)).id})),
                sessions_per_week=1 if lab else draw(st.integers(1, 3)),
                session_length=2 if lab else 1,
                room_type="lab" if lab else "lecture",
            )
        )
    students = tuple(
        Student(id=f"S{i}", batch=draw(st.sampled_from(batches)).id,
                courses=tuple(sorted(set(draw(st.lists(st.sampled_from([c.id for c in courses]), max_size=2))))))
        for i in range(draw(st.integers(0, 4)))
    )
    return Instance(grid=grid, faculty=faculty, batches=batches, rooms=rooms, courses=tuple(courses), students=students)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_instances(), st.sampled_from(["integrated", "decomposed"]))
def test_any_timetable_the_solver_calls_feasible_has_zero_checker_violations(inst: Instance, rooms: str) -> None:
    result = solve(inst, SolveOptions(time_limit=5, workers=1, rooms=rooms))
    if result.feasible:
        assert check(inst, result.solution).hard_total == 0
    else:
        assert result.status == "infeasible"
        assert result.explanation


def test_it_keeps_a_batch_within_its_daily_load_when_the_rule_is_weighed() -> None:
    from timetabling.engine.model import Rules

    grid = TimeGrid.standard(n_days=3, n_periods=4, lunch_after=None)
    batch = Batch(id="B", size=10, min_per_day=2, max_per_day=2)
    courses = tuple(
        Course(id=f"C{i}", faculty=(f"F{i}",), batches=("B",), sessions_per_week=2, max_per_day=2) for i in range(2)
    )
    inst = Instance(
        grid=grid,
        faculty=(Faculty(id="F0"), Faculty(id="F1")),
        batches=(batch,),
        courses=courses,
        rooms=(Room(id="R", capacity=10),),
        rules=Rules(weights={Rule.BATCH_DAILY_LOAD: 5}),
    )
    result = solve(inst, SolveOptions(time_limit=10, workers=1, anneal=False))
    assert result.status == "optimal" and result.objective == 0
    report = check(inst, result.solution)
    assert report.soft[Rule.BATCH_DAILY_LOAD] == 0
    days = sorted(a.day for a in result.solution.assignments)
    assert all(days.count(d) in (0, 2) for d in range(3))


@pytest.mark.parametrize(("travel", "objective", "moves"), [(5, 5, 1), (30, 20, 0)])
def test_a_batch_changes_building_between_consecutive_periods_only_when_it_is_cheaper(travel, objective, moves):
    from timetabling.engine.model import ALWAYS_HARD, Rules

    grid = TimeGrid.standard(n_days=1, n_periods=2, lunch_after=None)
    courses = (
        Course(id="C1", faculty=("F1",), batches=("B",), room_features=frozenset({"north"})),
        Course(id="C2", faculty=("F2",), batches=("B",), size=30),  # in N: 20 students over capacity
    )
    rooms = (
        Room(id="N", capacity=10, building="north", features=frozenset({"north"})),
        Room(id="S", capacity=50, building="south"),
    )
    inst = Instance(
        grid=grid,
        faculty=(Faculty(id="F1"), Faculty(id="F2")),
        batches=(Batch(id="B", size=10),),
        courses=courses,
        rooms=rooms,
        rules=Rules(hard=ALWAYS_HARD, weights={Rule.BATCH_TRAVEL: travel, Rule.ROOM_CAPACITY: 1}),
    )
    result = solve(inst, SolveOptions(time_limit=10, workers=1, anneal=False, rooms="integrated"))
    assert result.status == "optimal" and result.objective == objective
    report = check(inst, result.solution)
    assert report.hard_total == 0 and report.soft.get(Rule.BATCH_TRAVEL, 0) == moves


def test_it_pairs_the_sessions_of_a_double_session_course_in_one_room() -> None:
    from timetabling.engine.model import ALWAYS_HARD, Rules

    grid = TimeGrid.standard(n_days=2, n_periods=3, lunch_after=None)
    course = Course(id="C", faculty=("F",), sessions_per_week=4, min_days=2, max_per_day=2, double_sessions=True)
    inst = Instance(
        grid=grid,
        faculty=(Faculty(id="F"),),
        courses=(course,),
        rooms=(Room(id="R1", capacity=10), Room(id="R2", capacity=10)),
        rules=Rules(hard=ALWAYS_HARD, weights={Rule.COURSE_DOUBLE_SESSIONS: 1, Rule.COURSE_MIN_DAYS: 5}),
    )
    result = solve(inst, SolveOptions(time_limit=10, workers=1, anneal=False, rooms="integrated"))
    assert result.status == "optimal" and result.objective == 0
    pairs = sorted((a.day, a.period, a.room) for a in result.solution.assignments)
    for first, second in (pairs[:2], pairs[2:]):
        assert first[0] == second[0] and second[1] == first[1] + 1 and first[2] == second[2]

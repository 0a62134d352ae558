"""Per soft rule: on a tiny hand-made timetable, the checker's exact penalty, the CP-SAT model's objective
with every variable fixed to that timetable, the annealing's count and the genetic fitness's rule terms agree."""

from __future__ import annotations

import numpy as np
import pytest
from ortools.sat.python import cp_model

from timetabling.engine.checker import check
from timetabling.engine.improve.anneal import AnnealConfig, Chain, Problem
from timetabling.engine.improve.genetic import Fitness, GAConfig
from timetabling.engine.model import (
    ALWAYS_HARD,
    DEFAULT_HARD,
    Assignment,
    Batch,
    Course,
    Faculty,
    Instance,
    PreferredSlot,
    Room,
    Rule,
    Rules,
    Solution,
    TimeGrid,
)
from timetabling.engine.solver import cpmodel
from timetabling.engine.timetable.board import board_from, layout
from timetabling.engine.timetable.domains import build_domains
from timetabling.engine.timetable.placed import from_solution

MON, TUE, WED = 0, 1, 2
P1, P2, P3, P4 = 0, 1, 2, 3  # lunch between P2 and P3


def build(courses: tuple[Course, ...], rule: Rule, weight: int, **overrides) -> Instance:
    """Three faculty, two batches, three lecture rooms and a lab on a 5 x 4 grid with lunch after P2; only
    ``rule`` is weighted (made soft when it is hard by default)."""
    data = dict(
        name="rule",
        grid=TimeGrid.standard(n_days=5, n_periods=4, lunch_after=1),
        faculty=(Faculty(id="F1"), Faculty(id="F2"), Faculty(id="F3")),
        batches=(Batch(id="B1", size=30), Batch(id="B2", size=20)),
        rooms=(Room(id="R1", capacity=60), Room(id="R2", capacity=60), Room(id="R3", capacity=60),
               Room(id="LAB", capacity=30, type="lab", features=frozenset({"pc"}))),
        courses=courses,
        rules=Rules(hard=DEFAULT_HARD - {rule}, weights={rule: weight}),
    )
    data.update(overrides)
    return Instance(**data)


def a(course: str, session: int, day: int, period: int, room: str = "R1") -> Assignment:
    return Assignment(course=course, session=session, day=day, period=period, room=room)


def cpsat_cost(inst: Instance, solution: Solution) -> int:
    """The CP-SAT model's objective with every start and room variable fixed to ``solution``."""
    tm = cpmodel.build(inst, build_domains(inst), with_rooms=True)
    placed = from_solution(inst, solution)
    used = {(c, t) for c, items in placed.items() for t, _ in items}
    rooms = {(c, t, r) for c, items in placed.items() for t, r in items}
    for key, x in tm.x.items():
        tm.model.Add(x == int(key in used))
    for key, y in tm.y.items():
        tm.model.Add(y == int(key in rooms))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    status = solver.Solve(tm.model)
    assert status == cp_model.OPTIMAL, solver.StatusName(status)
    return round(solver.ObjectiveValue()) if tm.model.HasObjective() else 0


def anneal_cost(inst: Instance, solution: Solution) -> tuple[int, int]:
    prob = Problem(inst)
    start, room = prob.state(solution)
    chain = Chain(prob, start, room, AnnealConfig(), seed=0)
    return chain.hard, chain.soft


def genetic_cost(inst: Instance, solution: Solution) -> int:
    lay = layout(inst)
    board = board_from(lay, from_solution(inst, solution))
    terms = Fitness(lay, inst.rules, GAConfig()).rule_terms(board.start[None, :], board.room[None, :])
    return int(sum(float(v[0]) for v in terms.values()))


def _cases() -> dict[Rule, tuple[Instance, Solution, int]]:
    """Per rule: an instance weighting only that rule, a timetable keeping every hard rule, its units."""
    lecture = dict(faculty=("F1",), batches=("B1",))
    cases: dict[Rule, tuple[Instance, Solution, int]] = {}
    courses = (Course(id="C1", sessions_per_week=3, min_days=3, max_per_day=3, **lecture),)
    cases[Rule.COURSE_MIN_DAYS] = (build(courses, Rule.COURSE_MIN_DAYS, 5),
                                   Solution(assignments=(a("C1", 0, MON, P1), a("C1", 1, MON, P2),
                                                         a("C1", 2, MON, P3))), 2)
    faculty = (Faculty(id="F1", preferred=(PreferredSlot(day=MON, period=P1), PreferredSlot(day=MON, period=P3))),
               Faculty(id="F2"), Faculty(id="F3"))
    courses = (Course(id="C1", faculty=("F1", "F2"), sessions_per_week=2),
               Course(id="L1", faculty=("F1",), session_length=2, room_type="lab"))
    cases[Rule.FACULTY_PREFERENCE] = (build(courses, Rule.FACULTY_PREFERENCE, 1, faculty=faculty),
                                      Solution(assignments=(a("C1", 0, MON, P1), a("C1", 1, TUE, P1),
                                                            a("L1", 0, MON, P3, "LAB"))), 2)
    courses = (Course(id="C1", sessions_per_week=2, max_per_day=2, **lecture),
               Course(id="C2", faculty=("F2",), batches=("B1", "B2")))
    cases[Rule.BATCH_IDLE] = (build(courses, Rule.BATCH_IDLE, 2),
                              Solution(assignments=(a("C1", 0, MON, P1), a("C1", 1, MON, P4),
                                                    a("C2", 0, TUE, P2))), 2)
    courses = (Course(id="C1", sessions_per_week=3, max_per_day=2, **lecture),
               Course(id="C2", faculty=("F2",), batches=("B1", "B2")))
    cases[Rule.ISOLATED_SESSION] = (build(courses, Rule.ISOLATED_SESSION, 2),
                                    Solution(assignments=(a("C1", 0, MON, P1), a("C2", 0, MON, P2, "R2"),
                                                          a("C1", 1, MON, P3), a("C1", 2, TUE, P1))), 3)
    courses = (Course(id="C1", faculty=("F1",), sessions_per_week=4),)
    cases[Rule.ROOM_STABILITY] = (build(courses, Rule.ROOM_STABILITY, 1),
                                  Solution(assignments=(a("C1", 0, MON, P1, "R1"), a("C1", 1, TUE, P1, "R2"),
                                                        a("C1", 2, WED, P1, "R1"), a("C1", 3, 3, P1, "R3"))), 2)
    batches = (Batch(id="B1", size=30, min_per_day=2, max_per_day=2), Batch(id="B2", size=20))
    courses = (Course(id="C1", sessions_per_week=3, max_per_day=3, **lecture),
               Course(id="C2", faculty=("F2",), batches=("B1", "B2")))
    cases[Rule.BATCH_DAILY_LOAD] = (build(courses, Rule.BATCH_DAILY_LOAD, 2, batches=batches),
                                    Solution(assignments=(a("C1", 0, MON, P1), a("C1", 1, MON, P2),
                                                          a("C2", 0, MON, P3, "R2"), a("C1", 2, TUE, P1))), 2)
    rooms = (Room(id="R1", capacity=60, building="North"), Room(id="R2", capacity=60, building="South"))
    courses = (Course(id="C1", sessions_per_week=3, max_per_day=3, **lecture),
               Course(id="C2", faculty=("F2",), batches=("B1",), sessions_per_week=2, max_per_day=2))
    cases[Rule.BATCH_TRAVEL] = (build(courses, Rule.BATCH_TRAVEL, 3, rooms=rooms),
                                Solution(assignments=(a("C1", 0, MON, P1, "R1"), a("C2", 0, MON, P2, "R2"),
                                                      a("C1", 1, MON, P3, "R1"), a("C2", 1, MON, P4, "R1"),
                                                      a("C1", 2, TUE, P1, "R2"))), 1)
    courses = (Course(id="C1", sessions_per_week=6, max_per_day=3, double_sessions=True, **lecture),)
    cases[Rule.COURSE_DOUBLE_SESSIONS] = (build(courses, Rule.COURSE_DOUBLE_SESSIONS, 1),
                                          Solution(assignments=(a("C1", 0, MON, P1), a("C1", 1, MON, P2),
                                                                a("C1", 2, TUE, P2), a("C1", 3, TUE, P3),
                                                                a("C1", 4, WED, P3), a("C1", 5, WED, P4, "R2"))), 4)
    courses = (Course(id="C1", sessions_per_week=2, avoid_rooms=frozenset({"R2"}), **lecture),)
    cases[Rule.ROOM_AVOIDED] = (build(courses, Rule.ROOM_AVOIDED, 3),
                                Solution(assignments=(a("C1", 0, MON, P1, "R2"), a("C1", 1, TUE, P1))), 1)
    rooms = (Room(id="R1", capacity=25), Room(id="R2", capacity=60))
    courses = (Course(id="C1", sessions_per_week=2, **lecture),)  # B1: 30 students
    cases[Rule.ROOM_CAPACITY] = (build(courses, Rule.ROOM_CAPACITY, 1, rooms=rooms),
                                 Solution(assignments=(a("C1", 0, MON, P1, "R1"), a("C1", 1, TUE, P1, "R2"))), 5)
    courses = (Course(id="C1", sessions_per_week=3, max_per_day=1, **lecture),)
    cases[Rule.COURSE_MAX_PER_DAY] = (build(courses, Rule.COURSE_MAX_PER_DAY, 4),
                                      Solution(assignments=(a("C1", 0, MON, P1), a("C1", 1, MON, P2),
                                                            a("C1", 2, MON, P3))), 2)
    courses = (Course(id="C1", sessions_per_week=3, max_per_day=3, **lecture),)
    three = Solution(assignments=(a("C1", 0, MON, P1), a("C1", 1, MON, P2), a("C1", 2, MON, P3)))
    short_days = (Faculty(id="F1", max_hours_per_day=2), Faculty(id="F2"), Faculty(id="F3"))
    cases[Rule.FACULTY_DAILY_HOURS] = (build(courses, Rule.FACULTY_DAILY_HOURS, 2, faculty=short_days), three, 1)
    short_runs = (Faculty(id="F1", max_consecutive=1), Faculty(id="F2"), Faculty(id="F3"))  # lunch ends a run
    cases[Rule.FACULTY_CONSECUTIVE] = (build(courses, Rule.FACULTY_CONSECUTIVE, 3, faculty=short_runs), three, 1)
    return cases


CASES = _cases()


def test_every_soft_rule_of_the_catalogue_has_a_case() -> None:
    soft_capable = set(Rule) - ALWAYS_HARD
    # weekly hours: a constant under every move, so neither local search counts it (see engine/rules.py)
    assert soft_capable - set(CASES) == {Rule.FACULTY_WEEKLY_HOURS}


@pytest.mark.parametrize("rule", list(CASES), ids=str)
def test_checker_cpsat_annealing_and_fitness_agree(rule: Rule) -> None:
    inst, solution, units = CASES[rule]
    weight = inst.rules.weight(rule)
    report = check(inst, solution)
    assert report.hard_total == 0, report.offenders
    assert report.soft[rule] == units
    assert report.soft_cost == weight * units > 0
    assert cpsat_cost(inst, solution) == report.soft_cost
    assert anneal_cost(inst, solution) == (0, report.soft_cost)
    assert genetic_cost(inst, solution) == report.soft_cost


def test_a_hard_avoided_room_is_never_a_choice_of_the_annealing() -> None:
    courses = (Course(id="C1", faculty=("F1",), batches=("B1",), sessions_per_week=2, avoid_rooms=frozenset({"R2"})),)
    inst = build(courses, Rule.ROOM_AVOIDED, 1)
    inst = inst.model_copy(update={"rules": Rules(hard=DEFAULT_HARD | {Rule.ROOM_AVOIDED}, weights={})})
    prob = Problem(inst)
    r2 = prob.lay.room_ids.index("R2")
    assert r2 not in prob.sessions.room_list and not prob.sessions.allowed_room[:, r2].any()
    inside = Solution(assignments=(a("C1", 0, MON, P1, "R2"), a("C1", 1, TUE, P1)))
    assert check(inst, inside).hard[Rule.ROOM_AVOIDED] == 1
    assert prob.state(inside) is None  # the annealing does not start from it
    assert prob.state(Solution(assignments=(a("C1", 0, MON, P1, "R3"), a("C1", 1, TUE, P1)))) is not None


def test_the_annealing_counts_double_sessions_move_by_move() -> None:
    """A walk on a week of double-session courses: the incremental count equals a fresh one after every chunk,
    and the best timetable's cost equals the checker's."""
    courses = tuple(Course(id=f"C{k}", faculty=(f"F{k}",), sessions_per_week=4, max_per_day=4, double_sessions=True)
                    for k in range(4))
    inst = build(courses, Rule.COURSE_DOUBLE_SESSIONS, 2, faculty=tuple(Faculty(id=f"F{k}") for k in range(4)),
                 rooms=tuple(Room(id=f"R{k}", capacity=60) for k in range(4)))
    # each course: two sessions apart on its day, two split by lunch the next day: 4 unpaired
    solution = Solution(assignments=tuple(a(f"C{k}", s, k + s // 2, (P1, P4, P2, P3)[s], f"R{k}")
                                          for k in range(4) for s in range(4)))
    report = check(inst, solution)
    assert report.hard_total == 0 and report.soft[Rule.COURSE_DOUBLE_SESSIONS] == 16
    prob = Problem(inst)
    start, room = prob.state(solution)
    chain = Chain(prob, start, room, AnnealConfig(kempe=0.3), seed=1)
    assert (chain.hard, chain.soft) == (0, 32)
    for temperature in (20.0, 2.0, 0.2):
        chain.step(5_000, temperature)
        fresh = Chain(prob, chain.start, chain.room, chain.cfg, seed=0)
        assert (chain.hard, chain.soft) == (fresh.hard, fresh.soft)
        assert np.array_equal(chain.dd, fresh.dd)
    best = prob.solution(chain.best_start, chain.best_room, {})
    assert check(inst, best).hard_total == 0
    assert check(inst, best).soft_cost == chain.best_cost < 32

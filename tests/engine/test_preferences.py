"""Graded faculty preferences (format 1.1): the one penalty table, what each consumer makes of it, the
lower bound on the soft cost, and reading old files."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from timetabling.engine.bounds import lower_bound
from timetabling.engine.checker import check
from timetabling.engine.checker.metrics import faculty_preference_bound_pct
from timetabling.engine.errors import InputError
from timetabling.engine.formats.native import dump, load_instance
from timetabling.engine.generator import generate_university
from timetabling.engine.improve.anneal import AnnealConfig, Chain, Problem
from timetabling.engine.improve.genetic import Fitness, GAConfig, mutate
from timetabling.engine.model import (
    FORMAT_VERSION,
    PREFERENCE_UNITS,
    Assignment,
    Batch,
    Course,
    Faculty,
    Instance,
    PreferenceLevel,
    PreferredSlot,
    Room,
    Rule,
    Rules,
    Slot,
    SlotPreference,
    Solution,
    TimeGrid,
)
from timetabling.engine.repair.candidates import CandidateIndex
from timetabling.engine.solver import SolveOptions, solve
from timetabling.engine.timetable.board import board_from, layout
from timetabling.engine.timetable.placed import from_solution

L = PreferenceLevel
GRID = TimeGrid.standard(n_days=2, n_periods=4, lunch_after=None)
ONLY_PREFERENCES = Rules(weights={Rule.FACULTY_PREFERENCE: 3})


def pref(day: int, period: int, level: PreferenceLevel) -> SlotPreference:
    return SlotPreference(day=day, period=period, level=level)


# Mon P1..P4 and Tue P1..P2 at every level but prohibited; Tue P3 prohibited; Tue P4 unstated (neutral)
EVERY_LEVEL = (
    pref(0, 0, L.STRONGLY_PREFERRED), pref(0, 1, L.PREFERRED), pref(0, 2, L.NEUTRAL),
    pref(0, 3, L.DISCOURAGED), pref(1, 0, L.STRONGLY_DISCOURAGED), pref(1, 2, L.PROHIBITED),
)


def one_teacher(*preferences: SlotPreference, sessions: int = 1, **faculty) -> Instance:
    f = Faculty(id="F1", preferences=preferences, **faculty)
    courses = (Course(id="C0", faculty=("F1",), sessions_per_week=sessions, max_per_day=4),)
    return Instance(grid=GRID, faculty=(f,), courses=courses, rooms=(Room(id="R1", capacity=10),),
                    rules=ONLY_PREFERENCES)


def at(inst: Instance, *slots: tuple[int, int]) -> Solution:
    return Solution(assignments=tuple(Assignment(course="C0", session=k, day=d, period=p, room="R1")
                                      for k, (d, p) in enumerate(slots)))


# ------------------------------------------------------------------------------------- the table


def test_each_level_costs_its_units_above_the_best_stated_level():
    inst = one_teacher(*EVERY_LEVEL)
    row = inst.preference_row("F1")
    assert row.tolist() == [0, 1, 2, 4, 8, 2, 8, 2]  # best: strongly preferred (0 units)
    assert PREFERENCE_UNITS[L.NEUTRAL] == 2


@pytest.mark.parametrize(
    ("slot", "units"),
    [((0, 0), 0), ((0, 1), 1), ((0, 2), 2), ((0, 3), 4), ((1, 0), 8), ((1, 1), 2), ((1, 3), 2)],
)
def test_the_checker_counts_exactly_the_units_of_the_level(slot, units):
    inst = one_teacher(*EVERY_LEVEL)
    report = check(inst, at(inst, slot))
    assert report.hard_total == 0
    assert report.soft_cost_by_rule.get(Rule.FACULTY_PREFERENCE, 0) == 3 * units
    if units:
        assert report.offenders[Rule.FACULTY_PREFERENCE] == [f"faculty F1: C0#0 costs {units} at "
                                                             f"{_level_at(inst, slot)} slot(s)"]


def _level_at(inst: Instance, slot: tuple[int, int]) -> str:
    return str(inst.faculty[0].levels().get(Slot(*slot), "neutral"))


def test_only_dislikes_cost_relative_to_neutral():
    inst = one_teacher(pref(0, 0, L.DISCOURAGED), pref(0, 1, L.STRONGLY_DISCOURAGED))
    assert inst.preference_row("F1").tolist() == [2, 6, 0, 0, 0, 0, 0, 0]


def test_the_old_preferred_list_costs_one_per_period_outside_it():
    f = Faculty(id="F1", preferred=(PreferredSlot(day=0, period=1),))
    inst = Instance(grid=GRID, faculty=(f, Faculty(id="F2")), courses=(Course(id="C0", faculty=("F1", "F2")),))
    assert inst.preference_row("F1").tolist() == [1, 0, 1, 1, 1, 1, 1, 1]
    assert inst.preference_row("F2") is None  # no preferences: nothing to pay
    report = check(inst, Solution(assignments=(Assignment(course="C0", session=0, day=1, period=3),)))
    assert report.soft_cost_by_rule[Rule.FACULTY_PREFERENCE] == 1
    assert report.offenders[Rule.FACULTY_PREFERENCE] == ["faculty F1: C0#0 has 1 period(s) outside preferences"]


def test_a_graded_level_overrides_the_old_preferred_list():
    f = Faculty(id="F1", preferred=(PreferredSlot(day=0, period=1),), preferences=(pref(0, 1, L.DISCOURAGED),))
    assert f.levels() == {Slot(0, 1): L.DISCOURAGED}


# ------------------------------------------------------------------------------------ prohibited


def test_prohibited_is_unavailable_and_a_hard_violation():
    inst = one_teacher(*EVERY_LEVEL)
    assert Slot(1, 2) in inst.faculty[0].unavailable
    report = check(inst, at(inst, (1, 2)))
    assert report.hard[Rule.UNAVAILABLE] == 1


def test_the_solver_never_uses_a_prohibited_slot():
    prohibited = tuple(pref(d, p, L.PROHIBITED) for d in range(2) for p in range(4) if (d, p) != (1, 3))
    inst = one_teacher(*prohibited)
    result = solve(inst, SolveOptions(time_limit=20, workers=1, anneal=False, lns=False))
    assert result.status == "optimal"
    (a,) = result.solution.assignments
    assert (a.day, a.period) == (1, 3)
    assert check(inst, result.solution).hard_total == 0


# ------------------------------------------------------------------------------------- consumers


def _graded_university() -> Instance:
    inst = generate_university("tiny", seed=4)
    assert any(f.preferences for f in inst.faculty)
    return inst.model_copy(update={"rules": Rules(weights={Rule.FACULTY_PREFERENCE: 3, Rule.COURSE_MIN_DAYS: 5})})


@pytest.fixture(scope="module")
def graded() -> tuple[Instance, Solution]:
    inst = _graded_university()
    result = solve(inst, SolveOptions(time_limit=60, workers=1, anneal=False, lns=False, rooms="integrated"))
    assert result.feasible, result.explanation
    return inst, result


def test_the_cpsat_objective_is_the_checkers_soft_cost(graded):
    inst, result = graded
    report = check(inst, result.solution)
    assert report.hard_total == 0
    assert result.objective == report.soft_cost
    assert report.soft_cost >= lower_bound(inst).value


def test_the_annealing_cost_is_the_checkers_on_graded_preferences(graded):
    inst, result = graded
    prob = Problem(inst)
    start, room = prob.state(result.solution)
    chain = Chain(prob, start, room, AnnealConfig(), seed=3)
    assert chain.soft == check(inst, result.solution).soft_cost
    chain.step(2_000, 20.0)  # somewhere else, clashes allowed
    moved = prob.solution(chain.start, chain.room, {})
    assert chain.moves > 0
    assert chain.soft == check(inst, moved).soft_cost


def test_the_genetic_fitness_is_the_checkers_on_graded_preferences(graded):
    inst, result = graded
    lay = layout(inst)
    board = board_from(lay, from_solution(inst, result.solution))
    mutate(board, np.random.default_rng(5), 100)
    terms = Fitness(lay, inst.rules, GAConfig()).terms(board.start[None, :], board.room[None, :])
    report = check(inst, board.solution())
    assert float(terms["faculty_preference"][0]) == report.soft_cost_by_rule[Rule.FACULTY_PREFERENCE] > 0


def test_repair_candidates_price_each_slot_as_the_checker_does():
    inst = one_teacher(*EVERY_LEVEL)
    here = at(inst, (0, 2))
    before = check(inst, here).soft_cost
    options = CandidateIndex(inst, here).query("C0", 0, swaps=False).slots
    assert len(options) == inst.grid.n_slots
    for option in options:
        moved = check(inst, at(inst, (option.day, option.period)))
        assert option.soft_delta == moved.soft_cost - before, (option.day, option.period)


# ---------------------------------------------------------------------------------------- bounds


def _optimum(inst: Instance) -> int:
    result = solve(inst, SolveOptions(time_limit=30, workers=1, anneal=False, lns=False, rooms="integrated"))
    assert result.status == "optimal", result.status
    return check(inst, result.solution).soft_cost


def test_the_bound_is_the_optimum_for_one_teacher():
    # three periods: strongly preferred (0), preferred (1), then neutral (2) at best; max 2 a day is no obstacle
    inst = one_teacher(*EVERY_LEVEL, sessions=3)
    bound = lower_bound(inst)
    assert bound.value == 3 * (0 + 1 + 2) == _optimum(inst)
    assert bound.known and bound.by_rule == {"faculty_preference": 9}


def test_the_bound_keeps_the_daily_hours_when_they_are_hard():
    # Mon is preferred, Tue neutral (1 unit more); at most 2 periods a day: 2 of the 4 periods pay 1 each
    liked = tuple(pref(0, p, L.PREFERRED) for p in range(4))
    inst = one_teacher(*liked, sessions=4, max_hours_per_day=2)
    assert lower_bound(inst).value == 3 * 2 * 1 == _optimum(inst)
    soft = inst.model_copy(update={"rules": Rules(hard=inst.rules.hard - {Rule.FACULTY_DAILY_HOURS},
                                                  weights=dict(inst.rules.weights))})
    assert lower_bound(soft).value == 0


def test_the_bound_counts_course_days_that_cannot_be_reached():
    f = Faculty(id="F1", unavailable=frozenset(Slot(1, p) for p in range(4)))
    course = Course(id="C0", faculty=("F1",), sessions_per_week=2, min_days=2, max_per_day=2)
    inst = Instance(grid=GRID, faculty=(f,), courses=(course,), rooms=(Room(id="R1", capacity=10),),
                    rules=Rules(weights={Rule.COURSE_MIN_DAYS: 5}))
    bound = lower_bound(inst)
    assert bound.by_rule == {"course_min_days": 5} and bound.value == 5 == _optimum(inst)
    assert "course spread 5" in bound.basis


def test_no_bound_known_is_said_so():
    inst = one_teacher()  # nobody states a preference
    idle = inst.model_copy(update={"rules": Rules(weights={Rule.BATCH_IDLE: 2})})
    bound = lower_bound(idle)
    assert (bound.value, bound.known) == (0, False)
    assert bound.basis.startswith("no lower bound known")
    assert bound.gap_pct(10) is None
    assert lower_bound(inst.model_copy(update={"rules": Rules(weights={})})).known


@pytest.mark.parametrize("seed", range(6))
def test_the_bound_never_exceeds_the_optimum(seed):
    rng = random.Random(seed)
    levels = [lv for lv in L if lv != L.PROHIBITED]
    faculty = tuple(
        Faculty(id=f"F{i}", max_hours_per_day=rng.choice((2, 3, 4)), preferences=tuple(
            pref(d, p, rng.choice(levels)) for d in range(2) for p in range(4) if rng.random() < 0.6))
        for i in range(3)
    )
    courses = tuple(
        Course(id=f"C{k}", faculty=(f"F{k % 3}",), batches=(f"B{k % 2}",), sessions_per_week=rng.randint(1, 2),
               min_days=1)
        for k in range(5)
    )
    inst = Instance(grid=GRID, faculty=faculty, courses=courses,
                    batches=(Batch(id="B0", size=10), Batch(id="B1", size=10)),
                    rooms=(Room(id="R1", capacity=20), Room(id="R2", capacity=20)),
                    rules=Rules(weights={Rule.FACULTY_PREFERENCE: 2, Rule.COURSE_MIN_DAYS: 5}))
    assert lower_bound(inst).value <= _optimum(inst)


def test_the_metrics_show_the_share_against_its_bound():
    # liked: Mon P1 (strongly) and Mon P2; three periods: at most 2 of 3 in liked slots
    inst = one_teacher(pref(0, 0, L.STRONGLY_PREFERRED), pref(0, 1, L.PREFERRED), sessions=3)
    assert faculty_preference_bound_pct(inst) == pytest.approx(200 / 3)
    m = check(inst, at(inst, (0, 0), (1, 0), (1, 1))).metrics
    assert m["faculty_preference_pct"] == pytest.approx(100 / 3)
    assert m["faculty_preference_bound_pct"] == pytest.approx(200 / 3)
    assert m["faculty_preference_of_bound_pct"] == pytest.approx(50.0)
    # paid 0 + 2 + 2, the least possible 0 + 1 + 2
    assert m["faculty_preference_cost_of_bound_pct"] == pytest.approx(75.0)


# ----------------------------------------------------------------------------------------- files


def test_a_format_1_0_file_is_read_and_written_as_1_1(tmp_path: Path):
    data = {"format_version": "1.0", "grid": json.loads(GRID.model_dump_json()),
            "faculty": [{"id": "F1", "preferred": [{"day": 0, "period": 1, "weight": 3}]}],
            "courses": [{"id": "C0", "faculty": ["F1"]}]}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    inst = load_instance(path)
    assert inst.format_version == "1.0"
    assert inst.preference_row("F1").tolist() == [1, 0, 1, 1, 1, 1, 1, 1]
    written = json.loads(dump(inst))
    assert written["format_version"] == FORMAT_VERSION == "1.1"
    assert written["faculty"][0]["preferred"] == [{"day": 0, "period": 1, "weight": 3}]


def test_graded_preferences_survive_a_round_trip(tmp_path: Path):
    inst = one_teacher(*EVERY_LEVEL)
    path = tmp_path / "graded.json"
    path.write_text(dump(inst), encoding="utf-8")
    again = load_instance(path)
    assert again.faculty[0].preferences == inst.faculty[0].preferences
    assert np.array_equal(again.preference_penalty, inst.preference_penalty)


def _problems(tmp_path: Path, faculty: dict) -> list[str]:
    data = json.loads(dump(one_teacher()))
    data["faculty"][0].update(faculty)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_instance(path)
    return err.value.problems


def test_a_bad_level_names_its_path(tmp_path: Path):
    problems = _problems(tmp_path, {"preferences": [{"day": 0, "period": 0, "level": "preferred"},
                                                    {"day": 0, "period": 1, "level": "loved"}]})
    assert len(problems) == 1
    assert problems[0].startswith("faculty[0].preferences[1].level: Input should be 'prohibited'")
    assert "(got 'loved')" in problems[0]


def test_a_slot_outside_the_grid_or_given_twice_names_its_path(tmp_path: Path):
    problems = _problems(tmp_path, {"preferences": [{"day": 0, "period": 0, "level": "preferred"},
                                                    {"day": 0, "period": 0, "level": "discouraged"},
                                                    {"day": 5, "period": 0, "level": "discouraged"}]})
    assert problems == [
        "faculty[0].preferences[1]: slot [0, 0] already has a level (preferences[0])",
        "faculty[0].preferences[2]: slot [5, 0] is outside the grid (2 days x 4 periods)",
    ]

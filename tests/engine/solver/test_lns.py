"""The model's penalties are exact (objective == checker's soft cost) and the neighbourhood search keeps its word."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from ortools.sat.python import cp_model

from timetabling.engine.checker import check
from timetabling.engine.formats.itc2007 import read_ctt, read_itc_solution
from timetabling.engine.generator import generate_university
from timetabling.engine.model import Instance, Solution
from timetabling.engine.solver import SolveOptions, solve
from timetabling.engine.solver.cpmodel import TimeModel, build
from timetabling.engine.solver.lns import greedy_rooms, search
from timetabling.engine.timetable.domains import build_domains

REFERENCE_COSTS = {"comp01": 5, "comp02": 36, "comp03": 66, "comp04": 37, "comp05": 305, "comp06": 40, "comp07": 14}



def model_of(instance: Instance) -> TimeModel:
    return build(instance, build_domains(instance), with_rooms=True)


def objective_of(tm: TimeModel, solution: Solution) -> float:
    """The model's objective with every time and room choice fixed to ``solution``."""
    grid = tm.instance.grid
    chosen = {(a.course, grid.slot_index(a.slot)) for a in solution.assignments}
    rooms = {(a.course, grid.slot_index(a.slot), a.room) for a in solution.assignments}
    for key, v in tm.x.items():
        tm.model.Add(v == int(key in chosen))
    for key, v in tm.y.items():
        tm.model.Add(v == int(key in rooms))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 60
    assert solver.Solve(tm.model) == cp_model.OPTIMAL
    return solver.ObjectiveValue()


def reference(bench: Path, name: str) -> tuple[Instance, Solution]:
    instance = read_ctt(bench / "instances" / f"{name}.ctt")
    return instance, read_itc_solution(bench / "solutions" / f"{name}.sol", instance)


@pytest.mark.parametrize("name", ["comp01", "comp05"])
def test_the_model_objective_of_a_reference_solution_is_its_official_cost(bench, name):
    instance, solution = reference(bench, name)
    assert objective_of(model_of(instance), solution) == REFERENCE_COSTS[name] == check(instance, solution).soft_cost


@pytest.mark.slow
@pytest.mark.parametrize("name", ["comp02", "comp03", "comp04", "comp06", "comp07"])
def test_the_model_objective_of_every_reference_solution_is_its_official_cost(bench, name):
    instance, solution = reference(bench, name)
    assert objective_of(model_of(instance), solution) == REFERENCE_COSTS[name]


def test_the_search_leaves_the_model_as_it_found_it(bench):
    instance = read_ctt(bench / "instances" / "toy.ctt")
    tm = model_of(instance)
    before = [list(v.domain) for v in tm.model.Proto().variables]
    found = search(tm, deadline=time.perf_counter() + 3, threads=1)
    assert [list(v.domain) for v in tm.model.Proto().variables] == before
    assert found.values is not None and len(found.values) == len(before)
    assert found.objective is not None and found.objective >= 0


def test_solve_with_the_search_returns_a_feasible_timetable_whose_cost_the_checker_confirms(bench):
    instance = read_ctt(bench / "instances" / "comp01.ctt")
    result = solve(instance, SolveOptions(time_limit=8, workers=2, lns=True))
    report = check(instance, result.solution)
    assert result.status in ("feasible", "optimal")
    assert report.hard_total == 0
    assert result.objective == report.soft_cost
    assert result.bound == 0.0 or result.bound <= result.objective
    assert result.stats["first_solution_s"] is not None


def test_solve_with_the_search_on_a_native_instance_keeps_every_hard_rule():
    instance = generate_university("tiny", seed=3)
    result = solve(instance, SolveOptions(time_limit=6, workers=2, lns=True))
    assert result.feasible
    report = check(instance, result.solution)
    assert report.hard_total == 0
    assert result.objective == report.soft_cost


def test_a_cancelled_search_stops_without_neighbourhood_rounds(bench):
    class Cancelled:
        cancelled = True

    instance = read_ctt(bench / "instances" / "comp01.ctt")
    result = solve(instance, SolveOptions(time_limit=30, workers=1, lns=True, cancel=Cancelled()))
    assert result.stats.get("lns_rounds", 0) == 0


def test_without_optimising_the_search_is_not_used(bench):
    instance = read_ctt(bench / "instances" / "toy.ctt")
    result = solve(instance, SolveOptions(time_limit=10, workers=1, optimize=False, lns=True))
    assert result.feasible
    assert "lns_rounds" not in result.stats


def test_greedy_rooms_give_every_session_one_room_with_no_clash(bench):
    instance, solution = reference(bench, "comp01")
    tm = model_of(instance)
    grid = instance.grid
    chosen = {(a.course, grid.slot_index(a.slot)) for a in solution.assignments}
    values = [0] * len(tm.model.Proto().variables)  # the reference's times, no rooms yet
    for key, v in tm.x.items():
        values[v.Index()] = int(key in chosen)
    rooms = greedy_rooms(tm, values)
    assert rooms is not None
    held = [(c, t, r) for (c, t, r), v in tm.y.items() if rooms[v.Index()]]
    assert sorted((c, t) for c, t, _r in held) == sorted(chosen)
    assert len({(r, t) for _c, t, r in held}) == len(held)  # no room holds two sessions at once
    by_start = {(a.course, grid.slot_index(a.slot)): a for a in solution.assignments}
    regreedy = Solution(
        instance=instance.name,
        assignments=tuple(by_start[c, t].model_copy(update={"room": r}) for c, t, r in held),
    )
    report = check(instance, regreedy)
    assert report.hard_total == 0
    assert objective_of(tm, regreedy) == report.soft_cost


def test_by_default_a_small_model_is_solved_by_cp_sat_alone_and_proved_optimal(bench):
    instance = read_ctt(bench / "instances" / "toy.ctt")
    result = solve(instance, SolveOptions(time_limit=30, workers=2))
    assert "lns_rounds" not in result.stats
    assert result.status == "optimal"

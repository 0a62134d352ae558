"""The annealing search keeps exact incremental costs, keeps only clash-free bests, and serves solve()."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from timetabling.engine.checker import check
from timetabling.engine.formats.itc2007 import read_ctt
from timetabling.engine.generator import generate_university
from timetabling.engine.improve.anneal import AnnealConfig, Chain, Problem, anneal, cycles
from timetabling.engine.model import DEFAULT_HARD, Instance, Rule, Rules, Slot
from timetabling.engine.solver import SolveOptions, solve


def _every_rule_soft(instance: Instance) -> Instance:
    """``instance`` with every soft rule on and the hard-by-default rules that may be soft made soft."""
    softened = {Rule.ROOM_CAPACITY, Rule.FACULTY_DAILY_HOURS, Rule.FACULTY_CONSECUTIVE, Rule.COURSE_MAX_PER_DAY}
    weights = {Rule.COURSE_MIN_DAYS: 5, Rule.FACULTY_PREFERENCE: 1, Rule.BATCH_IDLE: 2, Rule.ISOLATED_SESSION: 2,
               Rule.ROOM_STABILITY: 1, Rule.ROOM_CAPACITY: 1, Rule.FACULTY_DAILY_HOURS: 3,
               Rule.FACULTY_CONSECUTIVE: 4, Rule.COURSE_MAX_PER_DAY: 6}
    return instance.model_copy(update={"rules": Rules(hard=DEFAULT_HARD - softened, weights=weights)})


def _first(instance: Instance):
    # the search stops at its first timetable (about 3 s for "small" here); the limit is only a ceiling, generous so
    # that a loaded CI machine does not turn a slow start into a failure
    result = solve(instance, SolveOptions(time_limit=120, workers=1, optimize=False, anneal=False))
    assert result.feasible, result.explanation
    return result.solution


@functools.cache
def _soft_university(profile: str):
    """A generated university with every rule soft and its first timetable, built once per profile."""
    instance = _every_rule_soft(generate_university(profile, seed=3))
    return instance, _first(instance)


def _assert_counters_exact(prob: Problem, chain: Chain) -> None:
    fresh = Chain(prob, chain.start, chain.room, chain.cfg, seed=0)
    assert (chain.hard, chain.soft) == (fresh.hard, fresh.soft)
    assert np.array_equal(chain.occ, fresh.occ) and np.array_equal(chain.rocc, fresh.rocc)
    assert np.array_equal(chain.rd_soft, fresh.rd_soft) and np.array_equal(chain.rd_hard, fresh.rd_hard)
    assert np.array_equal(chain.cday, fresh.cday) and np.array_equal(chain.croom, fresh.croom)


@pytest.mark.parametrize(("profile", "kempe"), [("tiny", 0.0), ("small", 0.0), ("small", 0.5)])
def test_incremental_costs_equal_a_fresh_count_and_the_checker(profile: str, kempe: float) -> None:
    instance, solution = _soft_university(profile)
    prob = Problem(instance)
    start, room = prob.state(solution)
    chain = Chain(prob, start, room, AnnealConfig(kempe=kempe), seed=1)
    report = check(instance, solution)
    assert (chain.hard, chain.soft) == (report.hard_total, report.soft_cost)
    for temperature in (50.0, 5.0, 0.5):  # hot walks make clashes; cooler ones leave them
        chain.step(3_000, temperature)
        _assert_counters_exact(prob, chain)
    assert chain.moves > 0 and chain.accepted > 0
    assert (chain.kempe_accepted > 0) == (kempe > 0)
    best = prob.solution(chain.best_start, chain.best_room, {})
    best_report = check(instance, best)
    assert best_report.hard_total == 0
    assert best_report.soft_cost == chain.best_cost <= report.soft_cost


def test_itc_costs_are_the_official_ones(bench: Path) -> None:
    instance = read_ctt(bench / "instances" / "comp01.ctt")
    solution = _first(instance)
    result = anneal(instance, solution, 3.0, seed=2)
    report = check(instance, result.solution)
    assert report.hard_total == 0
    assert report.soft_cost == result.cost < result.first_cost == check(instance, solution).soft_cost
    assert result.moves > 10_000


def test_fixed_sessions_stay_where_they_are() -> None:
    base = generate_university("tiny", seed=1)
    course = base.courses[0]
    first = _first(base)
    pinned = next(a for a in first.assignments if a.course == course.id)
    fixed = base.model_copy(update={"courses": (
        course.model_copy(update={"fixed": (Slot(pinned.day, pinned.period),)}), *base.courses[1:])})
    fixed = Instance.model_validate(fixed.model_dump())
    result = anneal(fixed, first, 1.5, seed=0, config=AnnealConfig(t_start=50.0, t_end=10.0))
    slots = {(a.day, a.period) for a in result.solution.assignments if a.course == course.id}
    assert (pinned.day, pinned.period) in slots
    assert check(fixed, result.solution).hard_total == 0


def test_incomplete_timetable_is_not_annealed() -> None:
    instance = generate_university("tiny", seed=1)
    first = _first(instance)
    partial = first.model_copy(update={"assignments": first.assignments[1:]})
    result = anneal(instance, partial, 1.0)
    assert result.solution is None and result.moves == 0


def test_solve_anneals_and_the_checker_agrees(bench: Path) -> None:
    instance = read_ctt(bench / "instances" / "comp01.ctt")
    events = []
    result = solve(instance, SolveOptions(time_limit=8, workers=2, progress=events.append))
    report = check(instance, result.solution)
    assert result.feasible and report.hard_total == 0
    assert result.stats["anneal_moves"] > 0
    assert report.soft_cost <= result.stats["anneal_cost"]
    assert any("annealing" in e.message for e in events)
    plain = solve(instance, SolveOptions(time_limit=8, workers=2, anneal=False))
    assert "anneal_moves" not in plain.stats


def test_solve_without_soft_rules_does_not_anneal() -> None:
    instance = generate_university("tiny", seed=1)
    hard_only = instance.model_copy(update={"rules": Rules(hard=instance.rules.hard, weights={})})
    result = solve(hard_only, SolveOptions(time_limit=10, workers=1))
    assert result.feasible and "anneal_moves" not in result.stats


def test_an_error_in_a_chain_thread_reaches_the_caller() -> None:
    instance = generate_university("tiny", seed=1)

    def broken(cost: int) -> None:
        raise RuntimeError(f"progress sink failed at {cost}")

    with pytest.raises(RuntimeError, match="progress sink failed"):
        anneal(instance, _first(instance), 2.0, config=AnnealConfig(threads=2), on_improve=broken)


def test_cycles_split_the_time_and_a_short_run_is_one_cycle() -> None:
    assert cycles(100.0, None) == [(0.0, 100.0)]
    assert cycles(100.0, 60.0) == [(0.0, 100.0)]  # under two cycles: one
    assert cycles(100.0, 30.0) == [(0.0, 100 / 3), (100 / 3, 200 / 3), (200 / 3, 100.0)]


def test_a_reset_chain_counts_like_a_fresh_one() -> None:
    instance, solution = _soft_university("small")
    prob = Problem(instance)
    start, room = prob.state(solution)
    chain = Chain(prob, start, room, AnnealConfig(), seed=1)
    chain.step(3_000, 50.0)  # a hot walk: the counters now hold clashes
    other = Chain(prob, start, room, AnnealConfig(), seed=2)
    other.step(3_000, 0.5)
    chain.reset(other.best_start, other.best_room)
    _assert_counters_exact(prob, chain)
    assert chain.hard == 0 and chain.soft == chain.best_cost == other.best_cost
    assert np.array_equal(chain.owner >= 0, chain.rocc - (prob.room_blocked if prob.n_rooms else 0) > 0)


def test_cycles_restart_from_the_best_and_keep_it(bench: Path) -> None:
    instance = read_ctt(bench / "instances" / "comp01.ctt")
    solution = _first(instance)
    result = anneal(instance, solution, 3.0, seed=2, config=AnnealConfig(threads=2, cycle=1.0))
    report = check(instance, result.solution)
    assert report.hard_total == 0
    assert report.soft_cost == result.cost < result.first_cost

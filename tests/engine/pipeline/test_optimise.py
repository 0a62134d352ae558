"""The genetic optimiser (fitness = the checker's soft cost plus its own terms; hard rules kept) and stage 3."""

from __future__ import annotations

import numpy as np
import pytest

from timetabling.engine.checker import check
from timetabling.engine.generator import generate_university
from timetabling.engine.improve.genetic import Fitness, GAConfig, mutate, optimise
from timetabling.engine.pipeline.clustering import cluster
from timetabling.engine.pipeline.parts import rebuild
from timetabling.engine.pipeline.resolve import resolve
from timetabling.engine.pipeline.stage2 import decompose
from timetabling.engine.timetable.board import board_from, layout
from timetabling.engine.timetable.placed import to_solution


@pytest.fixture(scope="module")
def small():
    inst = generate_university("small", seed=0)
    placed = decompose(inst, cluster(inst), budget=30, processes=1).placed
    return inst, placed


RULE_TERMS = ("faculty_preference", "course_min_days", "batch_idle", "room_stability")


def test_the_rule_terms_of_the_fitness_are_the_checkers_soft_cost(small):
    inst, placed = small
    lay = layout(inst)
    board = board_from(lay, placed)
    mutate(board, np.random.default_rng(3), 200)  # somewhere else than the solver's answer
    terms = Fitness(lay, inst.rules, GAConfig()).rule_terms(board.start[None, :], board.room[None, :])
    report = check(inst, board.solution())
    assert set(RULE_TERMS) <= set(terms)
    assert sum(float(v[0]) for v in terms.values()) == report.soft_cost


def test_mutations_never_break_a_hard_rule(small):
    inst, placed = small
    board = board_from(layout(inst), placed)
    made = mutate(board, np.random.default_rng(0), 300)
    assert made > 0
    assert check(inst, board.solution()).hard_total == 0


def test_the_genetic_optimiser_lowers_the_soft_cost_and_keeps_hard_rules(small):
    inst, placed = small
    board = board_from(layout(inst), placed)
    before = check(inst, board.solution()).soft_cost
    result = optimise(board, inst.rules, GAConfig(population=10, generations=15), seed=1, time_limit=20)
    report = check(inst, result.board.solution())
    assert report.hard_total == 0
    assert result.cost < result.first_cost
    assert report.soft_cost < before


def test_a_planted_clash_is_removed_by_stage_3(small):
    inst, placed = small
    batch = inst.batches[0].id
    a, b = inst.courses_of_batch[batch][:2]
    planted = dict(placed)
    planted[b] = [(placed[a][0][0], placed[b][0][1]), *placed[b][1:]]  # b's first session on top of a's
    assert check(inst, to_solution(inst, planted)).hard["batch_clash"] >= 1
    fixed = resolve(inst, planted, time_limit=20)
    assert fixed.conflicted_before >= 2
    assert fixed.unplaced == {}
    assert check(inst, to_solution(inst, fixed.placed)).hard_total == 0


def test_stage_3_places_a_missing_course(small):
    inst, placed = small
    missing = inst.courses[5].id
    fixed = resolve(inst, {c: v for c, v in placed.items() if c != missing}, time_limit=20)
    assert len(fixed.placed[missing]) == inst.courses[5].sessions_per_week
    assert check(inst, to_solution(inst, fixed.placed)).hard_total == 0


def test_stage_3_names_a_session_it_cannot_place(tiny):
    # C1 needs 3 sessions but its faculty is unavailable everywhere except two slots
    from timetabling.engine.model import Faculty, Slot

    grid = tiny.grid
    free = {Slot(0, 0), Slot(1, 0)}
    blocked = frozenset(Slot(*grid.slot_of(t)) for t in range(grid.n_slots)) - free
    inst = rebuild(tiny, faculty=(Faculty(id="F1", unavailable=blocked), Faculty(id="F2")))
    placed = {"C1": [(0, "R1"), (4, "R1"), (4, "R1")], "C2": [(8, "R1"), (12, "R1")], "L1": [(2, "LAB")]}
    fixed = resolve(inst, placed, time_limit=10)
    report = check(inst, to_solution(inst, fixed.placed))
    assert set(report.hard) and report.hard_total == report.hard["unscheduled"]
    assert any(label.startswith(("C1#", "L1#")) for label in fixed.unplaced)
    assert all(fixed.unplaced.values())

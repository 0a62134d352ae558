"""Stage 3's learned move selector: training fills the table, the shipped table loads, repairs keep rules."""

from __future__ import annotations

import numpy as np
import pytest

from timetabling.engine.checker import check
from timetabling.engine.generator import generate_university
from timetabling.engine.pipeline.clustering import cluster
from timetabling.engine.pipeline.qlearn import ACTIONS, QTable, compare, plant_clashes, q_repair, train
from timetabling.engine.pipeline.resolve import resolve
from timetabling.engine.pipeline.stage2 import decompose
from timetabling.engine.timetable.board import board_from, layout
from timetabling.engine.timetable.placed import to_solution


@pytest.fixture(scope="module")
def board():
    inst = generate_university("tiny", seed=0)
    return board_from(layout(inst), decompose(inst, cluster(inst), budget=10, processes=1).placed)


def test_training_fills_the_table_and_it_round_trips(board, tmp_path):
    table = train([board], 20, seed=0, plant=3, max_moves=20)
    assert table.episodes == 20 and table.q
    assert all(len(v) == len(ACTIONS) for v in table.q.values())
    table.save(tmp_path / "q.json")
    loaded = QTable.load(tmp_path / "q.json")
    assert loaded.q.keys() == table.q.keys()
    assert all(loaded.q[k] == pytest.approx(v) for k, v in table.q.items())


def test_the_shipped_table_loads():
    table = QTable.load()
    assert table.episodes > 0 and table.q


def test_the_learned_selector_removes_planted_clashes(board):
    planted = board.copy()
    plant_clashes(planted, 3, np.random.default_rng(5))
    assert len(planted.conflicted()) > 0
    q_repair(planted, QTable.load(), max_moves=100, seed=0)
    assert len(planted.conflicted()) == 0
    assert check(board.lay.instance, planted.solution()).hard_total == 0


def test_the_comparison_reports_both_selectors(board):
    result = compare([board], QTable.load(), 3, plant=2, max_moves=30)
    assert set(result) == {"min-conflicts", "q-learning"}
    assert all(0.0 <= row["solved"] <= 1.0 for row in result.values())


def test_stage_three_takes_the_learned_selector_as_its_resolver(board):
    planted = board.copy()
    plant_clashes(planted, 3, np.random.default_rng(5))
    inst = board.lay.instance
    fixed = resolve(inst, planted.placed(), lay=board.lay, time_limit=10, resolver="qlearn")
    assert fixed.conflicted_before > 0 and fixed.min_conflicts_moves > 0
    assert not fixed.unplaced
    assert check(inst, to_solution(inst, fixed.placed)).hard_total == 0


def test_an_unknown_resolver_is_refused_by_name(board):
    with pytest.raises(ValueError, match="unknown resolver 'greedy'"):
        resolve(board.lay.instance, board.placed(), lay=board.lay, resolver="greedy")

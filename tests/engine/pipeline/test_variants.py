"""The variants are real alternatives: each optimised from the shared start under its own weights; and the
faculty-preference bound is an upper bound on what any timetable reaches."""

from __future__ import annotations

import itertools

import pytest

from timetabling.engine.checker import check
from timetabling.engine.checker.metrics import faculty_preference_bound_pct
from timetabling.engine.generator import generate_university
from timetabling.engine.model import (
    Assignment,
    Batch,
    Course,
    Faculty,
    Instance,
    PreferredSlot,
    Room,
    Solution,
    TimeGrid,
)
from timetabling.engine.pipeline import DEFAULT_VARIANTS, PipelineOptions, PipelineResult, generate
from timetabling.engine.pipeline.run import time_needs

# the checker metric each focused variant is named after (higher is better for each)
OWN_CRITERION = {
    "Faculty-focused": "faculty_preference_pct",
    "Compactness-focused": "compactness",
    "Room-utilisation-focused": "continuity_pct",
    "Student-focused": "day_spread_pct",
}


@pytest.fixture(scope="module")
def five() -> tuple[Instance, PipelineResult]:
    inst = generate_university("tiny", seed=1)
    return inst, generate(inst, PipelineOptions(variants=DEFAULT_VARIANTS, time_limit=15, workers=1,
                                                optimizer="anneal"))


def test_every_variant_is_clash_free_in_the_checker(five):
    inst, result = five
    assert [v.name for v in result.variants] == list(DEFAULT_VARIANTS)
    assert all(check(inst, v.solution).hard_total == 0 for v in result.variants)


def test_focused_variants_differ_from_balanced_and_win_on_their_own_weights(five):
    inst, result = five
    balanced = result.variants[0]
    rows = {r["name"]: r for r in result.comparison()}
    for v in result.variants[1:]:
        assert rows[v.name]["differs_from_first_pct"] > 0, v.name
        # under the variant's own weights, its timetable costs no more than Balanced's
        own = inst.model_copy(update={"rules": v.rules})
        assert v.report.soft_cost <= check(own, balanced.solution).soft_cost, v.name
        metric = OWN_CRITERION[v.name]
        assert v.metrics[metric] >= balanced.metrics[metric] - 1e-9, (v.name, metric)


def test_no_variant_exceeds_the_faculty_preference_bound(five):
    inst, result = five
    bound = faculty_preference_bound_pct(inst)
    assert result.comparison()[0]["faculty_preference_bound_pct"] == pytest.approx(bound, abs=0.01)
    assert all(v.metrics["faculty_preference_pct"] <= bound + 1e-9 for v in result.variants)


def _brute_force_best_preference(inst: Instance) -> float:
    """The highest faculty preference share of any clash-free timetable, by trying every start of every
    session (one room each, single-period sessions)."""
    slots = [(d, p) for d in range(inst.grid.n_days) for p in range(inst.grid.n_periods)]
    sessions = [(c.id, k) for c in inst.courses for k in range(c.sessions_per_week)]
    best = -1.0
    for choice in itertools.product(slots, repeat=len(sessions)):
        assignments = tuple(Assignment(course=c, session=k, day=d, period=p, room=f"R{i}")
                            for i, ((c, k), (d, p)) in enumerate(zip(sessions, choice, strict=True)))
        report = check(inst, Solution(assignments=assignments))
        if report.hard_total == 0:
            best = max(best, report.metrics["faculty_preference_pct"])
    return best


def test_the_bound_is_exact_on_a_tiny_instance():
    # F1 teaches 3 periods and likes 2 slots, one of them while unavailable; F2 teaches 1 and likes 2:
    # at most 1 + 1 of 4 periods preferred, 50 %
    grid = TimeGrid.standard(n_days=2, n_periods=2, lunch_after=None)
    inst = Instance(
        name="bound",
        grid=grid,
        faculty=(
            Faculty(id="F1", preferred=(PreferredSlot(day=0, period=0), PreferredSlot(day=1, period=1)),
                    unavailable=frozenset({grid.slot_of(3)})),
            Faculty(id="F2", preferred=(PreferredSlot(day=0, period=0), PreferredSlot(day=0, period=1))),
        ),
        batches=(Batch(id="B1", size=10), Batch(id="B2", size=10)),
        rooms=tuple(Room(id=f"R{i}", capacity=20) for i in range(4)),
        courses=(
            Course(id="C1", faculty=("F1",), batches=("B1",), sessions_per_week=2, min_days=1),
            Course(id="C2", faculty=("F1",), batches=("B2",), sessions_per_week=1, min_days=1),
            Course(id="C3", faculty=("F2",), batches=("B2",), sessions_per_week=1, min_days=1),
        ),
    )
    assert faculty_preference_bound_pct(inst) == pytest.approx(50.0)
    assert _brute_force_best_preference(inst) == pytest.approx(faculty_preference_bound_pct(inst))


def test_time_goes_by_need_with_half_shared_equally():
    assert time_needs([0, 0, 0]) == [1.0, 1.0, 1.0]
    needs = time_needs([100, 300])
    assert needs == pytest.approx([0.25 + 0.125, 0.25 + 0.375])
    assert sum(needs) == pytest.approx(1.0)

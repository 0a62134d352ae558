"""Honest progress: a smoothed time-left estimate from measured stage rates, and phases in plain words."""

from __future__ import annotations

import random
from itertools import pairwise

from timetabling.engine.generator import generate_university
from timetabling.engine.pipeline import PipelineOptions, generate
from timetabling.engine.pipeline.eta import EtaEstimator


def test_the_estimate_moves_little_between_two_reports_even_when_the_pace_jumps() -> None:
    eta, rng = EtaEstimator(), random.Random(3)
    t, pct, last, last_t = 0.0, 0.0, None, 0.0
    stages = ["resources", "clustering"] + ["parts"] * 30 + ["resolve"] * 3 + ["optimise"] * 60
    for stage in stages:
        t += rng.choice([0.05, 0.2, 1.0, 4.0])  # reports arrive irregularly
        pct = min(99.0, pct + rng.choice([0.1, 0.5, 3.0]))
        shown = eta.update(stage, t, pct, budget_left=120.0 - t)
        if shown is not None and last is not None:
            expected = max(0.0, last - (t - last_t))
            assert abs(shown - expected) <= max(2.0, 0.15 * expected) + 1e-9, (stage, t, last, shown)
        if shown is not None:
            assert 0.0 <= shown <= max(0.0, 120.0 - t) + max(2.0, 0.15 * 120)
            last, last_t = shown, t
    assert eta.update("done", t + 1, 100.0, 0.0) == 0.0


def test_a_steady_pace_gives_the_true_time_left() -> None:
    eta = EtaEstimator()
    shown = None
    for second in range(1, 41):  # 2 % per second: 100 % at 50 s
        shown = eta.update("optimise", float(second), 2.0 * second, budget_left=1000.0)
    assert shown is not None and abs(shown - 10.0) < 1.0


def test_the_run_reports_plain_phases_and_each_variants_soft_cost() -> None:
    events = []
    instance = generate_university("tiny", 0)
    generate(instance, PipelineOptions(variants=("Balanced", "Faculty-focused"), time_limit=4, workers=1,
                                       progress=events.append))
    phases = [e.phase for e in events]
    assert all(p and p not in ("parts", "resolve", "optimise", "clustering") for p in phases)
    assert any(p.startswith("placing ") and "department" in p for p in phases)
    assert "improving variant Faculty-focused" in phases
    points = [e for e in events if e.objective is not None and e.variant is not None]
    assert {e.variant for e in points} == {"Balanced", "Faculty-focused"}
    assert all(e.elapsed_s is not None for e in points)
    etas = [(e.elapsed_s, e.eta_s) for e in events if e.eta_s is not None]
    for (t0, a), (t1, b) in pairwise(etas):
        expected = max(0.0, a - (t1 - t0))
        assert abs(b - expected) <= max(2.0, 0.15 * expected) + 1e-6 or b == 0.0

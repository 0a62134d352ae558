"""``generate``: variants without hard violations, monotonic progress, cancellation, resources, ablation switches."""

from __future__ import annotations

import threading

import pytest

from timetabling.engine.checker import check
from timetabling.engine.control import CancelToken
from timetabling.engine.generator import generate_university
from timetabling.engine.improve.genetic import GAConfig
from timetabling.engine.model import Rule
from timetabling.engine.pipeline import DEFAULT_VARIANTS, PipelineOptions, generate

FAST_GA = GAConfig(population=8, generations=6)


@pytest.fixture(scope="module")
def tiny_run():
    inst = generate_university("tiny", seed=0)
    events = []
    result = generate(inst, PipelineOptions(time_limit=8, workers=1, ga=FAST_GA, progress=events.append))
    return inst, result, events


def test_every_variant_keeps_every_hard_rule_in_the_checker(tiny_run):
    inst, result, _ = tiny_run
    assert result.status == "completed"
    assert [v.name for v in result.variants] == list(DEFAULT_VARIANTS)
    for v in result.variants:
        assert check(inst, v.solution).hard_total == 0
        assert len(v.solution.assignments) == inst.n_sessions


def test_progress_is_monotonic_and_ends_at_100(tiny_run):
    _, _, events = tiny_run
    percents = [e.percent for e in events]
    assert percents == sorted(percents)
    assert percents[-1] == 100.0
    assert {"clustering", "parts", "resolve", "optimise", "done"} <= {e.stage for e in events}


def test_the_result_reports_categories_parts_and_resources(tiny_run):
    inst, result, _ = tiny_run
    assert sum(result.clustering["categories"].values()) == len(inst.courses)
    assert sum(p["courses"] for p in result.clustering["parts"]) == len(inst.courses)
    assert result.resources["pool_workers"] == 1 and result.resources["cpu_cores"] >= 1


def test_variants_differ():
    inst = generate_university("small", seed=0)
    result = generate(inst, PipelineOptions(variants=("Balanced", "Faculty-focused"), time_limit=10, workers=1,
                                            ga=GAConfig(population=10, generations=10)))
    rows = result.comparison()
    assert rows[1]["differs_from_first_pct"] > 0
    assert all(r["hard_violations"] == 0 for r in rows)
    # each variant is scored under its own weights
    faculty = result.variants[1]
    assert faculty.rules.weight(Rule.FACULTY_PREFERENCE) == 5 * inst.rules.weight(Rule.FACULTY_PREFERENCE)


def test_cancel_returns_the_best_complete_timetable_marked_cancelled():
    inst = generate_university("small", seed=0)
    token = CancelToken()
    seen = []

    def progress(e):
        seen.append(e)
        if e.stage == "optimise" and "generation 2" in e.message:
            token.cancel()

    out = {}
    options = PipelineOptions(time_limit=600, workers=1, cancel=token, progress=progress, part_optimisation=0,
                              optimizer="ga", ga=GAConfig(generations=10_000))
    thread = threading.Thread(target=lambda: out.setdefault("r", generate(inst, options)))
    thread.start()
    thread.join(timeout=120)  # a guard against a hang, not a measurement
    assert not thread.is_alive()
    result = out["r"]
    assert result.status == "cancelled"
    assert 1 <= len(result.variants) < len(DEFAULT_VARIANTS)
    assert check(inst, result.variants[0].solution).hard_total == 0


def test_cancel_before_the_first_timetable_returns_no_variant():
    token = CancelToken()
    token.cancel()
    result = generate(generate_university("tiny", seed=0), PipelineOptions(time_limit=10, workers=1, cancel=token))
    assert result.status == "cancelled" and result.variants == []


@pytest.mark.parametrize("switch", [{"decomposition": False}, {"optimizer": "cpsat"}, {"optimizer": "anneal"},
                                    {"stage3": False}])
def test_the_ablation_switches_still_give_clash_free_variants(switch):
    inst = generate_university("tiny", seed=0)
    result = generate(inst, PipelineOptions(variants=("Balanced",), time_limit=4, workers=1, ga=FAST_GA, **switch))
    assert result.status == "completed"
    assert check(inst, result.variants[0].solution).hard_total == 0


def test_an_unknown_optimizer_or_variant_fails_before_any_work():
    inst = generate_university("tiny", seed=0)
    with pytest.raises(ValueError, match="optimizer"):
        generate(inst, PipelineOptions(optimizer="simplex"))
    with pytest.raises(ValueError, match="unknown variant"):
        generate(inst, PipelineOptions(variants=("Nope",)))

"""The engine's side of the part tasks, without any service: stage 2 with a pluggable executor (``map_parts``),
part jobs and outcomes that survive JSON, and ``run`` as its reusable steps."""

from __future__ import annotations

import json

from timetabling.engine.checker import check
from timetabling.engine.generator import generate_university
from timetabling.engine.pipeline import PipelineOptions
from timetabling.engine.pipeline.clustering import cluster
from timetabling.engine.pipeline.part_jobs import Handoff, PartJob, outcome_from_json, outcome_to_json
from timetabling.engine.pipeline.run import plan, resume
from timetabling.engine.pipeline.stage2 import decompose
from timetabling.engine.timetable.placed import to_solution


def over_json(jobs):
    """An executor as a Celery worker sees it: every job and outcome through JSON, one after another."""
    for job in jobs:
        again = PartJob.from_json(json.loads(json.dumps(job.to_json())))
        outcome = again.run()
        yield job, outcome_from_json(json.loads(json.dumps(outcome_to_json(outcome))))


def test_a_part_job_and_its_outcome_survive_json() -> None:
    inst = generate_university("tiny", seed=3)
    seen = []

    def record(jobs):
        for job in jobs:
            again = PartJob.from_json(json.loads(json.dumps(job.to_json())))
            assert again.sub == job.sub and again.courses == job.courses and again.wave == job.wave
            outcome = job.run()
            back = outcome_from_json(json.loads(json.dumps(outcome_to_json(outcome))))
            assert back == outcome
            seen.append(job.name)
            yield job, back

    result = decompose(inst, cluster(inst), budget=20, processes=1, map_parts=record)
    assert sorted(seen) == sorted(p.name for p in cluster(inst).parts)
    assert not result.unplaced


def test_stage_two_through_an_executor_places_what_the_local_run_places() -> None:
    inst = generate_university("small", seed=2)
    clustering = cluster(inst)
    local = decompose(inst, clustering, budget=30, processes=1)
    mapped = decompose(inst, clustering, budget=30, processes=1, map_parts=over_json)
    assert set(mapped.placed) == set(local.placed) and not mapped.unplaced and not local.unplaced
    assert sorted((r["part"], r["wave"]) for r in mapped.parts) == sorted((r["part"], r["wave"]) for r in local.parts)
    for result in (local, mapped):
        report = check(inst, to_solution(inst, result.placed))
        # parts of one wave share no people, later parts see earlier ones pinned: no clash of people
        assert all(n == 0 for rule, n in report.hard.items() if "clash" in rule.value and "room" not in rule.value)


def test_run_continued_elsewhere_from_the_merged_placements() -> None:
    """``plan`` (stages 1-2) on one side, ``resume`` from its handoff through JSON (as on a worker) on the other."""
    inst = generate_university("tiny", seed=1)
    options = PipelineOptions(variants=("Balanced", "Faculty-focused"), time_limit=6, workers=1)
    planned = plan(inst, options, over_json, side_by_side=1)
    state = planned.state
    wire = Handoff.from_json(json.loads(json.dumps(planned.handoff.to_json())))
    assert wire == planned.handoff
    events = []
    elsewhere = PipelineOptions(variants=("Balanced", "Faculty-focused"), time_limit=6, workers=1,
                                progress=events.append)
    result = resume(inst, elsewhere, wire)
    assert result.status == "completed"
    assert [v.name for v in result.variants] == ["Balanced", "Faculty-focused"]
    assert all(v.report.hard_total == 0 for v in result.variants)
    assert result.stats["waves"] == state.stats["waves"] and "stage3_s" in result.stats
    assert events[0].percent >= state.clock.pct and events[-1].percent == 100.0

"""Fair queueing in the engine's local runners: when the slots are full, the next job to start belongs to the
organization with the fewest running jobs (round robin between equals), not to whoever queued first."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from timetabling.service.fair import FairSlots
from timetabling.service.jobs import JobSpec
from timetabling.service.runner import ThreadRunner


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def queue_behind(slots: FairSlots, jobs: list[tuple[str, str]], started: list[str]) -> list[threading.Thread]:
    """One thread per (job, organization), each waiting in submission order; a job that gets its slot notes
    that it started and gives the slot back at once."""
    threads = []
    for job_id, organization in jobs:
        def run(job_id: str = job_id, organization: str = organization) -> None:
            assert slots.acquire(job_id, organization, lambda: False, poll_s=0.05)
            started.append(job_id)
            slots.release(job_id)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        threads.append(thread)
        wait_until(lambda: len(slots.waiting()) == len(threads), f"{job_id} to queue")
    return threads


def test_a_late_organization_goes_before_the_queue_of_one_that_submitted_many() -> None:
    slots = FairSlots(1)
    assert slots.acquire("a-1", "A", lambda: False)
    started: list[str] = []
    threads = queue_behind(slots, [("a-2", "A"), ("a-3", "A"), ("b-1", "B")], started)
    assert slots.waiting() == ["a-2", "a-3", "b-1"]
    slots.release("a-1")
    for thread in threads:
        thread.join(30)
    assert started == ["b-1", "a-2", "a-3"]  # first come, first served would be a-2, a-3, b-1


def test_the_organization_with_fewer_running_jobs_gets_the_free_slot() -> None:
    slots = FairSlots(2)
    assert slots.acquire("a-1", "A", lambda: False) and slots.acquire("a-2", "A", lambda: False)
    started: list[str] = []
    threads = queue_behind(slots, [("a-3", "A"), ("b-1", "B")], started)
    slots.release("a-1")  # A still runs a-2, B runs nothing
    wait_until(lambda: started, "a job to start")
    assert started[0] == "b-1"
    slots.release("a-2")
    for thread in threads:
        thread.join(30)
    assert started == ["b-1", "a-3"]


def test_organizations_take_turns_while_each_keeps_submitting() -> None:
    slots = FairSlots(1)
    assert slots.acquire("a-0", "A", lambda: False)
    started: list[str] = []
    queued = [(f"a-{i}", "A") for i in range(1, 4)] + [(f"b-{i}", "B") for i in range(1, 4)] + [("c-1", "C")]
    threads = queue_behind(slots, queued, started)
    slots.release("a-0")
    for thread in threads:
        thread.join(30)
    assert started == ["b-1", "c-1", "a-1", "b-2", "a-2", "b-3", "a-3"]


def test_a_cancelled_job_leaves_the_queue_without_a_slot() -> None:
    slots = FairSlots(1)
    assert slots.acquire("a-1", "A", lambda: False)
    cancelled = threading.Event()
    outcome: list[bool] = []
    thread = threading.Thread(target=lambda: outcome.append(slots.acquire("b-1", "B", cancelled.is_set, 0.05)))
    thread.start()
    wait_until(lambda: slots.waiting() == ["b-1"], "b-1 to queue")
    cancelled.set()
    thread.join(30)
    assert outcome == [False] and slots.waiting() == []
    assert slots.running_by_organization() == {"A": 1}


def test_a_runner_needs_a_slot() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        FairSlots(0)


def test_the_thread_runner_starts_queued_jobs_fairly(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's wiring: the organization comes from the job's metadata, as the service submits it."""
    started: list[str] = []
    gates: dict[str, threading.Event] = {}

    def held_job(spec: JobSpec, on_event: Any, token: Any) -> dict[str, Any]:
        started.append(spec.job_id)
        gates[spec.job_id].wait(30)
        return {"job_id": spec.job_id, "status": "completed", "variants": [], "comparison": [],
                "generation_time": 0.0, "message": ""}

    monkeypatch.setattr("timetabling.service.runner.run_job", held_job)
    runner = ThreadRunner(max_jobs=1)
    done: list[str] = []
    for job_id, organization in (("a-1", 1), ("a-2", 1), ("a-3", 1), ("b-1", 2)):
        gates[job_id] = threading.Event()
        spec = JobSpec(job_id=job_id, instance={}, variants=("Balanced",), time_limit=1.0, workers=1,
                       meta={"organization_id": organization})
        runner.submit(spec, lambda event: None, lambda outcome: done.append(outcome["job_id"]))
        wait_until(lambda: len(started) + len(runner._slots.waiting()) == len(gates), f"{job_id} to queue")
    assert started == ["a-1"] and runner.active() == 4
    for job_id in ("a-1", "b-1", "a-2", "a-3"):
        wait_until(lambda j=job_id: started[-1] == j, f"{job_id} to start")
        gates[job_id].set()
    wait_until(lambda: len(done) == 4, "every job to finish")
    assert started == ["a-1", "b-1", "a-2", "a-3"] and runner.active() == 0
    runner.shutdown()

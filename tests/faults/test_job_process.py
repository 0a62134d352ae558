"""A job process that dies: the runner still ends the job, with the reason."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import psutil

from timetabling.engine.generator import generate_university
from timetabling.service.jobs import JobSpec
from timetabling.service.runner import ProcessRunner, ended_unexpectedly

SPEC = JobSpec(job_id="x", instance={})


def test_the_reason_names_the_signal_or_the_exit_code() -> None:
    assert "(signal 9, SIGKILL)" in ended_unexpectedly(SPEC, -9)["message"]
    assert "(exit code 3)" in ended_unexpectedly(SPEC, 3)["message"]
    assert ended_unexpectedly(SPEC, -9)["status"] == "failed"
    assert "re-run" in ended_unexpectedly(SPEC, -9)["message"]


def job_processes() -> list[psutil.Process]:
    return [p for p in psutil.Process(os.getpid()).children()
            if "spawn_main" in " ".join(p.cmdline()) and "resource_tracker" not in " ".join(p.cmdline())]


def test_a_job_process_killed_mid_run_ends_the_job_as_failed_with_the_signal() -> None:
    runner = ProcessRunner(max_jobs=1)
    spec = JobSpec(job_id="killed", instance=generate_university("tiny", 0).model_dump(mode="json"),
                   variants=("Balanced",), time_limit=120.0, workers=1)
    events: list[dict[str, Any]] = []
    done = threading.Event()
    outcomes: list[dict[str, Any]] = []
    runner.submit(spec, events.append, lambda o: (outcomes.append(o), done.set()))
    deadline = time.monotonic() + 120
    while not events and time.monotonic() < deadline:  # it runs: it has reported progress
        time.sleep(0.1)
    assert events, "the job never reported progress"
    (process,) = job_processes()
    process.send_signal(signal.SIGKILL)
    assert done.wait(60), "the runner never ended the job"
    (outcome,) = outcomes
    assert outcome["status"] == "failed" and outcome["job_id"] == "killed"
    assert "ended unexpectedly (signal 9, SIGKILL)" in outcome["message"]
    assert runner.active() == 0

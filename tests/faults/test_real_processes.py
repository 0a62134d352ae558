"""The three faults on real processes: the engine service down when a job is submitted, a job's process
killed with SIGKILL, the web backend down when the engine posts the result. Every job ends completed or
clearly failed; nothing is stored twice or lost."""

from __future__ import annotations

import signal

import psutil
import pytest

from tests.faults.processes import Deployment
from tests.support.processes import FINAL, wait_for


@pytest.fixture
def deployment(tmp_path):
    d = Deployment(tmp_path)
    try:
        yield d
    finally:
        d.stop_all()


@pytest.mark.slow
def test_a_job_submitted_while_the_engine_is_down_waits_and_completes_once_it_is_up(deployment) -> None:
    deployment.seed()
    deployment.start_web()  # the engine service is not started yet

    started = deployment.generate(time_limit=3, variants=["Balanced"])
    assert started["status"] == "queued" and started["phase"] == "waiting for the engine"
    job_id = started["job_id"]
    # nobody reads the job's status meanwhile: the web backend's own thread offers it again
    waiting = wait_for(lambda: (r := deployment.job_row(job_id))["metadata"].get("engine_wait", {}).get(
        "failures", 0) >= 2 and r, 60, "a second failed try")
    assert waiting["status"] == "queued" and waiting["metadata"]["phase"] == "waiting for the engine"
    assert "not reachable" in waiting["metadata"]["engine_wait"]["last_error"]

    deployment.start_engine()
    wait_for(lambda: deployment.job_row(job_id)["status"] in FINAL, 240, "the job to finish")
    done = deployment.job(job_id)
    assert done["status"] == "completed", done
    assert done["engine_wait"] is None and done["error_message"] == ""
    assert [t["name"] for t in deployment.timetables(job_id)] == ["Balanced"]


def job_processes(serve_pid: int) -> list[psutil.Process]:
    """The spawned job processes under ``timetable serve`` (not multiprocessing's resource tracker)."""
    found = []
    for child in psutil.Process(serve_pid).children(recursive=True):
        try:
            line = " ".join(child.cmdline())
        except psutil.Error:
            continue
        if "spawn_main" in line and "resource_tracker" not in line:
            found.append(child)
    return found


@pytest.mark.slow
def test_a_job_whose_process_is_killed_fails_with_the_reason_and_its_re_run_completes(deployment) -> None:
    deployment.start_serve()
    deployment.issue_token()
    job_id = deployment.generate(time_limit=8, variants=["Balanced"])["job_id"]
    deployment.wait_job(job_id, lambda j: j["status"] == "running", 120, "the job to run")
    (process,) = wait_for(lambda: job_processes(deployment.pid("serve")), 30, "the job's process")
    process.send_signal(signal.SIGKILL)

    failed = deployment.wait_job(job_id, lambda j: j["status"] in FINAL, 60, "the killed job to end")
    assert failed["status"] == "failed"
    assert "the job's process ended unexpectedly (signal 9, SIGKILL)" in failed["error_message"]
    assert deployment.timetables(job_id) == []

    with deployment.api() as client:
        response = client.post(f"/api/timetable/rerun/{job_id}/")
    assert response.status_code == 200, response.text
    again = response.json()["job_id"]
    assert again != job_id and response.json()["rerun_of"] == job_id
    done = deployment.wait_job(again, lambda j: j["status"] in FINAL, 240, "the re-run to finish")
    assert done["status"] == "completed", done
    assert done["rerun_of"] == job_id
    assert [t["name"] for t in deployment.timetables(again)] == ["Balanced"]
    assert deployment.timetables(job_id) == []  # the killed job stays failed, with nothing stored


@pytest.mark.slow
def test_a_result_posted_while_the_web_is_down_is_kept_and_stored_once_when_it_is_back(deployment) -> None:
    deployment.seed()
    deployment.start_web()
    deployment.start_engine()
    job_id = deployment.generate(time_limit=10, variants=["Balanced", "Faculty-focused"])["job_id"]
    deployment.stop("web")  # before the job can finish: its result finds nobody to take it

    kept = wait_for(deployment.outbox, 240, "the result to wait in the engine's outbox")
    assert len(kept) == 1
    deployment.stop("engine")  # and the engine restarts meanwhile: the outbox is on disk
    assert deployment.outbox() == kept

    deployment.start_web()
    assert deployment.job(job_id)["status"] in ("queued", "running")  # nothing has arrived yet
    deployment.start_engine()
    done = deployment.wait_job(job_id, lambda j: j["status"] in FINAL, 120, "the kept result to arrive")
    assert done["status"] == "completed", done
    wait_for(lambda: not deployment.outbox(), 30, "the outbox to empty")
    names = sorted(t["name"] for t in deployment.timetables(job_id))
    assert names == ["Balanced", "Faculty-focused"]  # stored exactly once

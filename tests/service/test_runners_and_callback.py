"""The process runner, and the signed callback to the web backend."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
import pytest

from timetabling.engine.generator import generate_university
from timetabling.service.callback import CallbackSender
from timetabling.service.jobs import JobSpec
from timetabling.service.runner import ProcessRunner, make_runner
from timetabling.service.signing import SIGNATURE_HEADER, sign, verify


def test_the_signature_verifies_only_the_same_body_and_secret() -> None:
    signature = sign(b'{"a": 1}', "s3cret")
    assert verify(b'{"a": 1}', "s3cret", signature)
    assert not verify(b'{"a": 2}', "s3cret", signature)
    assert not verify(b'{"a": 1}', "other", signature)
    assert not verify(b'{"a": 1}', "s3cret", None)


def test_the_process_runner_runs_a_job_in_another_process_and_reports_progress() -> None:
    runner = ProcessRunner(max_jobs=1)
    spec = JobSpec(job_id="p-1", instance=generate_university("tiny", 0).model_dump(mode="json"),
                   variants=("Balanced",), time_limit=2.0, workers=1)
    events: list[dict[str, Any]] = []
    done = threading.Event()
    outcome: dict[str, Any] = {}
    runner.submit(spec, events.append, lambda o: (outcome.update(o), done.set()))
    assert done.wait(120), "the job did not finish"
    assert outcome["status"] == "completed" and outcome["job_id"] == "p-1"
    assert len(outcome["variants"]) == 1 and outcome["variants"][0]["entries"]
    assert events and events[0]["percent"] <= events[-1]["percent"]
    assert runner.active() == 0
    assert not runner.cancel("p-1")


def test_make_runner_knows_its_kinds() -> None:
    assert make_runner("thread", 1).name == "thread"
    with pytest.raises(ValueError, match="unknown runner"):
        make_runner("carrier-pigeon", 1)


def test_the_final_callback_is_signed_and_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, dict[str, str]]] = []

    def fake_post(url: str, content: bytes, headers: dict[str, str], timeout: float) -> httpx.Response:
        calls.append((content, headers))
        status = 503 if len(calls) == 1 else 200  # the web backend is busy once
        return httpx.Response(status, request=httpx.Request("POST", url))

    monkeypatch.setattr(httpx, "post", fake_post)
    monkeypatch.setattr("time.sleep", lambda s: None)
    sender = CallbackSender("http://web/callback/", "s3cret", alarm_after=3)
    sender.final({"job_id": "j", "status": "completed", "variants": []})
    assert sender.flush(10)
    assert len(calls) == 2
    body, headers = calls[-1]
    assert verify(body, "s3cret", headers[SIGNATURE_HEADER])
    assert json.loads(body)["status"] == "completed"
    assert sender.delivered and sender.delivered[0]["job_id"] == "j"


def test_progress_callbacks_are_throttled_and_never_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bytes] = []

    def fake_post(url: str, content: bytes, headers: dict[str, str], timeout: float) -> httpx.Response:
        calls.append(content)
        return httpx.Response(500, request=httpx.Request("POST", url))

    monkeypatch.setattr(httpx, "post", fake_post)
    sender = CallbackSender("http://web/callback/", "s3cret", alarm_after=3, progress_interval_s=60)
    for pct in (10, 20, 30):
        sender.progress({"job_id": "j", "status": "running", "progress": pct, "phase": "optimise"})
    sender.progress({"job_id": "j", "status": "running", "progress": 40, "phase": "done"})  # a new phase
    assert sender.flush(10)
    assert [json.loads(c)["progress"] for c in calls] == [10, 40]


def test_a_job_process_runs_below_the_services_priority() -> None:
    import os
    import subprocess
    import sys

    code = ("import os; from timetabling.service.runner import lower_priority; before = os.nice(0); "
            "lower_priority(); print(before, os.nice(0))")
    for env_value, expected_step in (("10", 10), ("0", 0)):
        env = {**os.environ, "TIMETABLE_JOB_NICE": env_value}
        before, after = map(int, subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                                                text=True, check=True).stdout.split())
        assert after == min(19, before + expected_step)

"""``timetable doctor``'s role inference and verdicts, and ``timetable worker``'s default node name."""

from __future__ import annotations

import argparse

import pytest

from timetabling.cli import doctor, worker
from timetabling.service.doctor import Check, guarded, infer_roles


@pytest.mark.parametrize(("environ", "roles"), [
    ({}, ["web", "engine"]),  # nothing set: timetable serve's one machine
    ({"DATABASE_URL": "postgresql://db/x", "TIMETABLE_ENGINE_URL": "http://e:8001"}, ["web"]),
    ({"TIMETABLE_ENGINE_RUNNER": "celery", "REDIS_URL": "redis://r/0"}, ["engine"]),
    ({"REDIS_URL": "redis://r/0"}, ["worker"]),
    ({"DJANGO_SECRET_KEY": "k", "TIMETABLE_CALLBACK_URL": "http://w/cb/"}, ["web", "engine"]),
])
def test_the_roles_are_inferred_from_the_environment(environ: dict, roles: list) -> None:
    assert infer_roles(environ) == roles


def test_a_check_that_raises_is_a_failed_check_not_a_crash() -> None:
    def broken() -> Check:
        raise OSError("disk gone")

    [check] = guarded("thing", broken)
    assert check.ok is False and "disk gone" in check.detail


def test_the_exit_status_is_1_on_a_problem_and_0_when_all_are_ok(monkeypatch, capsys) -> None:
    args = argparse.Namespace(role=["worker"], timeout=1.0, json=False)
    monkeypatch.setattr(doctor, "worker_checks", lambda timeout_s: [Check("broker", True, "answers")])
    assert doctor.run(args) == 0
    monkeypatch.setattr(doctor, "worker_checks", lambda timeout_s: [
        Check("broker", False, "redis://x not reachable", "start Redis"), Check("workers", None, "none yet")])
    assert doctor.run(args) == 1
    out = capsys.readouterr().out
    assert "PROBLEM  broker: redis://x not reachable" in out and "fix: start Redis" in out and "1 problem(s)" in out


def test_several_workers_on_one_machine_get_distinct_node_names(monkeypatch) -> None:
    from timetabling.service import celery_app

    seen: list[list[str]] = []
    monkeypatch.setattr(celery_app.app, "worker_main", lambda argv: seen.append(argv))
    args = argparse.Namespace(broker=None, concurrency=1, queue=None, hostname=None, loglevel="info")
    worker.run(args)
    [hostname] = [a for a in seen[0] if a.startswith("--hostname=")]
    assert hostname.startswith("--hostname=worker-") and hostname.endswith("@%h")
    assert hostname != "--hostname=celery@%h"

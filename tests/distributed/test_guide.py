"""docs/deployment.md, followed literally: its worked example's commands run as real processes (web backend
on PostgreSQL, engine service with the Celery runner, two workers, Redis), each on its own port with the
guide's variables only; then a timetable is generated through the web API. On the same deployment:
``timetable doctor`` on every machine (all ok, then each planted misconfiguration reported), a secret that
differs (the job says why), and ``kill -9`` of the main process of the worker running a job (another worker
takes it over; one set of timetables).

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust; the database ``guide_test`` is made and dropped)
and Redis at 127.0.0.1:6379 (database 12, flushed). Skipped without them, failed under CI=true."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
import uuid
from collections.abc import Iterator

import psutil
import pytest
import redis

from tests.support.processes import free_port

from .guide import Deployment, Local

pytestmark = pytest.mark.slow  # every test stands on the whole guide run as processes (minutes)

TAG = uuid.uuid4().hex[:8]  # this run's own databases: parallel runs do not meet
DATABASE = f"guide_test_{TAG}"
EMPTY_DATABASE = f"guide_test_{TAG}_empty"  # the doctor's unmigrated database
REDIS_DB = 12
FINAL = ("completed", "failed", "cancelled")


def _admin_sql(postgres_url: str, *statements: str) -> None:
    import psycopg

    admin_url = postgres_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        for statement in statements:
            conn.execute(statement)


@pytest.fixture(scope="module")
def deployment(redis_url: str, postgres_url: str, tmp_path_factory) -> Iterator[Deployment]:
    server = postgres_url.rsplit("/", 1)[0]
    _admin_sql(postgres_url, *(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)" for db in (DATABASE, EMPTY_DATABASE)),
               f"CREATE DATABASE {DATABASE}", f"CREATE DATABASE {EMPTY_DATABASE}")
    redis_base = redis_url.rsplit("/", 1)[0]
    redis.Redis.from_url(f"{redis_base}/{REDIS_DB}").flushdb()
    local = Local(web_port=free_port(), engine_port=free_port(), database_url=f"{server}/{DATABASE}",
                  redis_db=REDIS_DB)
    d = Deployment(tmp_path_factory.mktemp("guide"), local)
    d.redis = redis.Redis.from_url(f"{redis_base}/{REDIS_DB}")  # type: ignore[attr-defined]
    d.empty_database_url = f"{server}/{EMPTY_DATABASE}"  # type: ignore[attr-defined]
    try:
        for name in d.machines:
            if name not in ("data",):
                d.run_machine(name)
        yield d
    finally:
        d.stop_all()
        with contextlib.suppress(Exception):
            _admin_sql(postgres_url, *(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)" for db in (DATABASE,
                                                                                                 EMPTY_DATABASE)))
        with contextlib.suppress(redis.RedisError):
            d.redis.flushdb()  # type: ignore[attr-defined]


def test_the_guide_names_four_processes_and_a_doctor_for_each(deployment: Deployment) -> None:
    assert list(deployment.machines) == ["data", "app-web", "app-engine", "worker1", "worker2"]
    assert deployment.doctor_on == ["app-web", "app-engine", "worker1", "worker2"]
    workers = [m for m in deployment.machines.values() if m.name.startswith("worker")]
    assert all(set(m.env) == {"REDIS_URL"} for m in workers)  # no database, no secret on a worker
    assert "DATABASE_URL" not in deployment.machines["app-engine"].env
    assert "password:" in deployment.outputs[("app-web", "create_organization")]


def test_following_the_guide_a_timetable_is_generated_through_the_web_api(deployment: Deployment) -> None:
    job_id = deployment.generate(time_limit=5, variants=["Balanced", "Faculty-focused"])
    job = deployment.wait_job(job_id, lambda j: j["status"] in FINAL, 180, "the job to finish")
    assert job["status"] == "completed", job
    assert sorted(t["name"] for t in deployment.timetables(job_id)) == ["Balanced", "Faculty-focused"]
    # both workers announced distinct node names (worker-<pid>@<host>)
    names = {line.split("timetable worker ", 1)[1].split(":", 1)[0]
             for w in ("worker1", "worker2") for line in deployment.log(w).splitlines() if "timetable worker " in line}
    assert len(names) == 2 and all(n.startswith("worker-") for n in names)


def test_the_doctor_finds_every_machine_of_the_guide_in_order(deployment: Deployment) -> None:
    for name in deployment.doctor_on:
        status, report = deployment.doctor(name)
        assert status == 0, json.dumps(report, indent=2)
        assert report["problems"] == 0
    _, web = deployment.doctor("app-web")
    assert web["roles"] == ["web"]
    names = {c["name"]: c for c in web["checks"]["web"]}
    assert names["engine credential"]["ok"] and names["migrations"]["ok"] and names["organization"]["ok"]
    _, engine = deployment.doctor("app-engine")
    checks = {c["name"]: c for c in engine["checks"]["engine"]}
    assert checks["web callback and shared secret"]["ok"] and "2 on queue" in checks["workers"]["detail"]


PLANTED = [
    # (machine, changed variables, dropped variables, the check that must fail, words of its message)
    ("app-web", {"TIMETABLE_ENGINE_SECRET": "not-the-engines-secret-" + "x" * 30}, (), "engine credential",
     "shared secret differs"),
    ("app-web", {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/guide_test"}, (), "database", "not reachable"),
    ("app-web", {"DATABASE_URL": "@empty"}, (), "migrations", "not applied"),
    ("app-web", {"TIMETABLE_ENGINE_URL": "http://127.0.0.1:1"}, (), "engine service", "not reachable"),
    ("app-web", {"DJANGO_DEBUG": "1"}, (), "web DEBUG", "DEBUG on"),
    ("app-web", {}, ("DJANGO_SECRET_KEY",), "web secrets", "DJANGO_SECRET_KEY not set"),
    ("app-engine", {"TIMETABLE_ENGINE_SECRET": "not-the-webs-secret-" + "y" * 30}, (), "web callback and shared secret",
     "shared secret differs"),
    ("app-engine", {"TIMETABLE_CALLBACK_URL": "@wrong-path"}, (), "web callback and shared secret",
     "is not the callback"),
    ("app-engine", {}, ("TIMETABLE_ENGINE_SECRET",), "engine settings", "TIMETABLE_ENGINE_SECRET must be set"),
    ("app-engine", {"TIMETABLE_CELERY_QUEUE": "another-queue"}, (), "workers", "none on queue another-queue"),
    ("app-engine", {"REDIS_URL": "redis://127.0.0.1:1/0"}, (), "redis (progress, results)", "not reachable"),
    ("worker1", {"REDIS_URL": "redis://127.0.0.1:1/0"}, (), "broker", "not reachable"),
    ("worker1", {"TIMETABLE_VISIBILITY_TIMEOUT": "600"}, (), "visibility timeout", "not above the longest task"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("machine", "extra", "drop", "check", "words"), PLANTED,
                         ids=[f"{m}-{c}-{'-'.join(e) or 'no-' + '-'.join(d)}" for m, e, d, c, _ in PLANTED])
def test_the_doctor_reports_a_planted_misconfiguration_with_its_fix(deployment: Deployment, machine: str,
                                                                    extra: dict, drop: tuple, check: str,
                                                                    words: str) -> None:
    extra = dict(extra)
    if extra.get("DATABASE_URL") == "@empty":
        extra["DATABASE_URL"] = deployment.empty_database_url  # type: ignore[attr-defined]
    if extra.get("TIMETABLE_CALLBACK_URL") == "@wrong-path":
        extra["TIMETABLE_CALLBACK_URL"] = f"{deployment.web_url}/api/no-such-callback/"
    status, report = deployment.doctor(machine, extra, drop)
    assert status == 1, json.dumps(report, indent=2)
    found = [c for checks in report["checks"].values() for c in checks if c["name"] == check]
    assert found and found[0]["ok"] is False, json.dumps(report, indent=2)
    assert words in found[0]["detail"] and found[0]["fix"], found[0]


@pytest.mark.slow
def test_secrets_that_differ_fail_the_job_with_the_reason(deployment: Deployment) -> None:
    job_id = deployment.generate(time_limit=12, variants=["Balanced"])
    deployment.wait_job(job_id, lambda j: j["status"] == "running", 120, "the job to run")
    # an operator changes the web backend's engine secret while the job runs: the engine's result is refused
    wrong = {"TIMETABLE_ENGINE_SECRET": "the-web-backends-new-secret-" + "z" * 30}
    deployment.restart("app-web", wrong)
    restarted = time.monotonic()
    try:
        job = deployment.wait_job(job_id, lambda j: j["status"] in FINAL, 12 + 60, "the refused job to fail")
        shown_after = time.monotonic() - restarted
        assert job["status"] == "failed"
        assert job["error_message"] == ("the web backend refused the engine's result: the shared secret differs "
                                        "(TIMETABLE_ENGINE_SECRET)"), job
        assert "the shared secret differs (TIMETABLE_ENGINE_SECRET)" in deployment.log("app-engine")
        # and a job submitted now is refused by the engine at once, with the same setting named
        second = deployment.generate(time_limit=5, variants=["Balanced"])
        refused = deployment.wait_job(second, lambda j: j["status"] in FINAL, 30, "the second job to fail")
        assert refused["status"] == "failed"
        assert "the shared secret differs (TIMETABLE_ENGINE_SECRET)" in refused["error_message"]
        print(f"\nsecret differs: the job showed the reason {shown_after:.1f} s after the web backend's restart "
              f"(its time limit 12 s)")
    finally:
        deployment.restart("app-web", {})


def _running_task(deployment: Deployment, job_id: str) -> dict | None:
    for key in deployment.redis.scan_iter(f"timetable:running:{job_id}.*"):  # type: ignore[attr-defined]
        return {**json.loads(deployment.redis.get(key)), "key": key.decode()}  # type: ignore[attr-defined]
    return None


@pytest.mark.slow
def test_kill_9_of_the_worker_running_a_job_hands_it_to_the_other_worker(deployment: Deployment) -> None:
    time_limit = 20.0
    job_id = deployment.generate(time_limit=time_limit, variants=["Balanced", "Faculty-focused"])
    deadline = time.monotonic() + 120
    first = None
    while first is None and time.monotonic() < deadline:
        first = _running_task(deployment, job_id)
        time.sleep(0.2)
    assert first is not None, "the job never started"
    deployment.wait_job(job_id, lambda j: j["status"] == "running" and j["progress"] > 0, 60, "progress")
    main = psutil.Process(first["pid"]).ppid()  # the worker's main process: the PID an operator sees
    victim = next(n for n in ("worker1", "worker2") if deployment.procs[n].pid == main)
    killed_at = time.time()
    os.kill(main, signal.SIGKILL)
    deployment.procs[victim].wait(timeout=10)

    def takeover() -> dict | None:
        for key in deployment.redis.scan_iter(f"timetable:running:{job_id}.*.r1"):  # type: ignore[attr-defined]
            return json.loads(deployment.redis.get(key))  # type: ignore[attr-defined]
        return None

    job = deployment.wait_job(job_id, lambda j: j["status"] in FINAL, time_limit + 90, "the job to finish")
    finished_at = time.time()
    again = takeover()
    assert job["status"] == "completed", job
    assert again is not None and again["pid"] != first["pid"], again
    assert finished_at - killed_at <= time_limit + 90
    assert sorted(t["name"] for t in deployment.timetables(job_id)) == ["Balanced", "Faculty-focused"]
    # the lost message is gone from the broker: it cannot come back and run the job a second time
    unacked = deployment.redis.hvals("unacked")  # type: ignore[attr-defined]
    assert not any(job_id.encode() in raw for raw in unacked)
    assert deployment.redis.exists(f"timetable:settled:{first['key'].split('running:', 1)[1]}")  # type: ignore
    print(f"\nkill -9 of worker {victim}'s main process: taken over by {again['hostname']} process {again['pid']} "
          f"{again['started'] - killed_at:.1f} s after the kill, completed {finished_at - killed_at:.1f} s after "
          f"the kill (time limit {time_limit:g} s; TIMETABLE_TASK_HEARTBEAT 5, TIMETABLE_WORKER_LOST_AFTER 60)")

"""Fixtures for the distributed tests: real Redis, real PostgreSQL, real Celery worker processes.

A service that is not reachable skips its tests, except under ``CI=true`` where it fails them: CI makes sure
the services run, so a skip there would hide a broken setup. Every test gets its own Redis key prefix and
Celery queue (Redis database 9), and every process a test starts is killed in its teardown.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.processes import free_port

REDIS_URL = os.environ.get("TIMETABLE_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
POSTGRES_URL = os.environ.get("TIMETABLE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CLI = [sys.executable, "-c", "import sys; from timetabling.cli import main; sys.exit(main())"]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(what: str) -> None:
    """Skip, or fail under CI=true."""
    if in_ci():
        pytest.fail(f"{what} (CI=true: the services must be up)", pytrace=False)
    pytest.skip(what)


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> str:
    if not redis_reachable(REDIS_URL):
        unavailable(f"Redis not reachable at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture(scope="session")
def postgres_url() -> str:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("select 1")
    except psycopg.Error as err:
        unavailable(f"PostgreSQL not reachable at {POSTGRES_URL}: {err}")
    return POSTGRES_URL


@dataclass
class Distributed:
    """One test's corner of Redis: its own prefix and queue, and the environment that points there."""

    redis_url: str
    prefix: str
    queue: str
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return {
            "TIMETABLE_REDIS_URL": self.redis_url, "TIMETABLE_BROKER_URL": self.redis_url,
            "TIMETABLE_RESULT_BACKEND": self.redis_url, "TIMETABLE_REDIS_PREFIX": self.prefix,
            "TIMETABLE_CELERY_QUEUE": self.queue, "TIMETABLE_TASK_RETRY_BACKOFF": "0.5",
            "TIMETABLE_TASK_MAX_RETRIES": "3", "TIMETABLE_ENGINE_SECRET": "distributed-tests-engine-secret",
            **self.extra,
        }

    def settings(self, **overrides: object):
        from timetabling.service.celery_app import DistributedSettings

        return DistributedSettings(broker_url=self.redis_url, result_backend=self.redis_url, redis_url=self.redis_url,
                                   prefix=self.prefix, queue=self.queue, retry_backoff_s=0.5, **overrides)

    def job_id(self, name: str) -> str:
        return f"{self.queue}-{name}"

    def cleanup(self) -> None:
        import redis

        with contextlib.suppress(redis.RedisError):
            client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=2)
            keys = [*client.scan_iter(f"{self.prefix}*"), self.queue, f"{self.queue}\x06\x163",
                    f"_kombu.binding.{self.queue}", f"_kombu.binding_permanent.{self.queue}"]
            keys += list(client.scan_iter(f"celery-task-meta-{self.queue}*"))
            if keys:
                client.delete(*keys)
            for tag, payload in client.hgetall("unacked").items():  # messages of killed workers
                if self.queue.encode() in payload:
                    client.hdel("unacked", tag)
                    client.zrem("unacked_index", tag)


@pytest.fixture
def dist(redis_url: str) -> Iterator[Distributed]:
    tag = uuid.uuid4().hex[:8]
    d = Distributed(redis_url, f"tt-test-{tag}:", f"tt-test-{tag}")
    yield d
    d.cleanup()


class Worker:
    """``timetable worker`` as a real process (its own process group, so its pool children go with it)."""

    def __init__(self, env: dict[str, str], log: Path, name: str, concurrency: int = 1) -> None:
        self.log = log
        self.name = name
        full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self._log_file = log.open("w")
        self.proc = subprocess.Popen(
            [*CLI, "worker", f"--concurrency={concurrency}", f"--hostname={name}@%h", "--loglevel=info"],
            env=full_env, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if " ready." in self.log.read_text(errors="replace"):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"worker {self.name} did not start:\n{self.log.read_text(errors='replace')[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self._log_file.close()


@pytest.fixture
def start_worker(dist: Distributed, tmp_path: Path) -> Iterator:
    workers: list[Worker] = []

    def start(name: str = "w1", concurrency: int = 1, env: dict[str, str] | None = None, ready: bool = True) -> Worker:
        w = Worker({**dist.env, **(env or {})}, tmp_path / f"{name}.log", f"{name}-{dist.queue}", concurrency)
        workers.append(w)
        if ready:
            w.wait_ready()
        return w

    yield start
    for w in workers:
        w.stop()


class RedisServer:
    """A private redis-server on its own port, with an append-only file so that a restart keeps its data
    (a broker in production keeps its queue across restarts)."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.dir = directory
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.dir),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not redis_reachable(self.url):
            if time.monotonic() > deadline:
                raise AssertionError("the private redis-server did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # redis-server flushes its append-only file and exits
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class CallbackRecorder:
    """The web backend's callback endpoint, as far as the engine service can tell: records what it gets."""

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.received: list[dict] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                recorder.received.append({**json.loads(body), "_received": time.time()})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"success": true}')

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def finals(self, job_id: str) -> list[dict]:
        return [p for p in self.received if p.get("job_id") == job_id and "variants" in p]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def callback_recorder() -> Iterator[CallbackRecorder]:
    recorder = CallbackRecorder()
    yield recorder
    recorder.close()


@pytest.fixture(scope="session")
def tiny_university() -> dict:
    from timetabling.engine.generator import generate_university

    return generate_university("tiny", seed=1).model_dump(mode="json")

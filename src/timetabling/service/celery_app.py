"""The Celery application: a generation run by workers on any number of machines, Redis as broker and backend.

Tasks (all ``acks_late`` with ``reject_on_worker_lost``: a message is acknowledged only once its task
finished, so a worker killed in the middle hands the job back to the queue):

- ``timetabling.generate``: a whole job, ``run_job`` on the spec, as in the local runners;
- ``timetabling.generate_variant`` + ``timetabling.merge_variants``: the job split into one task per variant
  (a chord); every variant task runs stages 1-3 itself;
- ``timetabling.solve_part`` + ``timetabling.finish_parts``: the job split into its stage-2 parts. The engine
  service that follows the job runs stage 1 and plans each wave (``pipeline.stage2.Stage2``), sends the
  wave's parts as a group of ``solve_part`` tasks, merges their placements, then the next wave; once every
  wave is merged, one ``finish_parts`` task runs stage 3 and the variants (``celery_runner``).

Reliability:
- a task that starts again after its worker died (the broker redelivered it) is retried with exponential
  backoff, at most ``max_retries`` times, then fails with a clear message; a transient error (Redis
  unreachable) is retried the same way;
- progress goes to Redis pub/sub (``<prefix>events:<job_id>``), best effort; the outcome goes to the
  result backend, which retries while Redis is away;
- cancel: a key ``<prefix>cancel:<job_id>`` that running tasks watch (the pipeline stops at its next check
  and returns what it has), plus ``revoke`` for queued tasks;
- a lost worker (its main process killed, its machine gone): a running task refreshes a heartbeat key
  (``<prefix>alive:<task id>``, every ``heartbeat_s``, kept ``lost_after_s``); the engine service that follows
  the job sees it vanish and sends the job again under a new task id, once, or fails it with the reason
  (``celery_runner``). The lost task's id is then *settled* (``<prefix>settled:<task id>``): when its message
  comes back from the broker later, it is dropped without running and without touching any result.

Longer than 400 lines on purpose: each task is short, and the task table is easier to audit in one file (acks,
retries, routing).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from celery import Celery, Task
from celery.exceptions import Ignore, MaxRetriesExceededError

from timetabling.engine.control import CancelToken
from timetabling.engine.model import Instance
from timetabling.engine.pipeline.part_jobs import PartJob, WaveState, outcome_to_json
from timetabling.engine.pipeline.parts import PartOutcome
from timetabling.engine.pipeline.resources import detect
from timetabling.service.jobs import JobSpec, finish_job, run_job
from timetabling.service.redis_bus import DEFAULT_PREFIX, DEFAULT_REDIS_URL, sync_client

log = logging.getLogger(__name__)


SPLITS = ("job", "variants", "parts")


@dataclass(frozen=True)
class DistributedSettings:
    broker_url: str = DEFAULT_REDIS_URL
    result_backend: str = DEFAULT_REDIS_URL
    redis_url: str = DEFAULT_REDIS_URL  # progress, results, cancel flags
    prefix: str = DEFAULT_PREFIX
    queue: str = "timetable"
    max_retries: int = 3
    retry_backoff_s: float = 2.0  # first retry after this, doubling each time
    retry_backoff_max_s: float = 60.0
    time_limit_margin_s: float = 60.0  # soft task limit = job time limit + this; hard = soft + 30 s
    max_task_s: float = 0.0  # a cap on the soft limit whatever the job asks (0: none)
    visibility_timeout_s: int = 3600  # a message held by a worker that vanished comes back after this
    restore_interval_s: int = 0  # how often workers look for such messages (0: kombu's default, about 100 s)
    split: str = "job"  # job: one task per job | variants: one task per variant (chord) | parts: see below
    part_slots: int = 1  # split=parts: parts solved at once across the workers (sizes each part's optimisation)
    max_tasks_per_child: int = 200  # a worker's pool process is replaced after this many tasks...
    max_memory_per_child_mb: int = 2048  # ... or after a task that left it larger than this
    heartbeat_s: float = 5.0  # a running task refreshes its heartbeat this often...
    lost_after_s: float = 60.0  # ... and its worker counts as lost when none came for this long
    lost_requeues: int = 1  # a job whose worker was lost is sent again this many times, then fails

    @classmethod
    def from_env(cls) -> DistributedSettings:
        env = os.environ
        redis_url = env.get("TIMETABLE_REDIS_URL") or env.get("REDIS_URL") or DEFAULT_REDIS_URL
        broker = env.get("TIMETABLE_BROKER_URL") or redis_url
        split = env.get("TIMETABLE_CELERY_SPLIT", "job")
        if split not in SPLITS:
            raise ValueError(f"TIMETABLE_CELERY_SPLIT must be one of {', '.join(SPLITS)}, not '{split}'")
        return cls(
            broker_url=broker,
            result_backend=env.get("TIMETABLE_RESULT_BACKEND") or broker,
            redis_url=redis_url,
            prefix=env.get("TIMETABLE_REDIS_PREFIX", DEFAULT_PREFIX),
            queue=env.get("TIMETABLE_CELERY_QUEUE", "timetable"),
            max_retries=int(env.get("TIMETABLE_TASK_MAX_RETRIES", "3")),
            retry_backoff_s=float(env.get("TIMETABLE_TASK_RETRY_BACKOFF", "2")),
            retry_backoff_max_s=float(env.get("TIMETABLE_TASK_RETRY_BACKOFF_MAX", "60")),
            time_limit_margin_s=float(env.get("TIMETABLE_TASK_TIME_LIMIT_MARGIN", "60")),
            max_task_s=float(env.get("TIMETABLE_TASK_MAX_SECONDS", "0")),
            visibility_timeout_s=int(env.get("TIMETABLE_VISIBILITY_TIMEOUT", "3600")),
            restore_interval_s=int(env.get("TIMETABLE_UNACKED_RESTORE_INTERVAL", "0")),
            split=split,
            part_slots=max(1, int(env.get("TIMETABLE_CELERY_PART_SLOTS", "1"))),
            max_tasks_per_child=int(env.get("TIMETABLE_WORKER_MAX_TASKS_PER_CHILD", "200")),
            max_memory_per_child_mb=int(env.get("TIMETABLE_WORKER_MAX_MEMORY_MB", "2048")),
            heartbeat_s=float(env.get("TIMETABLE_TASK_HEARTBEAT", "5")),
            lost_after_s=float(env.get("TIMETABLE_WORKER_LOST_AFTER", "60")),
            lost_requeues=int(env.get("TIMETABLE_TASK_LOST_REQUEUES", "1")),
        )

    def backoff(self, retries: int) -> float:
        """Seconds before retry number ``retries + 1``: exponential, capped."""
        return min(self.retry_backoff_max_s, self.retry_backoff_s * 2**retries)

    def time_limits(self, job_time_limit: float) -> tuple[float, float]:
        soft = job_time_limit + self.time_limit_margin_s
        if self.max_task_s > 0:
            soft = min(soft, self.max_task_s)
        return soft, soft + 30.0

    # the keys shared by the runner and the tasks
    def events_channel(self, job_id: str) -> str:
        return f"{self.prefix}events:{job_id}"

    def cancel_key(self, job_id: str) -> str:
        return f"{self.prefix}cancel:{job_id}"

    def tasks_key(self, job_id: str) -> str:
        return f"{self.prefix}tasks:{job_id}"

    def running_key(self, task_id: str) -> str:
        return f"{self.prefix}running:{task_id}"

    def data_key(self, name: str) -> str:
        """A job's instance or a wave's state, read by the part tasks."""
        return f"{self.prefix}data:{name}"

    def started_key(self, task_id: str, retries: int) -> str:
        return f"{self.prefix}started:{task_id}:{retries}"

    def alive_key(self, task_id: str) -> str:
        """A running task's heartbeat: gone ``lost_after_s`` after its process stopped."""
        return f"{self.prefix}alive:{task_id}"

    def settled_key(self, task_id: str) -> str:
        """Set once nobody follows the task any more (its job ended, or it was sent again under another id):
        a message of it that comes back from the broker is dropped."""
        return f"{self.prefix}settled:{task_id}"

    def longest_task_s(self, max_time_limit: float) -> float:
        """The hard limit of the longest task a job may ask for: the visibility timeout must exceed it, or a
        running task's message is handed out again."""
        return self.time_limits(max_time_limit)[1]


SETTINGS = DistributedSettings.from_env()


def make_celery(settings: DistributedSettings) -> Celery:
    app = Celery("timetabling", broker=settings.broker_url, backend=settings.result_backend)
    transport: dict[str, int] = {"visibility_timeout": settings.visibility_timeout_s}
    if settings.restore_interval_s > 0:
        transport.update(unacked_restore_interval=settings.restore_interval_s, unacked_restore_throttle=1)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"],
        task_default_queue=settings.queue,
        task_acks_late=True, task_reject_on_worker_lost=True,
        task_track_started=True,
        worker_prefetch_multiplier=1,  # a worker holds no job it cannot start, so a free worker takes it
        # a fresh pool process after this many tasks, or once one grew past the memory cap (KiB): a whole job
        # leaves a large process behind, a part task a small one that the next part reuses (no new imports)
        worker_max_tasks_per_child=settings.max_tasks_per_child,
        worker_max_memory_per_child=settings.max_memory_per_child_mb * 1024,
        broker_transport_options=transport,
        result_backend_transport_options={"visibility_timeout": settings.visibility_timeout_s},
        broker_connection_retry_on_startup=True, broker_connection_max_retries=None,
        result_backend_always_retry=True, result_backend_max_retries=30, result_expires=24 * 3600,
        task_send_sent_event=False, worker_send_task_events=False,
        worker_hijack_root_logger=False,
    )
    return app


app = make_celery(SETTINGS)
_redis: redis.Redis | None = None


def _client() -> redis.Redis:
    global _redis
    if _redis is None:
        _redis = sync_client(SETTINGS.redis_url)
    return _redis


class _Events:
    """Publishes a task's progress events; best effort: while Redis is away, events are dropped."""

    def __init__(self, job_id: str, part: str) -> None:
        self.channel = SETTINGS.events_channel(job_id)
        self.part = part
        self._quiet_until = 0.0

    def __call__(self, event: dict[str, Any]) -> None:
        if time.monotonic() < self._quiet_until:
            return
        try:
            _client().publish(self.channel, json.dumps({**event, "part": self.part}))
        except redis.RedisError:
            self._quiet_until = time.monotonic() + 1.0


def _heartbeat(task_id: str, ttl_s: float | None = None) -> None:
    """Say that this task's process is alive (best effort: Redis away for longer than ``lost_after_s`` makes
    the job look lost, and it is then run again elsewhere, once)."""
    beat = json.dumps({"pid": os.getpid(), "hostname": socket.gethostname(), "at": time.time()})
    with contextlib.suppress(redis.RedisError):
        _client().set(SETTINGS.alive_key(task_id), beat, ex=max(1, int(ttl_s or SETTINGS.lost_after_s)))


def _watch(job_id: str, task_id: str, token: CancelToken, done: threading.Event) -> None:
    """While the task runs: its heartbeat every ``heartbeat_s``, and the job's cancel flag every 0.5 s."""
    key = SETTINGS.cancel_key(job_id)
    next_beat = time.monotonic() + SETTINGS.heartbeat_s
    while not done.wait(0.5):
        if time.monotonic() >= next_beat:
            _heartbeat(task_id)
            next_beat = time.monotonic() + SETTINGS.heartbeat_s
        if token.cancelled:
            continue
        try:
            if _client().exists(key):
                token.cancel()
        except redis.RedisError:
            pass


def _begin(task: Task, job_id: str, part: str) -> tuple[str, str] | None:
    """Before a task's work: retry later when Redis is away or this message was delivered before (its worker
    died); ``(status, message)`` when it must not run (cancelled, or lost too often); else None, and the
    task's record (``<prefix>running:<task id>``: process, host, retry) is written."""
    task_id = task.request.id
    retries = task.request.retries
    client = _client()
    try:
        if client.exists(SETTINGS.settled_key(task_id)):
            # nobody follows this task any more (it was sent again under another id after its worker was lost,
            # or its job ended): the broker handed out an old message; drop it, leave every result alone
            log.warning("task %s (%s) is settled: its message came back late and is dropped", task_id, part)
            raise Ignore()
        first_start = client.set(SETTINGS.started_key(task_id, retries), "1", nx=True, ex=24 * 3600)
        cancelled = bool(client.exists(SETTINGS.cancel_key(job_id)))
    except redis.RedisError as err:  # transient: try again later
        raise task.retry(exc=err, countdown=SETTINGS.backoff(retries), max_retries=SETTINGS.max_retries) from err
    if cancelled:
        return "cancelled", "cancelled before it started"
    if not first_start:  # this message was delivered before and its worker died: back off, then run again
        log.warning("task %s (%s) restarted after a lost worker; retry %d", task_id, part, retries + 1)
        countdown = SETTINGS.backoff(retries)
        _heartbeat(task_id, countdown + SETTINGS.lost_after_s)  # held here until the retry starts
        try:
            raise task.retry(countdown=countdown, max_retries=SETTINGS.max_retries)
        except MaxRetriesExceededError:
            return "failed", f"the worker running it was lost {retries + 1} time(s); gave up"
    _heartbeat(task_id)
    running = {"pid": os.getpid(), "hostname": socket.gethostname(), "retries": retries, "part": part,
               "job_id": job_id, "started": time.time()}
    with contextlib.suppress(redis.RedisError):
        client.set(SETTINGS.running_key(task_id), json.dumps(running), ex=24 * 3600)
    return None


@contextlib.contextmanager
def _cancel_watch(job_id: str, task_id: str):
    """For the duration of the block: the task's heartbeat, and a CancelToken set when the job's cancel flag
    appears in Redis."""
    token = CancelToken()
    done = threading.Event()
    threading.Thread(target=_watch, args=(job_id, task_id, token, done), daemon=True).start()
    try:
        yield token
    finally:
        done.set()


def _record(task: Task, part: str, seconds: float, **extra: Any) -> dict[str, Any]:
    """What a task reports about itself with its result (the per-task timings)."""
    return {"part": part, "seconds": round(seconds, 3), "retries": task.request.retries, "pid": os.getpid(),
            "hostname": socket.gethostname(), "task_id": task.request.id, **extra}


def _run(task: Task, spec: JobSpec, part: str, work: Callable[..., dict[str, Any]] = run_job,
         *args: Any) -> dict[str, Any]:
    """The common body of the job-level tasks: ``work(*args, on_event, token)`` (``run_job(spec, ...)`` by
    default) between the redelivery check and the bookkeeping."""
    early = _begin(task, spec.job_id, part)
    if early is not None:
        return {"job_id": spec.job_id, "status": early[0], "variants": [], "comparison": [],
                "generation_time": 0.0, "message": early[1], "part": part}
    t0 = time.perf_counter()
    with _cancel_watch(spec.job_id, task.request.id) as token:
        outcome = work(*(args or (spec,)), _Events(spec.job_id, part), token)
    outcome.pop("trace", None)
    outcome["part"] = part
    outcome["task"] = _record(task, part, time.perf_counter() - t0)
    return outcome


@app.task(name="timetabling.generate", bind=True, acks_late=True, reject_on_worker_lost=True)
def generate_task(self: Task, spec: dict[str, Any]) -> dict[str, Any]:
    """A whole generation job."""
    return _run(self, JobSpec(**spec), "job")


@app.task(name="timetabling.generate_variant", bind=True, acks_late=True, reject_on_worker_lost=True)
def generate_variant_task(self: Task, spec: dict[str, Any], variant: str) -> dict[str, Any]:
    """One variant of a job: the spec with only that variant."""
    return _run(self, JobSpec(**{**spec, "variants": (variant,)}), variant)


@app.task(name="timetabling.merge_variants", bind=True, acks_late=True, reject_on_worker_lost=True)
def merge_variants_task(self: Task, outcomes: list[dict[str, Any]], job_id: str) -> dict[str, Any]:
    """The chord's callback: one outcome from the variants' outcomes."""
    return merge_outcomes(job_id, outcomes)


_cache: dict[str, Any] = {}  # this process's copies of the instances and wave states its part tasks used


def _cached(key: str, load: Callable[[bytes], Any], keep: int = 4) -> Any:
    """The object under Redis key ``key``, loaded once per process (a job's instance is the same for all
    its parts, a wave's state for all the wave's parts)."""
    if key not in _cache:
        raw = _client().get(key)
        if raw is None:
            raise LookupError(f"{key} is not in Redis (expired, or the job was started elsewhere)")
        while len(_cache) >= keep:
            _cache.pop(next(iter(_cache)))
        _cache[key] = load(raw)
    return _cache[key]


def _part_job(job: dict[str, Any], refs: dict[str, str] | None) -> PartJob:
    """The part job of a task: self-contained, or a reference whose sub-instance is built here from the job's
    instance and the wave's state (both in Redis, read once per process)."""
    if refs is None or "sub" in job:
        return PartJob.from_json(job)
    instance = _cached(refs["instance"], lambda raw: Instance.model_validate_json(raw))
    state = _cached(refs["wave"], lambda raw: WaveState.from_json(instance, json.loads(raw)))
    return PartJob.from_json(job, state)


@app.task(name="timetabling.solve_part", bind=True, acks_late=True, reject_on_worker_lost=True)
def solve_part_task(self: Task, job_id: str, job: dict[str, Any], refs: dict[str, str] | None = None) -> dict[str, Any]:
    """One part of one wave of a job's stage 2 (``PartJob.to_json``; without its sub-instance when ``refs``
    names the Redis keys of the job's instance and the wave's state); returns the part's outcome
    (``outcome_to_json``) and the task's record. ``threads`` 0 in the job: every core of this machine."""
    name = job["name"]
    early = _begin(self, job_id, name)
    if early is not None:
        status = "cancelled" if early[0] == "cancelled" else "failed"
        outcome = PartOutcome(name, status, {}, 0.0, early[1])
        return {"outcome": outcome_to_json(outcome), "task": _record(self, name, 0.0, wave=job["wave"])}
    t0 = time.perf_counter()
    events = _Events(job_id, name)
    events({"stage": "parts", "percent": 0.0, "message": f"solving on {socket.gethostname()}", "eta_s": None})
    try:
        part = _part_job(job, refs)
        part.sub  # noqa: B018  (built here, outside the solve's own timing)
    except redis.RedisError as err:  # transient: try again later
        raise self.retry(exc=err, countdown=SETTINGS.backoff(self.request.retries),
                         max_retries=SETTINGS.max_retries) from err
    with _cancel_watch(job_id, self.request.id) as token:
        part.threads = detect(part.threads).pool_workers
        outcome = part.run(token)
    if token.cancelled and outcome.status not in ("optimal", "feasible"):
        outcome.status = "cancelled"
    seconds = time.perf_counter() - t0
    events({"stage": "parts", "percent": 0.0, "message": f"{outcome.status} in {seconds:.1f} s", "eta_s": None})
    return {"outcome": outcome_to_json(outcome),
            "task": _record(self, name, seconds, wave=job["wave"], solve_s=round(outcome.seconds, 3),
                            sessions=sum(len(v) for v in outcome.placements.values()), status=outcome.status)}


@app.task(name="timetabling.finish_parts", bind=True, acks_late=True, reject_on_worker_lost=True)
def finish_parts_task(self: Task, spec: dict[str, Any], placed: dict[str, Any], unplaced: dict[str, str],
                      stats: dict[str, Any], elapsed: float, percent: float) -> dict[str, Any]:
    """Stage 3 and the variants of a job whose stage-2 parts ran as ``solve_part`` tasks."""
    job = JobSpec(**spec)
    return _run(self, job, "finish", finish_job, job, placed, unplaced, stats, elapsed, percent)


def merge_outcomes(job_id: str, outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """Variants in task order; the job is completed when every task completed, else the worst status."""
    variants = [v for o in outcomes for v in o.get("variants", [])]
    statuses = [o.get("status", "failed") for o in outcomes]
    status = next((s for s in ("failed", "cancelled") if s in statuses), "completed")
    messages = [f"{o.get('part')}: {o['message']}" for o in outcomes if o.get("message")]
    base = {(e["course"], e["session"], e["day"], e["period"], e.get("room")) for e in variants[0]["entries"]} \
        if variants else set()
    comparison = []
    for o in outcomes:
        for row, v in zip(o.get("comparison", []), o.get("variants", []), strict=False):
            mine = {(e["course"], e["session"], e["day"], e["period"], e.get("room")) for e in v["entries"]}
            differ = 100.0 * len(mine - base) / len(mine) if mine else 0.0
            comparison.append({**row, "differs_from_first_pct": round(differ, 1)})
    return {"job_id": job_id, "status": status, "variants": variants, "comparison": comparison,
            "generation_time": max((o.get("generation_time", 0.0) for o in outcomes), default=0.0),
            "message": "; ".join(messages), "tasks": [o.get("task") for o in outcomes if o.get("task")]}

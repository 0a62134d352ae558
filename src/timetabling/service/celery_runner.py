"""``CeleryRunner``: the Runner interface over Celery workers (see ``celery_app``).

The service that submits a job follows it: a thread per job relays the workers' progress events
(``on_event``, the mean over the job's tasks when it is split) and, once the final task is ready, reports
the outcome once (``on_done``). Any service instance can cancel any job: the cancel flag and the job's task
ids live in Redis.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Any

import redis
from celery import chord, signature
from celery.result import AsyncResult
from celery.states import READY_STATES, REVOKED, SUCCESS

from timetabling.service.celery_app import DistributedSettings, make_celery
from timetabling.service.jobs import JobSpec
from timetabling.service.redis_bus import sync_client
from timetabling.service.runner import OnDone, OnEvent

log = logging.getLogger(__name__)

DAY_S = 24 * 3600


def _outcome(job_id: str, status: str, message: str) -> dict[str, Any]:
    return {"job_id": job_id, "status": status, "variants": [], "comparison": [], "generation_time": 0.0,
            "message": message}


class CeleryRunner:
    name = "celery"

    def __init__(self, settings: DistributedSettings | None = None, poll_s: float = 0.5,
                 cancel_grace_s: float = 15.0) -> None:
        self.settings = settings or DistributedSettings.from_env()
        self.app = make_celery(self.settings)
        self.poll_s = poll_s
        self.cancel_grace_s = cancel_grace_s
        self._redis = sync_client(self.settings.redis_url)
        self._jobs: dict[str, list[str]] = {}  # job id -> its task ids (jobs this instance follows)
        self._lock = threading.Lock()
        self._closing = threading.Event()

    # ------------------------------------------------------------------------------------------ submit

    def submit(self, spec: JobSpec, on_event: OnEvent, on_done: OnDone) -> None:
        s = self.settings
        soft, hard = s.time_limits(spec.time_limit)
        options = {"queue": s.queue, "soft_time_limit": soft, "time_limit": hard}
        body = spec.to_dict()
        stem = f"{spec.job_id}.{uuid.uuid4().hex[:8]}"
        parts: list[str]
        if s.split == "variants" and len(spec.variants) > 1:
            parts = list(spec.variants)
            header = [signature("timetabling.generate_variant", args=(body, v), app=self.app,
                                task_id=f"{stem}.{i}", **options) for i, v in enumerate(parts)]
            callback = signature("timetabling.merge_variants", kwargs={"job_id": spec.job_id}, app=self.app,
                                 task_id=f"{stem}.merge", queue=s.queue)
            final_id = f"{stem}.merge"
            task_ids = [f"{stem}.{i}" for i in range(len(parts))] + [final_id]
            self._remember(spec.job_id, task_ids)
            chord(header, callback, app=self.app).apply_async()
        else:
            parts = ["job"]
            final_id = f"{stem}.job"
            task_ids = [final_id]
            self._remember(spec.job_id, task_ids)
            self.app.send_task("timetabling.generate", args=(body,), task_id=final_id, **options)
        threading.Thread(target=self._follow, args=(spec.job_id, final_id, parts, on_event, on_done), daemon=True,
                         name=f"celery-job-{spec.job_id[:8]}").start()

    def _remember(self, job_id: str, task_ids: list[str]) -> None:
        with self._lock:
            self._jobs[job_id] = task_ids
        self._redis.set(self.settings.tasks_key(job_id), json.dumps(task_ids), ex=DAY_S)

    # ------------------------------------------------------------------------------------------ follow

    def _follow(self, job_id: str, final_id: str, parts: list[str], on_event: OnEvent, on_done: OnDone) -> None:
        """Relay progress until the final task is ready, then report its outcome (once, whatever happens)."""
        outcome: dict[str, Any] | None = None
        try:
            outcome = self._wait(job_id, final_id, parts, on_event)
        except Exception as err:  # never leave a job without an outcome
            log.exception("following job %s failed", job_id)
            outcome = _outcome(job_id, "failed", f"lost track of the job: {type(err).__name__}: {err}")
        finally:
            with self._lock:
                self._jobs.pop(job_id, None)
            if outcome is not None:
                on_done(outcome)

    def _wait(self, job_id: str, final_id: str, parts: list[str], on_event: OnEvent) -> dict[str, Any] | None:
        result = AsyncResult(final_id, app=self.app)
        channel = self.settings.events_channel(job_id)
        percent = dict.fromkeys(parts, 0.0)
        pubsub = None
        cancel_seen: float | None = None
        while not self._closing.is_set():
            try:
                if pubsub is None:
                    pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                    pubsub.subscribe(channel)
                item = pubsub.get_message(timeout=self.poll_s)
                while item is not None:
                    event = json.loads(item["data"])
                    part = event.get("part", "job")
                    percent[part] = max(percent.get(part, 0.0), float(event.get("percent", 0.0)))
                    mean = sum(percent.values()) / max(1, len(percent))
                    label = f"{part}: " if len(parts) > 1 else ""
                    on_event({**event, "percent": mean, "message": label + str(event.get("message", ""))})
                    item = pubsub.get_message(timeout=0)
            except (redis.RedisError, OSError) as err:
                log.info("progress of %s: Redis connection lost (%s); reconnecting", job_id, err)
                pubsub = None
                time.sleep(self.poll_s)
            try:
                state = result.state
                if cancel_seen is None and self._redis.exists(self.settings.cancel_key(job_id)):
                    cancel_seen = time.monotonic()
            except (redis.RedisError, OSError):
                continue
            if state in READY_STATES:
                return self._outcome_of(job_id, result, state)
            if cancel_seen is not None and time.monotonic() - cancel_seen > self.cancel_grace_s:
                self._revoke(job_id, terminate=True)
                return _outcome(job_id, "cancelled", "cancelled (the worker's task was stopped)")
        return None

    def _outcome_of(self, job_id: str, result: AsyncResult, state: str) -> dict[str, Any]:
        if state == SUCCESS:
            outcome = dict(result.result)
            outcome["job_id"] = job_id
            return outcome
        if state == REVOKED or self._cancel_requested(job_id):
            return _outcome(job_id, "cancelled", "cancelled before a worker started it")
        error = result.result
        return _outcome(job_id, "failed", f"the worker's task failed: {type(error).__name__}: {error}")

    # ------------------------------------------------------------------------------------------ cancel

    def cancel(self, job_id: str) -> bool:
        """Flag the job (running tasks stop at their next check and report what they have) and revoke its
        tasks that have not started; works for a job submitted through any service instance."""
        try:
            task_ids = self._task_ids(job_id)
            if not task_ids:
                return False
            self._redis.set(self.settings.cancel_key(job_id), "1", ex=DAY_S)
        except redis.RedisError as err:
            log.warning("cancel of %s: Redis unreachable: %s", job_id, err)
            return False
        self._revoke(job_id, terminate=False)
        return True

    def _cancel_requested(self, job_id: str) -> bool:
        try:
            return bool(self._redis.exists(self.settings.cancel_key(job_id)))
        except redis.RedisError:
            return False

    def _task_ids(self, job_id: str) -> list[str]:
        with self._lock:
            known = self._jobs.get(job_id)
        if known:
            return list(known)
        raw = self._redis.get(self.settings.tasks_key(job_id))
        return json.loads(raw) if raw else []

    def _revoke(self, job_id: str, terminate: bool) -> None:
        try:
            task_ids = self._task_ids(job_id)
            # the chord's callback (last) is not revoked: it reports the cancelled variants as one outcome
            started = task_ids[:-1] if len(task_ids) > 1 else task_ids
            if started:
                self.app.control.revoke(started, terminate=terminate, signal="SIGKILL" if terminate else "SIGTERM")
        except Exception as err:  # revoke is a broadcast: a broker hiccup must not fail the cancel
            log.warning("revoke of %s failed: %s", job_id, err)

    # ------------------------------------------------------------------------------------------ state

    def active(self) -> int:
        with self._lock:
            return len(self._jobs)

    def shutdown(self) -> None:
        """Stop following; the jobs themselves go on in the workers (their results stay in Redis)."""
        self._closing.set()

"""``CeleryRunner``: the Runner interface over Celery workers (see ``celery_app``).

The service that submits a job follows it: a thread per job relays the workers' progress events
(``on_event``, the mean over the job's tasks when it is split) and, once the final task is ready, reports
the outcome once (``on_done``). Any service instance can cancel any job: the cancel flag and the job's task
ids live in Redis.

A worker lost in the middle of a job (its main process killed, its machine gone) leaves the job's message
unacknowledged in the broker until the visibility timeout (an hour). The following thread notices sooner:
the running task's heartbeat (``<prefix>alive:<task id>``) vanishes ``lost_after_s`` after its last beat;
the job is then sent again under a new task id (``<final id>.r1``), at most ``lost_requeues`` times, and the
lost task is settled, so that its message, when it comes back, is dropped without running. A job split into
variants fails with the reason instead; a lost part of ``split=parts`` is a failed part (solved again alone).

With ``split=parts`` the thread also orchestrates the job: stage 1 here, each wave of stage 2 as a group of
``solve_part`` tasks (sub-instances built here, results merged here before the next wave is planned), then
one ``finish_parts`` task (stage 3 and the variants) that it follows like any other job. Orchestrating here
rather than in a task keeps every worker slot for solving (a coordinating task would hold a slot while it
waits, and Celery forbids waiting on subtasks inside a task); see docs/distributed.md.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import redis
from celery import chord, signature
from celery.result import AsyncResult
from celery.states import READY_STATES, RETRY, REVOKED, STARTED, SUCCESS
from kombu.exceptions import OperationalError

from timetabling.engine.control import CancelToken
from timetabling.service.celery_app import DistributedSettings, make_celery
from timetabling.service.celery_parts import DAY_S, Liveness, PartsOrchestration, job_outcome
from timetabling.service.jobs import JobSpec
from timetabling.service.redis_bus import sync_client
from timetabling.service.runner import OnDone, OnEvent

Resend = Callable[[str], None]  # sends the job again under the given task id

log = logging.getLogger(__name__)



class CeleryRunner(PartsOrchestration):
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
        if s.split == "parts":
            self._remember(spec.job_id, [])
            threading.Thread(target=self._follow_parts, args=(spec, stem, on_event, on_done), daemon=True,
                             name=f"celery-job-{spec.job_id[:8]}").start()
            return
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
            resend = None  # a chord's lost variant cannot be sent again on its own: the job fails with the reason
        else:
            parts = ["job"]
            final_id = f"{stem}.job"
            task_ids = [final_id]
            self._remember(spec.job_id, task_ids)

            def resend(task_id: str) -> None:
                self.app.send_task("timetabling.generate", args=(body,), task_id=task_id, **options)

            resend(final_id)
        threading.Thread(target=self._follow, args=(spec.job_id, final_id, parts, on_event, on_done, resend),
                         daemon=True, name=f"celery-job-{spec.job_id[:8]}").start()

    def _remember(self, job_id: str, task_ids: list[str], add: bool = False) -> None:
        """The job's task ids, here and in Redis (where any service instance finds them to cancel the job)."""
        with self._lock:
            known = self._jobs.get(job_id, []) if add else []
            self._jobs[job_id] = known = [*known, *(t for t in task_ids if t not in known)]
        self._redis.set(self.settings.tasks_key(job_id), json.dumps(known), ex=DAY_S)

    # ------------------------------------------------------------------------- split=parts: orchestration

    def _follow_parts(self, spec: JobSpec, stem: str, on_event: OnEvent, on_done: OnDone) -> None:
        outcome: dict[str, Any] | None = None
        try:
            outcome = self._orchestrate(spec, stem, on_event)
        except Exception as err:  # never leave a job without an outcome
            log.exception("orchestrating job %s failed", spec.job_id)
            outcome = job_outcome(spec.job_id, "failed", f"lost track of the job: {type(err).__name__}: {err}")
        finally:
            with self._lock:
                self._jobs.pop(spec.job_id, None)
            if outcome is not None:
                on_done(outcome)

    def _through_outages(self, action: Any, token: CancelToken, patience_s: float = 120.0) -> None:
        """``action()``, again while Redis (broker or store) is unreachable, for at most ``patience_s``."""
        deadline = time.monotonic() + patience_s
        while True:
            try:
                action()
                return
            except (redis.RedisError, OSError, OperationalError) as err:
                if time.monotonic() > deadline or token.cancelled or self._closing.is_set():
                    raise
                log.info("Redis unreachable while sending parts (%s); trying again", err)
                time.sleep(max(0.2, self.poll_s))

    def _stop_parts(self, task_ids: list[str]) -> None:
        """Revoke parts still queued; those running watch the cancel flag; any still running after the
        grace period is terminated."""
        try:
            self.app.control.revoke(task_ids, terminate=False)
        except Exception as err:
            log.warning("revoke failed: %s", err)
        deadline = time.monotonic() + self.cancel_grace_s
        left = list(task_ids)
        while left and time.monotonic() < deadline:
            # a revoked task never starts (its state stays PENDING): wait only for those that run
            with contextlib.suppress(redis.RedisError, OSError):
                left = [t for t in left if self.app.backend.get_task_meta(t).get("status") in (STARTED, RETRY)]
            if left:
                time.sleep(self.poll_s)
        if left:
            with contextlib.suppress(Exception):
                self.app.control.revoke(left, terminate=True, signal="SIGKILL")

    def _watch_cancel(self, job_id: str, token: CancelToken, stop: threading.Event) -> None:
        key = self.settings.cancel_key(job_id)
        while not stop.wait(self.poll_s):
            try:
                if self._redis.exists(key):
                    token.cancel()
                    return
            except redis.RedisError:
                pass
            if self._closing.is_set():
                token.cancel()
                return

    # ------------------------------------------------------------------------------------------ follow

    def _follow(self, job_id: str, final_id: str, parts: list[str], on_event: OnEvent, on_done: OnDone,
                resend: Resend | None = None) -> None:
        """Relay progress until the final task is ready, then report its outcome (once, whatever happens)."""
        outcome: dict[str, Any] | None = None
        try:
            outcome = self._wait(job_id, final_id, parts, on_event, resend)
        except Exception as err:  # never leave a job without an outcome
            log.exception("following job %s failed", job_id)
            outcome = job_outcome(job_id, "failed", f"lost track of the job: {type(err).__name__}: {err}")
        finally:
            with self._lock:
                self._jobs.pop(job_id, None)
            if outcome is not None:
                on_done(outcome)

    def _wait(self, job_id: str, final_id: str, parts: list[str], on_event: OnEvent,
              resend: Resend | None = None) -> dict[str, Any] | None:
        """Follow the job's final task until it is ready; ``resend(task_id)`` sends the job again under a new
        id after its worker was lost (None: the job then fails)."""
        result = AsyncResult(final_id, app=self.app)
        channel = self.settings.events_channel(job_id)
        percent = dict.fromkeys(parts, 0.0)
        pubsub = None
        cancel_seen: float | None = None
        liveness = Liveness(self, 2 * self.settings.heartbeat_s)
        requeues = 0
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
                lost = liveness.lost(self._running_states(job_id, result.id, state))
            except (redis.RedisError, OSError):
                continue
            if state in READY_STATES:
                self._settle(self._task_ids(job_id))
                return self._outcome_of(job_id, result, state)
            if cancel_seen is not None and (lost is not None or time.monotonic() - cancel_seen > self.cancel_grace_s):
                held = any(self.alive(t) for t in self._task_ids(job_id))
                self._revoke(job_id, terminate=True)
                self._settle(self._task_ids(job_id))
                return job_outcome(job_id, "cancelled", "cancelled (the worker's task was stopped)" if held else
                                "cancelled; no worker was running the job (it was still queued, or its worker "
                                "had been lost)")
            if lost is None:
                continue
            message = self._lost_message(lost)
            self._settle([lost])
            if resend is None or requeues >= self.settings.lost_requeues:
                again = f" (it had been started again {requeues} time(s) already)" if requeues else ""
                log.error("job %s: %s%s; the job fails", job_id, message, again)
                self._settle(self._task_ids(job_id))
                return job_outcome(job_id, "failed", f"{message}{again}; re-run the job")
            requeues += 1
            new_id = f"{final_id}.r{requeues}"
            log.warning("job %s: %s; sent again as task %s", job_id, message, new_id)
            self._remember(job_id, [new_id], add=True)
            resend(new_id)
            result = AsyncResult(new_id, app=self.app)
            on_event({"stage": "waiting for another worker (the first one was lost)", "eta_s": None,
                      "percent": max(percent.values(), default=0.0),
                      "message": f"{message}; started again on another worker"})
        return None

    # ------------------------------------------------------------------------------------ lost workers

    def alive(self, task_id: str) -> bool:
        """The task's heartbeat is fresh (its process beat within ``lost_after_s``)."""
        return bool(self._redis.exists(self.settings.alive_key(task_id)))

    def _running_states(self, job_id: str, final_id: str, final_state: str) -> dict[str, str]:
        """The states of the job's tasks whose worker could be lost: the job's task, or a chord's variant tasks
        (its merging task beats no heart: it runs for a moment once every variant is done)."""
        if self.settings.split != "variants" or not final_id.endswith(".merge"):
            return {final_id: final_state}
        return {task_id: self.app.backend.get_task_meta(task_id).get("status", "")
                for task_id in self._task_ids(job_id) if not task_id.endswith(".merge")}

    def _lost_message(self, task_id: str) -> str:
        """Why the job stopped, in an operator's words, with the worker's host and process where known."""
        where = ""
        with contextlib.suppress(redis.RedisError, OSError, ValueError):
            raw = self._redis.get(self.settings.running_key(task_id))
            if raw:
                record = json.loads(raw)
                where = f" (host {record.get('hostname')}, process {record.get('pid')})"
        return (f"the worker running the job{where} stopped sending heartbeats for "
                f"{self.settings.lost_after_s:.0f} s: killed, or its machine is gone")

    def _settle(self, task_ids: list[str]) -> None:
        """Nobody follows these tasks any more: a message of theirs that comes back from the broker (a lost
        worker's, after the visibility timeout) is dropped, and those still held as unacknowledged are
        removed now. Best effort."""
        if not task_ids:
            return
        with contextlib.suppress(redis.RedisError, OSError):
            pipe = self._redis.pipeline()
            for task_id in task_ids:
                pipe.set(self.settings.settled_key(task_id), "1", ex=DAY_S)
            pipe.execute()
        self._forget_unacked(set(task_ids))

    def _forget_unacked(self, task_ids: set[str]) -> None:
        """Remove the tasks' messages from the Redis broker's unacknowledged set (kombu's ``unacked`` hash), so
        that they do not come back after the visibility timeout."""
        broker = self.settings.broker_url
        if not broker.startswith(("redis://", "rediss://", "unix://")):
            return
        try:
            client = self._redis if broker == self.settings.redis_url else sync_client(broker)
            for tag, raw in client.hscan_iter("unacked"):
                with contextlib.suppress(ValueError, KeyError, TypeError, IndexError):
                    if json.loads(raw)[0]["headers"]["id"] in task_ids:
                        client.hdel("unacked", tag)
                        client.zrem("unacked_index", tag)
        except (redis.RedisError, OSError) as err:
            log.info("the lost task's message was not removed from the broker (%s); it is dropped when it "
                     "comes back", err)

    def _outcome_of(self, job_id: str, result: AsyncResult, state: str) -> dict[str, Any]:
        if state == SUCCESS:
            outcome = dict(result.result)
            outcome["job_id"] = job_id
            return outcome
        if state == REVOKED or self._cancel_requested(job_id):
            return job_outcome(job_id, "cancelled", "cancelled before a worker started it")
        error = result.result
        return job_outcome(job_id, "failed", f"the worker's task failed: {type(error).__name__}: {error}")

    # ------------------------------------------------------------------------------------------ cancel

    def cancel(self, job_id: str) -> bool:
        """Flag the job (running tasks stop at their next check and report what they have) and revoke its
        tasks that have not started; works for a job submitted through any service instance."""
        try:
            with self._lock:
                here = job_id in self._jobs
            if not here and self._redis.get(self.settings.tasks_key(job_id)) is None:
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
            # the chord's callback is not revoked: it reports the cancelled variants as one outcome
            started = [t for t in task_ids if not t.endswith(".merge")]
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

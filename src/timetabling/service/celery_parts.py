"""``split=parts`` of the ``CeleryRunner``: the engine service orchestrates a job's stage 2 as Celery part tasks.

Stage 1 runs here; each wave of stage 2 goes out as a group of ``solve_part`` tasks (the job's instance once and
each wave's state through Redis, the tasks as references), merged here before the next wave is planned; then one
``finish_parts`` task (stage 3 and the variants) that the runner follows like any other job. The engine's side
of it is ``pipeline.run.plan`` and ``pipeline.part_jobs``. ``PartsOrchestration`` is mixed into ``CeleryRunner``,
whose state and helpers (``_remember``, ``_through_outages``, ``_watch_cancel``, ``_wait``...) it uses.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

import redis
from celery.result import AsyncResult, GroupResult
from celery.states import READY_STATES, RETRY, STARTED, SUCCESS

from timetabling.engine.control import CancelToken
from timetabling.engine.model import Instance
from timetabling.engine.pipeline.part_jobs import PartJob, outcome_from_json
from timetabling.engine.pipeline.parts import PartOutcome
from timetabling.engine.pipeline.run import plan, start
from timetabling.service.jobs import JobSpec, options_of
from timetabling.service.runner import OnEvent

log = logging.getLogger("timetabling.service.celery_runner")

DAY_S = 24 * 3600


class _Follows(Protocol):
    def alive(self, task_id: str) -> bool: ...


class Relay:
    """The job's progress channel, read by the orchestrating thread between polls."""

    def __init__(self, client: redis.Redis, channel: str) -> None:
        self.client = client
        self.channel = channel
        self.pubsub: Any = None

    def pump(self, timeout: float, on_event: OnEvent) -> None:
        try:
            if self.pubsub is None:
                self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
                self.pubsub.subscribe(self.channel)
            item = self.pubsub.get_message(timeout=timeout)
            while item is not None:
                on_event(json.loads(item["data"]))
                item = self.pubsub.get_message(timeout=0)
        except (redis.RedisError, OSError) as err:
            log.info("progress of %s: Redis connection lost (%s); reconnecting", self.channel, err)
            self.close()
            time.sleep(timeout)

    def close(self) -> None:
        if self.pubsub is not None:
            with contextlib.suppress(redis.RedisError, OSError):
                self.pubsub.close()
            self.pubsub = None


def job_outcome(job_id: str, status: str, message: str) -> dict[str, Any]:
    return {"job_id": job_id, "status": status, "variants": [], "comparison": [], "generation_time": 0.0,
            "message": message}


class Liveness:
    """Which of the tasks a thread follows lost their worker: a task that runs (STARTED, or RETRY: held by a
    worker until its countdown ends) whose heartbeat key has been missing for ``grace_s``."""

    def __init__(self, runner: _Follows, grace_s: float) -> None:
        self.runner, self.grace_s = runner, grace_s
        self._missing: dict[str, float] = {}
        self._next_look = 0.0

    def lost(self, task_states: dict[str, str]) -> str | None:
        """The first task (id -> its state) whose worker is lost, at most one look per second; else None."""
        now = time.monotonic()
        if now < self._next_look:
            return None
        self._next_look = now + 1.0
        for task_id, state in task_states.items():
            if state not in (STARTED, RETRY) or self.runner.alive(task_id):
                self._missing.pop(task_id, None)
                continue
            since = self._missing.setdefault(task_id, now)
            if now - since >= self.grace_s:
                del self._missing[task_id]
                return task_id
        return None


class PartsOrchestration:
    """The ``split=parts`` methods of ``CeleryRunner``."""

    # ------------------------------------------------------------------------- split=parts: orchestration

    def _orchestrate(self, spec: JobSpec, stem: str, on_event: OnEvent) -> dict[str, Any] | None:
        """Stage 1 here; each wave of stage 2 as a group of ``solve_part`` tasks, merged here before the next
        wave is planned; then one ``finish_parts`` task (stage 3, variants), followed like any other job."""
        job_id = spec.job_id
        token = CancelToken()
        stop_watch = threading.Event()
        threading.Thread(target=self._watch_cancel, args=(job_id, token, stop_watch), daemon=True).start()
        relay = Relay(self._redis, self.settings.events_channel(job_id))
        records: list[dict[str, Any]] = []
        t0 = time.perf_counter()
        try:
            instance = Instance.model_validate(spec.instance)
            options = options_of(spec, on_event, token)
            state = start(instance, options)
            clock = state.clock

            def part_event(event: dict[str, Any]) -> None:
                on_event({**event, "stage": "parts", "percent": clock.pct, "eta_s": None,
                          "message": f"{event.get('part', '')}: {event.get('message', '')}"})

            def map_parts(jobs: Iterable[PartJob]) -> Iterator[tuple[PartJob, PartOutcome]]:
                return self._run_parts(spec, stem, jobs, token, relay, part_event, records)

            handoff = plan(instance, options, map_parts, self.settings.part_slots, state).handoff.to_json()
        finally:
            relay.close()
            stop_watch.set()
            with contextlib.suppress(redis.RedisError, OSError):  # the instance and wave states the parts read
                keys = list(self._redis.scan_iter(self.settings.data_key(f"{stem}.*")))
                if keys:
                    self._redis.delete(*keys)
        until_finish = time.perf_counter() - t0  # the instance read, stage 1, stage 2
        if self._closing.is_set():
            return job_outcome(job_id, "failed", "the engine service stopped while the job's parts ran")
        if token.cancelled:
            out = job_outcome(job_id, "cancelled", "cancelled while the parts of stage 2 ran")
            out["tasks"] = records
            return out
        s = self.settings
        soft, hard = s.time_limits(spec.time_limit)
        final_id = f"{stem}.finish"
        args = (spec.to_dict(), handoff["placed"], handoff["unplaced"], handoff["stats"], handoff["elapsed_s"],
                handoff["percent"])

        def send_finish(task_id: str = final_id) -> None:
            self._remember(job_id, [task_id], add=True)
            self.app.send_task("timetabling.finish_parts", task_id=task_id, queue=s.queue, soft_time_limit=soft,
                               time_limit=hard, args=args)

        self._through_outages(send_finish, token)
        outcome = self._wait(job_id, final_id, ["finish"], on_event, send_finish)
        if outcome is not None:
            finish_task = outcome.get("task")
            outcome["tasks"] = records + ([finish_task] if finish_task else [])
            stats = state.stats
            outcome["orchestration"] = {"stage1_s": stats.get("stage1_s"), "stage2_s": stats.get("stage2_s"),
                                        "until_finish_sent_s": round(until_finish, 3),
                                        "waves": stats.get("waves"), "parts": len(records)}
        return outcome

    def _run_parts(self, spec: JobSpec, stem: str, jobs: Iterable[PartJob], token: CancelToken, relay: Relay,
                   on_part_event: OnEvent, records: list[dict[str, Any]]) -> Iterator[tuple[PartJob, PartOutcome]]:
        """``map_parts`` for ``stage2.decompose``: the wave's part jobs as tasks of one group. The job's instance
        (once) and the wave's state (placements, busy rooms) go to Redis; each task carries only its part's
        courses, rooms and limits, and the worker builds the sub-instance (in parallel, not here). Yields each
        outcome as its task finishes. On cancel: the queued tasks are revoked, the running ones stop at the flag (or are
        terminated after the grace period), and nothing more is yielded."""
        s = self.settings
        soft, hard = s.time_limits(spec.time_limit)
        with self._lock:
            first = len(self._jobs.get(spec.job_id, []))
        group_id = f"{stem}.g{first}"
        pending: dict[str, PartJob] = {}
        refs: dict[str, str] | None = None
        for i, job in enumerate(jobs):
            if token.cancelled:
                break
            if refs is None:  # the job's instance (once) and this wave's state, where the part tasks read them
                refs = {"instance": s.data_key(f"{stem}.instance"), "wave": s.data_key(group_id)}
                assert job.state is not None
                wave_state = json.dumps(job.state.placements_json())
                self._through_outages(lambda r=refs, w=wave_state: self._put_data(spec, r, w), token)
            task_id = f"{stem}.w{job.wave}.{first + i}"
            data = job.to_json(with_sub=False)  # the worker builds the sub-instance
            data["threads"] = spec.workers  # the worker's own cores, not the service machine's
            pending[task_id] = job
            options = {"task_id": task_id, "group_id": group_id, "group_index": i, "queue": s.queue,
                       "soft_time_limit": soft, "time_limit": hard}
            self._through_outages(functools.partial(self._send_part, spec.job_id, (spec.job_id, data, refs),
                                                    options), token)
        with contextlib.suppress(redis.RedisError, OSError):  # the wave as a group in the result backend
            GroupResult(group_id, [AsyncResult(t, app=self.app) for t in pending], app=self.app).save()
        liveness = Liveness(self, 2 * s.heartbeat_s)
        states: dict[str, str] = {}
        while pending:
            if token.cancelled or self._closing.is_set():
                self._stop_parts(list(pending))
                return
            relay.pump(self.poll_s, on_part_event)
            lost = None
            with contextlib.suppress(redis.RedisError, OSError):  # Redis away: look again at the next round
                lost = liveness.lost({t: states[t] for t in pending if t in states})
            if lost is not None:  # the part's worker is gone: a failed part, solved again alone
                job = pending.pop(lost)
                message = self._lost_message(lost)
                self._settle([lost])
                yield job, PartOutcome(job.name, "failed", {}, 0.0, message)
                continue
            for task_id in list(pending):
                try:
                    meta = self.app.backend.get_task_meta(task_id)
                except (redis.RedisError, OSError):
                    break  # Redis away: look again at the next round
                states[task_id] = meta.get("status", "")
                if meta.get("status") not in READY_STATES:
                    continue
                job = pending.pop(task_id)
                if meta["status"] == SUCCESS:
                    body = meta["result"]
                    records.append(body["task"])
                    yield job, outcome_from_json(body["outcome"])
                else:
                    error = meta.get("result")
                    yield job, PartOutcome(job.name, "failed", {}, 0.0,
                                           f"the part's task failed: {type(error).__name__}: {error}")

    def _send_part(self, job_id: str, args: tuple, options: dict[str, Any]) -> None:
        self._remember(job_id, [options["task_id"]], add=True)  # known before it is sent: cancel revokes it
        self.app.send_task("timetabling.solve_part", args=args, **options)

    def _put_data(self, spec: JobSpec, refs: dict[str, str], wave_state: str) -> None:
        if not self._redis.exists(refs["instance"]):
            self._redis.set(refs["instance"], json.dumps(spec.instance), ex=DAY_S)
        self._redis.set(refs["wave"], wave_state, ex=DAY_S)

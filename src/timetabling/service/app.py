"""The FastAPI engine service: submit a generation, follow its progress, fetch its variants, cancel it.

``create_app()`` wires a runner, a progress bus, a result store and the callback to the web backend;
tests and deployments pass their own. Every route but ``/health`` needs the web backend's credential
(``guard``); one organization has at most ``max_jobs_per_org`` jobs queued or running here."""

from __future__ import annotations

import os
import threading
import time
from contextlib import asynccontextmanager
from typing import Annotated, Any

import psutil
from fastapi import Depends, FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

from timetabling import __version__
from timetabling.engine.model import Instance
from timetabling.service.backends import make_bus, make_result_store, make_runner
from timetabling.service.bus import ProgressBus, ResultStore
from timetabling.service.callback import CallbackSender
from timetabling.service.contract import (
    CancelAccepted,
    JobAccepted,
    JobRequest,
    ProgressMessage,
    VariantsAnswer,
    estimated_seconds,
    progress_of,
    time_limit_problem,
)
from timetabling.service.errors import http_error
from timetabling.service.fair import organization_key
from timetabling.service.guard import EngineGuard
from timetabling.service.jobs import JobSpec
from timetabling.service.outbox import make_outbox
from timetabling.service.runner import Runner
from timetabling.service.settings import ServiceSettings
from timetabling.service.variants import finished_answer


class Engine:
    """The service's parts; one per app."""

    def __init__(self, settings: ServiceSettings, runner: Runner, bus: ProgressBus, results: ResultStore,
                 callback: CallbackSender) -> None:
        self.settings, self.runner, self.bus, self.results, self.callback = settings, runner, bus, results, callback
        self._open: dict[str, set[str]] = {}  # organization -> its jobs queued or running here
        self._lock = threading.Lock()

    def admit(self, job_id: str, organization: str) -> int | None:
        """Count the job against its organization's cap: None when admitted, else how many it already has."""
        with self._lock:
            jobs = self._open.setdefault(organization, set())
            if len(jobs) >= self.settings.max_jobs_per_org:
                return len(jobs)
            jobs.add(job_id)
            return None

    def release(self, job_id: str, organization: str) -> None:
        with self._lock:
            jobs = self._open.get(organization, set())
            jobs.discard(job_id)
            if not jobs:
                self._open.pop(organization, None)

    def submit(self, spec: JobSpec) -> None:
        """Queue an admitted job; its organization's count drops when the job ends."""
        job_id = spec.job_id
        organization = organization_key(spec.meta.get("organization_id"))
        self.bus.publish(ProgressMessage(job_id, "queued", 0.0, "queued", None, "waiting for a free runner"))

        def on_event(event: dict[str, Any]) -> None:
            message = progress_of(job_id, event)
            self.bus.publish(message)
            self.callback.progress(message.to_dict())

        def on_done(outcome: dict[str, Any]) -> None:
            self.release(job_id, organization)
            outcome.pop("trace", None)
            self.results.put(job_id, outcome)
            status = outcome["status"]
            latest = self.bus.latest(job_id)
            progress = 100.0 if status == "completed" else (latest.progress if latest else 0.0)
            self.bus.publish(ProgressMessage(job_id, status, progress, status, 0.0, outcome.get("message", "")))
            self.callback.final(outcome)

        try:
            self.runner.submit(spec, on_event, on_done)
        except BaseException:
            self.release(job_id, organization)
            raise


def get_engine(request: Request) -> Engine:
    return request.app.state.engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def create_app(settings: ServiceSettings | None = None, runner: Runner | None = None, bus: ProgressBus | None = None,
               results: ResultStore | None = None) -> FastAPI:
    settings = settings or ServiceSettings.from_env()
    engine = Engine(
        settings,
        runner or make_runner(settings.runner, settings.max_jobs),
        bus or make_bus(settings.result_ttl_s),
        results or make_result_store(settings.result_ttl_s),
        CallbackSender(settings.callback_url, settings.shared_secret, settings.callback_retries,
                       settings.progress_interval_s, outbox=make_outbox(settings.outbox)),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        engine.runner.shutdown()

    app = FastAPI(title="Timetabling engine service", version=__version__, lifespan=lifespan)
    app.state.engine = engine
    app.add_middleware(EngineGuard, secret=settings.shared_secret, max_body_bytes=settings.max_body_bytes,
                       origins=settings.origins())

    app.add_middleware(GZipMiddleware, minimum_size=1024)  # a variant's entries are megabytes of JSON
    app.add_exception_handler(HTTPException, http_error)  # a body FastAPI cannot parse: 400 naming the body

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [{"field": ".".join(str(p) for p in e["loc"] if p != "body"), "reason": e["msg"]}
                    for e in exc.errors()]
        first = problems[0] if problems else {"field": None, "reason": "invalid request"}
        return JSONResponse(status_code=400, content={"detail": first["reason"], "error": first, "errors": problems})

    def error(status: int, field: str | None, reason: str) -> JSONResponse:
        return JSONResponse(status_code=status, content={"detail": reason, "error": {"field": field, "reason": reason}})

    @app.post("/api/generate_variants", response_model=JobAccepted, tags=["jobs"])
    def generate_variants(body: JobRequest, engine: EngineDep) -> Any:
        if engine.bus.latest(body.job_id) is not None or engine.results.get(body.job_id) is not None:
            return error(409, "job_id", f"job {body.job_id} was already submitted")
        too_long = time_limit_problem(body.time_limit, engine.settings.max_time_limit)
        if too_long:
            return error(400, "time_limit", f"{too_long} on this engine service")
        try:
            instance = Instance.model_validate(body.instance)
        except ValidationError as err:
            first = err.errors()[0]
            field = "instance." + ".".join(str(p) for p in first["loc"]) if first["loc"] else "instance"
            return error(400, field, first["msg"])
        organization = organization_key(body.organization_id)
        open_jobs = engine.admit(body.job_id, organization)
        if open_jobs is not None:
            return error(429, "organization_id", f"organization {organization or '(none)'} already has {open_jobs} "
                         f"job(s) queued or running on the engine, the most allowed is "
                         f"{engine.settings.max_jobs_per_org}; wait for one to finish or cancel it")
        spec = JobSpec(
            job_id=body.job_id, instance=instance.model_dump(mode="json"), variants=tuple(body.variants),
            time_limit=body.time_limit, workers=engine.settings.solver_workers, seed=body.seed,
            custom_weights={name: w.given() for name, w in body.custom_weights.items()},
            meta={"organization_id": body.organization_id, "department_id": body.department_id,
                  "batch_ids": body.batch_ids, "semester": body.semester, "academic_year": body.academic_year},
        )
        engine.submit(spec)
        return JobAccepted(job_id=body.job_id, status="queued", message="the job is queued",
                           estimated_time_seconds=estimated_seconds(body.time_limit))

    @app.get("/api/variants/{job_id}", response_model=VariantsAnswer, tags=["jobs"])
    def variants(job_id: str, engine: EngineDep, request: Request, variant: str | None = None) -> Any:
        """A summary of the job's variants; ``?variant=NAME`` for that one's entries (ETag, If-None-Match)."""
        outcome = engine.results.get(job_id)
        if outcome is not None:
            return finished_answer(job_id, outcome, variant, request.headers.get("if-none-match"))
        latest = engine.bus.latest(job_id)
        if latest is None:
            return error(404, "job_id", f"unknown job {job_id}")
        return VariantsAnswer(job_id=job_id, status=latest.status, variants=[], comparison=[], generation_time=None,
                              message="the job has not finished yet")

    @app.post("/api/cancel/{job_id}", response_model=CancelAccepted, tags=["jobs"])
    def cancel(job_id: str, engine: EngineDep) -> Any:
        latest = engine.bus.latest(job_id)
        if latest is None:
            return error(404, "job_id", f"unknown job {job_id}")
        if latest.final:
            return error(409, "job_id", f"job {job_id} is already {latest.status}")
        engine.runner.cancel(job_id)
        return CancelAccepted(job_id=job_id, status="cancelling", message="cancel requested")

    @app.get("/health", tags=["service"])
    def health(request: Request, engine: EngineDep) -> dict[str, Any]:
        """Up or not, for anyone; the figures (load, memory, jobs) only with the credential."""
        if not getattr(request.state, "engine_authenticated", False):
            return {"service": "engine", "status": "ok"}
        memory = psutil.virtual_memory()
        return {
            "service": "engine", "status": "ok", "redis": engine.bus.describe(), "version": __version__,
            "resources": {
                "cpus": os.cpu_count(), "load_1m": round(os.getloadavg()[0], 2),
                "memory_available_mb": memory.available // 2**20, "runner": engine.runner.name,
                "jobs_active": engine.runner.active(), "max_jobs": engine.settings.max_jobs,
            },
        }

    @app.websocket("/ws/progress/{job_id}")
    async def progress(websocket: WebSocket, job_id: str) -> None:
        await websocket.accept()
        engine_: Engine = websocket.app.state.engine
        if engine_.bus.latest(job_id) is None:
            await websocket.send_json({"job_id": job_id, "status": "unknown", "progress": 0, "phase": "",
                                       "eta_seconds": None, "message": f"unknown job {job_id}"})
            await websocket.close(code=4404)
            return
        last = -1.0
        started = time.monotonic()
        try:
            async for message in engine_.bus.subscribe(job_id):
                if message.progress < last and not message.final:
                    continue
                last = message.progress
                elapsed = round(time.monotonic() - started, 1)
                await websocket.send_json({**message.to_dict(), "elapsed_seconds": elapsed})
            await websocket.close()
        except WebSocketDisconnect:
            pass

    return app


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory timetabling.service.app:app_from_env``."""
    return create_app(ServiceSettings.from_env())

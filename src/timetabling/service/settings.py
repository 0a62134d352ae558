"""Engine service settings from the environment (shared with the web backend where they must agree).

Besides the runner and the callback: ``TIMETABLE_ENGINE_MAX_BODY_MB`` (32), ``TIMETABLE_MAX_TIME_LIMIT``
(1800 s), ``TIMETABLE_ENGINE_MAX_JOBS_PER_ORG`` (4 queued or running), ``TIMETABLE_ENGINE_RESULT_TTL``
(24 h), ``TIMETABLE_ENGINE_ALLOWED_ORIGINS`` (the browsers' origins for the progress WebSocket) and
``TIMETABLE_ENGINE_OUTBOX`` (where results the web backend has not accepted yet wait: a folder or ``redis``;
by default ``<data dir>/engine-outbox``, or Redis with the Redis progress bus)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from timetabling.service.limits import DEFAULT_MAX_TIME_LIMIT_S
from timetabling.service.limits import max_time_limit as max_time_limit_from_env
from timetabling.service.secret_file import ENGINE_SECRET_FILE, data_dir, stored_secret
from timetabling.service.signing import DEVELOPMENT_SECRET

DEFAULT_CALLBACK = "http://127.0.0.1:8000/api/academics/timetable/fastapi_callback/"
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
MIB = 2**20


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def default_outbox() -> str:
    """Redis where the progress bus is Redis (every instance sees every kept result), else a folder in the
    data folder, so that undelivered results survive a restart of the engine service."""
    from timetabling.service.backends import bus_kind

    return "redis" if bus_kind() == "redis" else str(data_dir() / "engine-outbox")


@dataclass
class ServiceSettings:
    callback_url: str | None = DEFAULT_CALLBACK  # None: nobody to tell (a client polls /api/variants)
    shared_secret: str = DEVELOPMENT_SECRET
    runner: str = "process"  # process | thread
    max_jobs: int = 2  # jobs solved at once; more wait in the queue
    solver_workers: int = 0  # CP-SAT workers per job; 0 = every core
    progress_interval_s: float = 1.0  # at most one progress callback per job per interval
    callback_retries: int = 5  # failed deliveries of a result before it is logged as an error (it is kept)
    outbox: str | None = None  # where undelivered results wait: a folder, "redis", or None (memory)
    development: bool = True
    max_body_bytes: int = 32 * MIB  # a university-profile instance is about 2.7 MB of JSON
    max_time_limit: float = DEFAULT_MAX_TIME_LIMIT_S  # seconds one job may ask for
    max_jobs_per_org: int = 4  # one organization's jobs queued or running here at once
    result_ttl_s: float = 24 * 3600.0  # finished results (and their last progress) are kept this long
    allowed_origins: tuple[str, ...] | None = None  # browser origins for the progress WebSocket; None: the web's
    extra: dict[str, str] = field(default_factory=dict)

    def origins(self) -> frozenset[str]:
        """Where a browser following a job may come from: the configured origins, or else the web backend's
        own (the origin of the callback URL, under each loopback name when it is a loopback one)."""
        if self.allowed_origins is not None:
            return frozenset(o.rstrip("/") for o in self.allowed_origins)
        if not self.callback_url:
            return frozenset()
        url = urlsplit(self.callback_url)
        origin = f"{url.scheme}://{url.netloc}"
        if url.hostname in ("127.0.0.1", "localhost", "::1"):
            port = f":{url.port}" if url.port else ""
            return frozenset({origin, *(f"{url.scheme}://{host}{port}" for host in LOOPBACK)})
        return frozenset({origin})

    @classmethod
    def from_env(cls) -> ServiceSettings:
        development = _bool("DJANGO_DEBUG", False)
        secret = os.environ.get("TIMETABLE_ENGINE_SECRET", "")
        if not secret and not development:
            raise RuntimeError("TIMETABLE_ENGINE_SECRET must be set (the same value as the web backend's) "
                               "unless DJANGO_DEBUG=1")
        secret = secret or stored_secret(data_dir() / ENGINE_SECRET_FILE)  # the web's on this machine
        origins = os.environ.get("TIMETABLE_ENGINE_ALLOWED_ORIGINS", "")
        if not development and secret == DEVELOPMENT_SECRET:
            raise RuntimeError("TIMETABLE_ENGINE_SECRET must be set when DJANGO_DEBUG is off")
        return cls(
            callback_url=os.environ.get("TIMETABLE_CALLBACK_URL", DEFAULT_CALLBACK) or None,
            shared_secret=secret,
            runner=os.environ.get("TIMETABLE_ENGINE_RUNNER", "process"),
            max_jobs=int(os.environ.get("TIMETABLE_ENGINE_MAX_JOBS", "2")),
            solver_workers=int(os.environ.get("TIMETABLE_ENGINE_WORKERS", "0")),
            development=development,
            max_body_bytes=int(float(os.environ.get("TIMETABLE_ENGINE_MAX_BODY_MB", "32")) * MIB),
            max_time_limit=max_time_limit_from_env(),
            max_jobs_per_org=int(os.environ.get("TIMETABLE_ENGINE_MAX_JOBS_PER_ORG", "4")),
            result_ttl_s=float(os.environ.get("TIMETABLE_ENGINE_RESULT_TTL", str(24 * 3600))),
            allowed_origins=tuple(o.strip() for o in origins.split(",") if o.strip()) if origins else None,
            outbox=os.environ.get("TIMETABLE_ENGINE_OUTBOX") or default_outbox(),
        )

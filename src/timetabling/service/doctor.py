"""What an engine service or a Celery worker will need on this machine, checked from here (``timetable
doctor``): each check says ok, or what is wrong and the fix. The web backend's checks are in
``timetabling.web.doctor``; the command line prints them (``cli/doctor.py``).

Checks never raise: an unreachable service, a refused secret or a setting that does not parse is a failed
check with its fix."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from timetabling.service.limits import max_time_limit
from timetabling.service.secret_file import is_loopback
from timetabling.service.signing import SIGNATURE_HEADER, sign

CALLBACK_PATH = "/api/academics/timetable/fastapi_callback/"
ROLES = ("web", "engine", "worker")


@dataclass
class Check:
    """One thing a process needs. ``ok`` None: worth knowing, not a problem."""

    name: str
    ok: bool | None
    detail: str = ""
    fix: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def guarded(name: str, check: Callable[[], Check | list[Check]]) -> list[Check]:
    """``check()``, or a failed check saying what went wrong when it raised."""
    try:
        result = check()
    except Exception as err:  # a check must report, never stop the others
        return [Check(name, False, f"{type(err).__name__}: {err}", "see the message")]
    return result if isinstance(result, list) else [result]


def infer_roles(environ: Mapping[str, str]) -> list[str]:
    """The roles this machine's environment describes: the web backend's settings, the engine service's,
    or only a broker (a worker). Nothing set: the embedded default, web and engine on one machine."""
    def has(*names: str) -> bool:
        return any(environ.get(n, "").strip() for n in names)

    roles = []
    if has("DATABASE_URL", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "TIMETABLE_ENGINE_URL"):
        roles.append("web")
    if has("TIMETABLE_CALLBACK_URL", "TIMETABLE_ENGINE_RUNNER", "TIMETABLE_ENGINE_OUTBOX"):
        roles.append("engine")
    if not roles and has("REDIS_URL", "TIMETABLE_REDIS_URL", "TIMETABLE_BROKER_URL"):
        roles.append("worker")
    return roles or ["web", "engine"]


def debug_on(environ: Mapping[str, str]) -> bool:
    return environ.get("DJANGO_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl() \
        if parts.password else url


# ----------------------------------------------------------------------------------------------- Redis


def redis_check(name: str, url: str, setting: str) -> Check:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except (redis.RedisError, OSError, ValueError) as err:
        return Check(name, False, f"{_redacted(url)} not reachable: {err}",
                     f"start Redis there, open its port to this machine, or correct {setting}")
    return Check(name, True, f"{_redacted(url)} answers")


# ------------------------------------------------------------------------------------------ the engine


def engine_checks(environ: Mapping[str, str] | None = None, timeout_s: float = 5.0) -> list[Check]:
    """The engine service's needs: its settings, Redis (with Celery), the web backend's callback and the
    shared secret (a signed ping the web backend verifies), the workers on its queue."""
    environ = os.environ if environ is None else environ
    from timetabling.service.settings import ServiceSettings

    try:
        settings = ServiceSettings.from_env()
    except (RuntimeError, ValueError) as err:
        return [Check("engine settings", False, str(err),
                      "export TIMETABLE_ENGINE_SECRET='<the web backend's value>' (and DJANGO_DEBUG unset)")]
    checks = [Check("engine settings", True, f"runner {settings.runner}, callback {settings.callback_url or '(none)'}")]
    checks += guarded("engine debug", lambda: debug_check(environ, [settings.callback_url or ""], "engine"))
    if settings.runner == "celery" or environ.get("TIMETABLE_PROGRESS_BUS") == "redis":
        from timetabling.service.backends import redis_url

        checks.append(redis_check("redis (progress, results)", redis_url(), "REDIS_URL"))
    if settings.callback_url:
        checks += guarded("web callback", lambda: callback_check(settings.callback_url or "", settings.shared_secret,
                                                                timeout_s))
    else:
        checks.append(Check("web callback", None, "TIMETABLE_CALLBACK_URL is empty: results are only kept here",
                            "set TIMETABLE_CALLBACK_URL to the web backend's callback URL"))
    if settings.runner == "celery":
        checks += guarded("celery", lambda: celery_checks(timeout_s=min(timeout_s, 3.0), need_workers=True))
    return checks


def callback_check(url: str, secret: str, timeout_s: float = 5.0) -> Check:
    """A signed ping to the web backend's callback: it answers only when it verifies our signature, and
    stores nothing."""
    name = "web callback and shared secret"
    nonce = secrets.token_hex(8)
    body = json.dumps({"ping": nonce}).encode()
    try:
        response = httpx.post(url, content=body, timeout=timeout_s,
                              headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)})
    except httpx.HTTPError as err:
        return Check(name, False, f"{url} not reachable from here: {err}",
                     "start the web backend, open its port to this machine, or correct TIMETABLE_CALLBACK_URL")
    if response.status_code == 200 and _json(response).get("pong") == nonce:
        return Check(name, True, f"{url} verified a signed ping (same TIMETABLE_ENGINE_SECRET)")
    if response.status_code in (401, 403):
        return Check(name, False, f"the web backend refused the engine's signature ({response.status_code}): the "
                     "shared secret differs", "set TIMETABLE_ENGINE_SECRET to the same value on the web backend and "
                     "the engine service, and restart both")
    if response.status_code == 400 and "host" in response.text.lower():
        return Check(name, False, f"the web backend does not answer to the name {host_of(url)} (400)",
                     f"add {host_of(url)} to DJANGO_ALLOWED_HOSTS on the web backend")
    if response.status_code == 404 or response.is_redirect:  # with TIMETABLE_HTTPS=1 any other path redirects
        where = f", to {response.headers.get('location')}" if response.is_redirect else ""
        return Check(name, False, f"{url} is not the callback (it answered {response.status_code}{where})",
                     f"TIMETABLE_CALLBACK_URL must end with {CALLBACK_PATH}")
    return Check(name, False, f"{url} answered {response.status_code}: {response.text[:200]}",
                 "check TIMETABLE_CALLBACK_URL and the web backend's log")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def debug_check(environ: Mapping[str, str], urls: list[str], process: str) -> Check:
    hosts = [h for h in map(host_of, urls) if h]
    beyond = [h for h in hosts if not is_loopback(h)]
    if not debug_on(environ):
        return Check(f"{process} DEBUG", True, "DEBUG off")
    if not beyond:
        return Check(f"{process} DEBUG", None, "DEBUG on (DJANGO_DEBUG=1): fine on a developer's own machine only")
    return Check(f"{process} DEBUG", False, f"DEBUG on (DJANGO_DEBUG=1) in a deployment reached at {beyond[0]}",
                 "unset DJANGO_DEBUG (or set DJANGO_DEBUG=0)")


# -------------------------------------------------------------------------------------- Celery workers


def celery_checks(timeout_s: float = 3.0, need_workers: bool = True) -> list[Check]:
    """The broker and result backend answer; workers answer a ping and take jobs from our queue; the broker
    hands a held job out again only after its longest task could have ended."""
    from timetabling.service.celery_app import DistributedSettings, make_celery

    s = DistributedSettings.from_env()
    checks = [redis_check("broker", s.broker_url, "TIMETABLE_BROKER_URL (or REDIS_URL)")]
    if s.result_backend != s.broker_url:
        checks.append(redis_check("result backend", s.result_backend, "TIMETABLE_RESULT_BACKEND"))
    cap = max_time_limit()
    longest = s.longest_task_s(cap)
    if s.visibility_timeout_s <= longest:
        checks.append(Check("visibility timeout", False, f"TIMETABLE_VISIBILITY_TIMEOUT={s.visibility_timeout_s} s is "
                            f"not above the longest task ({longest:.0f} s for TIMETABLE_MAX_TIME_LIMIT="
                            f"{cap:g}): a running job would be handed out again",
                            f"set TIMETABLE_VISIBILITY_TIMEOUT above {longest:.0f} (the default 3600 is) on every "
                            "worker and engine service"))
    else:
        checks.append(Check("visibility timeout", True, f"{s.visibility_timeout_s} s, above the longest task "
                            f"({longest:.0f} s); a lost worker is noticed after {s.lost_after_s:.0f} s without "
                            "heartbeat"))
    if checks[0].ok is False:
        return checks
    app = make_celery(s)
    try:
        queues = app.control.inspect(timeout=timeout_s).active_queues() or {}
    finally:
        app.close()
    ours = sorted(w for w, qs in queues.items() if any(q.get("name") == s.queue for q in qs))
    if ours:
        checks.append(Check("workers", True, f"{len(ours)} on queue {s.queue}: {', '.join(ours)}"))
    elif queues:
        others = sorted({q.get("name") for qs in queues.values() for q in qs})
        checks.append(Check("workers", False, f"{len(queues)} worker(s) answer, none on queue {s.queue} (they take "
                            f"{', '.join(map(str, others))})", "set the same TIMETABLE_CELERY_QUEUE on the engine "
                            "service and the workers (or timetable worker --queue)"))
    else:
        checks.append(Check("workers", False if need_workers else None,
                            f"no worker answers on {_redacted(s.broker_url)} within {timeout_s:g} s",
                            "start `timetable worker` on the worker machines, with the same broker URL"))
    return checks


def worker_checks(environ: Mapping[str, str] | None = None, timeout_s: float = 3.0) -> list[Check]:
    """A worker needs the broker, the result backend and Redis for progress and cancel flags; no database,
    no secret."""
    from timetabling.service.celery_app import DistributedSettings

    s = DistributedSettings.from_env()
    checks = celery_checks(timeout_s=timeout_s, need_workers=False)
    if s.redis_url != s.broker_url:
        checks.insert(1, redis_check("redis (progress, cancel)", s.redis_url, "TIMETABLE_REDIS_URL (or REDIS_URL)"))
    return checks

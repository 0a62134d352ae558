"""``timetable serve``: the web backend (:8000) and the engine service (:8001) on one machine.

Embedded defaults: a SQLite file under ``--data-dir``, jobs in local processes, progress in memory. The
database is migrated at start; an empty one gets a demo organization and an admin user.

Production defaults: Django runs under uvicorn (ASGI, static files by WhiteNoise) with DEBUG off (``--dev``
turns it on). Secrets not set in the environment are made once in the data folder and shared by both
services; on any address but loopback the command refuses to start without ``DJANGO_SECRET_KEY`` and
``TIMETABLE_ENGINE_SECRET`` set explicitly."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from timetabling.engine.generator import PROFILES
from timetabling.service.secret_file import is_loopback
from timetabling.service.signing import DEVELOPMENT_SECRET

SECRETS = ("DJANGO_SECRET_KEY", "TIMETABLE_ENGINE_SECRET")
DEV_BANNER = """\
!!! DEVELOPMENT MODE (DEBUG on): error pages show source code, settings and every URL.
!!! Never let anyone else reach this server; start it without --dev (and DJANGO_DEBUG unset) for real use."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="start the web backend and the engine service on this machine",
        description="Start the Django web backend and the FastAPI engine service together (SQLite, local "
        "runner, in-memory progress). A fresh database gets a demo university and an admin user.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="web backend port (default 8000)")
    parser.add_argument("--engine-port", type=int, default=8001, help="engine service port (default 8001)")
    parser.add_argument("--data-dir", type=Path, default=Path("var"), help="where the SQLite file lives (./var)")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="small", help="demo data size (small)")
    parser.add_argument("--no-demo", action="store_true", help="do not load demo data into an empty database")
    parser.add_argument("--runner", choices=("process", "thread"), default="process",
                        help="where jobs run: a process each (default) or threads of the engine service")
    parser.add_argument("--max-jobs", type=int, default=2, help="jobs the engine solves at once (default 2)")
    parser.add_argument("--workers", type=int, default=1, help="web backend processes (default 1)")
    parser.add_argument("--dev", action="store_true",
                        help="development: DEBUG on (detailed error pages); same as DJANGO_DEBUG=1")
    parser.set_defaults(func=run)


def refusal(host: str, environ: Mapping[str, str]) -> str | None:
    """Why the services must not listen on ``host`` with this environment; None when they may.

    Beyond loopback, secrets made in the data folder would be this machine's alone, and the public
    development value would let anyone sign sessions and engine results."""
    if is_loopback(host):
        return None
    missing = [name for name in SECRETS if environ.get(name, "").strip() in ("", DEVELOPMENT_SECRET)]
    if not missing:
        return None
    return (f"timetable serve: refusing to listen on {host} without {' and '.join(missing)} set in the "
            "environment (long random values, e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'; "
            "TIMETABLE_ENGINE_SECRET the same for the web backend and the engine service). "
            "Use --host 127.0.0.1 to try it on this machine only.")


def _development(environ: Mapping[str, str]) -> bool:
    return environ.get("DJANGO_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


def _configure(args: argparse.Namespace) -> str:
    args.data_dir.mkdir(parents=True, exist_ok=True)
    base = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}"
    os.environ.setdefault("TIMETABLE_DATA_DIR", str(args.data_dir.resolve()))
    os.environ["TIMETABLE_ENGINE_URL"] = f"{base}:{args.engine_port}"
    os.environ["TIMETABLE_CALLBACK_URL"] = f"{base}:{args.port}/api/academics/timetable/fastapi_callback/"
    if args.dev:
        os.environ["DJANGO_DEBUG"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "timetabling.web.settings")
    return base


def prepare_database(profile: str | None) -> str | None:
    """Migrate; on an empty database load the demo. Returns a line about the admin user, if one was made."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    from timetabling.web.academics.demo import database_is_empty, load_source, seed_organization
    from timetabling.web.scheduling.services import fail_interrupted_jobs

    fail_interrupted_jobs()  # the engine starts with this process: nothing it ran before is running now

    if profile is None or not database_is_empty():
        return None
    seeded = seed_organization(load_source(profile))
    counts = ", ".join(f"{n} {k}" for k, n in seeded.counts.items())
    line = f"demo organization '{seeded.organization.name}' (id {seeded.organization.pk}): {counts}"
    if seeded.username:
        line += f"\nadmin user: {seeded.username}   password: {seeded.password}"
    return line


def first_steps(web_url: str, note: str | None) -> str:
    """Where to go first: the dashboard (its checklist says what to do next), with the new admin's password."""
    lines = [f"open {web_url}/ in your browser: the dashboard shows what to do first"]
    password = note.rpartition("password: ")[2].strip() if note and "password: " in note else None
    if password:
        lines.append(f"  sign in as admin, password {password}   (shown this once; the Django admin, for single "
                     f"records, is at {web_url}/admin/)")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    refused = refusal(args.host, os.environ)
    if refused:
        print(refused, file=sys.stderr)
        return 2
    base = _configure(args)
    import django

    django.setup()
    import uvicorn
    from django.conf import settings

    from timetabling.service.app import create_app
    from timetabling.service.settings import ServiceSettings
    from timetabling.web.asgi import application as web_application

    started = time.perf_counter()
    if _development(os.environ):
        print(DEV_BANNER)
    print(f"database: {settings.DATABASES['default']['NAME']}")
    note = prepare_database(None if args.no_demo else args.profile)
    if note:
        print(note)

    # one secret for both services (and the job processes they start): the environment's or the data folder's
    os.environ["TIMETABLE_ENGINE_SECRET"] = settings.ENGINE_SHARED_SECRET
    service_settings = ServiceSettings.from_env()
    service_settings.runner, service_settings.max_jobs = args.runner, args.max_jobs
    engine = uvicorn.Server(uvicorn.Config(create_app(service_settings), host=args.host, port=args.engine_port,
                                           log_level="warning"))
    engine_thread = threading.Thread(target=engine.run, daemon=True, name="engine-service")
    engine_thread.start()

    print(f"engine service: {base}:{args.engine_port}  (health: /health, the rest with the engine secret; "
          f"runner: {args.runner})")
    print(f"web backend:    {base}:{args.port}  (API description: /api/openapi.json; uvicorn, "
          f"{args.workers} worker{'s' if args.workers > 1 else ''}, DEBUG {'on' if settings.DEBUG else 'off'})")
    if not is_loopback(args.host) and "DJANGO_ALLOWED_HOSTS" not in os.environ:
        print(f"note: DJANGO_ALLOWED_HOSTS is not set: requests for names other than {settings.ALLOWED_HOSTS} "
              "get 400 Bad Request")
    print(f"ready in {time.perf_counter() - started:.1f} s; Ctrl-C stops both")
    print(first_steps(f"{base}:{args.port}", note))
    sys.stdout.flush()
    # uvicorn stops on SIGINT or SIGTERM and then raises the signal again: both end here as KeyboardInterrupt
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        uvicorn.run("timetabling.web.asgi:application" if args.workers > 1 else web_application,
                    host=args.host, port=args.port, workers=args.workers, lifespan="off", server_header=False,
                    log_level="info" if settings.DEBUG else "warning")
    except KeyboardInterrupt:
        pass
    finally:
        engine.should_exit = True
        engine_thread.join(timeout=10)
    return 0

"""``timetable serve``: the web backend (:8000) and the engine service (:8001) on one machine.

Embedded defaults: a SQLite file under ``--data-dir``, jobs in local processes, progress in memory. The
database is migrated at start; an empty one gets a demo organization and an admin user."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import threading
import time
from pathlib import Path

from timetabling.engine.generator import PROFILES


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
    parser.set_defaults(func=run)


def _configure(args: argparse.Namespace) -> str:
    args.data_dir.mkdir(parents=True, exist_ok=True)
    base = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}"
    os.environ.setdefault("TIMETABLE_DATA_DIR", str(args.data_dir.resolve()))
    os.environ["TIMETABLE_ENGINE_URL"] = f"{base}:{args.engine_port}"
    os.environ["TIMETABLE_CALLBACK_URL"] = f"{base}:{args.port}/api/academics/timetable/fastapi_callback/"
    # both services run in this process: a fresh secret per start unless the operator set one
    os.environ.setdefault("TIMETABLE_ENGINE_SECRET", secrets.token_hex(16))
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


def run(args: argparse.Namespace) -> int:
    base = _configure(args)
    import django

    django.setup()
    import uvicorn
    from django.conf import settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer, get_internal_wsgi_application

    from timetabling.service.app import create_app
    from timetabling.service.settings import ServiceSettings

    started = time.perf_counter()
    print(f"database: {settings.DATABASES['default']['NAME']}")
    note = prepare_database(None if args.no_demo else args.profile)
    if note:
        print(note)

    service_settings = ServiceSettings.from_env()
    service_settings.runner, service_settings.max_jobs = args.runner, args.max_jobs
    engine = uvicorn.Server(uvicorn.Config(create_app(service_settings), host=args.host, port=args.engine_port,
                                           log_level="warning"))
    engine_thread = threading.Thread(target=engine.run, daemon=True, name="engine-service")
    engine_thread.start()

    class ThreadingServer(WSGIServer):
        daemon_threads = True

    import socketserver

    server_class = type("WebServer", (socketserver.ThreadingMixIn, ThreadingServer), {})
    web = server_class((args.host, args.port), WSGIRequestHandler, ipv6=":" in args.host)
    web.set_app(StaticFilesHandler(get_internal_wsgi_application()))
    print(f"engine service: {base}:{args.engine_port}  (health: /health, API docs: /docs; runner: {args.runner})")
    print(f"web backend:    {base}:{args.port}  (API description: /api/openapi.json)")
    print(f"open {base}:{args.port}/admin/ in your browser   (ready in {time.perf_counter() - started:.1f} s; "
          "Ctrl-C stops both)")
    sys.stdout.flush()
    try:
        web.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        web.server_close()
        engine.should_exit = True
        engine_thread.join(timeout=10)
    return 0

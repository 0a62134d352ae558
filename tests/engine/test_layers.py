"""The engine is a pure library: no web framework, queue, cache or database driver."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import timetabling.engine

FORBIDDEN = ("django", "fastapi", "starlette", "celery", "redis", "psycopg", "psycopg2", "sqlite3", "sqlalchemy")


def test_the_engine_imports_no_service_or_database_library() -> None:
    modules = [m.name for m in pkgutil.walk_packages(timetabling.engine.__path__, "timetabling.engine.")]
    assert len(modules) > 10
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(','.join(sorted(n for n in {FORBIDDEN!r} if n in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

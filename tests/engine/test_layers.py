"""The engine is a pure library: no web framework, queue, cache or database driver."""

from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import networkx as nx

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


def test_the_layer_contract_holds() -> None:
    """``.importlinter``: cli > web > service > engine, and the engine's own floors (docs/architecture.md)."""
    root = Path(__file__).resolve().parents[2]
    lint = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    out = subprocess.run([lint, "--config", str(root / ".importlinter")], capture_output=True, text=True, cwd=root)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def test_the_engine_has_no_import_circle() -> None:
    """No two engine modules import each other, directly or through others (imports for type hints aside)."""
    graph = grimp.build_graph("timetabling", exclude_type_checking_imports=True)
    links = nx.DiGraph()
    for module in graph.modules:
        if module.startswith("timetabling.engine"):
            links.add_node(module)
            links.add_edges_from((module, d) for d in graph.find_modules_directly_imported_by(module)
                                 if d.startswith("timetabling.engine"))
    circles = [sorted(c) for c in nx.strongly_connected_components(links) if len(c) > 1]
    assert links.number_of_nodes() > 50
    assert circles == []

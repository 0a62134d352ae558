"""Every CP-SAT parameter the engine sets, in one place: time, search threads, seed, log and presolve effort."""

from __future__ import annotations

import os

from ortools.sat.python import cp_model

LARGE_MODEL_VARIABLES = 50_000  # above this, a full presolve costs more than it saves (docs/benchmarks.md)


def default_threads() -> int:
    """CP-SAT search workers when the caller says 0: every core this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def configure(solver: cp_model.CpSolver, time_limit: float, *, threads: int = 0, seed: int | None = None,
              log: bool = False, presolve: str = "full") -> cp_model.CpSolver:
    """Set ``solver``'s parameters and return it. ``threads`` 0: every core. ``seed`` None: CP-SAT's own.
    ``presolve``: "full" (CP-SAT's default), "light" (no symmetry detection or probing: on neighbourhood and
    room models these took most of each solve) or "minimal" (light, one presolve pass: large models)."""
    p = solver.parameters
    p.max_time_in_seconds = time_limit
    p.num_workers = threads or default_threads()
    if seed is not None:
        p.random_seed = seed
    if log:  # off by default; a solver set up before keeps its own
        p.log_search_progress = True
    if presolve in ("light", "minimal"):
        p.symmetry_level = 0
        p.cp_model_probing_level = 0
    if presolve == "minimal":
        p.max_presolve_iterations = 1
    elif presolve not in ("full", "light"):
        raise ValueError(f"unknown presolve '{presolve}' (known: full, light, minimal)")
    return solver


def new_solver(time_limit: float, **kw: object) -> cp_model.CpSolver:
    """A fresh ``CpSolver`` set up by ``configure``."""
    return configure(cp_model.CpSolver(), time_limit, **kw)  # type: ignore[arg-type]


def core_solver(time_limit: float) -> cp_model.CpSolver:
    """A solver for an infeasible core (``SufficientAssumptionsForInfeasibility``): one search worker, the only
    setting under which CP-SAT reports the core."""
    return new_solver(time_limit, threads=1)


def presolve_for(variables: int) -> str:
    """The presolve effort for a whole model of this many variables."""
    return "minimal" if variables > LARGE_MODEL_VARIABLES else "full"

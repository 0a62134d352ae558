"""Fixtures shared by the engine tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

BENCH = Path(__file__).parents[2] / "benchmarks" / "itc2007"  # a copy of ../shared/benchmarks/itc2007


@pytest.fixture(scope="session")
def bench() -> Path:
    """The ITC-2007 benchmark data; in CI its absence is a failure, not a reason to skip."""
    if not (BENCH / "instances").is_dir():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"ITC-2007 benchmark data missing at {BENCH}")
        pytest.skip(f"ITC-2007 benchmark data not found at {BENCH}")
    return BENCH


@pytest.fixture(scope="session")
def compiled_search() -> None:
    """The annealing's compiled search loaded in this test process before a test times a solve.

    The first use in a process compiles it (numba, ~15 s on an idle machine, much more with several test
    processes compiling at once on a fresh checkout), and that time counts against the solve's time limit, so a
    short-limit test that expects the annealing to finish its work warms it up here first, without a limit."""
    from tests.conftest import tiny_instance
    from timetabling.engine.improve.anneal import AnnealConfig, Chain, Problem
    from timetabling.engine.solver import SolveOptions, solve

    instance = tiny_instance()
    first = solve(instance, SolveOptions(time_limit=120, optimize=False, workers=1)).solution
    assert first is not None
    prob = Problem(instance)
    start, room = prob.state(first)
    chain = Chain(prob, start, room, AnnealConfig(kempe=0.5), seed=0)
    chain.reseed()
    chain.step(1_000, 1.0)

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

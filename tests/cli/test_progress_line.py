"""The progress line of the CLI shows every phase of a solve, the annealing included."""

from __future__ import annotations

import io

from timetabling.cli.common import ProgressLine
from timetabling.engine.generator import generate_university
from timetabling.engine.solver import SolveOptions, solve


def test_the_progress_line_shows_annealing_progress() -> None:
    instance = generate_university("tiny", seed=1)
    out = io.StringIO()
    result = solve(instance, SolveOptions(time_limit=5, workers=2, progress=ProgressLine(5, stream=out)))
    assert result.feasible and result.stats["anneal_moves"] > 0
    assert "(annealing) objective" in out.getvalue()
    assert "Traceback" not in out.getvalue()

"""The progress line of the CLI: every phase of a solve, costs named for what they are, never a bound of 0."""

from __future__ import annotations

import io

from timetabling.cli.common import ProgressLine
from timetabling.engine.control import Progress
from timetabling.engine.generator import generate_university
from timetabling.engine.improve.anneal import compiled_ready
from timetabling.engine.solver import SolveOptions, solve


def test_the_progress_line_shows_annealing_progress() -> None:
    instance = generate_university("tiny", seed=1)
    out = io.StringIO()
    result = solve(instance, SolveOptions(time_limit=5, workers=2, progress=ProgressLine(5, stream=out)))
    text = out.getvalue()
    assert result.feasible and result.stats["anneal_moves"] > 0
    assert "(annealing) · soft cost" in text
    assert "objective" not in text and "bound 0" not in text and "Traceback" not in text
    assert compiled_ready()  # the search ran, so it is compiled now (and cached for the next process)


def test_the_first_line_with_a_cost_is_the_first_timetable_with_its_real_cost(monkeypatch) -> None:
    from timetabling.engine.solver import entry

    monkeypatch.setattr(entry, "compiled_ready", lambda: False)  # as on the first run after an install
    instance = generate_university("tiny", seed=1)
    seen: list[Progress] = []
    solve(instance, SolveOptions(time_limit=5, workers=2, progress=seen.append))
    messages = [p.message for p in seen]
    preparing = messages.index("preparing the optimiser (first run only, about 15 s) …")
    assert messages.index("found a first timetable") < preparing < messages.index("a better timetable (annealing)")
    first = next(p for p in seen if p.objective is not None)
    assert first.message == "found a first timetable" and first.bound is None
    assert first.objective > 0  # tiny has soft costs: a first timetable never reads as "cost 0, optimal"
    first_found = next(p for p in seen if "first timetable" in p.message)
    assert first_found.objective is None or first_found is first  # the feasibility search shows no cost


def test_the_line_says_when_the_optimiser_is_being_prepared_and_shows_no_unproved_bound() -> None:
    out = io.StringIO()
    line = ProgressLine(20, stream=out)
    line(Progress("solve", "found a first timetable", 3.0, objective=262.0))
    line(Progress("solve", "preparing the optimiser (first run only, about 15 s) …", 3.1))
    line(Progress("solve", "a better timetable (annealing)", 19.0, objective=218.0, bound=0.0))
    line(Progress("solve", "found a timetable", 19.5, objective=210.0, bound=120.0))
    rows = out.getvalue().splitlines()
    assert rows[0].endswith("solve: found a first timetable · soft cost 262, no lower bound known")
    assert rows[1].endswith("preparing the optimiser (first run only, about 15 s) … · soft cost 262, "
                            "no lower bound known")
    assert rows[2].endswith("a better timetable (annealing) · soft cost 218, no lower bound known")
    assert rows[3].endswith("found a timetable · soft cost 210, lower bound 120 (gap 42.9 %)")


def test_the_line_shows_the_instances_lower_bound_until_the_solver_proves_a_higher_one() -> None:
    from timetabling.engine.bounds import Bound

    out = io.StringIO()
    line = ProgressLine(20, stream=out, bound=Bound(100, {"faculty_preference": 100}, True, "cheapest slots"))
    line(Progress("solve", "found a first timetable", 3.0, objective=400.0))
    line(Progress("solve", "found a timetable", 9.0, objective=300.0, bound=150.0))
    line(Progress("solve", "found a timetable", 9.5, objective=250.0, bound=50.0))
    rows = out.getvalue().splitlines()
    assert rows[0].endswith("soft cost 400, lower bound 100 (gap 75.0 %)")
    assert rows[1].endswith("soft cost 300, lower bound 150 (gap 50.0 %)")
    assert rows[2].endswith("soft cost 250, lower bound 100 (gap 60.0 %)")


def test_generate_prints_the_plain_phase_never_the_internal_stage() -> None:
    from timetabling.cli.generate import ProgressPrinter

    out = io.StringIO()
    printer = ProgressPrinter(stream=out)
    printer(Progress("parts", "part 1 of 3", percent=10.0, eta_s=20.0, phase="placing core courses of 2 departments"))
    printer(Progress("optimise", "variant Balanced (anneal)", percent=45.0, phase="improving variant Balanced"))
    printer(Progress("optimise", "variant Balanced: soft cost 90", percent=46.0, phase="improving variant Balanced"))
    printer(Progress("optimise", "variant Compact (anneal)", percent=50.0, phase="improving variant Compact"))
    printer(Progress("resolve", "an event without its own phase", percent=60.0))
    rows = out.getvalue().splitlines()
    assert rows == ["[ 10.0%] placing core courses of 2 departments: part 1 of 3, about 20s left",
                    "[ 45.0%] improving variant Balanced: variant Balanced (anneal)",
                    "[ 50.0%] improving variant Compact: variant Compact (anneal)",
                    "[ 60.0%] removing the last clashes: an event without its own phase"]

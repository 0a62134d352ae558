"""What several commands share: solving with a live progress line, and writing the outputs."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from timetabling.engine.bounds import lower_bound
from timetabling.engine.checker import Report, check
from timetabling.engine.checker.describe import describe_metric, describe_rule
from timetabling.engine.control import Progress
from timetabling.engine.export import write_csv, write_html
from timetabling.engine.formats.native import save
from timetabling.engine.model import Instance
from timetabling.engine.solver import SolveOptions, SolveResult, solve
from timetabling.service.contract import LowerBound, bound_text, lower_bound_of


class ProgressLine:
    """A one-line progress bar on stderr: elapsed time against the limit, what the solver does, and the best
    timetable's soft cost once there is one (with a lower bound only where one was proved)."""

    def __init__(self, time_limit: float, stream=sys.stderr, width: int = 24, bound: Any = None):
        self.time_limit = time_limit
        self.bound = bound  # the instance's lower bound (``engine.bounds``), shown until the solver proves more
        self.stream = stream
        self.width = width
        self.last = Progress("start")
        self.tty = stream.isatty()

    def __call__(self, p: Progress) -> None:
        if p.objective is not None or p.stage != self.last.stage or p.message != self.last.message:
            self.last = p if p.objective is not None or self.last.objective is None else _keep_objective(p, self.last)
        frac = min(1.0, p.elapsed_s / self.time_limit) if self.time_limit else 1.0
        bar = "#" * int(frac * self.width) + "-" * (self.width - int(frac * self.width))
        line = f"[{bar}] {p.elapsed_s:6.1f}s {p.stage}: {p.message}{_cost(self.last, self.bound)}"
        if self.tty:
            self.stream.write("\r" + line[:120].ljust(120))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _cost(p: Progress, known: Any = None) -> str:
    """The best timetable's soft cost against the lower bound ("no lower bound known" where none was proved
    above zero): the words of ``contract.bound_text``, as the status page and the result say it."""
    if p.objective is None:
        return ""
    return f" · {bound_text(p.objective, best_bound(p.bound, known))}"


def best_bound(proved: float | None, known: Any) -> LowerBound | None:
    """The higher of the solver's proved bound and the instance's (``engine.bounds``): both are valid."""
    ours = lower_bound_of(known)
    if proved is not None and proved > 0 and (ours is None or not ours.known or proved > ours.value):
        return LowerBound(value=proved, known=True, basis="proved by the solver")
    return ours


def _keep_objective(p: Progress, last: Progress) -> Progress:
    return replace(p, objective=last.objective, bound=last.bound, solutions=last.solutions)


@dataclass
class Outcome:
    result: SolveResult
    report: Report | None
    seconds: float
    bound: Any = None  # the instance's lower bound on the soft cost (``engine.bounds.Bound``)


def solve_and_check(instance: Instance, options: SolveOptions, show_progress: bool = True) -> Outcome:
    known = lower_bound(instance)
    bar = ProgressLine(options.time_limit, bound=known) if show_progress else None
    options.progress = bar
    t0 = time.perf_counter()
    try:
        result = solve(instance, options)
    finally:
        if bar:
            bar.close()
    seconds = time.perf_counter() - t0
    report = check(instance, result.solution) if result.solution is not None else None
    return Outcome(result, report, seconds, known)


def write_outputs(instance: Instance, outcome: Outcome, out_dir: Path) -> list[Path]:
    """solution.json (the native format ``validate`` reads), timetable.csv and timetable.html."""
    solution = outcome.result.solution
    assert solution is not None
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "solution.json", out_dir / "timetable.csv", out_dir / "timetable.html"]
    save(solution, paths[0])
    write_csv(instance, solution, paths[1])
    write_html(instance, solution, paths[2], outcome.report.to_dict() if outcome.report else None)
    return paths


def print_failure(result: SolveResult) -> None:
    print(f"no timetable: {result.status}", file=sys.stderr)
    for line in result.explanation:
        print(f"  {line}", file=sys.stderr)


def print_summary(instance: Instance, outcome: Outcome) -> None:
    report = outcome.report
    result = outcome.result
    assert report is not None
    print(
        f"{instance.name}: {instance.n_sessions} sessions, {len(instance.courses)} courses, "
        f"{len(instance.batches)} batches, {len(instance.students)} students, {len(instance.faculty)} faculty, "
        f"{len(instance.rooms)} rooms"
    )
    first = result.stats.get("first_solution_s")
    print(
        f"solver: {result.status}, {bound_text(result.objective, best_bound(result.bound, outcome.bound))}, "
        f"first timetable after {first}s, total {outcome.seconds:.1f}s"
    )
    hard = ", ".join(f"{describe_rule(r).title.lower()} {n}" for r, n in report.hard.items() if n) or "none"
    print(f"checker: {report.hard_total} hard violations ({hard}); soft cost {report.soft_cost}")
    soft = ", ".join(f"{describe_rule(r).title.lower()} {n}" for r, n in report.soft_cost_by_rule.items())
    if soft:
        print(f"  soft cost by rule: {soft}")
    metrics = []
    for name, value in report.metrics.items():
        d = describe_metric(name)
        metrics.append(f"{d.title.lower()} {value:.1f}{'' if d.unit in ('', '%') else ' '}{d.unit}")
    print("  metrics: " + ", ".join(metrics))

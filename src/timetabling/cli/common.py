"""What several commands share: solving with a live progress line, and writing the outputs."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from timetabling.engine.checker import Report, check
from timetabling.engine.checker.describe import describe_metric, describe_rule
from timetabling.engine.export import write_csv, write_html
from timetabling.engine.formats.native import save
from timetabling.engine.model import Instance
from timetabling.engine.solver import Progress, SolveOptions, SolveResult, solve


class ProgressLine:
    """A one-line progress bar on stderr: elapsed time against the limit, what the solver does, and the best
    timetable's soft cost once there is one (with a lower bound only where one was proved)."""

    def __init__(self, time_limit: float, stream=sys.stderr, width: int = 24):
        self.time_limit = time_limit
        self.stream = stream
        self.width = width
        self.last = Progress("start", 0.0)
        self.tty = stream.isatty()

    def __call__(self, p: Progress) -> None:
        if p.objective is not None or p.phase != self.last.phase or p.message != self.last.message:
            self.last = p if p.objective is not None or self.last.objective is None else _keep_objective(p, self.last)
        frac = min(1.0, p.elapsed / self.time_limit) if self.time_limit else 1.0
        bar = "#" * int(frac * self.width) + "-" * (self.width - int(frac * self.width))
        line = f"[{bar}] {p.elapsed:6.1f}s {p.phase}: {p.message}{_cost(self.last)}"
        if self.tty:
            self.stream.write("\r" + line[:120].ljust(120))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _cost(p: Progress) -> str:
    """The best timetable's soft cost, and the lower bound only where the solver proved one above zero."""
    if p.objective is None:
        return ""
    bound = f" (lower bound {p.bound:g})" if p.bound is not None and 0 < p.bound < p.objective else ""
    return f" · soft cost {p.objective:g}{bound}"


def _keep_objective(p: Progress, last: Progress) -> Progress:
    return Progress(p.phase, p.elapsed, p.message, last.objective, last.bound, last.solutions)


@dataclass
class Outcome:
    result: SolveResult
    report: Report | None
    seconds: float


def solve_and_check(instance: Instance, options: SolveOptions, show_progress: bool = True) -> Outcome:
    bar = ProgressLine(options.time_limit) if show_progress else None
    options.progress = bar
    t0 = time.perf_counter()
    try:
        result = solve(instance, options)
    finally:
        if bar:
            bar.close()
    seconds = time.perf_counter() - t0
    report = check(instance, result.solution) if result.solution is not None else None
    return Outcome(result, report, seconds)


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
    bound = f" (lower bound {result.bound:g})" if result.bound and 0 < result.bound < (result.objective or 0) else ""
    print(
        f"solver: {result.status}, soft cost {result.objective:g}{bound}, "
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

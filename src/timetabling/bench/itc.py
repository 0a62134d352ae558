"""Run the scheduler on ITC-2007 instances and score each result with the independent checker.

One row per instance: hard violations, soft cost by rule and in total, the best known and the
ITC-2007 winner's costs, the gap, the time to the first timetable and the total time. The rows go to
``OUT/results.csv`` and each timetable to ``OUT/<instance>.sol``.
"""

from __future__ import annotations

import csv
import importlib.resources
import io
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from timetabling.engine.checker import check
from timetabling.engine.control import Progress
from timetabling.engine.errors import InputError
from timetabling.engine.formats.itc2007 import read_ctt, write_itc_solution
from timetabling.engine.model import Instance, Rule
from timetabling.engine.solver import SolveOptions, SolveResult, solve

SOFT_RULES = (Rule.ROOM_CAPACITY, Rule.COURSE_MIN_DAYS, Rule.ISOLATED_SESSION, Rule.ROOM_STABILITY)
COLUMNS = (
    "instance",
    "status",
    "hard_violations",
    *(r.value for r in SOFT_RULES),
    "soft_cost",
    "solver_objective",  # the model's own figure; above soft_cost when penalty variables are left slack
    "best_known",
    "itc2007_winner",
    "gap_pct",
    "first_feasible_s",
    "total_s",
    "time_limit_s",
    "workers",
    "seed",
)

Solver = Callable[[Instance, SolveOptions], SolveResult]


class BestKnown(NamedTuple):
    best_known: int | None
    itc2007_winner: int | None


def best_known() -> dict[str, BestKnown]:
    """Instance name -> best known cost in the literature and the ITC-2007 winner's cost."""
    text = (importlib.resources.files("timetabling") / "data" / "itc2007_best_known.csv").read_text("utf-8")

    def number(raw: str) -> int | None:
        return int(raw) if raw.strip() else None

    return {
        row["instance"]: BestKnown(number(row["best_known"]), number(row["itc2007_winner"]))
        for row in csv.DictReader(io.StringIO(text))
    }


def gap_pct(cost: int | None, best: int | None) -> float | None:
    """How far ``cost`` is above ``best``, in percent of ``best`` (None when either is unknown or 0)."""
    if cost is None or best is None:
        return None
    if best == 0:
        return 0.0 if cost == 0 else None
    return round(100.0 * (cost - best) / best, 1)


def find_instances(instances_dir: str | Path, only: Sequence[str] | None = None) -> list[Path]:
    """The ``.ctt`` files of ``instances_dir`` by name, or just those named in ``only``."""
    folder = Path(instances_dir)
    if not folder.is_dir():
        raise InputError(str(folder), ["not a folder of .ctt instances"])
    paths = {p.stem: p for p in sorted(folder.glob("*.ctt"))}
    if not paths:
        raise InputError(str(folder), ["no .ctt files in this folder"])
    if not only:
        return list(paths.values())
    unknown = [n for n in only if n not in paths]
    if unknown:
        raise InputError(str(folder), [f"no instance '{n}.ctt' here (found: {', '.join(paths)})" for n in unknown])
    return [paths[n] for n in only]


def bench_instance(
    path: Path,
    time_limit: float,
    workers: int,
    out_dir: Path,
    seed: int = 0,
    solver: Solver = solve,
    progress: Callable[[Progress], None] | None = None,
) -> dict[str, Any]:
    """Solve one instance, score it with the checker, write ``OUT/<instance>.sol``; return its row."""
    instance = read_ctt(path)
    reference = best_known().get(path.stem, BestKnown(None, None))
    first: list[float] = []

    def on_progress(event: Progress) -> None:
        if event.stage == "solve" and not first:
            first.append(event.elapsed_s)
        if progress:
            progress(event)

    t0 = time.perf_counter()
    result = solver(instance, SolveOptions(time_limit=time_limit, workers=workers, seed=seed, progress=on_progress))
    total_s = time.perf_counter() - t0
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(
        instance=path.stem,
        status=result.status,
        solver_objective=result.objective,
        best_known=reference.best_known,
        itc2007_winner=reference.itc2007_winner,
        total_s=round(total_s, 2),
        time_limit_s=time_limit,
        workers=workers,
        seed=seed,
    )
    if result.solution is None:
        return row
    report = check(instance, result.solution)
    write_itc_solution(instance, result.solution, out_dir / f"{path.stem}.sol")
    row["hard_violations"] = report.hard_total
    for rule in SOFT_RULES:
        row[rule.value] = report.soft_cost_by_rule.get(rule, 0)
    row["soft_cost"] = report.soft_cost
    row["gap_pct"] = gap_pct(report.soft_cost, reference.best_known) if report.feasible else None
    if report.feasible:
        stat = result.stats.get("first_solution_s")
        found = first[0] if first else stat if isinstance(stat, int | float) else None
        row["first_feasible_s"] = None if found is None else round(found, 2)
    return row


def write_results(rows: list[dict[str, Any]], path: Path, fieldnames: Sequence[str] = COLUMNS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(fieldnames))
        writer.writeheader()
        writer.writerows(rows)


def run_itc_bench(
    instances_dir: str | Path,
    time_limit: float,
    workers: int = 0,
    out_dir: str | Path = "bench-itc2007",
    *,
    seed: int = 0,
    only: Sequence[str] | None = None,
    solver: Solver = solve,
    on_row: Callable[[dict[str, Any]], None] | None = None,
    progress: Callable[[str, Progress], None] | None = None,
) -> list[dict[str, Any]]:
    """Bench every instance of ``instances_dir`` in turn; ``OUT/results.csv`` is rewritten after each."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)  # before the instances are looked for, as it always was

    def one(path: Path, forward: Callable[[Progress], None]) -> dict[str, Any]:
        return bench_instance(path, time_limit, workers, out, seed=seed, solver=solver, progress=forward)

    return bench_each(find_instances(instances_dir, only), one, out, COLUMNS, on_row, progress)


def bench_each(
    paths: Sequence[Path],
    bench_one: Callable[[Path, Callable[[Progress], None]], dict[str, Any]],
    out: Path,
    fieldnames: Sequence[str],
    on_row: Callable[[dict[str, Any]], None] | None = None,
    progress: Callable[[str, Progress], None] | None = None,
) -> list[dict[str, Any]]:
    """Run ``bench_one`` on each instance in turn, rewriting ``out/results.csv`` after each (a long bench that
    is stopped keeps what it measured); progress events are tagged with the instance's name."""
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for path in paths:

        def forward(event: Progress, name: str = path.stem) -> None:
            if progress:
                progress(name, event)

        rows.append(bench_one(path, forward))
        write_results(rows, out / "results.csv", fieldnames)
        if on_row:
            on_row(rows[-1])
    return rows

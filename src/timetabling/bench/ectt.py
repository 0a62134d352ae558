"""Solve CB-CTT instances under a formulation and score each timetable with the formulation scorer.

One row per instance: the solver's status, hard violations and weighted soft cost by the scorer (and by
component), the time to the first feasible timetable and the total time. The rows go to
``OUT/results.csv`` and each timetable to ``OUT/<instance>.sol``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from timetabling.bench.itc import Solver, bench_each
from timetabling.engine.control import Progress
from timetabling.engine.ectt.formulations import Formulation, formulation
from timetabling.engine.ectt.mapping import lectures_of, to_instance
from timetabling.engine.ectt.score import score
from timetabling.engine.errors import InputError
from timetabling.engine.formats.ectt import read_ectt, write_ectt_solution
from timetabling.engine.solver import SolveOptions, solve

__all__ = ["columns", "find_ectt_instances", "run_ectt_bench"]


def columns(f: Formulation) -> list[str]:
    head = ["instance", "formulation", "status", "hard_total", "soft_cost"]
    tail = ["solver_objective", "first_feasible_s", "total_s", "time_limit_s", "workers", "seed", "diagnosis"]
    return head + list(f.components) + tail


def find_ectt_instances(instances_dir: str | Path, only: Sequence[str] | None = None) -> list[Path]:
    """The ``.ectt`` files of ``instances_dir`` by name, or just those named in ``only``."""
    folder = Path(instances_dir)
    if not folder.is_dir():
        raise InputError(str(folder), ["not a folder of .ectt instances"])
    paths = {p.stem: p for p in sorted(folder.glob("*.ectt"))}
    if not paths:
        raise InputError(str(folder), ["no .ectt files in this folder"])
    unknown = [n for n in only or () if n not in paths]
    if unknown:
        raise InputError(str(folder), [f"no instance '{n}.ectt' here (found: {', '.join(paths)})" for n in unknown])
    return [paths[n] for n in only] if only else list(paths.values())


def bench_instance(
    path: Path,
    f: Formulation,
    time_limit: float,
    workers: int,
    out_dir: Path,
    seed: int = 0,
    solver: Solver = solve,
    progress: Callable[[Progress], None] | None = None,
) -> dict[str, Any]:
    """Solve one instance, score it under ``f``, write ``OUT/<instance>.sol``; return its row."""
    data = read_ectt(path)
    instance = to_instance(data, f)
    first: list[float] = []

    def on_progress(event: Progress) -> None:
        if event.stage == "solve" and not first:
            first.append(event.elapsed_s)
        if progress:
            progress(event)

    t0 = time.perf_counter()
    result = solver(instance, SolveOptions(time_limit=time_limit, workers=workers, seed=seed, progress=on_progress))
    row: dict[str, Any] = dict.fromkeys(columns(f))
    row.update(
        instance=path.stem,
        formulation=f.name,
        status=result.status,
        solver_objective=result.objective,
        total_s=round(time.perf_counter() - t0, 2),
        time_limit_s=time_limit,
        workers=workers,
        seed=seed,
    )
    if result.solution is None:
        row["diagnosis"] = " ".join(result.explanation)  # why there is no timetable, in plain words
        return row
    lectures = lectures_of(result.solution)
    write_ectt_solution(lectures, out_dir / f"{path.stem}.sol")
    judged = score(data, lectures, f)
    row.update(judged.hard)
    row.update(judged.soft)
    row.update(hard_total=judged.hard_total, soft_cost=judged.soft_cost)
    if judged.hard_total == 0:
        stat = result.stats.get("first_solution_s")
        found = first[0] if first else stat if isinstance(stat, int | float) else None
        row["first_feasible_s"] = None if found is None else round(found, 2)
    return row


def run_ectt_bench(
    instances_dir: str | Path,
    which: str,
    time_limit: float,
    workers: int = 0,
    out_dir: str | Path = "bench-ectt",
    *,
    seed: int = 0,
    only: Sequence[str] | None = None,
    solver: Solver = solve,
    on_row: Callable[[dict[str, Any]], None] | None = None,
    progress: Callable[[str, Progress], None] | None = None,
) -> list[dict[str, Any]]:
    """Bench every instance of ``instances_dir`` in turn; ``OUT/results.csv`` is rewritten after each."""
    f = formulation(which)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)  # before the instances are looked for, as it always was

    def one(path: Path, forward: Callable[[Progress], None]) -> dict[str, Any]:
        return bench_instance(path, f, time_limit, workers, out, seed=seed, solver=solver, progress=forward)

    return bench_each(find_ectt_instances(instances_dir, only), one, out, columns(f), on_row, progress)

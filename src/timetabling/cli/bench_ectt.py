"""``timetable bench ectt``: the scheduler on CB-CTT instances (``.ectt``) under a formulation UD1-UD5,
scored by the formulation scorer. The ``bench`` command group (``cli/bench.py``) adds this sub-command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from timetabling.bench.ectt import run_ectt_bench
from timetabling.cli.common import ProgressLine
from timetabling.engine.control import DEFAULT_TIME_LIMIT_S, Progress
from timetabling.engine.ectt.formulations import FORMULATIONS

__all__ = ["add_ectt_parser"]


def add_ectt_parser(bench_subparsers: argparse._SubParsersAction) -> None:
    """Add ``ectt`` to the ``bench`` command group."""
    p = bench_subparsers.add_parser(
        "ectt",
        help="solve extended curriculum-based (.ectt) instances under a formulation UD1-UD5",
        description="Solve each .ectt instance of DIR in turn under the formulation and score the timetable "
        "with the formulation scorer (the official validator's components). Writes OUT/results.csv and "
        "OUT/<instance>.sol.",
    )
    p.add_argument("--instances", type=Path, required=True, metavar="DIR", help="folder of .ectt files")
    p.add_argument("--formulation", default="UD2", type=str.upper, choices=tuple(FORMULATIONS))
    p.add_argument("--only", nargs="+", metavar="NAME", help="just these instances (e.g. comp01 test1)")
    p.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S, metavar="S", help="seconds per instance")
    p.add_argument("--workers", type=int, default=0, metavar="N", help="CP-SAT workers (0: every core)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", type=Path, default=Path("bench-ectt"), metavar="OUT")
    p.set_defaults(func=run)


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def run(args: argparse.Namespace) -> int:
    bars: dict[str, ProgressLine] = {}

    def progress(name: str, event: Progress) -> None:
        if sys.stderr.isatty():
            bars.setdefault(name, ProgressLine(args.time_limit))(event)

    def on_row(row: dict[str, Any]) -> None:
        if row["instance"] in bars:
            bars[row["instance"]].close()
        print(
            f"{row['instance']} {row['formulation']}: {row['status']}, hard {_cell(row['hard_total'])}, "
            f"cost {_cell(row['soft_cost'])}, first feasible {_cell(row['first_feasible_s'])} s, "
            f"total {row['total_s']} s",
            flush=True,
        )
        if row["diagnosis"]:
            print(f"  why: {row['diagnosis']}", flush=True)

    rows = run_ectt_bench(
        args.instances, args.formulation, args.time_limit, args.workers, args.output,
        seed=args.seed, only=args.only, on_row=on_row, progress=progress,
    )  # fmt: skip
    print(f"\nwritten: {args.output / 'results.csv'} and one .sol per instance")
    return 0 if all(r["hard_total"] == 0 for r in rows) else 1

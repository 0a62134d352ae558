"""``timetable bench itc2007``: the scheduler on the ITC-2007 track 3 instances, scored by the checker.

The ``bench`` command group (``cli/bench.py``) calls :func:`add_itc_parser` to add this sub-command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from timetabling.bench.itc import SOFT_RULES, run_itc_bench
from timetabling.cli.common import ProgressLine
from timetabling.engine.control import DEFAULT_TIME_LIMIT_S, Progress

__all__ = ["add_itc_parser", "render_table", "run", "run_itc_bench"]

SHORT = {"room_capacity": "cap", "course_min_days": "mindays", "isolated_session": "isol", "room_stability": "stab"}


def add_itc_parser(bench_subparsers: argparse._SubParsersAction) -> None:
    """Add ``itc2007`` to the ``bench`` command group."""
    p = bench_subparsers.add_parser(
        "itc2007",
        help="solve the ITC-2007 curriculum-based instances; cost against the best known",
        description="Solve each .ctt instance of DIR in turn, score the timetable with the independent "
        "checker (official ITC-2007 UD2 costs), and compare it with the best known cost and the "
        "ITC-2007 winner's. Writes OUT/results.csv and OUT/<instance>.sol.",
    )
    p.add_argument("--instances", type=Path, required=True, metavar="DIR", help="folder of .ctt files")
    p.add_argument("--only", nargs="+", metavar="NAME", help="just these instances (e.g. comp01 comp05)")
    p.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S, metavar="S", help="seconds per instance")
    p.add_argument("--workers", type=int, default=0, metavar="N", help="CP-SAT workers (0: every core)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", type=Path, default=Path("bench-itc2007"), metavar="OUT")
    p.set_defaults(func=run)


def _cell(value: Any) -> str:
    return "-" if value is None else str(value)


def render_table(rows: list[dict[str, Any]]) -> str:
    """The rows as a fixed-width table, with a total line over the instances that have a cost."""
    rule_cols = [r.value for r in SOFT_RULES]
    head = ["instance", "hard", *(SHORT[c] for c in rule_cols), "cost", "best", "winner", "gap%", "first s", "total s"]
    keys = ["instance", "hard_violations", *rule_cols, "soft_cost", "best_known", "itc2007_winner", "gap_pct"]
    keys += ["first_feasible_s", "total_s"]
    lines = [f"{head[0]:<10}" + "".join(f"{h:>9}" for h in head[1:])]
    for row in rows:
        lines.append(f"{row['instance']:<10}" + "".join(f"{_cell(row[k]):>9}" for k in keys[1:]))
    # the total compares like with like: feasible rows of instances with both published figures
    scored = [
        r for r in rows if r["hard_violations"] == 0 and r["best_known"] is not None and r["itc2007_winner"] is not None
    ]
    if len(scored) > 1:
        total, best, winner = (sum(r[k] for r in scored) for k in ("soft_cost", "best_known", "itc2007_winner"))
        pad = "".join(f"{'':>9}" for _ in rule_cols)
        names = f"(total over {len(scored)} instances: {', '.join(r['instance'] for r in scored)})"
        lines.append(f"{'total':<10}{'':>9}{pad}{total:>9}{best:>9}{winner:>9}")
        lines.append(names)
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    bars: dict[str, ProgressLine] = {}

    def progress(name: str, event: Progress) -> None:
        if not sys.stderr.isatty():
            return  # a progress bar only where someone watches it
        if name not in bars:
            bars[name] = ProgressLine(args.time_limit)
        bars[name](event)

    def on_row(row: dict[str, Any]) -> None:
        if row["instance"] in bars:
            bars[row["instance"]].close()
        cost = _cell(row["soft_cost"])
        print(
            f"{row['instance']}: {row['status']}, hard {_cell(row['hard_violations'])}, cost {cost} "
            f"(best known {_cell(row['best_known'])}), first {_cell(row['first_feasible_s'])} s, "
            f"total {row['total_s']} s",
            flush=True,
        )

    rows = run_itc_bench(
        args.instances,
        args.time_limit,
        args.workers,
        args.output,
        seed=args.seed,
        only=args.only,
        on_row=on_row,
        progress=progress,
    )
    print()
    print(render_table(rows))
    print(f"\nwritten: {args.output / 'results.csv'} and one .sol per instance")
    return 0 if all(r["hard_violations"] == 0 for r in rows) else 1

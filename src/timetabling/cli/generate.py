"""``timetable generate INSTANCE -o DIR``: solve an instance file and write the timetable."""

from __future__ import annotations

import argparse
from pathlib import Path

from timetabling.cli.common import print_failure, print_summary, solve_and_check, write_outputs
from timetabling.engine.formats.native import load_instance
from timetabling.engine.solver import SolveOptions


def add_solver_arguments(p: argparse.ArgumentParser, time_limit: float = 60.0) -> None:
    p.add_argument("--time-limit", type=float, default=time_limit, metavar="S", help="seconds (default %(default)s)")
    p.add_argument("--workers", type=int, default=0, metavar="N", help="solver threads (default: every core)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default %(default)s)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="solve an instance and write solution.json, CSV and HTML")
    p.add_argument("instance", type=Path, help="instance file (native JSON)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="DIR")
    add_solver_arguments(p)
    p.add_argument("--first", action="store_true", help="stop at the first feasible timetable")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    instance = load_instance(args.instance)
    options = SolveOptions(
        time_limit=args.time_limit, workers=args.workers, seed=args.seed, optimize=not args.first
    )
    outcome = solve_and_check(instance, options, show_progress=not args.quiet)
    if outcome.result.solution is None:
        print_failure(outcome.result)
        return 1
    paths = write_outputs(instance, outcome, args.output)
    print_summary(instance, outcome)
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0 if outcome.report and outcome.report.hard_total == 0 else 1

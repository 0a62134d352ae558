"""``timetable demo``: generate the small synthetic university, solve, check, write HTML, summarise."""

from __future__ import annotations

import argparse
from pathlib import Path

from timetabling.cli.common import print_failure, print_summary, solve_and_check, write_outputs
from timetabling.cli.generate import add_solver_arguments
from timetabling.engine.formats.native import save
from timetabling.engine.generator import generate_university
from timetabling.engine.solver import SolveOptions


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="generate a small university, solve it, check it, write the timetable")
    p.add_argument("--profile", default="small", help="synthetic profile (default %(default)s)")
    p.add_argument("-o", "--output", type=Path, default=Path("timetable-demo"), metavar="DIR")
    add_solver_arguments(p, time_limit=20.0)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    instance = generate_university(args.profile, seed=args.seed)
    args.output.mkdir(parents=True, exist_ok=True)
    save(instance, args.output / "instance.json")
    options = SolveOptions(time_limit=args.time_limit, workers=args.workers, seed=args.seed)
    outcome = solve_and_check(instance, options)
    if outcome.result.solution is None:
        print_failure(outcome.result)
        return 1
    paths = write_outputs(instance, outcome, args.output)
    print_summary(instance, outcome)
    print(f"wrote {args.output / 'instance.json'}, " + ", ".join(str(p) for p in paths))
    print(f"open {paths[-1]} in a browser to see every batch, faculty member and room")
    return 0 if outcome.report and outcome.report.hard_total == 0 else 1

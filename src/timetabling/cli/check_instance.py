"""``timetable check-instance FILE``: load an instance and explain why it cannot be solved, if it cannot."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from timetabling.engine.diagnostics import diagnose, errors
from timetabling.engine.formats.native import load_instance


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "check-instance",
        help="check an instance file and diagnose it before solving",
        description="Load a native instance file, report every problem in it, then run the diagnostics "
        "that explain why it cannot be solved. Exit status: 0 no errors, 1 diagnostic errors, "
        "2 the file cannot be used.",
    )
    p.add_argument("file", help="native JSON instance file")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    instance = load_instance(args.file)
    findings = diagnose(instance)
    if args.json:
        print(json.dumps([asdict(f) for f in findings], indent=1))
    else:
        for f in findings:
            print(f)
        n_errors = len(errors(findings))
        print(
            f"{args.file}: {instance.n_sessions} sessions of {len(instance.courses)} courses; "
            f"{n_errors} error(s), {len(findings) - n_errors} warning(s)"
        )
    return 1 if errors(findings) else 0

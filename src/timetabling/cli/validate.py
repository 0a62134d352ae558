"""``timetable validate INSTANCE SOLUTION``: check a timetable with the independent checker."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from timetabling.engine.checker import Report, check
from timetabling.engine.model import Instance, Solution

SHOWN_OFFENDERS = 5


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "validate",
        help="check a timetable: hard violations, soft cost and metrics",
        description="Check SOLUTION against INSTANCE with the independent checker. Exit status: 0 without "
        "hard violations, 1 with some, 2 when a file cannot be read. Native JSON files, or ITC-2007 "
        ".ctt instances with .sol solutions.",
    )
    p.add_argument("instance", type=Path, help="instance file (.json or ITC-2007 .ctt)")
    p.add_argument("solution", type=Path, help="solution file (.json or ITC-2007 .sol)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def load_instance(path: Path) -> Instance:
    """A native JSON instance, or an ITC-2007 ``.ctt`` one."""
    if path.suffix.lower() == ".ctt":
        from timetabling.engine.formats.itc2007 import read_ctt

        return read_ctt(path)
    from timetabling.engine.formats.native import load_instance as load_native

    return load_native(path)


def load_solution(path: Path, instance: Instance) -> Solution:
    """A native JSON solution, or an ITC-2007 ``.sol`` one (which needs the instance to read)."""
    if path.suffix.lower() == ".sol":
        from timetabling.engine.formats.itc2007 import read_itc_solution

        return read_itc_solution(path, instance)
    from timetabling.engine.formats.native import load_solution as load_native

    return load_native(path)


def render(report: Report) -> str:
    """The report as text: hard violations by kind with a few offenders, soft cost by rule, metrics."""
    lines = [f"hard violations: {report.hard_total}"]
    for rule, n in report.hard.items():
        if n:
            lines.append(f"  {rule.value}: {n}")
            offenders = report.offenders.get(rule, [])
            lines += [f"    {o}" for o in offenders[:SHOWN_OFFENDERS]]
            if len(offenders) > SHOWN_OFFENDERS:
                lines.append(f"    ... and {len(offenders) - SHOWN_OFFENDERS} more")
    lines.append(f"soft cost: {report.soft_cost}")
    for rule, cost in report.soft_cost_by_rule.items():
        lines.append(f"  {rule.value}: {cost} ({report.soft[rule]} unit(s))")
    lines.append("metrics:")
    lines += [f"  {name}: {value:.2f}" for name, value in report.metrics.items()]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    instance = load_instance(args.instance)
    solution = load_solution(args.solution, instance)
    report = check(instance, solution)
    print(json.dumps(report.to_dict(), indent=1) if args.json else render(report))
    return 0 if report.hard_total == 0 else 1

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
        ".ctt instances with .sol solutions; .ectt ones (and .ctt with --formulation) are scored under a "
        "CB-CTT formulation UD1-UD5.",
    )
    p.add_argument("instance", type=Path, help="instance file (.json or ITC-2007 .ctt)")
    p.add_argument("solution", type=Path, help="solution file (.json or ITC-2007 .sol)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--formulation",
        type=str.upper,
        choices=("UD1", "UD2", "UD3", "UD4", "UD5"),
        help="score a CB-CTT timetable (.ectt or .ctt instance, .sol solution) under this formulation, as the "
        "official validator does (default for .ectt: UD2)",
    )
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


def run_formulation(args: argparse.Namespace) -> int:
    """Score with the CB-CTT formulation scorer: hard violations and weighted soft cost by component."""
    from timetabling.engine.ectt.score import score
    from timetabling.engine.errors import InputError
    from timetabling.engine.formats.ectt import read_ectt, read_ectt_solution

    if args.instance.suffix.lower() not in (".ectt", ".ctt"):
        raise InputError(str(args.instance), ["--formulation needs an .ectt or .ctt instance"])
    data = read_ectt(args.instance)
    result = score(data, read_ectt_solution(args.solution, data), args.formulation or "UD2")
    if args.json:
        print(json.dumps(result.to_dict(), indent=1))
    else:
        lines = [f"formulation {result.formulation}", f"hard violations: {result.hard_total}"]
        lines += [f"  {name}: {n}" for name, n in result.hard.items()]
        lines.append(f"soft cost: {result.soft_cost}")
        lines += [f"  {name}: {cost}" for name, cost in result.soft.items()]
        print("\n".join(lines))
    return 0 if result.hard_total == 0 else 1


def run(args: argparse.Namespace) -> int:
    if args.formulation or args.instance.suffix.lower() == ".ectt":
        return run_formulation(args)
    instance = load_instance(args.instance)
    solution = load_solution(args.solution, instance)
    report = check(instance, solution)
    print(json.dumps(report.to_dict(), indent=1) if args.json else render(report))
    return 0 if report.hard_total == 0 else 1

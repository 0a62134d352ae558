"""``timetable repair`` and ``timetable diff``: change a timetable as little as possible, and show what changed.

    timetable repair NEW_INSTANCE --from OLD_SOLUTION -o DIR [--lock FILE] [--time-limit S] [--max-moves N]
                     [--regenerate COURSE...] [--seed N]
    timetable diff INSTANCE A.json B.json [--json]

``repair`` writes DIR/solution.json (as ``generate``), DIR/changes.json and DIR/changes.csv, and prints the
moves, the checker's hard violations and the soft cost before and after. Exit 0: a timetable without hard
violations; 1: none found (with the reason); 2: a file that cannot be used.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from timetabling.engine.checker import check
from timetabling.engine.errors import InputError
from timetabling.engine.formats.native import load_instance, load_solution, save
from timetabling.engine.model import Instance, Solution
from timetabling.engine.repair import Changes, RepairOptions, diff, load_locks, repair
from timetabling.engine.repair.carry import carry_over

WRITE_S = 0.5  # seconds kept for writing the outputs
WRITE_SHARE = 1.5  # the check after the repair, as a multiple of the check before it
MIN_REPAIR_S = 1.0  # seconds the repair is given however long reading took


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("repair", help="re-solve a timetable after its data changed, moving as few sessions as possible")
    p.add_argument("instance", type=Path, help="the changed instance (native JSON)")
    p.add_argument("--from", dest="previous", type=Path, required=True, metavar="SOLUTION",
                   help="the timetable to keep as much of as possible")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="DIR")
    p.add_argument("--lock", type=Path, metavar="FILE", help="sessions that must not move (see docs/formats.md)")
    p.add_argument("--time-limit", type=float, default=10.0, metavar="S",
                   help="seconds for the whole command, reading and writing included (default %(default)s)")
    p.add_argument("--max-moves", type=int, metavar="N",
                   help="at most N sessions move; spare moves may lower the soft cost")
    p.add_argument("--regenerate", nargs="+", default=(), metavar="COURSE",
                   help="courses to place afresh (their moves cost nothing), e.g. one department's")
    p.add_argument("--seed", type=int, default=0, metavar="N")
    p.add_argument("--workers", type=int, default=0, metavar="N", help="solver threads (default: every core)")
    p.set_defaults(func=run_repair)

    d = sub.add_parser("diff", help="what changed between two timetables: sessions, batches, faculty, students")
    d.add_argument("instance", type=Path, help="instance whose batches, faculty and students are counted")
    d.add_argument("a", type=Path, help="the earlier timetable")
    d.add_argument("b", type=Path, help="the later timetable")
    d.add_argument("--json", action="store_true", help="print the whole report as JSON")
    d.set_defaults(func=run_diff)


def run_repair(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    if args.max_moves is not None and args.max_moves < 0:
        raise InputError("--max-moves", [f"must be 0 or more (got {args.max_moves})"])
    instance = load_instance(args.instance)
    previous = load_solution(args.previous)
    locks = load_locks(args.lock) if args.lock else ()
    source = str(args.previous)
    t_check = time.perf_counter()
    before = check(instance, carry_over(instance, previous, (), source).solution(instance))
    check_s = time.perf_counter() - t_check
    unknown = [c for c in args.regenerate if c not in instance.course_by_id]
    if unknown:
        raise InputError("--regenerate", [f"unknown course '{c}'" for c in unknown])
    # the limit is the whole command's: what reading took is spent, the check afterwards and writing are kept
    left = args.time_limit - (time.perf_counter() - t0) - WRITE_SHARE * check_s - WRITE_S
    options = RepairOptions(time_limit=max(MIN_REPAIR_S, left), max_moves=args.max_moves, seed=args.seed,
                            workers=args.workers, regenerate=frozenset(args.regenerate))
    result = repair(instance, previous, locks, options, source=source)
    if result.solution is None:
        print(f"no repaired timetable: {result.status}", file=sys.stderr)
        for line in result.explanation:
            print(f"  {line}", file=sys.stderr)
        return 1
    after = check(instance, result.solution)
    changes = result.changes or diff(instance, previous, result.solution)
    args.output.mkdir(parents=True, exist_ok=True)
    save(result.solution, args.output / "solution.json")
    write_changes(instance, changes, args.output)
    print(f"{instance.name}: {instance.n_sessions} sessions; {result.hit} hit by the change "
          f"({before.hard_total} hard violation(s) in the previous timetable on this instance)")
    print_changes(changes)
    print(f"checker: {after.hard_total} hard violations; soft cost {before.soft_cost} before, {after.soft_cost} after")
    print(f"repair: {result.status} in {time.perf_counter() - t0:.1f}s; wrote {args.output}/solution.json, "
          "changes.json, changes.csv")
    return 0 if after.hard_total == 0 else 1


def write_changes(instance: Instance, changes: Changes, out_dir: Path) -> None:
    (out_dir / "changes.json").write_text(json.dumps(changes.to_dict(instance), indent=1), encoding="utf-8")
    changes.write_csv(out_dir / "changes.csv")


def print_changes(changes: Changes, limit: int = 20) -> None:
    s = changes.summary()
    print(f"changes: {s['moved_in_time']} moved in time ({s['other_day']} to another day, {s['other_period']} "
          f"to another period), {s['room_only']} another room only, {s['added']} added, {s['removed']} removed, "
          f"{s['unchanged']} unchanged")
    print(f"  touches {s['batches']} batch(es), {s['faculty']} faculty member(s), {s['students']} student(s)")
    for c in changes.sessions[:limit]:
        old = "-" if c.old is None else f"day {c.old.day} period {c.old.period} room {c.old.room or '-'}"
        new = "-" if c.new is None else f"day {c.new.day} period {c.new.period} room {c.new.room or '-'}"
        print(f"  {c.course}: {c.kind}: {old} -> {new}")
    if len(changes.sessions) > limit:
        print(f"  ... and {len(changes.sessions) - limit} more")


def run_diff(args: argparse.Namespace) -> int:
    instance = load_instance(args.instance)
    a: Solution = load_solution(args.a)
    b: Solution = load_solution(args.b)
    changes = diff(instance, a, b)
    if args.json:
        print(json.dumps(changes.to_dict(instance), indent=1))
    elif changes.empty:
        print("no changes")
    else:
        print_changes(changes)
    return 0

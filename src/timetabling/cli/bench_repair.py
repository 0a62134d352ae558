"""``timetable bench repair``: five changes to a synthetic university, each repaired end to end by the CLI.

After a first timetable: (a) the busiest faculty member loses their busiest day; (b) the three most used rooms
close; (c) 2 % of the courses get one more weekly session; (d) 50 students change an elective; (e) one
department is re-generated with every other session locked. Per change: the wall time of
``timetable repair`` in this process (reading the files, the checker before and after, writing the outputs),
the sessions moved in time, rooms changed, sessions the change hits, the checker's hard violations, the soft
cost before and after, and the sessions a from-scratch run moves. Then the candidate query over 100 random
sessions (p50/p95). Measured numbers, not tests.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections import Counter
from pathlib import Path

from timetabling.engine.checker import check
from timetabling.engine.formats.native import load_solution, save
from timetabling.engine.generator import generate_university
from timetabling.engine.model import Instance, Slot, Solution
from timetabling.engine.repair import Lock, LockFile, diff
from timetabling.engine.repair.candidates import CandidateIndex
from timetabling.engine.repair.occupancy import rooms_by_type
from timetabling.engine.solver import SolveOptions, solve
from timetabling.engine.timetable.domains import room_fits

SCENARIOS = ("a", "b", "c", "d", "e")


def add_repair_parser(bench: argparse._SubParsersAction) -> None:
    p = bench.add_parser("repair", help="five changes repaired with few moves; candidate query latency")
    p.add_argument("--profile", default="university", choices=("tiny", "small", "medium", "university"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--time-limit", type=float, default=10.0, metavar="S", help="repair time limit")
    p.add_argument("--first-limit", type=float, default=300.0, metavar="S", help="limit for the first timetable")
    p.add_argument("--scratch-limit", type=float, default=300.0, metavar="S",
                   help="limit of each from-scratch run (0: none)")
    p.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=SCENARIOS)
    p.add_argument("--queries", type=int, default=100, metavar="N", help="sessions for the candidate query")
    p.add_argument("-o", "--output", type=Path, metavar="OUT", help="folder for the files and results.json")
    p.set_defaults(func=run_repair_bench)


# ------------------------------------------------------------------------------------------- changes


def _replace(items: tuple, changed: dict) -> tuple:
    return tuple(changed.get(x.id, x) for x in items)


def lose_a_day(inst: Instance, sol: Solution, rng: random.Random) -> tuple[Instance, tuple[Lock, ...], str]:
    load = Counter(f for a in sol.assignments for f in inst.course_by_id[a.course].faculty)
    fid = load.most_common(1)[0][0]
    day = Counter(a.day for a in sol.assignments if fid in inst.course_by_id[a.course].faculty).most_common(1)[0][0]
    f = inst.faculty_by_id[fid]
    gone = f.unavailable | {Slot(day, p) for p in range(inst.grid.n_periods)}
    new = inst.model_copy(update={"faculty": _replace(inst.faculty, {fid: f.model_copy(update={"unavailable": gone})})})
    return new, (), f"faculty {fid} loses {inst.grid.days[day]}"


def close_rooms(inst: Instance, sol: Solution, rng: random.Random) -> tuple[Instance, tuple[Lock, ...], str]:
    use = Counter(a.room for a in sol.assignments if a.room)
    every = frozenset(Slot(d, p) for d in range(inst.grid.n_days) for p in range(inst.grid.n_periods))
    closed = {r: inst.room_by_id[r].model_copy(update={"unavailable": every}) for r, _n in use.most_common(3)}
    return inst.model_copy(update={"rooms": _replace(inst.rooms, closed)}), (), "rooms " + ", ".join(closed) + " close"


def more_sessions(inst: Instance, sol: Solution, rng: random.Random) -> tuple[Instance, tuple[Lock, ...], str]:
    able = [c for c in inst.courses if c.sessions_per_week < inst.grid.n_days]
    chosen = rng.sample(able, max(1, round(0.02 * len(inst.courses))))
    grown = {c.id: c.model_copy(update={"sessions_per_week": c.sessions_per_week + 1}) for c in chosen}
    return inst.model_copy(update={"courses": _replace(inst.courses, grown)}), (), \
        f"{len(grown)} courses get one more weekly session"


def change_electives(inst: Instance, sol: Solution, rng: random.Random) -> tuple[Instance, tuple[Lock, ...], str]:
    by_kind: dict[object, list[str]] = {}
    for c in inst.courses:
        if c.kind is not None and c.kind.value != "core":
            by_kind.setdefault(c.kind, []).append(c.id)
    choosers = [s for s in inst.students if s.courses]
    changed = {}
    size = Counter(inst.course_size)
    for s in rng.sample(choosers, min(50, len(choosers))):
        old = rng.choice(s.courses)
        kind = inst.course_by_id[old].kind
        # as a registrar would: only into an elective with a seat left in a room it may use
        options = [c for c in by_kind.get(kind, ()) if c not in s.courses and _seat_left(inst, c, size[c])]
        if options:
            pick = rng.choice(options)
            size[pick] += 1
            size[old] -= 1
            new_courses = tuple(pick if c == old else c for c in s.courses)
            changed[s.id] = s.model_copy(update={"courses": new_courses})
    new = inst.model_copy(update={"students": _replace(inst.students, changed)})
    return new, (), f"{len(changed)} students change an elective"


def _seat_left(inst: Instance, cid: str, size: int) -> bool:
    c = inst.course_by_id[cid]
    return any(room_fits(inst, c, r, size + 1) for r in rooms_by_type(inst).get(c.room_type, ()))


def regenerate_department(inst: Instance, sol: Solution, rng: random.Random
                          ) -> tuple[Instance, tuple[Lock, ...], str]:
    depts = sorted({c.department for c in inst.courses if c.department})
    dept = rng.choice(depts)
    mine = {c.id for c in inst.courses if c.department == dept}
    locks = tuple(Lock(course=a.course, session=a.session, day=a.day, period=a.period, room=a.room)
                  for a in sol.assignments if a.course not in mine)
    return inst, locks, f"department {dept} ({len(mine)} courses) re-generated, {len(locks)} sessions locked"


CHANGES = {"a": lose_a_day, "b": close_rooms, "c": more_sessions, "d": change_electives, "e": regenerate_department}


# ------------------------------------------------------------------------------------------- runs


def _repair_row(key: str, inst: Instance, locks: tuple[Lock, ...], what: str, first: Solution, out: Path,
                args: argparse.Namespace, regenerate: set[str]) -> dict:
    from timetabling.cli import main
    from timetabling.engine.formats.native import dump

    folder = out / key
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instance.json").write_text(dump(inst), encoding="utf-8")
    argv = ["repair", str(folder / "instance.json"), "--from", str(out / "first.json"), "-o", str(folder / "out"),
            "--time-limit", str(args.time_limit), "--seed", str(args.seed), "--workers", str(args.workers)]
    if locks:
        (folder / "locks.json").write_text(LockFile(locks=locks).model_dump_json(), encoding="utf-8")
        argv += ["--lock", str(folder / "locks.json")]
    if regenerate:
        argv += ["--regenerate", *sorted(regenerate)]
    t0, c0 = time.perf_counter(), time.process_time()
    code = main(argv)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    # CPU seconds of the process (every thread): on a machine shared with other work, wall time mostly measures
    # how much of the machine the run got; both are printed
    row: dict = {"change": key, "what": what, "exit": code, "cli_wall_s": round(wall, 2), "cli_cpu_s": round(cpu, 2)}
    if code != 0:
        return row
    repaired = load_solution(folder / "out" / "solution.json")
    report = check(inst, repaired)
    changes = diff(inst, first, repaired)
    row.update({"hit": repaired.meta.get("hit"), "moved_in_time": changes.moved_in_time,
                "rooms_changed": changes.count("room"), "added": changes.count("added"),
                "hard": report.hard_total, "soft_after": report.soft_cost})
    return row


def run_repair_bench(args: argparse.Namespace) -> int:
    out = args.output or Path("bench-repair")
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    inst = generate_university(args.profile, seed=args.seed)
    t0 = time.perf_counter()
    first = solve(inst, SolveOptions(time_limit=args.first_limit, workers=args.workers, seed=args.seed,
                                     optimize=False)).solution
    if first is None:
        print("no first timetable")
        return 1
    first_s = time.perf_counter() - t0
    save(first, out / "first.json")
    base = check(inst, first)
    print(f"{args.profile} seed {args.seed}: {inst.n_sessions} sessions; first timetable in {first_s:.1f}s, "
          f"{base.hard_total} hard, soft cost {base.soft_cost}", flush=True)
    rows = []
    for key in args.scenarios:
        changed, locks, what = CHANGES[key](inst, first, rng)
        locked = {lk.course for lk in locks}
        regenerate = {c.id for c in inst.courses if c.id not in locked} if key == "e" else set()
        row = _repair_row(key, changed, locks, what, first, out, args, regenerate)
        row["soft_before"] = base.soft_cost
        if args.scratch_limit > 0:
            scratch = solve(changed, SolveOptions(time_limit=args.scratch_limit, workers=args.workers,
                                                  seed=args.seed + 1, optimize=False)).solution
            row["scratch_moved_in_time"] = diff(changed, first, scratch).moved_in_time if scratch else None
        rows.append(row)
        print(json.dumps(row), flush=True)
    query = candidate_latency(inst, first, args.queries, rng)
    print(json.dumps(query), flush=True)
    print()
    print(f"{'change':<7}{'wall s':>8}{'cpu s':>7}{'hit':>6}{'moved':>7}{'rooms':>7}{'hard':>6}{'soft before':>13}"
          f"{'soft after':>12}{'scratch':>9}")
    for r in rows:
        print(f"{r['change']:<7}{r['cli_wall_s']:>8}{r['cli_cpu_s']:>7}{r.get('hit', '-')!s:>6}"
              f"{r.get('moved_in_time', '-')!s:>7}"
              f"{r.get('rooms_changed', '-')!s:>7}{r.get('hard', '-')!s:>6}{r.get('soft_before', '-')!s:>13}"
              f"{r.get('soft_after', '-')!s:>12}{r.get('scratch_moved_in_time', '-')!s:>9}")
    print(f"candidate query: index {query['index_s']}s, p50 {query['p50_ms']} ms, p95 {query['p95_ms']} ms "
          f"(CPU p50 {query['cpu_p50_ms']} ms, p95 {query['cpu_p95_ms']} ms) over {query['sessions']} sessions")
    (out / "results.json").write_text(json.dumps({"profile": args.profile, "seed": args.seed,
                                                   "first_s": round(first_s, 1), "rows": rows, "query": query},
                                                  indent=1), encoding="utf-8")
    return 0


def candidate_latency(inst: Instance, sol: Solution, n: int, rng: random.Random) -> dict:
    t0 = time.perf_counter()
    index = CandidateIndex(inst, sol)
    index_s = time.perf_counter() - t0
    times = []
    cpu = []  # the process's own CPU time: what the query costs on a machine shared with other work
    swaps = []
    for a in rng.sample(list(sol.assignments), min(n, len(sol.assignments))):
        t, c = time.perf_counter(), time.process_time()
        found = index.query(a.course, a.session)
        times.append(1000 * (time.perf_counter() - t))
        cpu.append(1000 * (time.process_time() - c))
        swaps.append(len(found.swaps))
    times.sort()
    cpu.sort()
    p95 = max(0, int(0.95 * len(times)) - 1)
    return {"sessions": len(times), "index_s": round(index_s, 2), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[p95], 1), "max_ms": round(times[-1], 1),
            "cpu_p50_ms": round(statistics.median(cpu), 1), "cpu_p95_ms": round(cpu[p95], 1),
            "mean_swaps": round(statistics.mean(swaps), 1)}

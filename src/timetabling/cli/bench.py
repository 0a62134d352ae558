"""``timetable bench``: measured figures, not tests.

``bench scale`` runs each synthetic profile and prints, per profile: sessions, students, the time to the
first zero-clash timetable as a user waits for it (``timetable generate INSTANCE -o DIR --first`` in a fresh
process, end to end: wall clock and CPU seconds of it and its pool, and where they went: process start and
imports, reading the instance, stage 1, stage 2, stage 3 with its set-up, the checker, writing the files),
the time of an optimising run, peak memory (RSS), the checker's violations and metrics.
"""

from __future__ import annotations

import argparse
import importlib
import json
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timetabling.engine.checker import check
from timetabling.engine.control import DEFAULT_TIME_LIMIT_S
from timetabling.engine.formats.native import load_solution, save
from timetabling.engine.generator import generate_university
from timetabling.engine.solver import SolveOptions, solve

PROFILES = ("tiny", "small", "medium", "university")
# the steps of ``generate --first`` as ``--timings`` reports them, in the order they run
FIRST_STEPS = (("start_imports_s", "process start and imports"), ("read_s", "reading the instance"),
               ("stage1_s", "stage 1 (clustering)"), ("stage2_s", "stage 2 (parts)"),
               ("stage3_s", "stage 3 (merge: set-up and clash removal)"), ("check_s", "checker"),
               ("write_s", "writing the files"), ("print_s", "printing the result (each variant's lower bound)"),
               ("other_s", "the rest (exit, pool shutdown)"))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="benchmarks that print measured figures")
    bench = p.add_subparsers(dest="bench", metavar="BENCH", required=True)
    s = bench.add_parser("scale", help="solve each synthetic profile; time, memory, violations, metrics")
    s.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=PROFILES)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--workers", type=int, default=0)
    s.add_argument("--first-limit", type=float, default=DEFAULT_TIME_LIMIT_S, metavar="S",
                   help="--time-limit of the first-timetable run (default %(default)s, the CLI's)")
    s.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S, metavar="S",
                   help="limit of the optimising run")
    s.add_argument("--search", choices=("anneal", "cpsat"), default="anneal",
                   help="optimising run: annealing then CP-SAT (default), or CP-SAT (with LNS) alone")
    s.add_argument("-o", "--output", type=Path, metavar="FILE", help="also write the rows as JSON")
    s.set_defaults(func=run_scale)
    importlib.import_module("timetabling.cli.bench_repair").add_repair_parser(bench)
    try:
        itc = importlib.import_module("timetabling.cli.bench_itc")
    except ModuleNotFoundError:
        return
    itc.add_itc_parser(bench)
    importlib.import_module("timetabling.cli.bench_ectt").add_ectt_parser(bench)


def first_timetable(instance_path: Path, out_dir: Path, seed: int, workers: int, time_limit: float) -> dict:
    """``timetable generate INSTANCE -o DIR --first`` as a user runs it, in a fresh process: its exit code, wall
    clock and CPU seconds (user + system, its process pool included) and the seconds of each step."""
    timings = out_dir / "timings.json"
    cmd = [sys.executable, "-m", "timetabling", "generate", str(instance_path), "-o", str(out_dir / "first"),
           "--first", "--quiet", "--seed", str(seed), "--workers", str(workers), "--time-limit", str(time_limit),
           "--timings", str(timings)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    spawned = time.time()
    t0 = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    row: dict = {"first_exit": done.returncode, "first_s": round(wall, 2),
                 "first_cpu_s": round(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, 2),
                 "first_load": [round(x, 2) for x in os.getloadavg()],
                 "first_peak_rss_mib": round(after.ru_maxrss / 1024, 1)}  # the largest process of the run
    if not timings.exists():
        row["first_error"] = done.stderr.strip().splitlines()[-1:] or ["no timings written"]
        return row
    t = json.loads(timings.read_text(encoding="utf-8"))
    steps = {"start_imports_s": t["run_at"] - spawned, "read_s": t["read_s"], "stage1_s": t.get("stage1_s", 0.0),
             "stage2_s": t.get("stage2_s", 0.0), "stage3_s": t.get("prepare_s", 0.0) + t.get("stage3_s", 0.0),
             "check_s": t.get("check_s", 0.0), "write_s": t["write_s"], "print_s": t.get("print_s", 0.0)}
    steps["other_s"] = wall - sum(steps.values())
    row["first_steps"] = {k: round(v, 2) for k, v in steps.items()}
    row["first_main_cpu_s"] = t.get("main_cpu_s")  # of ``first_cpu_s``, the CLI process's own (the rest: its pool)
    return row


def measure_profile(profile: str, seed: int, workers: int, first_limit: float, time_limit: float,
                    search: str = "anneal") -> dict:
    """One profile, in the calling process (the first timetable in a fresh one): returns the measured
    figures."""
    t0 = time.perf_counter()
    instance = generate_university(profile, seed=seed)
    gen_s = time.perf_counter() - t0
    row: dict = {
        "profile": profile,
        "sessions": instance.n_sessions,
        "courses": len(instance.courses),
        "students": len(instance.students),
        "rooms": len(instance.rooms),
        "generate_s": round(gen_s, 2),
    }
    with tempfile.TemporaryDirectory(prefix=f"bench-{profile}-") as tmp:
        path = Path(tmp) / "instance.json"
        save(instance, path)
        row.update(first_timetable(path, Path(tmp), seed, workers, first_limit))
        solution_path = Path(tmp) / "first" / "solution.json"
        first = load_solution(solution_path) if solution_path.exists() else None
    if first is not None:
        report = check(instance, first)
        row["first_hard"] = report.hard_total
        row["first_placed_pct"] = round(report.metrics.get("sessions_placed_pct", 0.0), 2)
    if time_limit > 0:
        best = solve(instance, SolveOptions(time_limit=time_limit, workers=workers, seed=seed, hint=first,
                                            anneal=search == "anneal"))
        row["search"] = search
        row["opt_status"] = best.status
        row["opt_s"] = best.stats.get("solve_s")
        if best.solution is not None:
            report = check(instance, best.solution)
            row["hard"] = {r.value: n for r, n in report.hard.items() if n}
            row["hard_total"] = report.hard_total
            row["soft_cost"] = report.soft_cost
            row["metrics"] = {k: round(v, 2) for k, v in report.metrics.items()}
    row["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return row


def _child(args: tuple) -> dict:
    return measure_profile(*args)


def run_scale(args: argparse.Namespace) -> int:
    rows = []
    ctx = mp.get_context("spawn")  # a fresh process per profile, so peak RSS is that profile's own
    for profile in args.profiles:
        with ctx.Pool(1) as pool:
            row = pool.apply(_child, ((profile, args.seed, args.workers, args.first_limit, args.time_limit,
                                        args.search),))
        rows.append(row)
        print(json.dumps(row), flush=True)
    print()
    print("the first timetable as a user waits for it (generate --first, a fresh process), seconds:")
    print(f"{'profile':<11}{'wall':>7}{'CPU':>7}  " + "  ".join(k.removesuffix('_s') for k, _ in FIRST_STEPS)
          + "  (load 1/5/15 min)")
    for r in rows:
        steps = r.get("first_steps", {})
        print(f"{r['profile']:<11}{r.get('first_s', '-')!s:>7}{r.get('first_cpu_s', '-')!s:>7}  "
              + "  ".join(f"{steps.get(k, '-')!s:>{len(k) - 2}}" for k, _ in FIRST_STEPS)
              + f"  {r.get('first_load', '')}")
    print("  " + "; ".join(f"{k.removesuffix('_s')}: {what}" for k, what in FIRST_STEPS))
    print()
    print(f"{'profile':<11}{'sessions':>9}{'students':>9}{'first s':>9}{'hard':>6}{'opt s':>8}{'hard':>6}"
          f"{'soft':>8}{'RSS MiB':>9}")
    for r in rows:
        print(f"{r['profile']:<11}{r['sessions']:>9}{r['students']:>9}{r.get('first_s', '-')!s:>9}"
              f"{r.get('first_hard', '-')!s:>6}{r.get('opt_s', '-')!s:>8}{r.get('hard_total', '-')!s:>6}"
              f"{r.get('soft_cost', '-')!s:>8}{r['peak_rss_mib']:>9}")
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(rows, indent=1))
    return 0

"""``timetable bench``: measured figures, not tests.

``bench scale`` runs each synthetic profile in a fresh process and prints, per profile: sessions,
students, the time to the first zero-clash timetable (solver stopped at its first answer, rooms assigned,
checker run), the time of an optimising run, peak memory (RSS), the checker's violations and metrics.
"""

from __future__ import annotations

import argparse
import importlib
import json
import multiprocessing as mp
import resource
import time
from pathlib import Path

from timetabling.engine.checker import check
from timetabling.engine.generator import generate_university
from timetabling.engine.solver import SolveOptions, solve

PROFILES = ("tiny", "small", "medium", "university")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="benchmarks that print measured figures")
    bench = p.add_subparsers(dest="bench", metavar="BENCH", required=True)
    s = bench.add_parser("scale", help="solve each synthetic profile; time, memory, violations, metrics")
    s.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=PROFILES)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--workers", type=int, default=0)
    s.add_argument("--first-limit", type=float, default=300.0, metavar="S", help="limit for the first timetable")
    s.add_argument("--time-limit", type=float, default=60.0, metavar="S", help="limit of the optimising run")
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


def measure_profile(profile: str, seed: int, workers: int, first_limit: float, time_limit: float,
                    search: str = "anneal") -> dict:
    """One profile, in the calling process: returns the measured figures."""
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
    first = solve(instance, SolveOptions(time_limit=first_limit, workers=workers, seed=seed, optimize=False))
    row["first_status"] = first.status
    row["first_s"] = first.stats.get("solve_s")
    if first.solution is not None:
        report = check(instance, first.solution)
        row["first_hard"] = report.hard_total
        row["first_placed_pct"] = round(report.metrics.get("sessions_placed_pct", 0.0), 2)
    if time_limit > 0:
        best = solve(instance, SolveOptions(time_limit=time_limit, workers=workers, seed=seed, hint=first.solution,
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

"""Ablation of the generation pipeline on a synthetic profile; prints measured figures (no assertions).

    python -m timetabling.bench.pipeline_ablation --profile medium --time-limit 60 --workers 1 2

Rows, each checked by the independent checker under the instance's own weights (the Balanced variant):
  (a) one monolithic CP-SAT model, optimising for the whole time limit
  (b) decomposition + parallel parts (stages 1-2, hard rules only per part, no optimiser, no stage 3)
  (b+) (b) with CP-SAT also minimising each part's soft score (the default)
  (c) (b) + the genetic optimiser
  (d) (c) + stage 3 (the full pipeline)
  (d') the full pipeline with CP-SAT instead of the genetic optimiser, same time
  five variants: the full pipeline making every default variant within the time limit
Each row runs in a fresh process (spawn), one after another.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import time

from timetabling.engine.checker import check
from timetabling.engine.generator import generate_university
from timetabling.engine.pipeline import DEFAULT_VARIANTS, PipelineOptions, generate
from timetabling.engine.solver import SolveOptions, solve

ROWS = {
    "b": dict(optimizer="none", stage3=False, part_optimisation=0.0),
    "b+": dict(optimizer="none", stage3=False),
    "c": dict(optimizer="ga", stage3=False),
    "d": dict(optimizer="ga", stage3=True),
    "d'": dict(optimizer="cpsat", stage3=True),
}


def monolithic(profile: str, seed: int, workers: int, time_limit: float) -> dict:
    inst = generate_university(profile, seed=seed)
    t0 = time.perf_counter()
    result = solve(inst, SolveOptions(time_limit=time_limit, workers=workers, seed=seed))
    seconds = time.perf_counter() - t0
    row = {"row": "a", "workers": workers, "seconds": round(seconds, 1), "status": result.status,
           "first_s": result.stats.get("first_solution_s"), "build_s": result.stats.get("build_s")}
    if result.solution is not None:
        report = check(inst, result.solution)
        row.update(hard=report.hard_total, soft=report.soft_cost)
    return row


def pipeline(profile: str, seed: int, workers: int, time_limit: float, row: str, variants: tuple[str, ...]) -> dict:
    inst = generate_university(profile, seed=seed)
    options = PipelineOptions(variants=variants, time_limit=time_limit, workers=workers, seed=seed, **ROWS[row])
    t0 = time.perf_counter()
    result = generate(inst, options)
    seconds = time.perf_counter() - t0
    reports = [check(inst, v.solution) for v in result.variants]
    out = {"row": row if len(variants) == 1 else "five variants", "workers": workers, "seconds": round(seconds, 1),
           "status": result.status, "stage2_s": result.stats.get("stage2_s"), "first_s": round(
               result.stats.get("stage1_s", 0) + result.stats.get("stage2_s", 0) + result.stats.get("stage3_s", 0), 1),
           "base_hard": result.stats.get("base_hard"), "base_soft": result.stats.get("base_soft"),
           "hard": max((r.hard_total for r in reports), default=None),
           "soft": reports[0].soft_cost if reports else None, "variants": len(result.variants),
           "unplaced": len(result.unplaced), "waves": result.stats.get("waves"),
           "parts": len(result.clustering.get("parts", []))}
    return out


def _child(args: tuple) -> dict:
    kind, *rest = args
    return monolithic(*rest) if kind == "a" else pipeline(*rest)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="medium")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=60.0, help="per row (default %(default)s)")
    ap.add_argument("--five-limit", type=float, default=300.0, help="for the five-variant row (default %(default)s)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rows", nargs="+", default=["a", "b", "b+", "c", "d", "d'", "five"])
    ap.add_argument("-o", "--output", help="also write the rows as JSON")
    args = ap.parse_args()
    ctx = mp.get_context("spawn")
    rows = []
    for workers in args.workers:
        for r in args.rows:
            if r == "a":
                job = ("a", args.profile, args.seed, workers, args.time_limit)
            elif r == "five":
                job = ("p", args.profile, args.seed, workers, args.five_limit, "d", DEFAULT_VARIANTS)
            else:
                job = ("p", args.profile, args.seed, workers, args.time_limit, r, ("Balanced",))
            with ctx.Pool(1) as pool:
                row = pool.apply(_child, (job,))
            rows.append(row)
            print(json.dumps(row), flush=True)
    print()
    print(f"{'row':<15}{'workers':>8}{'seconds':>9}{'first s':>9}{'hard':>6}{'soft':>8}{'variants':>9}")
    for r in rows:
        print(f"{r['row']:<15}{r['workers']:>8}{r['seconds']:>9}{r.get('first_s')!s:>9}{r.get('hard')!s:>6}"
              f"{r.get('soft')!s:>8}{r.get('variants', 1)!s:>9}")
    if args.output:
        with open(args.output, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()

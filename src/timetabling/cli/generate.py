"""``timetable generate INSTANCE -o DIR``: run the generation pipeline and write the timetable(s).

The first variant goes to DIR (solution.json, timetable.csv, timetable.html); ``--all-variants DIR2`` also
writes every variant to a folder of its own under DIR2, with comparison.json beside them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

from pydantic import ValidationError

from timetabling.engine.bounds import lower_bound
from timetabling.engine.checker import check
from timetabling.engine.control import Progress
from timetabling.engine.export import write_csv, write_html
from timetabling.engine.formats.native import load_instance, save
from timetabling.engine.model import Instance, Rule
from timetabling.engine.pipeline import (
    DEFAULT_VARIANTS,
    VARIANT_PROFILES,
    PipelineOptions,
    PipelineResult,
    Variant,
    generate,
    score_of,
)
from timetabling.engine.pipeline.run import PHASES
from timetabling.engine.priorities import CRITERIA, CUSTOM_NAME, WEIGHT_MAX, check_profile_name, parse_weights
from timetabling.engine.repair import RepairOptions, check_locks, keep_locks, load_locks, lock_conflicts, pin
from timetabling.service.contract import bound_text
from timetabling.service.limits import DEFAULT_TIME_LIMIT_S, time_limit_problem


def time_limit_arg(text: str) -> float:
    """``--time-limit``: seconds, at least the minimum every layer takes (``service.limits``); no deployment
    cap, the run is the user's own."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    problem = time_limit_problem(seconds, cap=float("inf"))
    if problem:
        raise argparse.ArgumentTypeError(f"{problem}, not {text}")
    return seconds


def add_solver_arguments(p: argparse.ArgumentParser, time_limit: float = DEFAULT_TIME_LIMIT_S) -> None:
    p.add_argument("--time-limit", type=time_limit_arg, default=time_limit, metavar="S",
                   help="seconds (default %(default)s)")
    p.add_argument("--workers", type=int, default=0, metavar="N", help="solver threads (default: every core)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default %(default)s)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="run the generation pipeline; write solution.json, CSV and HTML")
    p.add_argument("instance", type=Path, help="instance file (native JSON)")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="the first variant goes here")
    add_solver_arguments(p)
    p.add_argument("--first", action="store_true", help="stop at the first timetable without a clash")
    p.add_argument("--variants", nargs="+", metavar="NAME",
                   help=f"variant profiles, or 'all' (known: {', '.join(VARIANT_PROFILES)}; default Balanced)")
    p.add_argument("--all-variants", type=Path, metavar="DIR",
                   help="write every variant to DIR/<variant>/ and DIR/comparison.json (implies --variants all "
                        "unless --variants is given)")
    p.add_argument("--optimizer", choices=("anneal", "ga", "cpsat"), default="anneal",
                   help="what improves each variant (default %(default)s, measured better in docs/benchmarks.md)")
    p.add_argument("--lock", type=Path, metavar="FILE",
                   help="sessions pinned to a day and period (optionally a room) that no variant moves")
    p.add_argument("--weights", type=Path, metavar="FILE",
                   help="chosen priorities: a JSON file {criterion: weight} (or {\"name\": ..., \"weights\": {...}}), "
                        f"one more variant; criteria: {', '.join(c.rule.value for c in CRITERIA)}; "
                        f"weights 0-{WEIGHT_MAX}. Alone, it is the only variant")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    # for ``bench scale``: the seconds of each step of this run, as JSON (wall clock, from ``time.time()``)
    p.add_argument("--timings", type=Path, metavar="FILE", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def load_weights(path: Path) -> tuple[str, dict[Rule, int]]:
    """The variant name and weights of a ``--weights`` file; ValueError with the reason for a bad one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: {err}") from None
    name = CUSTOM_NAME
    if isinstance(data, dict) and isinstance(data.get("weights"), dict):
        name = check_profile_name(str(data.get("name") or CUSTOM_NAME))
        data = data["weights"]
    try:
        return name, parse_weights(data).as_rules()
    except ValidationError as err:
        first = err.errors()[0]
        raise ValueError(f"{path}: {'.'.join(str(p) for p in first['loc']) or 'weights'}: {first['msg']}") from None


def _variant_names(args: argparse.Namespace) -> tuple[str, ...]:
    if args.variants is None:
        return DEFAULT_VARIANTS if args.all_variants else ("Balanced",)
    return DEFAULT_VARIANTS if args.variants == ["all"] else tuple(args.variants)


class ProgressPrinter:
    """One line per change of phase and every 10 % on stderr, the phase in plain words ("improving variant
    Balanced"), never the engine's internal stage names."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.last: tuple[str, int] = ("", -1)

    def __call__(self, e: Progress) -> None:
        phase = e.phase or PHASES.get(e.stage, e.stage)
        key = (phase, int(e.percent // 10))
        if key == self.last and e.percent < 100:
            return
        self.last = key
        eta = f", about {e.eta_s:.0f}s left" if e.eta_s is not None else ""
        cost = f" · {bound_text(e.objective, getattr(e, 'bound', None))}" if e.objective is not None else ""
        self.stream.write(f"[{e.percent:5.1f}%] {phase}: {e.message}{eta}{cost}\n")
        self.stream.flush()


def write_variant(instance: Instance, variant: Variant, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "solution.json", out_dir / "timetable.csv", out_dir / "timetable.html"]
    save(variant.solution, paths[0])
    write_csv(instance, variant.solution, paths[1])
    write_html(instance, variant.solution, paths[2], variant.report.to_dict())
    return paths


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "variant"


def print_result(instance: Instance, result: PipelineResult) -> None:
    print(f"{instance.name}: {instance.n_sessions} sessions, {len(instance.courses)} courses, "
          f"{len(instance.batches)} batches, {len(instance.students)} students, {len(instance.faculty)} faculty, "
          f"{len(instance.rooms)} rooms")
    cats = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in result.clustering.get("categories", {}).items())
    print(f"stage 1: {cats}; {len(result.clustering.get('parts', []))} part(s) in {result.stats.get('waves', 1)} "
          f"wave(s)")
    res = result.resources
    print(f"resources: {res.get('cpu_cores')} core(s), pool of {res.get('pool_workers')}, "
          f"GPU {res.get('gpu') or 'none'}, Celery broker {res.get('celery_broker') or 'none'}")
    print(f"pipeline: {result.status} in {result.elapsed_s:.1f}s (stage 2 {result.stats.get('stage2_s')}s, "
          f"optimizer {result.stats.get('optimizer')})")
    print(f"{'variant':<26}{'hard':>6}{'soft':>8}{'score':>8}{'differs %':>11}  faculty preference")
    for row in result.comparison():
        bound = row.get("faculty_preference_bound_pct")
        pref = f"{row['faculty_preference_pct']:.1f} %" + (f" of {bound:.1f} % possible" if bound is not None else "")
        print(f"{row['name']:<26}{row['hard_violations']:>6}{row['soft_cost']:>8}{row['score']:>8}"
              f"{row['differs_from_first_pct']:>11}  {pref}")
    for v in result.variants:
        print(f"  {v.name}: {bound_text(v.report.soft_cost, lower_bound(instance, v.rules))}")
    for label, why in sorted(result.unplaced.items()):
        print(f"  not placed: {label}: {why}")


def _with_locks(instance: Instance, variants: list[Variant], locks: tuple, args: argparse.Namespace) -> list[Variant]:
    """Each variant with every lock kept: the pipeline's solvers pin the locked starts, and a variant that an
    optimiser moved off a lock anyway is repaired back with the fewest moves (dropped when it cannot be)."""
    kept = []
    for v in variants:
        fixed = keep_locks(instance, v.solution, locks, RepairOptions(time_limit=min(30.0, args.time_limit),
                                                                       seed=args.seed, workers=args.workers))
        if fixed.solution is None:
            print(f"variant {v.name}: dropped, its locks could not be restored: " + "; ".join(fixed.explanation),
                  file=sys.stderr)
            continue
        if fixed.solution is not v.solution:
            report = check(instance.model_copy(update={"rules": v.rules}), fixed.solution)
            v = replace(v, solution=fixed.solution, report=report, score=score_of(report, instance.n_sessions))
        kept.append(v)
    return kept


def run(args: argparse.Namespace) -> int:
    timings: dict[str, float] = {"run_at": time.time()}
    instance = load_instance(args.instance)
    timings["read_s"] = time.time() - timings["run_at"]
    names = _variant_names(args)
    custom: dict[str, dict[Rule, int]] = {}
    if args.weights:
        try:
            name, weights = load_weights(args.weights)
        except ValueError as err:
            print(f"bad --weights: {err}", file=sys.stderr)
            return 2
        custom = {name: weights}
        names = (name,) if args.variants is None and not args.all_variants else (*names, name)
    unknown = [n for n in names if n not in VARIANT_PROFILES and n not in custom]
    if unknown:
        print(f"unknown variant(s): {', '.join(unknown)} (known: {', '.join(VARIANT_PROFILES)}, all)",
              file=sys.stderr)
        return 2
    options = PipelineOptions(
        variants=names, custom_weights=custom, time_limit=args.time_limit, workers=args.workers, seed=args.seed,
        optimizer="none" if args.first else args.optimizer, progress=None if args.quiet else ProgressPrinter(),
    )
    if args.first:  # the parts stop at their first timetable too, rather than improve their soft score
        options.part_optimisation = 0.0
    locks = check_locks(instance, load_locks(args.lock), str(args.lock)) if args.lock else ()
    conflicts = lock_conflicts(instance, locks)
    if conflicts:
        print("no timetable: the locks cannot all hold:", file=sys.stderr)
        for line in conflicts:
            print(f"  {line}", file=sys.stderr)
        return 1
    t = time.time()
    result = generate(pin(instance, locks), options)
    timings["pipeline_s"] = time.time() - t
    if locks and result.variants:
        result.variants = _with_locks(instance, result.variants, locks, args)
    if not result.variants:
        print(f"no timetable: {result.message or result.status}", file=sys.stderr)
        return 1
    t = time.time()
    paths = write_variant(instance, result.variants[0], args.output)
    if args.all_variants:
        for v in result.variants:
            paths += write_variant(instance, v, args.all_variants / slug(v.name))
        comparison = args.all_variants / "comparison.json"
        comparison.write_text(json.dumps({"status": result.status, "variants": result.comparison(),
                                          "clustering": result.clustering, "resources": result.resources,
                                          "unplaced": result.unplaced, "stats": result.stats}, indent=1),
                              encoding="utf-8")
        paths.append(comparison)
    timings["write_s"] = time.time() - t
    t = time.time()
    print_result(instance, result)
    timings["print_s"] = time.time() - t  # each variant's lower bound included
    print("wrote " + ", ".join(str(p) for p in paths))
    if args.timings:
        timings["end_at"] = time.time()
        timings["main_cpu_s"] = time.process_time()  # this process's CPU seconds (its pool's are apart)
        steps = ("stage1_s", "stage2_s", "prepare_s", "stage3_s", "check_s", "total_s")
        timings.update({k: result.stats[k] for k in steps if k in result.stats})
        args.timings.write_text(json.dumps({k: round(v, 3) for k, v in timings.items()}), encoding="utf-8")
    return 0 if result.variants[0].report.hard_total == 0 else 1

"""Benchmark: one generation through 1 and 2 Celery workers, with the per-task timings.

    python -m timetabling.bench.celery_workers --profile university --time-limit 90 --variants Balanced \
        --runs parts:1 parts:2 -o celery_workers.json

Needs Redis (``--redis``, default redis://127.0.0.1:6379/10). Each run (``split:workers``) starts fresh workers
(``timetable worker --concurrency 1``) and submits one job through ``CeleryRunner``:
- ``parts``: stage 2's parts as ``solve_part`` tasks, a group per wave, then one ``finish_parts`` task
  (stage 3 and the variants); prints every part task's seconds per wave (count, sum, max) and what follows
  for N machines: stage 2 takes at least the orchestration's own time plus, per wave, max(longest part,
  sum of parts / N);
- ``job``: the whole job as one task; ``variants``: one task per variant and a merge (a chord).
Prints Markdown tables; the JSON has every task's seconds, process and retries.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from timetabling.engine.generator import generate_university
from timetabling.service.celery_app import DistributedSettings
from timetabling.service.celery_runner import CeleryRunner
from timetabling.service.jobs import JobSpec

CLI = [sys.executable, "-c", "import sys; from timetabling.cli import main; sys.exit(main())"]


def start_workers(n: int, env: dict[str, str], logs: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(n):
        log = (logs / f"worker{i}.log").open("w")
        name = f"--hostname=bench{i}-{uuid.uuid4().hex[:6]}@%h"
        procs.append(subprocess.Popen([*CLI, "worker", "--concurrency=1", name], env={**os.environ, **env},
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    for i, _ in enumerate(procs):
        deadline = time.monotonic() + 60
        while " ready." not in (logs / f"worker{i}.log").read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise SystemExit(f"worker {i} did not start")
            time.sleep(0.2)
    return procs


def run_once(instance: dict, settings: DistributedSettings, variants: list[str], time_limit: float,
             workers: int = 0) -> dict:
    runner = CeleryRunner(settings, poll_s=0.2)
    done = threading.Event()
    outcome: dict = {}

    def on_done(o: dict) -> None:
        outcome.update(o)
        done.set()

    job_id = f"{settings.queue}-{uuid.uuid4().hex[:6]}"
    t0 = time.perf_counter()
    first: list[float] = []

    def on_event(event: dict) -> None:  # the first timetable: stage 3 done (40 %)
        if not first and event.get("percent", 0.0) >= 40.0:
            first.append(time.perf_counter() - t0)

    runner.submit(JobSpec(job_id=job_id, instance=instance, variants=tuple(variants), time_limit=time_limit,
                          workers=workers), on_event, on_done)
    done.wait(time_limit * (len(variants) + 2) + 1800)
    wall = time.perf_counter() - t0
    runner.shutdown()
    tasks = outcome.get("tasks") or ([outcome["task"]] if outcome.get("task") else [])
    return {"status": outcome.get("status"), "message": outcome.get("message", ""), "wall_s": round(wall, 1),
            "first_timetable_s": round(first[0], 1) if first else None,
            "orchestration": outcome.get("orchestration"), "stats": _stats(outcome.get("stats", {})),
            "tasks": tasks,
            "variants": [{"name": v["name"], "score": v["score"], "hard": v["metrics"].get("hard_violations"),
                          "soft": v["metrics"].get("soft_cost")} for v in outcome.get("variants", [])]}


def _stats(stats: dict) -> dict:
    return {k: v for k, v in stats.items() if k != "parts"}


def waves_of(tasks: list[dict]) -> list[dict]:
    """Per wave: the part tasks' count, sum and max of seconds (retries of failed parts count in their wave)."""
    waves: dict[int, list[float]] = {}
    for t in tasks:
        if "wave" in t:
            waves.setdefault(int(t["wave"]), []).append(float(t["seconds"]))
    return [{"wave": w, "parts": len(v), "sum_s": round(sum(v), 2), "max_s": round(max(v), 2)}
            for w, v in sorted(waves.items())]


def parts_table(rows: list[dict], machines: tuple[int, ...] = (1, 2, 4, 8, 16, 130)) -> None:
    runs = [r for r in rows if r["split"] == "parts"]
    if not runs:
        return
    print("\n| workers | status | wall (s) | first timetable (s) | stage 1 (s) | stage 2 (s) | waves: parts, "
          "sum / max of part tasks (s) | finish task (s) | hard violations |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        orch = r.get("orchestration") or {}
        waves = waves_of(r["tasks"])
        cells = "; ".join(f"w{w['wave']}: {w['parts']}, {w['sum_s']:.1f} / {w['max_s']:.1f}" for w in waves)
        finish = next((t["seconds"] for t in r["tasks"] if t.get("part") == "finish"), None)
        hard = ", ".join(str(v["hard"]) for v in r["variants"])
        print(f"| {r['workers']} | {r['status']} | {r['wall_s']:.1f} | {r['first_timetable_s']} | "
              f"{orch.get('stage1_s')} | {orch.get('stage2_s')} | {cells} | {finish} | {hard} |")
    base = runs[0]
    orch = base.get("orchestration") or {}
    waves = waves_of(base["tasks"])
    stage2 = float(orch.get("stage2_s") or 0.0)
    part_sum = sum(w["sum_s"] for w in waves)
    serial = max(0.0, stage2 - part_sum)  # on one worker the parts run one after another
    print(f"\nFrom the {base['workers']}-worker run: stage 2 {stage2:.1f} s = part tasks {part_sum:.1f} s + "
          f"orchestration and queueing {serial:.1f} s (sub-instances built and sent, results merged).")
    print("| machines N | stage 2 at best: orchestration + sum over waves of max(longest part, sum / N) (s) | "
          "speed-up of stage 2 |")
    print("|---|---|---|")
    for n in machines:
        t = serial + sum(max(w["max_s"], w["sum_s"] / n) for w in waves)
        print(f"| {n} | {t:.1f} | {stage2 / t if t else 0:.2f} |")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--profile", default="university")
    p.add_argument("--time-limit", type=float, default=90.0)
    p.add_argument("--variants", nargs="+", default=["Balanced", "Faculty-focused", "Compactness-focused"])
    p.add_argument("--margin", type=float, default=600.0, help="seconds a task may run past the job's time limit "
                   "before its soft time limit (a loaded machine overruns)")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/10")
    p.add_argument("--runs", nargs="+", default=["parts:1", "parts:2"],
                   help="split:workers per run (split: job, variants or parts)")
    p.add_argument("--solver-workers", type=int, default=1, help="CP-SAT workers per task (0: every core)")
    p.add_argument("-o", "--output", type=Path)
    args = p.parse_args()
    instance = generate_university(args.profile, 0).model_dump(mode="json")
    print(f"{args.profile}: {len(instance['courses'])} courses; started {time.strftime('%Y-%m-%d %H:%M:%S')} UTC, "
          f"load average {os.getloadavg()}", flush=True)
    rows = []
    for split, n in ((r.split(":")[0], int(r.split(":")[1])) for r in args.runs):
        tag = uuid.uuid4().hex[:6]
        settings = DistributedSettings(broker_url=args.redis, result_backend=args.redis, redis_url=args.redis,
                                       prefix=f"bench-{tag}:", queue=f"bench-{tag}", split=split,
                                       time_limit_margin_s=args.margin)
        env = {"TIMETABLE_REDIS_URL": args.redis, "TIMETABLE_BROKER_URL": args.redis,
               "TIMETABLE_REDIS_PREFIX": settings.prefix, "TIMETABLE_CELERY_QUEUE": settings.queue}
        with tempfile.TemporaryDirectory() as logs:
            procs = start_workers(n, env, Path(logs))
            try:
                result = run_once(instance, settings, args.variants, args.time_limit, args.solver_workers)
            finally:
                for proc in procs:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        result.update(split=split, workers=n, load_after=os.getloadavg())
        rows.append(result)
        print(json.dumps(result), flush=True)
    parts_table(rows)
    if any(r["split"] != "parts" for r in rows):
        print("\n| split | workers | status | wall (s) | tasks: part = seconds | sum of task seconds | "
              "longest task (s) |")
        print("|---|---|---|---|---|---|---|")
    for r in (r for r in rows if r["split"] != "parts"):
        secs = [t["seconds"] for t in r["tasks"]]
        parts = ", ".join(f"{t['part']} = {t['seconds']:.1f}" for t in r["tasks"])
        print(f"| {r['split']} | {r['workers']} | {r['status']} | {r['wall_s']:.1f} | {parts} | {sum(secs):.1f} | "
              f"{max(secs, default=0):.1f} |")
    if args.output:
        args.output.write_text(json.dumps({"profile": args.profile, "time_limit": args.time_limit,
                                           "variants": args.variants, "runs": rows}, indent=2))


if __name__ == "__main__":
    main()

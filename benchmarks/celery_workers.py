"""Benchmark: one generation through 1 and 2 Celery workers, with the per-task timings.

    python benchmarks/celery_workers.py --profile university --time-limit 90 \
        --variants Balanced Faculty-focused -o celery_workers.json

Needs Redis (``--redis``, default redis://127.0.0.1:6379/10). Runs, each with fresh workers (concurrency 1):
the whole job as one task on 1 worker, then the job split per variant (a chord) on 1 and on 2 workers.
Prints a Markdown table; the JSON has every task's seconds, process and retries.
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


def run_once(instance: dict, settings: DistributedSettings, variants: list[str], time_limit: float) -> dict:
    runner = CeleryRunner(settings, poll_s=0.2)
    done = threading.Event()
    outcome: dict = {}

    def on_done(o: dict) -> None:
        outcome.update(o)
        done.set()

    job_id = f"{settings.queue}-{uuid.uuid4().hex[:6]}"
    t0 = time.perf_counter()
    runner.submit(JobSpec(job_id=job_id, instance=instance, variants=tuple(variants), time_limit=time_limit),
                  lambda e: None, on_done)
    done.wait(time_limit * (len(variants) + 2) + 1800)
    wall = time.perf_counter() - t0
    runner.shutdown()
    tasks = outcome.get("tasks") or ([outcome["task"]] if outcome.get("task") else [])
    return {"status": outcome.get("status"), "message": outcome.get("message", ""), "wall_s": round(wall, 1),
            "tasks": tasks,
            "variants": [{"name": v["name"], "score": v["score"], "hard": v["metrics"].get("hard_violations"),
                          "soft": v["metrics"].get("soft_cost")} for v in outcome.get("variants", [])]}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--profile", default="university")
    p.add_argument("--time-limit", type=float, default=90.0)
    p.add_argument("--variants", nargs="+", default=["Balanced", "Faculty-focused", "Compactness-focused"])
    p.add_argument("--margin", type=float, default=600.0, help="seconds a task may run past the job's time limit "
                   "before its soft time limit (a loaded machine overruns)")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/10")
    p.add_argument("-o", "--output", type=Path)
    args = p.parse_args()
    instance = generate_university(args.profile, 0).model_dump(mode="json")
    rows = []
    for split, n in (("job", 1), ("variants", 1), ("variants", 2)):
        tag = uuid.uuid4().hex[:6]
        settings = DistributedSettings(broker_url=args.redis, result_backend=args.redis, redis_url=args.redis,
                                       prefix=f"bench-{tag}:", queue=f"bench-{tag}", split=split,
                                       time_limit_margin_s=args.margin)
        env = {"TIMETABLE_REDIS_URL": args.redis, "TIMETABLE_BROKER_URL": args.redis,
               "TIMETABLE_REDIS_PREFIX": settings.prefix, "TIMETABLE_CELERY_QUEUE": settings.queue}
        with tempfile.TemporaryDirectory() as logs:
            procs = start_workers(n, env, Path(logs))
            try:
                result = run_once(instance, settings, args.variants, args.time_limit)
            finally:
                for proc in procs:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        result.update(split=split, workers=n)
        rows.append(result)
        print(json.dumps(result), flush=True)
    print("\n| split | workers | status | wall (s) | tasks: part = seconds | sum of task seconds | longest task (s) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        secs = [t["seconds"] for t in r["tasks"]]
        parts = ", ".join(f"{t['part']} = {t['seconds']:.1f}" for t in r["tasks"])
        print(f"| {r['split']} | {r['workers']} | {r['status']} | {r['wall_s']:.1f} | {parts} | {sum(secs):.1f} | "
              f"{max(secs, default=0):.1f} |")
    if args.output:
        args.output.write_text(json.dumps({"profile": args.profile, "time_limit": args.time_limit,
                                           "variants": args.variants, "runs": rows}, indent=2))


if __name__ == "__main__":
    main()

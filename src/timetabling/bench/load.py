"""Load benchmark (issue 13): signed-in users read published timetables while generations run.

Starts ``timetable serve`` (the embedded default, or PostgreSQL with ``--database-url``) in a fresh data
directory on free ports, generates and publishes one timetable, creates ``--users`` student accounts, starts
``--generations`` generation jobs, and while they run lets every user read its own timetable (the published
page, then the JSON API, in a loop) for ``--duration`` seconds. Prints p50/p95/p99 latency per request kind,
the error count and the throughput; ``--json FILE`` writes them too. Measures what a user waits for: the
whole HTTP request, end to end, from a second process (this driver, an async httpx client per user).

    python -m timetabling.bench.load --users 200 --generations 2 --duration 30
    python -m timetabling.bench.load --database-url postgresql://postgres@127.0.0.1:5432/loadbench

With ``--database-url`` the database is emptied first (every table of the project's apps is dropped by
``migrate zero``), so point it at a database made for the benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

CREATE_USERS = r"""
import json, sys
import django
django.setup()
from django.contrib.auth.models import User
from timetabling.web.academics import models as am
from timetabling.web.accounts.models import Membership, Role
n, password = int(sys.argv[1]), sys.argv[2]
org = am.Organization.objects.order_by("pk").first()
students = list(am.Student.objects.filter(organization=org, batch__isnull=False, user__isnull=True).order_by("pk")[:n])
made = []
for i, student in enumerate(students):
    user = User.objects.create_user(f"load{i:04d}", password=password)
    Membership.objects.create(user=user, organization=org, role=Role.STUDENT)
    student.user = user
    student.save(update_fields=["user"])
    made.append({"username": user.username, "student": student.pk, "batch": student.batch_id})
print(json.dumps(made))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


class Server:
    """``timetable serve`` in a subprocess; its output is kept for the admin password and for errors."""

    def __init__(self, data_dir: Path, profile: str, database_url: str | None, workers: int = 1) -> None:
        self.web, self.engine = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.web}"
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
        self.env.update(TIMETABLE_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="timetabling.web.settings")
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.log = open(data_dir / "serve.log", "w+")  # noqa: SIM115  (lives as long as the server)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "timetabling", "serve", "--port", str(self.web), "--engine-port",
             str(self.engine), "--data-dir", str(data_dir), "--profile", profile, "--workers", str(workers)],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, text=True,
        )

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def wait_ready(self, timeout: float = 300) -> tuple[str, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"timetable serve ended:\n{self.output()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/api/health/", timeout=2).status_code == 200:
                    found = re.search(r"admin user: (\S+)\s+password: (\S+)", self.output())
                    if found:
                        return found.group(1), found.group(2)
            time.sleep(0.5)
        raise SystemExit(f"timetable serve was not ready in {timeout} s:\n{self.output()}")

    def django(self, code: str, *args: str) -> str:
        return subprocess.run([sys.executable, "-c", code, *args], env=self.env, check=True, capture_output=True,
                              text=True).stdout

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> None:
    """Sign in with the session cookie; sends the CSRF token when the backend hands one out."""
    with contextlib.suppress(httpx.HTTPError):
        await client.get("/api/auth/csrf/")
    token = client.cookies.get("csrftoken")
    if token:
        client.headers["X-CSRFToken"] = token
    response = await client.post("/api/auth/login/", json={"username": username, "password": password})
    response.raise_for_status()
    token = client.cookies.get("csrftoken")  # Django rotates the token at sign-in
    if token:
        client.headers["X-CSRFToken"] = token


async def wait_job(client: httpx.AsyncClient, job_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = (await client.get(f"/api/timetable/status/{job_id}/")).json()["job"]
        if job["status"] in ("completed", "failed", "cancelled"):
            return job
        await asyncio.sleep(1)
    raise SystemExit(f"job {job_id} did not finish in {timeout} s")


async def start_job(client: httpx.AsyncClient, org_id: int, time_limit: float) -> str:
    response = await client.post("/api/timetable/generate/", json={
        "university_id": org_id, "academic_year": "2026-27", "semester": 1, "time_limit": time_limit,
        "variants": ["Balanced"],
    })
    if response.status_code >= 400:
        raise SystemExit(f"generate answered {response.status_code}: {response.text[:500]}")
    return response.json()["job_id"]


async def reader(client: httpx.AsyncClient, user: dict[str, Any], stop_at: float, think_s: float,
                 samples: dict[str, list[float]], errors: list[str]) -> None:
    requests = [("page", f"/timetables/student/{user['student']}/"),
                ("api", f"/api/timetable/student/{user['student']}/")]
    i = 0
    if think_s > 0:  # people do not all click at the same instant: each starts somewhere in its first think
        await asyncio.sleep(random.uniform(0, think_s))
    while time.monotonic() < stop_at:
        kind, url = requests[i % len(requests)]
        i += 1
        started = time.perf_counter()
        try:
            response = await client.get(url)
            ok = response.status_code == 200
            detail = f"{url} -> {response.status_code}"
        except httpx.HTTPError as err:
            ok, detail = False, f"{url} -> {type(err).__name__}"
        elapsed = time.perf_counter() - started
        if ok:
            samples[kind].append(elapsed)
        else:
            errors.append(detail)
        if think_s > 0:  # a person reads the page before the next click (exponential, mean think_s)
            await asyncio.sleep(min(random.expovariate(1 / think_s), stop_at - time.monotonic()))


async def run(args: argparse.Namespace, server: Server) -> dict[str, Any]:
    admin, admin_password = server.wait_ready()
    async with httpx.AsyncClient(base_url=server.base, timeout=60) as client:
        await sign_in(client, admin, admin_password)
        org_id = (await client.get("/api/auth/me/")).json()["organization"]["id"]
        print(f"generating the timetable to publish ({args.publish_time_limit:.0f} s) ...", flush=True)
        job = await wait_job(client, await start_job(client, org_id, args.publish_time_limit), 600)
        if job["status"] != "completed":
            raise SystemExit(f"the first generation ended {job['status']}: {job}")
        approved = await client.post(f"/api/timetable/approve/{job['job_id']}/",
                                     json={"action": "approve", "comments": "load benchmark"})
        approved.raise_for_status()

        password = secrets.token_urlsafe(12)
        users = json.loads(server.django(CREATE_USERS, str(args.users), password))
        print(f"{len(users)} student accounts; starting {args.generations} generation(s) "
              f"({args.time_limit:.0f} s each), then {args.duration:.0f} s of reading ...", flush=True)

        readers = [httpx.AsyncClient(base_url=server.base, timeout=30) for _ in users]
        try:  # every user signs in first; the clock starts when all are in
            signing = asyncio.Semaphore(8)

            async def signed_in(reader_client: httpx.AsyncClient, user: dict[str, Any]) -> None:
                async with signing:
                    await sign_in(reader_client, user["username"], password)

            await asyncio.gather(*(signed_in(c, u) for c, u in zip(readers, users, strict=True)))
            # the generations start now, so that they run through the whole reading window
            jobs = [await start_job(client, org_id, args.time_limit) for _ in range(args.generations)]
            await asyncio.sleep(2)  # past the jobs' start-up
            samples: dict[str, list[float]] = {"page": [], "api": []}
            errors: list[str] = []
            started = time.monotonic()
            stop_at = started + args.duration
            await asyncio.gather(*(reader(c, u, stop_at, args.think_time, samples, errors)
                                   for c, u in zip(readers, users, strict=True)))
            wall = time.monotonic() - started
        finally:
            for c in readers:
                await c.aclose()
        statuses = [(await client.get(f"/api/timetable/status/{j}/")).json()["job"]["status"] for j in jobs]

    every = samples["page"] + samples["api"]
    result: dict[str, Any] = {
        "users": len(users), "generations": args.generations, "generation_status_at_end": statuses,
        "duration_s": round(wall, 1), "requests": len(every) + len(errors), "errors": len(errors),
        "error_examples": sorted(set(errors))[:5], "throughput_rps": round(len(every) / wall, 1),
        "database": "postgresql" if args.database_url else "sqlite", "think_time_s": args.think_time,
        "web_workers": args.web_workers,
    }
    for kind, values in (("all", every), *samples.items()):
        result[kind] = {"n": len(values), **{f"p{q}_ms": round(1000 * percentile(values, q), 1) for q in (50, 95, 99)},
                        "mean_ms": round(1000 * statistics.fmean(values), 1) if values else None}
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--generations", type=int, default=2, help="generation jobs running during the load")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of reading")
    parser.add_argument("--time-limit", type=float, default=60.0, help="time limit of each concurrent generation")
    parser.add_argument("--publish-time-limit", type=float, default=10.0)
    parser.add_argument("--profile", default="small")
    parser.add_argument("--database-url", default=None, help="PostgreSQL instead of the SQLite default")
    parser.add_argument("--think-time", type=float, default=0.0,
                        help="mean seconds a user reads a page before the next request (0: back to back)")
    parser.add_argument("--web-workers", type=int, default=1, help="timetable serve --workers")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="timetable-load-") as tmp:
        if args.database_url:
            reset = {**os.environ, "DATABASE_URL": args.database_url, "TIMETABLE_DATA_DIR": tmp,
                     "DJANGO_SETTINGS_MODULE": "timetabling.web.settings"}
            for app in ("scheduling", "accounts", "academics", "admin", "auth", "sessions", "contenttypes"):
                subprocess.run([sys.executable, "-m", "django", "migrate", app, "zero", "--noinput"], env=reset,
                               capture_output=True)
        server = Server(Path(tmp), args.profile, args.database_url, args.web_workers)
        try:
            result = asyncio.run(run(args, server))
        finally:
            server.stop()
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

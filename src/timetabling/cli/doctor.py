"""``timetable doctor [--role web|engine|worker] [--json]``: on any machine of a deployment, check what its
process will need, with the environment it will run with, and print each check with ok or the fix.

Exit status 0 when every check is ok, 1 when any is not."""

from __future__ import annotations

import argparse
import json
import os
import sys

from timetabling.service.doctor import ROLES, Check, engine_checks, guarded, infer_roles, worker_checks

MARK = {True: "ok", False: "PROBLEM", None: "note"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check this machine's part of a deployment (database, Redis, engine, "
                       "callback, shared secret, workers, production settings)")
    p.add_argument("--role", action="append", choices=ROLES,
                   help="what runs here (repeatable; default: inferred from the environment)")
    p.add_argument("--timeout", type=float, default=5.0, metavar="S", help="seconds per network check (5)")
    p.add_argument("--json", action="store_true", help="print the checks as JSON")
    p.set_defaults(func=run)


def web_checks(timeout_s: float) -> list[Check]:
    """Django's settings first: a setting it refuses (a development secret with DEBUG off) is the check."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "timetabling.web.settings")
    try:
        import django

        django.setup()
    except Exception as err:
        return [Check("web settings", False, f"{type(err).__name__}: {err}", "correct the setting named above")]
    from timetabling.web.doctor import web_checks as checks

    return [Check("web settings", True, "loaded"), *checks(timeout_s)]


def run(args: argparse.Namespace) -> int:
    roles = args.role or infer_roles(os.environ)
    how = "as asked" if args.role else "inferred from the environment"
    if {"web", "engine"} <= set(roles) and not os.environ.get("TIMETABLE_ENGINE_SECRET"):
        # one machine (timetable serve): both services use the secret made in the data folder
        from timetabling.service.secret_file import ENGINE_SECRET_FILE, data_dir, stored_secret

        os.environ["TIMETABLE_ENGINE_SECRET"] = stored_secret(data_dir() / ENGINE_SECRET_FILE)
    results: dict[str, list[Check]] = {}
    for role in ROLES:
        if role not in roles:
            continue
        if role == "web":
            results[role] = guarded("web", lambda: web_checks(args.timeout))
        elif role == "engine":
            results[role] = guarded("engine", lambda: engine_checks(timeout_s=args.timeout))
        else:
            results[role] = guarded("worker", lambda: worker_checks(timeout_s=min(args.timeout, 3.0)))
    problems = sum(c.ok is False for checks in results.values() for c in checks)
    if args.json:
        print(json.dumps({"roles": roles, "problems": problems,
                          "checks": {r: [c.to_json() for c in cs] for r, cs in results.items()}}, indent=2))
        return 1 if problems else 0
    print(f"timetable doctor: {', '.join(roles)} ({how})")
    for role, checks in results.items():
        print(f"[{role}]")
        for c in checks:
            print(f"  {MARK[c.ok]:<8} {c.name}: {c.detail}")
            if c.ok is not True and c.fix:
                print(f"  {'':<8} fix: {c.fix}")
    print("all ok" if not problems else f"{problems} problem(s)")
    sys.stdout.flush()
    return 1 if problems else 0

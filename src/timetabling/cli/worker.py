"""``timetable worker``: a Celery worker that runs generation jobs for engine services on any machine."""

from __future__ import annotations

import argparse
import os


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("worker", help="start a Celery worker for distributed generation (needs Redis)")
    p.add_argument("--broker", metavar="URL", help="broker URL (default: $TIMETABLE_BROKER_URL, $REDIS_URL or "
                   "redis://127.0.0.1:6379/0)")
    p.add_argument("--concurrency", type=int, default=1, metavar="N",
                   help="jobs this worker runs at once (default %(default)s: each job uses every core)")
    p.add_argument("--queue", metavar="NAME", help="queue to take jobs from (default: $TIMETABLE_CELERY_QUEUE "
                   "or timetable)")
    p.add_argument("--hostname", metavar="NAME", help="worker node name (default: worker-<process id>@<host name>, "
                   "so that several workers on one machine have distinct names)")
    p.add_argument("--loglevel", default="info", help="celery log level (default %(default)s)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.broker:  # the Celery app reads its settings when first imported
        os.environ["TIMETABLE_BROKER_URL"] = args.broker
    from timetabling.service.celery_app import SETTINGS, app

    argv = ["worker", f"--concurrency={args.concurrency}", f"--queues={args.queue or SETTINGS.queue}",
            f"--loglevel={args.loglevel}", "--pool=prefork", "--without-gossip", "--without-mingle"]
    hostname = args.hostname or f"worker-{os.getpid()}@%h"
    argv.append(f"--hostname={hostname}")
    print(f"timetable worker {hostname}: broker {_without_password(SETTINGS.broker_url)}, queue "
          f"{args.queue or SETTINGS.queue}, concurrency {args.concurrency}", flush=True)
    app.worker_main(argv)
    return 0


def _without_password(url: str) -> str:
    """The URL as it may be printed: ``redis://:***@host:6379/0``."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if not parts.password:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()

"""``python -m timetabling.web retry_waiting_jobs``: offer the jobs that wait for the engine service to it
again (those whose next try is due), and fail the jobs nothing was heard of for too long (their slots are
freed), e.g. from cron every minute beside a web deployment."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from timetabling.web.scheduling import submission
from timetabling.web.scheduling.services import expire_stale_jobs


class Command(BaseCommand):
    help = "Offer the generation jobs that wait for the engine service to it again (those that are due)."

    def handle(self, *args: Any, **opts: Any) -> None:
        taken = submission.retry_waiting_jobs()
        next_in = submission.seconds_to_next_retry()
        waiting = "no job waits" if next_in is None else f"jobs still wait; the next try is due in {next_in:.0f} s"
        expired = expire_stale_jobs()
        self.stdout.write(f"the engine took {taken} waiting job(s); {waiting}; {expired} silent job(s) failed")

"""``python -m timetabling.web send_queued_mail``: send the queued notification e-mails that are due and tell the
people concerned what pending publications changed, e.g. from cron every minute beside a web deployment."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from timetabling.web.notifications import outbox
from timetabling.web.notifications.models import MailStatus, OutgoingMail


class Command(BaseCommand):
    help = "Send the queued notification e-mails that are due (failed ones stay queued for their next try)."

    def handle(self, *args: Any, **opts: Any) -> None:
        told = outbox.process_change_notices()
        sent, failed = outbox.send_due()
        waiting = OutgoingMail.objects.filter(status=MailStatus.PENDING).count()
        self.stdout.write(f"{told} publication(s) told; {sent} e-mail(s) sent, {failed} failed; {waiting} queued")

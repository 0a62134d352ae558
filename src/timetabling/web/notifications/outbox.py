"""Sending: notifications are stored at once, e-mails are queued (``OutgoingMail``) and sent later, so that no
request and no job ever waits for a mail server.

Three things send what is due, so that no deployment depends on one of them:

- a daemon thread in each web process, alive only while something is queued (started when a message is queued,
  and at a process's first request when mail was left queued); ``NOTIFICATION_THREAD = False`` turns it off;
- ``python -m timetabling.web send_queued_mail`` for cron;
- the admin's "send now" action on outgoing e-mails.

A failed attempt keeps the e-mail with its error and tries again after 30 s, 1 min, 2 min ... at most an hour
apart; two senders never send one e-mail at once (each claims it first).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from timetabling.web.background import BackgroundLoop
from timetabling.web.notifications.models import (
    ChangeNotice,
    MailStatus,
    Notification,
    NotificationPreference,
    OutgoingMail,
)

log = logging.getLogger(__name__)

FIRST_DELAY_S = 30.0
MAX_DELAY_S = 3600.0
CLAIM_S = 300.0  # an attempt in progress holds the e-mail this long (a sender that died lets it go after that)
THREAD_MAX_SLEEP_S = 30.0
BATCH = 100


def backoff_s(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failed ones: 30, 60, 120 ... capped at an hour."""
    return min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** max(0, attempts - 1))


def deliver(messages: Iterable) -> int:
    """Store each ``rules.Message`` as a notification and queue its e-mail, as its recipient chose; the worker
    is woken once the transaction commits. Returns how many notifications were stored."""
    messages = list(messages)
    if not messages:
        return 0
    choices = {(p.user_id, p.kind): p for p in NotificationPreference.objects.filter(
        user__in={m.user.pk for m in messages})}
    notes, mails = [], []
    now = timezone.now()
    for m in messages:
        choice = choices.get((m.user.pk, m.kind))
        if choice is None or choice.in_app:
            notes.append(Notification(user=m.user, kind=m.kind, title=m.title[:200], body=m.body, link=m.link))
        if (choice is None or choice.email) and m.user.email:
            body = m.body + (f"\n\n{site_url()}{m.link}" if m.link else "")
            mails.append(OutgoingMail(to=m.user.email, subject=m.title[:250], body=body, kind=m.kind,
                                      next_attempt=now))
    Notification.objects.bulk_create(notes)
    OutgoingMail.objects.bulk_create(mails)
    if mails:
        transaction.on_commit(worker.ensure_running)
    return len(notes)


def site_url() -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/")


def _claim(mail: OutgoingMail, now: datetime) -> bool:
    """Take the e-mail for one attempt; False when another sender took it first."""
    return OutgoingMail.objects.filter(pk=mail.pk, status=MailStatus.PENDING, attempts=mail.attempts,
                                       next_attempt=mail.next_attempt).update(
        next_attempt=now + timedelta(seconds=CLAIM_S)) == 1


def send_due(now: datetime | None = None, limit: int = BATCH) -> tuple[int, int]:
    """Send the queued e-mails that are due; returns (sent, failed). A failure is recorded on the e-mail, which
    stays queued for its next try."""
    now = now or timezone.now()
    due = list(OutgoingMail.objects.filter(status=MailStatus.PENDING, next_attempt__lte=now)
               .order_by("next_attempt", "id")[:limit])
    sent = failed = 0
    connection = None
    for mail in due:
        if not _claim(mail, now):
            continue
        try:
            connection = connection or get_connection(fail_silently=False)
            EmailMessage(mail.subject, mail.body, settings.DEFAULT_FROM_EMAIL, [mail.to],
                         connection=connection).send(fail_silently=False)
        except Exception as err:  # any refusal or outage: keep it, say why, try again later
            attempts = mail.attempts + 1
            OutgoingMail.objects.filter(pk=mail.pk).update(
                attempts=attempts, last_error=f"{type(err).__name__}: {err}"[:2000],
                next_attempt=now + timedelta(seconds=backoff_s(attempts)))
            log.warning("e-mail %s to %s not sent (attempt %d): %s", mail.pk, mail.to, attempts, err)
            failed += 1
            connection = _close(connection)
            continue
        OutgoingMail.objects.filter(pk=mail.pk).update(status=MailStatus.SENT, sent_at=timezone.now(),
                                                       attempts=F("attempts") + 1, last_error="")
        sent += 1
    _close(connection)
    return sent, failed


def _close(connection: Any) -> None:
    if connection is not None:
        with contextlib.suppress(Exception):  # closing a broken connection: nothing more to do
            connection.close()
    return None


def process_change_notices(limit: int = 10) -> int:
    """Tell the people concerned what each pending publication changed for them; returns how many were done."""
    from timetabling.web.notifications import events

    done = 0
    for notice in ChangeNotice.objects.filter(done_at__isnull=True, attempts__lt=5).select_related(
            "timetable", "previous")[:limit]:
        try:
            with transaction.atomic():
                deliver(events.change_messages(notice.timetable, notice.previous))
                ChangeNotice.objects.filter(pk=notice.pk).update(done_at=timezone.now(), error="",
                                                                 attempts=F("attempts") + 1)
            done += 1
        except Exception as err:  # the data no longer builds an instance, ...: recorded, tried again later
            log.exception("changes of timetable %s could not be told", notice.timetable_id)
            ChangeNotice.objects.filter(pk=notice.pk).update(error=f"{type(err).__name__}: {err}"[:2000],
                                                             attempts=F("attempts") + 1)
    return done


def seconds_to_next() -> float | None:
    """Seconds until something is due (0 when now); None when nothing is queued."""
    if ChangeNotice.objects.filter(done_at__isnull=True, attempts__lt=5).exists():
        return 0.0
    nxt = (OutgoingMail.objects.filter(status=MailStatus.PENDING).order_by("next_attempt")
           .values_list("next_attempt", flat=True).first())
    return None if nxt is None else max(0.0, (nxt - timezone.now()).total_seconds())


def run_once() -> float | None:
    """One round of the worker: publications, then due e-mails; returns ``seconds_to_next``."""
    process_change_notices()
    send_due()
    return seconds_to_next()


worker = BackgroundLoop("notification-mail", "NOTIFICATION_THREAD", run_once, THREAD_MAX_SLEEP_S,
                        "sending queued notifications failed")
RESUME_UID = "timetabling.notifications.resume_queued_mail"


def resume_on_first_request(**_: object) -> None:
    """``request_started`` receiver: at a process's first request, start the worker when mail was left queued."""
    from django.core.signals import request_started

    try:
        queued = seconds_to_next() is not None
    except Exception:  # no database yet: look at the next request
        return
    request_started.disconnect(dispatch_uid=RESUME_UID)
    if queued:
        worker.ensure_running()

"""Who is told what: the rules of notifications (job finished, approval requested, timetable changed) and each
user's choices; the e-mail tests send to a real SMTP server (aiosmtpd) on a free port."""

from __future__ import annotations

import io
import socket
from datetime import timedelta
from typing import Any

from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from tests.web.drafts_support import DraftTestCase, stored_timetable
from tests.web.support import PersonasTestCase
from timetabling.web.notifications import outbox
from timetabling.web.notifications.models import (
    ChangeNotice,
    Kind,
    MailStatus,
    Notification,
    NotificationPreference,
    OutgoingMail,
)
from timetabling.web.scheduling import services, versions
from timetabling.web.scheduling.models import GenerationJob, JobStatus, TimetableSlot


def finished_job(org, user, status: str = JobStatus.COMPLETED) -> GenerationJob:
    job = GenerationJob.objects.create(organization=org, academic_year="2026-27", semester=1, created_by=user,
                                       status=JobStatus.RUNNING, metadata={"department_ids": [], "batch_ids": []})
    if status == JobStatus.COMPLETED:
        from tests.web.support import placed_entries

        assert services.store_result(job, status, [{"name": "Balanced", "entries": placed_entries(org),
                                                    "score": 80.0}], 1.0)
    else:
        services.submission.finish_without_result(job, status, "the solver found no timetable")
    job.refresh_from_db()
    return job


def kinds_of(user) -> list[str]:
    return sorted(Notification.objects.filter(user=user).values_list("kind", flat=True))


class JobNotificationRulesTest(PersonasTestCase):
    def test_a_completed_job_tells_its_starter_and_asks_the_approvers(self) -> None:
        finished_job(self.org, self.scheduler)
        self.assertEqual(kinds_of(self.scheduler), [Kind.JOB_COMPLETED])
        self.assertEqual(kinds_of(self.approver), [Kind.APPROVAL_REQUESTED])
        self.assertEqual(kinds_of(self.admin), [Kind.APPROVAL_REQUESTED])  # an org admin may approve too
        for bystander in (self.faculty_user, self.student_user, self.outsider):
            self.assertEqual(kinds_of(bystander), [])
        note = Notification.objects.get(user=self.approver)
        self.assertIn("Balanced", note.body)
        self.assertEqual(note.link, f"/admin/timetables/status/{GenerationJob.objects.get().id}")

    def test_an_approver_who_started_the_job_is_told_once(self) -> None:
        finished_job(self.org, self.admin)
        self.assertEqual(kinds_of(self.admin), [Kind.JOB_COMPLETED])
        self.assertEqual(kinds_of(self.approver), [Kind.APPROVAL_REQUESTED])

    def test_a_failed_job_tells_only_its_starter_why(self) -> None:
        finished_job(self.org, self.scheduler, JobStatus.FAILED)
        self.assertEqual(kinds_of(self.scheduler), [Kind.JOB_FAILED])
        self.assertIn("the solver found no timetable", Notification.objects.get(user=self.scheduler).body)
        self.assertEqual(kinds_of(self.approver), [])

    def test_a_cancelled_job_tells_its_starter(self) -> None:
        finished_job(self.org, self.scheduler, JobStatus.CANCELLED)
        self.assertEqual(kinds_of(self.scheduler), [Kind.JOB_CANCELLED])

    def test_a_result_delivered_twice_tells_people_once(self) -> None:
        job = finished_job(self.org, self.scheduler)
        self.assertFalse(services.store_result(job, "completed", [], 1.0))
        self.assertEqual(kinds_of(self.scheduler), [Kind.JOB_COMPLETED])

    def test_e_mail_goes_only_to_users_with_an_address_who_want_it(self) -> None:
        self.scheduler.email, self.approver.email, self.admin.email = "s@uni.test", "a@uni.test", "o@uni.test"
        for u in (self.scheduler, self.approver, self.admin):
            u.save()
        NotificationPreference.objects.create(user=self.admin, kind=Kind.APPROVAL_REQUESTED, email=False)
        NotificationPreference.objects.create(user=self.approver, kind=Kind.APPROVAL_REQUESTED, in_app=False)
        finished_job(self.org, self.scheduler)
        self.assertEqual(sorted(OutgoingMail.objects.values_list("to", "kind")),
                         [("a@uni.test", Kind.APPROVAL_REQUESTED), ("s@uni.test", Kind.JOB_COMPLETED)])
        self.assertEqual(kinds_of(self.approver), [])  # e-mail only
        self.assertEqual(kinds_of(self.admin), [Kind.APPROVAL_REQUESTED])  # in the site only


class NotificationPagesTest(PersonasTestCase):
    def test_the_list_shows_own_notifications_and_the_header_counts_the_unread(self) -> None:
        finished_job(self.org, self.scheduler)
        self.as_user(self.scheduler)
        dashboard = self.client.get("/").content.decode()
        self.assertIn('aria-label="1 unread"', dashboard)
        page = self.client.get("/notifications/").content.decode()
        self.assertIn("Generation completed", page)
        self.assertNotIn("waiting for approval", page)  # the approvers' notification
        self.assertFalse(Notification.objects.filter(user=self.scheduler, read_at__isnull=True).exists())
        self.assertNotIn("unread", self.client.get("/").content.decode().split("<main")[0])

    def test_preferences_are_saved_per_kind(self) -> None:
        self.as_user(self.approver)
        form = {f"{k}-{c}": "on" for k in Kind.values for c in ("in_app", "email")}
        del form[f"{Kind.APPROVAL_REQUESTED}-email"]
        self.assertEqual(self.client.post("/notifications/preferences/", form).status_code, 302)
        choice = NotificationPreference.objects.get(user=self.approver, kind=Kind.APPROVAL_REQUESTED)
        self.assertEqual((choice.in_app, choice.email), (True, False))
        self.assertIn("checked", self.client.get("/notifications/preferences/").content.decode())

    def test_a_visitor_is_sent_to_sign_in(self) -> None:
        self.as_user(None)
        self.assertEqual(self.client.get("/notifications/").status_code, 302)


class TimetableChangedTest(DraftTestCase):
    def tell(self) -> None:
        self.assertEqual(outbox.process_change_notices(), 1)

    def test_the_first_publication_tells_every_member_with_sessions(self) -> None:
        services.approve(self.variant.generation_job, self.approver, "approve", "", None)
        self.assertEqual(ChangeNotice.objects.filter(done_at__isnull=True).count(), 1)
        self.tell()
        teacher = Notification.objects.get(user=self.faculty_user, kind=Kind.TIMETABLE_CHANGED)
        taught = set(TimetableSlot.objects.filter(timetable=self.variant, faculty=self.teacher)
                     .values_list("course__code", flat=True))
        self.assertIn("was published", teacher.title)
        self.assertTrue(all(code in teacher.body for code in taught), teacher.body)
        self.assertTrue(Notification.objects.filter(user=self.student_user, kind=Kind.TIMETABLE_CHANGED).exists())
        self.assertFalse(Notification.objects.filter(user=self.approver, kind=Kind.TIMETABLE_CHANGED).exists())

    def test_a_new_version_tells_only_those_whose_sessions_changed_what_changed(self) -> None:
        services.approve(self.variant.generation_job, self.approver, "approve", "", None)
        self.tell()
        Notification.objects.all().delete()
        draft = versions.create_draft(self.variant, self.scheduler)
        course = TimetableSlot.objects.filter(timetable=draft, faculty=self.teacher).order_by("course__code").first()
        taken = set(TimetableSlot.objects.filter(timetable=draft, faculty=self.teacher).values_list("day", "period"))
        free = next((d, p) for d in range(5) for p in range(8) if (d, p) not in taken)
        TimetableSlot.objects.filter(timetable=draft, course=course.course, session=course.session).update(
            day=free[0], period=free[1])
        versions.publish(draft, self.approver)
        self.tell()
        note = Notification.objects.get(user=self.faculty_user, kind=Kind.TIMETABLE_CHANGED)
        self.assertIn("was changed", note.title)
        self.assertIn(f"{course.course.code} session {course.session + 1}:", note.body)
        self.assertIn("1 of your sessions changed", note.body)
        pupil_has_it = TimetableSlot.objects.filter(timetable=draft, course=course.course,
                                                    batch=self.pupil.batch).exists()
        self.assertEqual(Notification.objects.filter(user=self.student_user).exists(), pupil_has_it)

    def test_a_rejection_tells_nobody_of_a_change(self) -> None:
        services.approve(self.variant.generation_job, self.approver, "reject", "not yet", None)
        self.assertFalse(ChangeNotice.objects.exists())

    def test_another_scope_is_not_a_previous_version(self) -> None:
        from timetabling.web.academics import models as am
        from timetabling.web.notifications.events import published_before

        services.approve(self.variant.generation_job, self.approver, "approve", "", None)
        one = stored_timetable(self.org, [am.Department.objects.filter(organization=self.org).first().pk])
        self.assertIsNone(published_before(one))
        self.assertEqual(published_before(versions.create_draft(self.variant, self.scheduler)), self.variant)


# ------------------------------------------------------------------------------- a real SMTP server


class Inbox:
    """aiosmtpd handler: keeps every message; ``refuse`` answers 550 to every recipient."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.refuse = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd's hook names
        if self.refuse:
            return "550 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                              "data": envelope.content.decode("utf-8", "replace")})
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpTestCase(PersonasTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.port = free_port()
        self.inbox = Inbox()
        self.server: Controller | None = None
        mail = override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                                 EMAIL_PORT=self.port, EMAIL_USE_TLS=False, EMAIL_TIMEOUT=5,
                                 DEFAULT_FROM_EMAIL="timetable@uni.test", SITE_URL="https://tt.uni.test")
        mail.enable()
        self.addCleanup(mail.disable)
        self.scheduler.email = "scheduler@uni.test"
        self.scheduler.save()
        self.approver.email = "approver@uni.test"
        self.approver.save()

    def start_server(self) -> None:
        self.server = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.server.start()
        self.addCleanup(self.server.stop)

    def test_the_completion_and_approval_e_mails_reach_the_server(self) -> None:
        self.start_server()
        job = finished_job(self.org, self.scheduler)
        self.assertEqual(outbox.send_due(), (2, 0))
        by_to = {m["to"][0]: m for m in self.inbox.messages}
        self.assertEqual(set(by_to), {"scheduler@uni.test", "approver@uni.test"})
        done = by_to["scheduler@uni.test"]
        self.assertEqual(done["from"], "timetable@uni.test")
        self.assertIn("Subject: Generation completed: 2026-27 semester 1", done["data"])
        self.assertIn("finished with 1 variant(s): Balanced", done["data"])
        self.assertIn(f"https://tt.uni.test/admin/timetables/status/{job.id}", done["data"])
        self.assertIn("Subject: Timetable waiting for approval", by_to["approver@uni.test"]["data"])
        self.assertEqual(set(OutgoingMail.objects.values_list("status", flat=True)), {MailStatus.SENT})
        self.assertEqual(outbox.send_due(), (0, 0))  # sent once

    def test_a_server_that_is_down_loses_nothing_and_the_job_is_unaffected(self) -> None:
        job = finished_job(self.org, self.scheduler)  # nothing listens on the port yet
        self.assertEqual(job.status, JobStatus.COMPLETED)
        self.assertEqual(outbox.send_due(), (0, 2))
        mail = OutgoingMail.objects.get(to="scheduler@uni.test")
        self.assertEqual((mail.status, mail.attempts), (MailStatus.PENDING, 1))
        self.assertIn("refused", mail.last_error.lower())
        self.assertEqual(outbox.send_due(), (0, 0))  # not due before its backoff
        self.start_server()
        self.assertEqual(outbox.send_due(timezone.now() + timedelta(seconds=31)), (2, 0))
        self.assertEqual(sorted(m["to"][0] for m in self.inbox.messages), ["approver@uni.test", "scheduler@uni.test"])
        mail.refresh_from_db()
        self.assertEqual((mail.status, mail.attempts, mail.last_error), (MailStatus.SENT, 2, ""))

    def test_a_refused_e_mail_is_kept_and_retried_with_longer_waits(self) -> None:
        self.start_server()
        self.inbox.refuse = True
        finished_job(self.org, self.scheduler, JobStatus.FAILED)
        now = timezone.now()
        self.assertEqual(outbox.send_due(now), (0, 1))
        self.assertEqual(outbox.send_due(now + timedelta(seconds=31)), (0, 1))
        mail = OutgoingMail.objects.get()
        self.assertEqual((mail.status, mail.attempts), (MailStatus.PENDING, 2))
        self.assertIn("550", mail.last_error)
        self.assertAlmostEqual((mail.next_attempt - now).total_seconds(), 31 + 60, delta=1)
        self.inbox.refuse = False
        out = io.StringIO()
        call_command("send_queued_mail", stdout=out)  # not due yet: nothing sent
        self.assertIn("0 e-mail(s) sent, 0 failed; 1 queued", out.getvalue())
        self.assertEqual(self.inbox.messages, [])
        self.assertEqual(outbox.send_due(now + timedelta(seconds=100)), (1, 0))
        self.assertIn("Subject: Generation failed", self.inbox.messages[0]["data"])


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [outbox.backoff_s(n) for n in (1, 2, 3)] == [30, 60, 120]
    assert outbox.backoff_s(50) == 3600

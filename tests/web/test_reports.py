"""The checker's report stored with each timetable: computed when the result is stored, recomputed once when
the slots change, read (never recomputed) by the pages; and a department's sessions as a streamed export."""

from __future__ import annotations

import csv
import io
import json
from unittest import mock

from django.test import override_settings

from tests.web.support import CALLBACK_URL, FAKE_CLIENT, PersonasTestCase, callback_body, signed_headers
from timetabling.engine.checker import check
from timetabling.web.academics import models as am
from timetabling.web.scheduling import reports
from timetabling.web.scheduling.models import GenerationJob, Timetable, TimetableReport, TimetableSlot


@override_settings(ENGINE_CLIENT=FAKE_CLIENT)
class StoredReportTests(PersonasTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.job = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1)
        raw = json.dumps(callback_body(self.job.pk, self.org)).encode()
        assert self.client.post(CALLBACK_URL, data=raw, content_type="application/json",
                                **signed_headers(raw)).status_code == 200
        self.timetable = Timetable.objects.filter(generation_job=self.job).order_by("id").first()
        self.as_user(self.scheduler)

    def test_storing_the_result_stores_the_checkers_report_of_each_variant(self) -> None:
        stored = TimetableReport.objects.get(timetable=self.timetable)
        expected = check(reports.instance_of(self.timetable), reports.solution_of(self.timetable))
        assert stored.hard_total == expected.hard_total > 0 and stored.soft_cost == expected.soft_cost
        assert stored.slots_version == self.timetable.slots_version == 0
        assert stored.offenders and stored.error == ""
        assert TimetableReport.objects.filter(timetable__generation_job=self.job).count() == 2

    def test_the_pages_read_the_stored_report_without_running_the_checker(self) -> None:
        with mock.patch.object(reports, "check", side_effect=AssertionError("the checker ran")):
            assert self.client.get(f"/admin/timetables/{self.timetable.pk}/review").status_code == 200
            assert self.client.get(f"/admin/timetables/jobs/{self.job.pk}/compare").status_code == 200
            assert self.client.get(f"/api/timetable/result/{self.job.pk}/").status_code == 200

    def test_a_changed_slot_makes_the_report_stale_and_it_is_recomputed_once(self) -> None:
        before = TimetableReport.objects.get(timetable=self.timetable)
        TimetableSlot.objects.filter(timetable=self.timetable).exclude(
            course__code=self.timetable.slots.order_by("id").first().course.code).delete()  # bulk: no signal
        reports.slots_changed(self.timetable)
        after = TimetableReport.objects.get(timetable=self.timetable)
        self.timetable.refresh_from_db()
        assert after.slots_version == self.timetable.slots_version == before.slots_version + 1
        assert after.hard_total < before.hard_total
        slot = self.timetable.slots.first()
        slot.period += 1
        slot.save()  # one slot at a time (the admin): the version goes up by itself
        self.timetable.refresh_from_db()
        assert not reports.is_fresh(TimetableReport.objects.get(timetable=self.timetable), self.timetable)
        with mock.patch.object(reports, "check", wraps=check) as checker:
            self.client.get(f"/admin/timetables/{self.timetable.pk}/review")
            self.client.get(f"/admin/timetables/{self.timetable.pk}/review")
        assert checker.call_count == 1
        assert reports.is_fresh(TimetableReport.objects.get(timetable=self.timetable), self.timetable)

    def test_a_departments_sessions_export_as_csv_and_excel(self) -> None:
        department = self.timetable.slots.first().course.department
        url = f"/timetables/department/{department.pk}/export.csv?timetable={self.timetable.pk}"
        response = self.client.get(url)
        assert response.streaming and response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        theirs = TimetableSlot.objects.filter(timetable=self.timetable).filter(
            course__department=department).values("course_id", "session").distinct().count()
        assert len(rows) >= theirs > 0
        assert len({(r["course_code"], r["session"]) for r in rows}) == len(rows)  # one row per session
        codes = set(am.Course.objects.filter(department=department).values_list("code", flat=True))
        batches = set(am.Batch.objects.filter(department=department).values_list("code", flat=True))
        assert all(r["course_code"] in codes or set(r["batches"].split(";")) & batches for r in rows)
        xlsx = self.client.get(url.replace("export.csv", "export.xlsx"))
        assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content)[:2] == b"PK"
        booklet = self.client.get(url.replace("export.csv", "export.pdf"))  # the department booklet
        body = b"".join(booklet.streaming_content) if booklet.streaming else booklet.content
        assert booklet.status_code == 200 and body[:5] == b"%PDF-"
        assert self.client.get(url.replace("export.csv", "export.docx")).status_code == 404
        self.as_user(self.faculty_user)
        assert self.client.get(url).status_code == 403

"""The engine's callback: only with the engine's signature; a result is stored once."""

from __future__ import annotations

import json
import uuid

from tests.web.support import CALLBACK_URL, PersonasTestCase, callback_body, signed_headers
from timetabling.web.scheduling.models import GenerationJob, JobStatus, Timetable, TimetableSlot


class CallbackTests(PersonasTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.job = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1,
                                                metadata={"grid": None})
        self.job.metadata = {}
        self.job.save()

    def deliver(self, body: dict, headers: dict | None = None):
        raw = json.dumps(body).encode()
        return self.client.post(CALLBACK_URL, data=raw, content_type="application/json",
                                **(signed_headers(raw) if headers is None else headers))

    def test_it_stores_one_timetable_per_variant_with_its_slots(self) -> None:
        response = self.deliver(callback_body(self.job.pk, self.org))
        assert response.status_code == 200 and response.json()["stored"] is True
        self.job.refresh_from_db()
        assert self.job.status == JobStatus.COMPLETED and self.job.progress == 100 and self.job.completed_at
        timetables = Timetable.objects.filter(generation_job=self.job)
        assert sorted(t.name for t in timetables) == ["Balanced", "Faculty-focused"]
        assert all(t.status == "draft" for t in timetables)
        first = timetables.get(name="Balanced")
        slot = TimetableSlot.objects.filter(timetable=first).select_related("course").first()
        assert slot.end_time > slot.start_time and slot.course.organization == self.org

    def test_a_repeated_delivery_is_stored_once(self) -> None:
        body = callback_body(self.job.pk, self.org)
        assert self.deliver(body).json()["stored"] is True
        slots = TimetableSlot.objects.count()
        second = self.deliver(body)
        assert second.status_code == 200 and second.json()["stored"] is False
        assert Timetable.objects.filter(generation_job=self.job).count() == 2
        assert TimetableSlot.objects.count() == slots

    def test_it_rejects_a_wrong_or_missing_signature(self) -> None:
        body = callback_body(self.job.pk, self.org)
        assert self.deliver(body, headers={"HTTP_X_ENGINE_SIGNATURE": "sha256=" + "0" * 64}).status_code == 403
        assert self.deliver(body, headers={}).status_code == 401
        assert self.deliver(body, headers={"HTTP_X_ENGINE_SECRET": "guess"}).status_code == 403
        assert not Timetable.objects.exists()
        self.job.refresh_from_db()
        assert self.job.status == JobStatus.QUEUED

    def test_progress_reports_move_forward_only(self) -> None:
        for pct in (10, 40, 30):
            self.deliver({"job_id": str(self.job.pk), "status": "running", "progress": pct, "phase": "optimise"})
        self.job.refresh_from_db()
        assert self.job.status == JobStatus.RUNNING and self.job.progress == 40
        assert self.job.metadata["phase"] == "optimise"

    def test_a_failure_is_recorded_with_its_message(self) -> None:
        body = {"job_id": str(self.job.pk), "status": "failed", "message": "no timetable: infeasible"}
        assert self.deliver(body).status_code == 200
        self.job.refresh_from_db()
        assert self.job.status == JobStatus.FAILED and "infeasible" in self.job.error_message

    def test_bad_bodies_are_400_and_unknown_jobs_404(self) -> None:
        assert self.deliver({"job_id": "x", "status": "completed"}).status_code == 400
        assert self.deliver({"job_id": str(self.job.pk), "status": "exploded"}).json()["error"]["field"] == "status"
        assert self.deliver({"job_id": str(uuid.uuid4()), "status": "running"}).status_code == 404
        raw = b"{oops"
        response = self.client.post(CALLBACK_URL, data=raw, content_type="application/json", **signed_headers(raw))
        assert response.status_code == 400

    def test_an_unknown_course_stores_nothing(self) -> None:
        body = callback_body(self.job.pk, self.org)
        body["variants"][1]["entries"][0]["course"] = "NO-SUCH-COURSE"
        response = self.deliver(body)
        assert response.status_code == 400 and "NO-SUCH-COURSE" in response.json()["message"]
        assert not Timetable.objects.exists()
        self.job.refresh_from_db()
        assert self.job.status == JobStatus.QUEUED

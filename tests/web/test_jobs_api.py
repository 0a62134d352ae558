"""Following a job (status, progress, result), cancelling it, and approving or rejecting its variants."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from tests.web.support import (
    CALLBACK_URL,
    FAKE_CLIENT,
    FakeEngineClient,
    PersonasTestCase,
    callback_body,
    signed_headers,
)
from timetabling.web.scheduling.models import GenerationJob, JobStatus, Timetable, TimetableStatus


@override_settings(ENGINE_CLIENT=FAKE_CLIENT)
class JobTests(PersonasTestCase):
    def new_job(self, org=None, **fields) -> GenerationJob:
        return GenerationJob.objects.create(organization=org or self.org, academic_year="2026-27", semester=1,
                                            **fields)

    def finish(self, job: GenerationJob, **kw) -> None:
        raw = json.dumps(callback_body(job.pk, job.organization, **kw)).encode()
        response = self.client.post(CALLBACK_URL, data=raw, content_type="application/json", **signed_headers(raw))
        assert response.status_code == 200, response.content

    # ------------------------------------------------------------------ status, progress, result

    def test_status_progress_and_result_of_a_finished_job(self) -> None:
        job = self.new_job()
        self.finish(job)
        self.as_user(self.scheduler)
        status = self.client.get(f"/api/timetable/status/{job.pk}/").json()
        assert status["success"] and status["job"]["status"] == "completed" and status["job"]["progress"] == 100
        progress = self.client.get(f"/api/timetable/progress/{job.pk}/").json()
        assert progress["progress"] == 100 and progress["status"] == "completed" and progress["updated_at"]
        result = self.client.get(f"/api/timetable/result/{job.pk}/").json()
        assert [t["name"] for t in result["timetables"]] == ["Balanced", "Faculty-focused"]
        assert "slots" not in result and "slots" not in result["timetables"][0]  # a summary by default
        assert result["comparison"][0]["name"] == "Balanced"
        first = result["timetables"][0]["id"]
        slots = self.client.get(f"/api/timetable/result/{job.pk}/?timetable_id={first}").json()["slots"]
        assert slots and {"day", "start_time", "end_time", "course", "faculty", "room", "batch"} <= set(slots[0])

    def test_unknown_and_malformed_job_ids_are_404(self) -> None:
        self.as_user(self.scheduler)
        for path in ("status", "progress", "result"):
            assert self.client.get(f"/api/timetable/{path}/{uuid.uuid4()}/").status_code == 404
            assert self.client.get(f"/api/timetable/{path}/not-a-uuid/").status_code == 404

    def test_it_rejects_other_organisations_job_with_404(self) -> None:
        job = self.new_job(org=self.other_org)
        self.as_user(self.scheduler)
        for path in ("status", "progress", "result"):
            response = self.client.get(f"/api/timetable/{path}/{job.pk}/")
            assert response.status_code == 404
            assert response.json()["success"] is False
        assert self.post_json(f"/api/timetable/cancel/{job.pk}/", {}).status_code == 404
        self.as_user(self.approver)
        assert self.post_json(f"/api/timetable/approve/{job.pk}/", {"action": "approve"}).status_code == 404

    def test_faculty_and_students_may_not_follow_jobs(self) -> None:
        job = self.new_job()
        for user in (self.faculty_user, self.student_user):
            self.as_user(user)
            assert self.client.get(f"/api/timetable/status/{job.pk}/").status_code == 403
        self.as_user(None)
        assert self.client.get(f"/api/timetable/status/{job.pk}/").status_code == 401

    def test_the_job_list_shows_only_the_own_organizations_jobs(self) -> None:
        mine, theirs = self.new_job(), self.new_job(org=self.other_org)
        self.as_user(self.approver)
        ids = [j["job_id"] for j in self.client.get("/api/timetable/jobs/").json()["jobs"]]
        assert str(mine.pk) in ids and str(theirs.pk) not in ids

    # ------------------------------------------------------------------------------- cancel

    def test_cancel_asks_the_engine_and_refuses_finished_jobs(self) -> None:
        running = self.new_job(status=JobStatus.RUNNING)
        self.as_user(self.scheduler)
        assert self.post_json(f"/api/timetable/cancel/{running.pk}/", {}).status_code == 200
        assert FakeEngineClient.cancelled == [str(running.pk)]
        done = self.new_job(status=JobStatus.COMPLETED)
        assert self.post_json(f"/api/timetable/cancel/{done.pk}/", {}).status_code == 409
        self.as_user(self.approver)
        assert self.post_json(f"/api/timetable/cancel/{running.pk}/", {}).status_code == 403

    # ------------------------------------------------------------------------------ approval

    def test_approving_publishes_the_best_variant_and_archives_the_previous_one(self) -> None:
        first, second = self.new_job(), self.new_job()
        self.finish(first)
        self.finish(second, scores=(50.0, 90.0))
        self.as_user(self.approver)
        response = self.post_json(f"/api/timetable/approve/{first.pk}/", {"action": "approve", "comments": "ok"})
        assert response.status_code == 200, response.content
        old = Timetable.objects.get(pk=response.json()["timetable_id"])
        assert old.status == TimetableStatus.PUBLISHED and old.name == "Balanced"
        response = self.post_json(f"/api/timetable/approve/{second.pk}/", {"action": "approve"})
        new = Timetable.objects.get(pk=response.json()["timetable_id"])
        old.refresh_from_db()
        assert new.name == "Faculty-focused" and new.status == TimetableStatus.PUBLISHED and new.is_active
        assert old.status == TimetableStatus.ARCHIVED and not old.is_active
        assert Timetable.objects.filter(organization=self.org, status=TimetableStatus.PUBLISHED).count() == 1

    def test_the_approver_may_choose_the_variant(self) -> None:
        job = self.new_job()
        self.finish(job)
        chosen = Timetable.objects.get(generation_job=job, name="Faculty-focused")
        self.as_user(self.admin)
        response = self.post_json(f"/api/timetable/approve/{job.pk}/", {"action": "approve", "timetable_id": chosen.pk})
        assert response.status_code == 200
        chosen.refresh_from_db()
        assert chosen.status == TimetableStatus.PUBLISHED
        foreign = self.new_job(org=self.org)
        self.finish(foreign)
        response = self.post_json(f"/api/timetable/approve/{foreign.pk}/", {"action": "approve",
                                                                            "timetable_id": chosen.pk})
        assert response.status_code == 400 and response.json()["error"]["field"] == "timetable_id"

    def test_rejecting_archives_the_drafts_and_keeps_the_published_timetable(self) -> None:
        published, rejected = self.new_job(), self.new_job()
        self.finish(published)
        self.finish(rejected)
        self.as_user(self.approver)
        self.post_json(f"/api/timetable/approve/{published.pk}/", {"action": "approve"})
        response = self.post_json(f"/api/timetable/approve/{rejected.pk}/", {"action": "reject", "comments": "no"})
        assert response.status_code == 200
        assert set(Timetable.objects.filter(generation_job=rejected).values_list("status", flat=True)) == {"archived"}
        assert Timetable.objects.filter(generation_job=published, status="published").count() == 1
        rejected.refresh_from_db()
        assert rejected.metadata["review"]["action"] == "rejected" and rejected.metadata["review"]["comments"] == "no"

    def test_approval_checks_its_input_state_and_role(self) -> None:
        job = self.new_job()
        self.as_user(self.approver)
        assert self.post_json(f"/api/timetable/approve/{job.pk}/", {"action": "approve"}).status_code == 409
        self.finish(job)
        bad = self.post_json(f"/api/timetable/approve/{job.pk}/", {"action": "publish"})
        assert bad.status_code == 400 and bad.json()["error"]["field"] == "action"
        self.as_user(self.scheduler)
        assert self.post_json(f"/api/timetable/approve/{job.pk}/", {"action": "approve"}).status_code == 403
        self.as_user(self.approver)
        assert self.post_json(f"/api/timetable/approve/{job.pk}/", {"action": "approve"}).status_code == 200
        assert self.post_json(f"/api/timetable/approve/{job.pk}/", {"action": "reject"}).status_code == 409


@override_settings(ENGINE_CLIENT=FAKE_CLIENT, MAX_CONCURRENT_JOBS=1)
class StaleJobTests(PersonasTestCase):
    def test_a_job_the_engine_forgot_does_not_hold_a_slot_forever(self) -> None:
        stale = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1,
                                             status=JobStatus.RUNNING, metadata={"time_limit": 10})
        GenerationJob.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(hours=1))
        self.as_user(self.scheduler)
        body = {"academic_year": "2026-27", "semester": 1, "university_id": self.org.pk}
        assert self.post_json("/api/timetable/generate/", body).status_code == 200
        stale.refresh_from_db()
        assert stale.status == JobStatus.FAILED and "stopped reporting" in stale.error_message
        assert self.post_json("/api/timetable/generate/", body).status_code == 429  # the new one is fresh

    def test_cancel_with_the_engine_unreachable_cancels_here(self) -> None:
        job = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1,
                                           status=JobStatus.RUNNING)
        FakeEngineClient.fail_cancel = True
        try:
            self.as_user(self.scheduler)
            assert self.post_json(f"/api/timetable/cancel/{job.pk}/", {}).status_code == 200
        finally:
            FakeEngineClient.fail_cancel = False
        job.refresh_from_db()
        assert job.status == JobStatus.CANCELLED

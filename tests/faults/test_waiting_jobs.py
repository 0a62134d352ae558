"""Engine down when the web backend submits: the job waits, is offered again, and ends taken or clearly
failed; a finished job can be re-run (a scripted engine client; the database is Django's test database)."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any, ClassVar

from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from tests.web.support import PersonasTestCase, callback_body, signed_headers
from timetabling.web.scheduling import services, submission
from timetabling.web.scheduling.engine_client import EngineUnavailable
from timetabling.web.scheduling.models import GenerationJob, JobStatus, Timetable

GENERATE = "/api/timetable/generate/"
CALLBACK = "/api/academics/timetable/fastapi_callback/"


class ScriptedEngine:
    """Answers each submission with the next scripted answer: None takes the job, an exception refuses it."""

    answers: ClassVar[list[EngineUnavailable | None]] = []
    submitted: ClassVar[list[dict[str, Any]]] = []
    cancelled: ClassVar[list[str]] = []

    def submit(self, payload: dict[str, Any]) -> dict[str, Any]:
        answer = ScriptedEngine.answers.pop(0) if ScriptedEngine.answers else None
        if answer is not None:
            raise answer
        ScriptedEngine.submitted.append(payload)
        return {"job_id": payload["job_id"], "status": "queued"}

    def cancel(self, job_id: str) -> dict[str, Any]:
        ScriptedEngine.cancelled.append(job_id)
        return {"job_id": job_id, "status": "cancelling"}


DOWN = EngineUnavailable("the engine service at http://127.0.0.1:1 is not reachable: connection refused")


@override_settings(ENGINE_CLIENT="tests.faults.test_waiting_jobs.ScriptedEngine", ENGINE_SUBMIT_RETRY_DELAYS=[5, 15],
                   ENGINE_RETRY_THREAD=False, MAX_CONCURRENT_JOBS=3)
class WaitingForTheEngineTests(PersonasTestCase):
    def setUp(self) -> None:
        super().setUp()
        ScriptedEngine.answers, ScriptedEngine.submitted, ScriptedEngine.cancelled = [], [], []
        self.as_user(self.scheduler)

    def start(self, *answers: EngineUnavailable | None, **body: Any) -> GenerationJob:
        ScriptedEngine.answers = list(answers)
        response = self.post_json(GENERATE, {"academic_year": "2026-27", "semester": 1, "university_id": self.org.pk,
                                             "time_limit": 7, **body})
        assert response.status_code == 200, response.content
        return GenerationJob.objects.get(pk=response.json()["job_id"])

    def make_due(self, job: GenerationJob) -> None:
        job.refresh_from_db()
        wait = {**job.metadata["engine_wait"], "next_at": (timezone.now() - timedelta(seconds=1)).isoformat()}
        GenerationJob.objects.filter(pk=job.pk).update(metadata={**job.metadata, "engine_wait": wait})

    def test_the_job_waits_and_is_not_offered_again_before_its_time(self) -> None:
        job = self.start(DOWN)
        assert job.status == JobStatus.QUEUED and job.metadata["phase"] == "waiting for the engine"
        wait = job.metadata["engine_wait"]
        assert wait["failures"] == 1 and "connection refused" in wait["last_error"]
        assert 4 <= submission.seconds_to_next_retry(self.org) <= 5
        assert submission.retry_waiting_jobs() == 0 and not ScriptedEngine.submitted

    def test_a_due_job_goes_to_the_engine_once_it_is_back(self) -> None:
        job = self.start(DOWN, DOWN)
        self.make_due(job)
        assert submission.retry_waiting_jobs() == 0  # still down: the second failure
        job.refresh_from_db()
        assert job.status == JobStatus.QUEUED and job.metadata["engine_wait"]["failures"] == 2
        self.make_due(job)
        assert submission.retry_waiting_jobs() == 1
        job.refresh_from_db()
        assert job.status == JobStatus.QUEUED and job.metadata["phase"] == "queued"
        assert "engine_wait" not in job.metadata
        (sent,) = ScriptedEngine.submitted
        assert sent["job_id"] == str(job.id) and sent["time_limit"] == 7 and sent["instance"]["courses"]
        assert submission.seconds_to_next_retry() is None

    def test_the_job_fails_with_a_reason_when_the_retries_are_spent_and_can_be_re_run(self) -> None:
        job = self.start(DOWN, DOWN, DOWN)
        for _ in range(2):
            self.make_due(job)
            submission.retry_waiting_jobs()
        job.refresh_from_db()
        assert job.status == JobStatus.FAILED
        assert "could not take the job after 3 tries" in job.error_message and "Re-run" in job.error_message
        assert "engine_wait" not in job.metadata and not ScriptedEngine.submitted

        response = self.post_json(f"/api/timetable/rerun/{job.id}/", {})
        assert response.status_code == 200, response.content
        again = GenerationJob.objects.get(pk=response.json()["job_id"])
        assert again.pk != job.pk and again.metadata["rerun_of"] == str(job.id)
        for key in ("variants", "time_limit", "department_ids", "batch_ids"):
            assert again.metadata[key] == job.metadata[key]
        assert (again.academic_year, again.semester) == (job.academic_year, job.semester)
        (sent,) = ScriptedEngine.submitted
        assert sent["job_id"] == str(again.id)

    def test_a_refusal_for_good_fails_the_job_at_once(self) -> None:
        job = self.start(EngineUnavailable("the engine service answered 400: bad instance", 400))
        assert job.status == JobStatus.FAILED and "refused the job" in job.error_message
        assert "bad instance" in job.error_message

    def test_a_busy_engine_429_keeps_the_job_waiting(self) -> None:
        job = self.start(EngineUnavailable("the engine service answered 429: too many", 429))
        assert submission.is_waiting(job)

    def test_an_engine_that_already_has_the_job_counts_as_taking_it(self) -> None:
        job = self.start(DOWN, EngineUnavailable("the engine service answered 409: already submitted", 409))
        self.make_due(job)
        assert submission.retry_waiting_jobs() == 1
        job.refresh_from_db()
        assert job.status == JobStatus.QUEUED and not submission.is_waiting(job)

    def test_reading_the_progress_offers_a_due_job(self) -> None:
        job = self.start(DOWN)
        self.make_due(job)
        body = self.client.get(f"/api/timetable/progress/{job.id}/").json()
        assert body["status"] == "queued" and body["phase"] == "queued"
        assert [p["job_id"] for p in ScriptedEngine.submitted] == [str(job.id)]

    def test_only_one_of_two_parallel_offers_claims_the_job(self) -> None:
        job = self.start(DOWN)
        self.make_due(job)
        first, second = GenerationJob.objects.get(pk=job.pk), GenerationJob.objects.get(pk=job.pk)
        now = timezone.now()
        assert submission._claim(first, now)
        assert not submission._claim(second, now)
        assert submission.seconds_to_next_retry() > 60  # nobody else offers it while it is claimed

    def test_a_waiting_job_is_cancelled_here_without_asking_the_engine(self) -> None:
        job = self.start(DOWN)
        response = self.post_json(f"/api/timetable/cancel/{job.id}/", {})
        assert response.status_code == 200
        job.refresh_from_db()
        assert job.status == JobStatus.CANCELLED and "waited for the engine" in job.error_message
        assert not ScriptedEngine.cancelled and submission.seconds_to_next_retry() is None

    def test_waiting_jobs_survive_a_restart_and_the_stale_job_sweep(self) -> None:
        job = self.start(DOWN)
        GenerationJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(days=1))
        assert services.expire_stale_jobs() == 0
        assert services.fail_interrupted_jobs() == 0
        job.refresh_from_db()
        assert submission.is_waiting(job)

    def test_the_cron_command_offers_due_jobs(self) -> None:
        job = self.start(DOWN)
        self.make_due(job)
        out = StringIO()
        call_command("retry_waiting_jobs", stdout=out)
        assert "the engine took 1 waiting job(s); no job waits" in out.getvalue()
        assert [p["job_id"] for p in ScriptedEngine.submitted] == [str(job.id)]

    def test_the_status_page_says_the_job_waits(self) -> None:
        job = self.start(DOWN)
        page = self.client.get(f"/admin/timetables/status/{job.id}").content.decode()
        assert "Waiting for the engine service" in page and "connection refused" in page
        assert 'id="rerun"' not in page


@override_settings(ENGINE_CLIENT="tests.faults.test_waiting_jobs.ScriptedEngine", ENGINE_RETRY_THREAD=False)
class RerunTests(PersonasTestCase):
    def setUp(self) -> None:
        super().setUp()
        ScriptedEngine.answers, ScriptedEngine.submitted = [], []

    def failed_job(self, message: str = "the job's process ended unexpectedly (signal 9, SIGKILL)") -> GenerationJob:
        self.as_user(self.scheduler)
        job = services.start_generation(self.org, self.scheduler, "2026-27", 2, variants=["Balanced"], time_limit=9)
        body = {"job_id": str(job.id), "status": "failed", "variants": [], "generation_time": 0.0, "message": message}
        response = self.post_json(CALLBACK, body, **signed_headers(json.dumps(body).encode()))
        assert response.status_code == 200, response.content
        job.refresh_from_db()
        return job

    def test_the_status_page_of_a_failed_job_shows_the_reason_and_a_re_run_button(self) -> None:
        job = self.failed_job()
        page = self.client.get(f"/admin/timetables/status/{job.id}").content.decode()
        assert "signal 9, SIGKILL" in page and 'id="rerun"' in page
        response = self.client.post(f"/admin/timetables/status/{job.id}/rerun")
        assert response.status_code == 302
        again = GenerationJob.objects.exclude(pk=job.pk).get()
        assert response["Location"].endswith(f"/admin/timetables/status/{again.id}")
        assert again.metadata["rerun_of"] == str(job.id) and again.semester == 2
        assert again.metadata["variants"] == ["Balanced"] and again.metadata["time_limit"] == 9

    def test_a_job_still_running_cannot_be_re_run(self) -> None:
        self.as_user(self.scheduler)
        job = services.start_generation(self.org, self.scheduler, "2026-27", 1)
        response = self.post_json(f"/api/timetable/rerun/{job.id}/", {})
        assert response.status_code == 409 and "still queued" in response.json()["message"]

    def test_who_may_re_run(self) -> None:
        job = self.failed_job()
        for user in (self.approver, self.faculty_user):
            self.as_user(user)
            assert self.post_json(f"/api/timetable/rerun/{job.id}/", {}).status_code == 403
        self.as_user(self.outsider)
        assert self.post_json(f"/api/timetable/rerun/{job.id}/", {}).status_code == 404
        assert GenerationJob.objects.count() == 1

    def test_a_result_arriving_after_a_restart_failed_the_job_is_stored_once(self) -> None:
        self.as_user(self.scheduler)
        job = services.start_generation(self.org, self.scheduler, "2026-27", 1)
        assert services.fail_interrupted_jobs() == 1
        job.refresh_from_db()
        assert job.status == JobStatus.FAILED
        body = json.dumps(callback_body(job.id, self.org)).encode()
        first = self.client.post(CALLBACK, body, content_type="application/json", **signed_headers(body))
        second = self.client.post(CALLBACK, body, content_type="application/json", **signed_headers(body))
        assert first.json()["stored"] is True and second.json()["stored"] is False
        job.refresh_from_db()
        assert job.status == JobStatus.COMPLETED and job.error_message == ""
        assert Timetable.objects.filter(generation_job=job).count() == 2

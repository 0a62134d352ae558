"""A callback signed under another secret: 403, nothing stored, and a note on the job that shows only once
the job has otherwise gone silent; a refused result, delivered again, fails the job with the reason."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from tests.web.support import CALLBACK_URL, PersonasTestCase, callback_body, signed_headers
from timetabling.service.signing import sign
from timetabling.web.scheduling import refusals
from timetabling.web.scheduling.models import GenerationJob, JobStatus, Timetable


class RefusedCallbackTests(PersonasTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.job = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1,
                                                status=JobStatus.RUNNING, metadata={"phase": "optimise"})

    def deliver(self, body: dict, secret: str | None = "another-secret"):
        raw = json.dumps(body).encode()
        headers = signed_headers(raw) if secret is None else {"HTTP_X_ENGINE_SIGNATURE": sign(raw, secret)}
        return self.client.post(CALLBACK_URL, data=raw, content_type="application/json", **headers)

    def age_note(self, seconds: float) -> None:
        """As if the first refusal came ``seconds`` ago."""
        self.job.refresh_from_db()
        note = self.job.metadata[refusals.NOTE]
        note["first"] = (timezone.now() - timedelta(seconds=seconds)).isoformat()
        GenerationJob.objects.filter(pk=self.job.pk).update(metadata={**self.job.metadata, refusals.NOTE: note})

    def test_a_result_under_another_secret_is_refused_and_after_the_engines_retries_fails_the_job(self) -> None:
        body = callback_body(self.job.pk, self.org)
        response = self.deliver(body)
        assert response.status_code == 403 and "TIMETABLE_ENGINE_SECRET" in response.json()["error"]["reason"]
        self.age_note(5)
        for _ in range(refusals.FAIL_AFTER_TRIES - 1):
            assert self.deliver(body).status_code == 403
        self.job.refresh_from_db()
        assert self.job.status == JobStatus.FAILED and self.job.error_message == refusals.REFUSED_MESSAGE
        assert not Timetable.objects.exists()
        # once the secrets agree, the result the engine kept is stored, once
        assert self.deliver(body, secret=None).json()["stored"] is True
        self.job.refresh_from_db()
        assert self.job.status == JobStatus.COMPLETED and Timetable.objects.filter(generation_job=self.job).count() == 2

    def test_refusals_in_quick_succession_do_not_fail_the_job(self) -> None:
        body = callback_body(self.job.pk, self.org)
        for _ in range(refusals.FAIL_AFTER_TRIES + 2):  # a burst, no time for the engine's retries to pass
            assert self.deliver(body).status_code == 403
        self.job.refresh_from_db()
        assert self.job.status == JobStatus.RUNNING and self.job.metadata["phase"] == "optimise"

    def test_a_correctly_signed_message_clears_the_note_so_a_forger_cannot_fail_a_job_the_engine_reports_on(self
                                                                                                          ) -> None:
        body = callback_body(self.job.pk, self.org)
        self.deliver(body)
        self.age_note(30)
        progress = {"job_id": str(self.job.pk), "status": "running", "progress": 40, "phase": "optimise"}
        assert self.deliver(progress, secret=None).status_code == 200
        for _ in range(refusals.FAIL_AFTER_TRIES - 1):
            self.deliver(body)
        self.job.refresh_from_db()
        assert self.job.status == JobStatus.RUNNING and refusals.NOTE in self.job.metadata  # a fresh note

    def test_refused_progress_shows_the_reason_as_the_phase_once_the_job_is_silent(self) -> None:
        progress = {"job_id": str(self.job.pk), "status": "running", "progress": 40, "phase": "optimise"}
        self.deliver(progress)
        self.job.refresh_from_db()
        assert self.job.metadata["phase"] == "optimise"
        self.age_note(refusals.PHASE_AFTER_S + 1)
        self.deliver(progress)
        self.job.refresh_from_db()
        assert self.job.status == JobStatus.RUNNING and self.job.metadata["phase"] == refusals.REFUSED_PHASE

    def test_an_unsigned_request_or_an_unknown_job_changes_nothing(self) -> None:
        raw = json.dumps(callback_body(self.job.pk, self.org)).encode()
        assert self.client.post(CALLBACK_URL, data=raw, content_type="application/json").status_code == 401
        assert self.deliver({"job_id": "not-a-uuid", "status": "failed"}).status_code == 403
        assert self.deliver({"job_id": "00000000-0000-4000-8000-000000000000", "status": "failed"}).status_code == 403
        assert self.deliver([1, 2]).status_code == 403
        self.job.refresh_from_db()
        assert refusals.NOTE not in self.job.metadata

    def test_a_signed_ping_is_answered_and_stores_nothing(self) -> None:
        assert self.deliver({"ping": "abc"}, secret=None).json()["pong"] == "abc"
        assert self.deliver({"ping": "abc"}).status_code == 403

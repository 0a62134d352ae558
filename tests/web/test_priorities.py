"""Chosen priorities: weights and saved profiles on POST /api/timetable/generate/, and what reaches the engine."""

from __future__ import annotations

from django.test import override_settings

from tests.web.support import FAKE_CLIENT, FakeEngineClient, PersonasTestCase
from timetabling.engine.priorities import CUSTOM_NAME
from timetabling.service.contract import JobRequest as EngineRequest
from timetabling.web.scheduling.models import GenerationJob, PriorityProfile

URL = "/api/timetable/generate/"
PROFILES = "/api/timetable/priorities/"


@override_settings(ENGINE_CLIENT=FAKE_CLIENT, MAX_CONCURRENT_JOBS=5)
class PriorityTests(PersonasTestCase):
    def body(self, **changes):
        return {"academic_year": "2026-27", "semester": 1, "university_id": self.org.pk, "variants": ["Balanced"],
                **changes}

    def test_weights_become_a_variant_the_engine_service_accepts(self) -> None:
        self.as_user(self.scheduler)
        response = self.post_json(URL, self.body(weights={"batch_idle": 7, "faculty_preference": 0}))
        assert response.status_code == 200, response.content
        (sent,) = FakeEngineClient.submitted
        assert sent["variants"] == ["Balanced", CUSTOM_NAME]
        assert sent["custom_weights"] == {CUSTOM_NAME: {"batch_idle": 7, "faculty_preference": 0}}
        EngineRequest.model_validate(sent)  # the service's schema takes what the web sends
        job = GenerationJob.objects.get(pk=response.json()["job_id"])
        assert job.metadata["priorities"] == {"name": CUSTOM_NAME, "weights": {"batch_idle": 7,
                                                                                "faculty_preference": 0}}

    def test_a_saved_profile_is_used_by_name_and_kept_on_a_rerun(self) -> None:
        self.as_user(self.scheduler)
        saved = self.post_json(PROFILES, {"name": "Quiet mornings", "weights": {"faculty_preference": 9}})
        assert saved.status_code == 200, saved.content
        assert [p["name"] for p in saved.json()["profiles"]] == ["Quiet mornings"]
        assert {c["name"] for c in saved.json()["criteria"]} >= {"batch_idle", "room_stability"}
        response = self.post_json(URL, self.body(priority_profile="Quiet mornings"))
        assert response.status_code == 200, response.content
        assert FakeEngineClient.submitted[0]["custom_weights"] == {"Quiet mornings": {"faculty_preference": 9}}
        job = GenerationJob.objects.get(pk=response.json()["job_id"])
        job.status = "failed"
        job.save()
        assert self.post_json(f"/api/timetable/rerun/{job.id}/", {}).status_code == 200
        assert FakeEngineClient.submitted[1]["custom_weights"] == {"Quiet mornings": {"faculty_preference": 9}}

    def test_bad_weights_are_a_400_naming_the_field(self) -> None:
        PriorityProfile.objects.create(organization=self.other_org, name="Theirs", weights={"batch_idle": 3})
        self.as_user(self.scheduler)
        cases = {
            "weights.batch_idle": self.body(weights={"batch_idle": 101}),
            "weights.room_stability": self.body(weights={"room_stability": -1}),
            "weights.colour": self.body(weights={"colour": 2}),
            "priority_profile": self.body(priority_profile="Theirs"),
        }
        for field, body in cases.items():
            response = self.post_json(URL, body)
            assert response.status_code == 400, (field, response.content)
            assert response.json()["error"]["field"] == field, response.json()
        assert not FakeEngineClient.submitted

    def test_a_profile_needs_a_name_that_is_not_a_preset(self) -> None:
        self.as_user(self.scheduler)
        response = self.post_json(PROFILES, {"name": "Balanced", "weights": {"batch_idle": 1}})
        assert response.status_code == 400 and response.json()["error"]["field"] == "name"
        response = self.post_json(PROFILES, {"name": "Mine", "weights": {"batch_idle": 1000}})
        assert response.status_code == 400 and response.json()["error"]["field"] == "weights.batch_idle"
        assert not PriorityProfile.objects.exists()

    def test_another_organization_does_not_see_the_profiles(self) -> None:
        PriorityProfile.objects.create(organization=self.org, name="Ours", weights={"batch_idle": 3})
        self.as_user(self.outsider)
        assert self.client.get(PROFILES).json()["profiles"] == []

"""POST /api/timetable/generate/: who may, what is checked, what reaches the engine."""

from __future__ import annotations

from django.test import override_settings

from tests.web.support import FAKE_CLIENT, FakeEngineClient, PersonasTestCase
from timetabling.web.academics import models as am
from timetabling.web.scheduling.models import GenerationJob, JobStatus

URL = "/api/timetable/generate/"


@override_settings(ENGINE_CLIENT=FAKE_CLIENT, MAX_CONCURRENT_JOBS=2)
class GenerateTests(PersonasTestCase):
    def body(self, **changes):
        return {"academic_year": "2026-27", "semester": 1, "university_id": self.org.pk, **changes}

    def test_a_scheduler_starts_a_job_and_the_engine_gets_the_instance(self) -> None:
        self.as_user(self.scheduler)
        response = self.post_json(URL, self.body(time_limit=5))
        assert response.status_code == 200, response.content
        data = response.json()
        assert data["success"] is True
        assert data["estimated_time"] == 10
        job = GenerationJob.objects.get(pk=data["job_id"])
        assert job.status == JobStatus.QUEUED and job.organization == self.org and job.created_by == self.scheduler
        (sent,) = FakeEngineClient.submitted
        assert sent["job_id"] == data["job_id"]
        assert len(sent["instance"]["courses"]) == am.Course.objects.filter(organization=self.org).count()
        assert sent["time_limit"] == 5

    def test_it_limits_the_instance_to_the_chosen_department(self) -> None:
        self.as_user(self.admin)
        dept = am.Department.objects.filter(organization=self.org).order_by("code").first()
        response = self.post_json(URL, self.body(department_ids=[dept.pk]))
        assert response.status_code == 200, response.content
        courses = FakeEngineClient.submitted[0]["instance"]["courses"]
        assert courses and {c["department"] for c in courses} == {dept.code}

    @override_settings(MAX_CONCURRENT_JOBS=1)
    def test_it_refuses_a_job_beyond_the_concurrent_limit_with_429(self) -> None:
        self.as_user(self.scheduler)
        assert self.post_json(URL, self.body()).status_code == 200
        response = self.post_json(URL, self.body())
        assert response.status_code == 429
        assert "at once is 1" in response.json()["message"]
        assert GenerationJob.objects.filter(organization=self.org).count() == 1

    def test_another_organizations_running_jobs_do_not_count(self) -> None:
        GenerationJob.objects.create(organization=self.other_org, academic_year="2026-27", semester=1)
        GenerationJob.objects.create(organization=self.other_org, academic_year="2026-27", semester=1)
        self.as_user(self.scheduler)
        assert self.post_json(URL, self.body()).status_code == 200

    def test_bad_input_is_a_400_naming_the_field(self) -> None:
        self.as_user(self.scheduler)
        cases = {
            "semester": self.body(semester=0),
            "academic_year": self.body(academic_year="next year"),
            "variants": self.body(variants=["Fastest"]),
            "university_id": {"academic_year": "2026-27", "semester": 1},
            "time_limit": self.body(time_limit=-3),
            "colour": self.body(colour="red"),
        }
        for field, body in cases.items():
            response = self.post_json(URL, body)
            assert response.status_code == 400, (field, response.content)
            assert response.json()["error"]["field"] == field
        assert not FakeEngineClient.submitted

    def test_a_body_that_is_not_json_is_refused(self) -> None:
        self.as_user(self.scheduler)
        assert self.client.post(URL, data="{not json", content_type="application/json").status_code == 400
        assert self.client.post(URL, data={"semester": 1}).status_code == 415
        assert self.post_json(URL, [1, 2]).status_code == 400

    def test_unknown_department_ids_are_a_400(self) -> None:
        self.as_user(self.scheduler)
        foreign = am.Department.objects.filter(organization=self.other_org).first()
        response = self.post_json(URL, self.body(department_ids=[foreign.pk]))
        assert response.status_code == 400
        assert response.json()["error"]["field"] == "department_ids"

    def test_it_answers_404_for_another_organizations_university(self) -> None:
        self.as_user(self.scheduler)
        assert self.post_json(URL, self.body(university_id=self.other_org.pk)).status_code == 404
        assert self.post_json(URL, self.body(university_id=999_999)).status_code == 404
        assert not GenerationJob.objects.exists()

    def test_roles_without_generate_permission_get_403_and_strangers_401(self) -> None:
        for user in (self.approver, self.faculty_user, self.student_user):
            self.as_user(user)
            assert self.post_json(URL, self.body()).status_code == 403, user.username
        self.as_user(None)
        assert self.post_json(URL, self.body()).status_code == 401
        assert self.client.get(URL).status_code in (401, 405)

    def test_an_unreachable_engine_keeps_the_job_waiting_for_it(self) -> None:
        FakeEngineClient.fail = True
        self.as_user(self.scheduler)
        response = self.post_json(URL, self.body())
        assert response.status_code == 200, response.content
        data = response.json()
        assert data["status"] == "queued" and data["phase"] == "waiting for the engine"
        assert "connection refused" in data["message"]
        job = GenerationJob.objects.get(pk=data["job_id"])
        assert job.status == JobStatus.QUEUED and job.metadata["engine_wait"]["failures"] == 1
        assert not FakeEngineClient.submitted

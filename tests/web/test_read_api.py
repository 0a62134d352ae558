"""Read endpoints: academic data, the time grid, and the published timetable of a batch, faculty member,
room or student."""

from __future__ import annotations

import json

from tests.web.support import CALLBACK_URL, PersonasTestCase, callback_body, signed_headers
from timetabling.web.academics import models as am
from timetabling.web.scheduling.models import GenerationJob, Timetable


class AcademicDataTests(PersonasTestCase):
    def test_lists_show_only_the_own_organizations_records(self) -> None:
        self.as_user(self.scheduler)
        data = self.client.get("/api/academics/courses/").json()
        assert data["count"] == am.Course.objects.filter(organization=self.org).count() > 0
        ids = {c["id"] for c in data["results"]}
        assert not ids & set(am.Course.objects.filter(organization=self.other_org).values_list("pk", flat=True))
        course = data["results"][0]
        assert {"kind", "credits", "faculty", "batches"} <= set(course)

    def test_every_kind_has_a_list(self) -> None:
        self.as_user(self.admin)
        for kind in ("schools", "departments", "programs", "batches", "rooms", "faculty", "courses", "students"):
            response = self.client.get(f"/api/academics/{kind}/")
            assert response.status_code == 200, kind
            assert response.json()["count"] > 0, kind

    def test_search_and_pages(self) -> None:
        self.as_user(self.scheduler)
        room = am.Room.objects.filter(organization=self.org).order_by("code").first()
        found = self.client.get("/api/academics/rooms/", {"search": room.code}).json()
        assert room.pk in [r["id"] for r in found["results"]]
        page = self.client.get("/api/academics/rooms/", {"page_size": 1, "page": 2}).json()
        assert len(page["results"]) == 1 and page["count"] > 1
        bad = self.client.get("/api/academics/rooms/", {"page_size": "many"})
        assert bad.status_code == 400 and bad.json()["error"]["field"] == "page_size"
        assert self.client.get("/api/academics/rooms/", {"page": 0}).status_code == 400

    def test_details_unknown_kinds_and_other_organizations_ids(self) -> None:
        self.as_user(self.scheduler)
        mine = am.Batch.objects.filter(organization=self.org).first()
        theirs = am.Batch.objects.filter(organization=self.other_org).first()
        assert self.client.get(f"/api/academics/batches/{mine.pk}/").json()["item"]["code"] == mine.code
        assert self.client.get(f"/api/academics/batches/{theirs.pk}/").status_code == 404
        assert self.client.get("/api/academics/batches/999999/").status_code == 404
        assert self.client.get("/api/academics/spaceships/").status_code == 404

    def test_students_cannot_list_students_and_strangers_nothing(self) -> None:
        self.as_user(self.student_user)
        assert self.client.get("/api/academics/students/").status_code == 403
        assert self.client.get("/api/academics/departments/").status_code == 200
        self.as_user(None)
        assert self.client.get("/api/academics/departments/").status_code == 401

    def test_the_time_grid(self) -> None:
        self.as_user(self.faculty_user)
        grid = self.client.get("/api/academics/time-grid/").json()
        assert grid["days"][0] == "Mon" and grid["periods"][0]["start"] == "09:00"
        assert len(grid["breaks"]) == 1


class OwnerTimetableTests(PersonasTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.job = GenerationJob.objects.create(organization=cls.org, academic_year="2026-27", semester=1)

    def publish(self) -> Timetable:
        raw = json.dumps(callback_body(self.job.pk, self.org)).encode()
        self.client.post(CALLBACK_URL, data=raw, content_type="application/json", **signed_headers(raw))
        self.as_user(self.approver)
        response = self.post_json(f"/api/timetable/approve/{self.job.pk}/", {"action": "approve"})
        return Timetable.objects.get(pk=response.json()["timetable_id"])

    def test_staff_read_every_kind_of_timetable(self) -> None:
        published = self.publish()
        batch = self.pupil.batch
        room = am.Room.objects.filter(organization=self.org).order_by("code").first()
        self.as_user(self.scheduler)
        for kind, owner in (("batch", batch), ("faculty", self.teacher), ("room", room), ("student", self.pupil)):
            data = self.client.get(f"/api/timetable/{kind}/{owner.pk}/").json()
            assert data["timetable"]["id"] == published.pk, kind
            assert data["slots"], kind
        data = self.client.get(f"/api/timetable/batch/{batch.pk}/").json()
        assert {s["batch"]["id"] for s in data["slots"]} == {batch.pk}
        data = self.client.get(f"/api/timetable/faculty/{self.teacher.pk}/").json()
        assert {s["faculty"]["id"] for s in data["slots"]} == {self.teacher.pk}

    def test_a_student_sees_their_batch_and_elective_sessions(self) -> None:
        self.publish()
        self.as_user(self.student_user)
        data = self.client.get(f"/api/timetable/student/{self.pupil.pk}/").json()
        courses = {s["course"]["code"] for s in data["slots"]}
        expected = set(self.pupil.batch.courses.values_list("code", flat=True))
        expected |= set(self.pupil.electives.values_list("code", flat=True))
        assert courses == expected
        assert self.client.get(f"/api/timetable/batch/{self.pupil.batch_id}/").status_code == 200

    def test_faculty_and_students_read_only_their_own(self) -> None:
        self.publish()
        other_teacher = am.Faculty.objects.filter(organization=self.org).exclude(pk=self.teacher.pk).first()
        other_student = am.Student.objects.filter(organization=self.org).exclude(pk=self.pupil.pk).first()
        self.as_user(self.faculty_user)
        assert self.client.get(f"/api/timetable/faculty/{self.teacher.pk}/").status_code == 200
        assert self.client.get(f"/api/timetable/faculty/{other_teacher.pk}/").status_code == 403
        self.as_user(self.student_user)
        assert self.client.get(f"/api/timetable/student/{other_student.pk}/").status_code == 403
        assert self.client.get(f"/api/timetable/faculty/{self.teacher.pk}/").status_code == 403

    def test_other_organizations_owners_and_unpublished_timetables_are_404(self) -> None:
        self.as_user(self.scheduler)
        batch = am.Batch.objects.filter(organization=self.org).first()
        assert self.client.get(f"/api/timetable/batch/{batch.pk}/").status_code == 404  # nothing published yet
        self.publish()
        foreign = am.Batch.objects.filter(organization=self.other_org).first()
        self.as_user(self.scheduler)
        assert self.client.get(f"/api/timetable/batch/{foreign.pk}/").status_code == 404
        assert self.client.get("/api/timetable/planet/1/").status_code == 404
        self.as_user(self.outsider)
        assert self.client.get(f"/api/timetable/batch/{batch.pk}/").status_code == 404

    def test_the_timetable_list_filters_by_status(self) -> None:
        published = self.publish()
        self.as_user(self.scheduler)
        listed = self.client.get("/api/timetable/timetables/", {"status": "published"}).json()["timetables"]
        assert [t["id"] for t in listed] == [published.pk]
        everything = self.client.get("/api/timetable/timetables/").json()["timetables"]
        assert {t["status"] for t in everything} == {"published", "draft"}
        self.as_user(self.outsider)
        assert self.client.get("/api/timetable/timetables/").json()["timetables"] == []

    def test_staff_may_read_a_draft_by_id(self) -> None:
        raw = json.dumps(callback_body(self.job.pk, self.org)).encode()
        self.client.post(CALLBACK_URL, data=raw, content_type="application/json", **signed_headers(raw))
        draft = Timetable.objects.filter(generation_job=self.job).first()
        self.as_user(self.scheduler)
        data = self.client.get(f"/api/timetable/faculty/{self.teacher.pk}/", {"timetable_id": draft.pk}).json()
        assert data["timetable"]["status"] == "draft"
        bad = self.client.get(f"/api/timetable/faculty/{self.teacher.pk}/", {"timetable_id": "x"})
        assert bad.status_code == 400
        self.as_user(self.faculty_user)
        response = self.client.get(f"/api/timetable/faculty/{self.teacher.pk}/", {"timetable_id": draft.pk})
        assert response.status_code == 403

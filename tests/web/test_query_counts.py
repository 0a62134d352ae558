"""The number of SQL queries a page or API read makes does not grow with the timetable: the same on a `tiny`
and a `small` organization (each with a stored two-variant result, one variant published)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from tests.web.support import make_organization, make_user, placed_entries
from timetabling.web.academics import models as am
from timetabling.web.academics.grid import organization_grid
from timetabling.web.accounts.models import Role
from timetabling.web.scheduling import services
from timetabling.web.scheduling.models import GenerationJob, Timetable, TimetableReport, TimetableSlot


def _stored_result(org: am.Organization, user: Any) -> GenerationJob:
    job = GenerationJob.objects.create(organization=org, academic_year="2026-27", semester=1, metadata={
        "grid": organization_grid(org).model_dump(mode="json"), "department_ids": [], "batch_ids": []})
    entries = placed_entries(org)
    variants = [{"name": name, "entries": entries, "score": score, "metrics": {"hard_violations": 0}}
                for name, score in (("Balanced", 80.0), ("Faculty-focused", 60.0))]
    assert services.store_result(job, "completed", variants, 1.0)
    job.refresh_from_db()
    services.approve(job, user, "approve", "", None)
    return job


class QueryCountTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.sites: dict[str, dict[str, Any]] = {}
        for profile in ("tiny", "small"):
            org = make_organization(f"q-{profile}", profile)
            admin = make_user(org, f"admin-{profile}", Role.ORG_ADMIN)
            job = _stored_result(org, admin)
            cls.sites[profile] = {"org": org, "admin": admin, "job": job}

    def urls(self, profile: str) -> dict[str, str]:
        site = self.sites[profile]
        job: GenerationJob = site["job"]
        published = Timetable.objects.get(generation_job=job, status="published")
        slot = TimetableSlot.objects.filter(timetable=published, batch__isnull=False, faculty__isnull=False,
                                            room__isnull=False).order_by("id").first()
        student = am.Student.objects.filter(batch=slot.batch).order_by("code").first()
        department = slot.course.department
        return {
            "published batch": f"/timetables/batch/{slot.batch_id}/",
            "published faculty": f"/timetables/faculty/{slot.faculty_id}/",
            "published room": f"/timetables/room/{slot.room_id}/",
            "published student": f"/timetables/student/{student.pk}/",
            "review batch": f"/admin/timetables/{published.pk}/review?kind=batch&owner={slot.batch_id}",
            "review faculty": f"/admin/timetables/{published.pk}/review?kind=faculty&owner={slot.faculty_id}",
            "compare": f"/admin/timetables/jobs/{job.pk}/compare",
            "result summary": f"/api/timetable/result/{job.pk}/",
            "result of a variant": f"/api/timetable/result/{job.pk}/?timetable_id={published.pk}&page_size=50",
            "result of an owner": f"/api/timetable/result/{job.pk}/?kind=faculty&owner_id={slot.faculty_id}",
            "owner API": f"/api/timetable/batch/{slot.batch_id}/",
            "export csv": f"/timetables/batch/{slot.batch_id}/export.csv",
            "department csv": f"/timetables/department/{department.pk}/export.csv",
            "department xlsx": f"/timetables/department/{department.pk}/export.xlsx",
        }

    def queries(self, profile: str) -> dict[str, int]:
        self.client.force_login(self.sites[profile]["admin"])
        counts = {}
        for name, url in self.urls(profile).items():
            self.client.get(url)  # once to warm Django's own caches (content types, templates)
            with CaptureQueriesContext(connection) as captured:
                response = self.client.get(url)
                body = b"".join(response.streaming_content) if response.streaming else response.content
            assert response.status_code == 200, (name, response.status_code, body[:300])
            counts[name] = len(captured)
        return counts

    def test_the_timetables_are_not_the_same_size(self) -> None:
        rows = {p: TimetableSlot.objects.filter(timetable__generation_job=s["job"]).count()
                for p, s in self.sites.items()}
        assert rows["small"] > 3 * rows["tiny"]

    def test_every_page_and_read_makes_as_many_queries_on_a_larger_timetable(self) -> None:
        tiny, small = self.queries("tiny"), self.queries("small")
        assert tiny == small
        assert all(0 < n <= 15 for n in tiny.values()), tiny

    def test_the_checker_report_is_read_not_recomputed(self) -> None:
        reports = TimetableReport.objects.filter(timetable__generation_job=self.sites["small"]["job"])
        assert reports.count() == 2
        computed_at = sorted(reports.values_list("computed_at", flat=True))
        self.queries("small")
        assert sorted(reports.values_list("computed_at", flat=True)) == computed_at

"""The tutorial's path through the pages: an empty organization loads the sample university's spreadsheets in the
order the load-order page gives, generates (the engine's real pipeline, in this process), approves and publishes.

The dashboard's getting-started checklist is ticked step by step from what the database holds."""

from __future__ import annotations

import io
import json
import re
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings

from tests.web.support import CALLBACK_URL, FAKE_CLIENT, FakeEngineClient, make_user, signed_headers
from timetabling.engine.checker import check
from timetabling.engine.control import CancelToken
from timetabling.engine.model import Assignment, Instance, Solution
from timetabling.service.jobs import JobSpec, run_job
from timetabling.web.academics import models as am
from timetabling.web.accounts.models import Role
from timetabling.web.pages.samples import sample_files
from timetabling.web.scheduling.models import JobStatus, Timetable, TimetableStatus

FAST_HASHING = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
LOAD_ORDER = ["departments", "rooms", "faculty", "batches", "courses", "students"]


def ticks(html: str) -> list[str]:
    """The checklist's steps as "done" or "todo", in order."""
    return re.findall(r'<li class="(done|todo)">', html)


@FAST_HASHING
@override_settings(ENGINE_CLIENT=FAKE_CLIENT)
class SampleUniversityTests(TestCase):
    def setUp(self) -> None:
        FakeEngineClient.reset()
        self.org = am.Organization.objects.create(name="Sample College", slug="sample")
        self.client.force_login(make_user(self.org, "boss", Role.ORG_ADMIN))

    def test_the_sample_files_ship_with_the_package_in_load_order(self) -> None:
        assert list(sample_files()) == LOAD_ORDER
        html = self.client.get("/start/data/").content.decode()
        rows = re.findall(r'<td><a href="/data/([a-z]+)/">', html)
        assert rows == LOAD_ORDER
        assert "<td>Departments, Faculty, Batches</td>" in html  # what courses refer to
        archive = zipfile.ZipFile(io.BytesIO(self.client.get("/start/sample-university.zip").content))
        names = archive.namelist()
        assert "sample-university/README.txt" in names and "sample-university/5-courses.xlsx" in names
        assert archive.read("sample-university/README.txt").decode().index("Departments") < \
            archive.read("sample-university/README.txt").decode().index("Students")

    def test_an_empty_organization_goes_from_the_sample_spreadsheets_to_a_published_timetable(self) -> None:
        dashboard = self.client.get("/").content.decode()
        assert "Getting started" in dashboard and ticks(dashboard) == ["todo"] * 4
        assert 'href="/start/data/"' in dashboard and 'href="/admin/timetables/new"' in dashboard

        # 1. the spreadsheets from the download, in order: Excel for some kinds, CSV for the others
        archive = zipfile.ZipFile(io.BytesIO(self.client.get("/start/sample-university.zip").content))
        for number, kind in enumerate(LOAD_ORDER, start=1):
            ext = "xlsx" if number % 2 else "csv"
            name = f"{number}-{kind}.{ext}"
            upload = SimpleUploadedFile(name, archive.read(f"sample-university/{name}"))
            response = self.client.post(f"/data/{kind}/upload/", {"file": upload})
            assert response.status_code == 302, response.content.decode()[-2000:]
        assert am.Course.objects.filter(organization=self.org).count() == 21
        assert am.ElectiveChoice.objects.filter(student__organization=self.org).count() > 72
        assert ticks(self.client.get("/").content.decode()) == ["done", "todo", "todo", "todo"]

        # 2. generate: the page submits to the engine; the engine's own job function solves it here
        response = self.client.post("/admin/timetables/new", {
            "academic_year": "2026-27", "semester": "1", "variant_count": "1", "time_limit": "8",
            "variant_1": "Balanced"})
        assert response.status_code == 302, response.content.decode()[-2000:]
        payload = FakeEngineClient.submitted[-1]
        spec = JobSpec(job_id=payload["job_id"], instance=payload["instance"], variants=("Balanced",),
                       time_limit=8, workers=1)
        outcome = run_job(spec, lambda event: None, CancelToken())
        assert outcome["status"] == "completed", outcome.get("message")
        body = json.dumps(outcome).encode()
        stored = self.client.post(CALLBACK_URL, data=body, content_type="application/json", **signed_headers(body))
        assert stored.status_code == 200, stored.content
        timetable = Timetable.objects.get(organization=self.org, generation_job_id=payload["job_id"])
        assert timetable.generation_job.status == JobStatus.COMPLETED

        # the checker, on the instance the pages built and the slots they stored: no hard violation
        instance = Instance.model_validate(payload["instance"])
        entries = outcome["variants"][0]["entries"]
        report = check(instance, Solution(assignments=tuple(Assignment.model_validate(e) for e in entries)))
        assert report.hard_total == 0 and len(entries) == instance.n_sessions == 50
        assert timetable.report.hard_total == 0
        assert ticks(self.client.get("/").content.decode()) == ["done", "done", "todo", "todo"]

        # 3. review and approve (approving publishes); 4. the published timetables, and the checklist is gone
        assert self.client.get(f"/admin/timetables/{timetable.pk}/review").status_code == 200
        self.client.post(f"/admin/timetables/{timetable.pk}/decide", {"action": "approve"})
        timetable.refresh_from_db()
        assert timetable.status == TimetableStatus.PUBLISHED
        student = am.Student.objects.get(organization=self.org, code="26CSEY2001")
        page = self.client.get(f"/timetables/student/{student.pk}/").content.decode()
        assert "CS201" in page and "HS10" in page  # a core course of the batch and the chosen open elective
        assert "Getting started" not in self.client.get("/").content.decode()

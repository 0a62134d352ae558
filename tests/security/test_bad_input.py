"""Bad input is answered 4xx with a message naming the field, and stores nothing (issue 13, item 7): the
probes that found 500s (deep JSON, big bodies, odd ids, upload cells, path tricks, data the engine cannot
use), kept as tests."""

from __future__ import annotations

import json
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from tests.pages.support import csv_bytes, xlsx_bytes
from tests.web.support import CALLBACK_URL, FAKE_CLIENT, FakeEngineClient, PersonasTestCase, signed_headers
from timetabling.web.academics import models as am
from timetabling.web.academics.grid import organization_grid
from timetabling.web.limits import CALLBACK_MAX_BYTES
from timetabling.web.scheduling.models import GenerationJob, JobStatus, Timetable

GENERATE = "/api/timetable/generate/"
LOGIN = "/api/auth/login/"


def deep(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


@override_settings(ENGINE_CLIENT=FAKE_CLIENT)
class DeepJsonTests(PersonasTestCase):
    def test_it_refuses_deeply_nested_json_naming_the_body(self) -> None:
        self.as_user(self.admin)
        for url in (LOGIN, GENERATE):
            for depth in (40, 900, 100_000):
                response = self.client.post(url, data=deep(depth), content_type="application/json")
                assert response.status_code == 400, (url, depth, response.status_code)
                assert response.json()["error"]["field"] == "body"
                assert "levels deep" in response.json()["message"]
        assert not GenerationJob.objects.exists() and not FakeEngineClient.submitted

    def test_it_refuses_a_deeply_nested_signed_callback_and_keeps_the_job(self) -> None:
        job = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1,
                                           status=JobStatus.RUNNING, progress=40)
        for depth in (40, 100_000):
            body = b'{"job_id": "%s", "status": "completed", "variants": ' % str(job.id).encode() + deep(depth) + b"}"
            response = self.client.post(CALLBACK_URL, data=body, content_type="application/json",
                                        **signed_headers(body))
            assert response.status_code == 400, response.content
            assert response.json()["error"]["field"] == "body"
        job.refresh_from_db()
        assert job.status == JobStatus.RUNNING and not Timetable.objects.filter(generation_job=job).exists()

    def test_a_body_nested_as_deep_as_the_api_needs_is_read(self) -> None:
        response = self.post_json(LOGIN, {"username": "admin", "password": "pw"})
        assert response.status_code == 200


@override_settings(ENGINE_CLIENT=FAKE_CLIENT)
class BodySizeTests(PersonasTestCase):
    def test_a_body_over_the_limit_is_413_with_a_json_message(self) -> None:
        self.as_user(self.admin)
        big = b'{"username": "' + b"x" * (3 * 2**20) + b'", "password": "pw"}'
        for url in (LOGIN, GENERATE, f"/api/timetable/approve/{uuid.uuid4()}/"):
            response = self.client.post(url, data=big, content_type="application/json")
            assert response.status_code == 413, (url, response.status_code)
            assert response.json()["error"]["field"] == "body" and "MiB" in response.json()["message"]
        assert not GenerationJob.objects.exists()

    def test_a_page_form_over_the_limit_is_413(self) -> None:
        self.as_user(self.admin)
        response = self.client.post("/admin/timetables/new", data={"academic_year": "x" * (3 * 2**20)})
        assert response.status_code == 413

    def test_the_signed_callback_takes_a_whole_timetable_larger_than_the_default_limit(self) -> None:
        job = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1,
                                           status=JobStatus.RUNNING)
        # a university's result is about 3.4 MB: pad a real result past Django's 2.5 MB
        from tests.web.support import callback_body

        body = json.dumps(callback_body(job.id, self.org)).encode() + b" " * (3 * 2**20)
        response = self.client.post(CALLBACK_URL, data=body, content_type="application/json", **signed_headers(body))
        assert response.status_code == 200, response.content[:300]
        assert Timetable.objects.filter(generation_job=job).count() == 2

    def test_the_callback_has_a_limit_too(self) -> None:
        body = b" " * (CALLBACK_MAX_BYTES + 1)
        response = self.client.post(CALLBACK_URL, data=body, content_type="application/json", **signed_headers(body))
        assert response.status_code == 413 and response.json()["error"]["field"] == "body"

    def test_an_upload_over_its_own_limit_is_refused_with_a_clear_message(self) -> None:
        self.as_user(self.admin)
        rooms = am.Room.objects.filter(organization=self.org).count()
        upload = SimpleUploadedFile("rooms.csv", b"code,capacity\n" + b"R,1\n" * (3 * 2**20), "text/csv")
        response = self.client.post("/data/rooms/upload/", {"file": upload})
        assert response.status_code == 413 and b"larger than 10 MiB" in response.content
        assert am.Room.objects.filter(organization=self.org).count() == rooms


ODD_IDS = ["²", "٣", "1e3", "-1", "0", "99999999999999999999", "1" * 5000, " 1", "0x1", "%00"]


class OddIdTests(PersonasTestCase):
    def test_published_pages_answer_404_with_a_message_for_odd_timetable_ids(self) -> None:
        self.as_user(self.admin)
        batch = am.Batch.objects.filter(organization=self.org).order_by("code").first()
        for wanted in ODD_IDS:
            for url in (f"/timetables/batch/{batch.pk}/", f"/timetables/batch/{batch.pk}/export.csv"):
                response = self.client.get(url, {"timetable": wanted})
                assert response.status_code == 404, (url, wanted, response.status_code)

    def test_odd_ids_in_page_paths_are_404(self) -> None:
        self.as_user(self.admin)
        huge = "9" * 25
        for url in (f"/timetables/batch/{huge}/", f"/timetables/room/{2**63}/export.pdf",
                    f"/admin/timetables/{huge}/review", f"/admin/timetables/{2**63}/decide",
                    "/admin/timetables/status/%C2%B2", "/admin/timetables/jobs/²/compare"):
            response = self.client.get(url)
            assert response.status_code == 404, (url, response.status_code)

    def test_the_api_answers_400_naming_the_query_parameter(self) -> None:
        self.as_user(self.admin)
        for wanted in ODD_IDS:
            response = self.client.get(f"/api/timetable/faculty/{self.teacher.pk}/", {"timetable_id": wanted})
            assert response.status_code in (400, 404), (wanted, response.status_code)
            assert response.json()["error"]["field"] == "timetable_id"
        for name in ("page", "page_size"):
            response = self.client.get("/api/academics/rooms/", {name: "²"})
            assert response.status_code == 400 and response.json()["error"]["field"] == name


class UploadCellTests(PersonasTestCase):
    """Every bad cell is named by row and column, and nothing of the upload is stored."""

    def upload(self, kind: str, body: bytes, name: str = "data.csv"):
        self.as_user(self.admin)
        return self.client.post(f"/data/{kind}/upload/", {"file": SimpleUploadedFile(name, body)})

    def assert_refused(self, response, row: int, column: str, words: str = "") -> None:
        assert response.status_code == 400, (response.status_code, response.content[:300])
        problems = [str(p) for p in response.context["problems"]]
        assert any(p.startswith(f"row {row}, column '{column}': ") and words in p for p in problems), problems
        assert 'id="upload-problems"' in response.content.decode()

    def test_bad_number_cells_are_refused_with_row_and_column(self) -> None:
        room = am.Room.objects.filter(organization=self.org).order_by("code").first()
        before = (am.Room.objects.filter(organization=self.org).count(), room.capacity)
        for cell in ("nan", "NaN", "inf", "-inf", "1e400", "1e3", "-0", "0", "-5", "3.5", "99999999999999999999",
                     "2147483648", "²", "٣", "0x10", "1_000", "true", "=1+1", "=HYPERLINK(\"x\")"):
            response = self.upload("rooms", csv_bytes([["code", "capacity"], ["NEW-1", "40"], [room.code, cell]]))
            self.assert_refused(response, 3, "capacity")
        assert (am.Room.objects.filter(organization=self.org).count(),
                am.Room.objects.get(pk=room.pk).capacity) == before

    def test_empty_required_cells_wrong_types_and_nul_are_named(self) -> None:
        self.assert_refused(self.upload("rooms", csv_bytes([["code", "capacity"], ["", "40"]])), 2, "code",
                            "a value is required")
        self.assert_refused(self.upload("rooms", csv_bytes([["code", "capacity"], ["R9", ""]])), 2, "capacity",
                            "a value is required")
        self.assert_refused(self.upload("rooms", csv_bytes([["code", "capacity", "shared"], ["R9", "4", "maybe"]])),
                            2, "shared", "not yes or no")
        self.assert_refused(self.upload("courses", csv_bytes([["code", "kind"], ["C9", "lecture"]])), 2, "kind")
        self.assert_refused(self.upload("rooms", b"code,capacity,name\nR9,4,a\x00b\n"), 2, "name", "NUL")
        self.assert_refused(self.upload("rooms", csv_bytes([["code", "capacity"], ["x" * 201, "4"]])), 2, "code")
        assert not am.Room.objects.filter(organization=self.org, code="R9").exists()

    def test_an_empty_optional_text_cell_stores_empty_text(self) -> None:  # found by the upload fuzzing
        response = self.upload("courses", csv_bytes([["code", "name"], ["C9", ""]]))
        assert response.status_code == 302
        assert am.Course.objects.get(organization=self.org, code="C9").name == ""

    def test_excel_formulas_and_odd_cells_are_refused(self) -> None:
        book = xlsx_bytes([["code", "capacity"], ["R9", "=2*20"]])
        self.assert_refused(self.upload("rooms", book, "rooms.xlsx"), 2, "capacity", "formula")
        book = xlsx_bytes([["code", "capacity"], ["R9", float("nan")]])
        assert self.upload("rooms", book, "rooms.xlsx").status_code == 400
        book = xlsx_bytes([["code", "capacity"], ["R9", 1e300]])
        self.assert_refused(self.upload("rooms", book, "rooms.xlsx"), 2, "capacity", "too large")
        assert not am.Room.objects.filter(organization=self.org, code="R9").exists()

    def test_damaged_files_are_refused(self) -> None:
        for name, body in (("rooms.csv", b"code,capacity\n\"R9\x00\",4\n"), ("rooms.xlsx", b"PK\x03\x04broken"),
                           ("rooms.csv", b"\xff\xfe\x00"), ("rooms.csv", b"code\n" + b"x" * 200_000 + b"\n"),
                           ("rooms.txt", b"code\nR9")):
            response = self.upload("rooms", body, name)
            assert response.status_code == 400, (name, response.status_code)
        assert not am.Room.objects.filter(organization=self.org, code="R9").exists()


@override_settings(ENGINE_CLIENT=FAKE_CLIENT)
class EngineRulesTests(PersonasTestCase):
    """Data the engine cannot use is refused at upload with the engine's own words, and data stored before
    (or through the admin) makes generation answer 400 naming the record, not an internal error."""

    def upload_courses(self, rows: list[list[str]]):
        self.as_user(self.admin)
        body = csv_bytes([["code", "name", "sessions_per_week", "session_length"], *rows])
        return self.client.post("/data/courses/upload/", {"file": SimpleUploadedFile("courses.csv", body)})

    def test_an_upload_the_engine_cannot_use_is_refused_naming_row_and_field(self) -> None:
        course = am.Course.objects.filter(organization=self.org).order_by("code").first()
        before = (am.Course.objects.filter(organization=self.org).count(), course.sessions_per_week)
        day = organization_grid(self.org).n_periods
        response = self.upload_courses([["NEW-1", "fine", "2", "1"], [course.code, "x", "10000", "1"],
                                        ["NEW-2", "lab", "1", str(day + 1)]])
        assert response.status_code == 400
        problems = [str(p) for p in response.context["problems"]]
        assert problems == [
            "row 3, column 'sessions_per_week': Input should be less than or equal to 50 (got 10000)",
            f"row 4, column 'session_length': {day + 1} periods is longer than a day ({day} periods)",
        ]
        assert (am.Course.objects.filter(organization=self.org).count(),
                am.Course.objects.get(pk=course.pk).sessions_per_week) == before

    def test_good_rows_still_go_in(self) -> None:
        response = self.upload_courses([["NEW-1", "fine", "2", "1"]])
        assert response.status_code == 302
        assert am.Course.objects.filter(organization=self.org, code="NEW-1").exists()

    def test_generation_on_unusable_stored_data_is_400_naming_the_record(self) -> None:
        course = am.Course.objects.filter(organization=self.org).order_by("code").first()
        am.Course.objects.filter(pk=course.pk).update(sessions_per_week=10000)  # as the admin could store it
        self.as_user(self.admin)
        body = {"academic_year": "2026-27", "semester": 1, "university_id": self.org.pk}
        response = self.post_json(GENERATE, body)
        assert response.status_code == 400, response.content
        error = response.json()
        assert f"course '{course.code}', sessions_per_week" in error["message"]
        assert error["error"]["field"] == f"courses[{course.code}].sessions_per_week"
        page = self.client.post("/admin/timetables/new", {
            "academic_year": "2026-27", "semester": 1, "variant_count": 1, "time_limit": 10,
            "variant_1": "Balanced"})
        assert page.status_code == 400 and f"course &#x27;{course.code}&#x27;" in page.content.decode()
        assert not GenerationJob.objects.exists() and not FakeEngineClient.submitted


class FailedJobTests(PersonasTestCase):
    def failed_job(self) -> GenerationJob:
        return GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1,
                                            status=JobStatus.FAILED, error_message="no timetable was found")

    def test_the_status_page_shows_the_engines_diagnosis(self) -> None:
        job = self.failed_job()
        am.Faculty.objects.filter(organization=self.org, courses__isnull=False).update(max_hours_per_week=0)
        self.as_user(self.scheduler)
        page = self.client.get(f"/admin/timetables/status/{job.id}").content.decode()
        assert "no timetable was found" in page and 'id="diagnosis"' in page
        assert "faculty" in page[page.find('id="diagnosis"'):] and "internal error" not in page

    def test_the_status_page_names_a_record_the_engine_cannot_use(self) -> None:
        job = self.failed_job()
        course = am.Course.objects.filter(organization=self.org).order_by("code").first()
        am.Course.objects.filter(pk=course.pk).update(session_length=40)
        self.as_user(self.scheduler)
        page = self.client.get(f"/admin/timetables/status/{job.id}").content.decode()
        assert f"course &#x27;{course.code}&#x27;, session_length" in page

    def test_a_job_that_did_not_fail_shows_no_diagnosis(self) -> None:
        job = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1,
                                           status=JobStatus.RUNNING)
        self.as_user(self.scheduler)
        assert 'id="diagnosis"' not in self.client.get(f"/admin/timetables/status/{job.id}").content.decode()


class StaticPathTests(PersonasTestCase):
    """Path tricks under /static/ are 404s. WhiteNoise (settings.MIDDLEWARE) serves static files in every
    deployment; with the test client the request passes through it as under ``timetable serve``."""

    def test_path_tricks_under_static_are_404(self) -> None:
        for path in ("/static/..%2F..%2Fsettings.py", "/static/../../etc/passwd", "/static/%2e%2e/%2e%2e/",
                     "/static/pages/..%5C..%5Csettings.py", "/static/pages/%00", "/static/%C0%AE%C0%AE/",
                     "/static//etc/passwd", "/static/pages/../../../../pyproject.toml"):
            response = self.client.get(path)
            assert response.status_code == 404, (path, response.status_code)


def test_the_engine_service_answers_deep_json_with_400_naming_the_body() -> None:
    from tests.service.support import service_client

    client = service_client()  # with the web backend's credential: the body itself is judged
    json_type = {"content-type": "application/json"}
    shallow = client.post("/api/generate_variants", content=deep(40), headers=json_type)
    assert shallow.status_code == 400 and shallow.json()["error"]["field"] == "job_id"
    too_deep = client.post("/api/generate_variants", content=deep(100_000), headers=json_type)
    assert too_deep.status_code == 400
    assert too_deep.json()["error"] == {"field": "body",
                                        "reason": "the body cannot be read as JSON (not JSON, or nested too deeply)"}

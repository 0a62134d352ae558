"""The pages through Django's test client: who sees what, uploads, generation, review, approval, exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from icalendar import Calendar
from openpyxl import load_workbook

from tests.pages.support import csv_bytes, finished_job, pdf_text, xlsx_bytes
from tests.web.support import FAKE_CLIENT, FakeEngineClient, PersonasTestCase
from timetabling.web.academics import models as am
from timetabling.web.scheduling.models import GenerationJob, JobStatus, TimetableStatus

ROOM_HEADER = ["code", "name", "capacity", "room_type", "building"]
# the personas' passwords are hashed for every test class: a fast hasher keeps these tests quick
FAST_HASHING = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


@FAST_HASHING
class SignInAndDashboardTests(PersonasTestCase):
    def test_it_sends_an_anonymous_visitor_to_sign_in(self) -> None:
        response = self.client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/signin/?next=/")

    def test_signing_in_opens_the_dashboard_with_data_counts_and_jobs(self) -> None:
        response = self.client.post("/signin/", {"username": "admin", "password": "pw"})
        assert response.status_code == 302 and response["Location"] == "/"
        GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=3)
        page = self.client.get("/")
        html = page.content.decode()
        rooms = am.Room.objects.filter(organization=self.org).count()
        assert f'data-kind="rooms">{rooms}<' in html
        assert "2026-27 / 3" in html
        job, _ = finished_job(self.client, self.org)
        html = self.client.get("/").content.decode()
        assert f'href="/admin/timetables/jobs/{job.id}/compare">Compare</a>' in html and "to review" in html
        assert "No timetable is published yet." in html

    def test_a_wrong_password_stays_on_the_sign_in_page(self) -> None:
        response = self.client.post("/signin/", {"username": "admin", "password": "nope"})
        assert response.status_code == 200
        assert "correct username and password" in response.content.decode()

    def test_a_student_sees_no_data_counts_and_cannot_list_data(self) -> None:
        self.as_user(self.student_user)
        assert "data-kind=" not in self.client.get("/").content.decode()
        response = self.client.get("/data/courses/")
        assert response.status_code == 403 and "your role (Student) may not open this page" in response.content.decode()

    def test_my_timetable_leads_a_faculty_member_to_their_own(self) -> None:
        self.as_user(self.faculty_user)
        response = self.client.get("/my/timetable/")
        assert response["Location"] == f"/timetables/faculty/{self.teacher.pk}/"


@FAST_HASHING
class AcademicDataTests(PersonasTestCase):
    def upload(self, kind: str, name: str, body: bytes):
        return self.client.post(f"/data/{kind}/upload/", {"file": SimpleUploadedFile(name, body)})

    def test_the_list_searches_code_and_name(self) -> None:
        self.as_user(self.scheduler)
        course = am.Course.objects.filter(organization=self.org).order_by("code").first()
        html = self.client.get("/data/courses/", {"q": course.code}).content.decode()
        assert course.code in html
        others = am.Course.objects.filter(organization=self.org).exclude(code__icontains=course.code)
        assert others.exists() and others.first().code not in html

    def test_another_organizations_records_are_not_listed(self) -> None:
        am.Room.objects.create(organization=self.other_org, code="ELSEWHERE-1", capacity=10)
        self.as_user(self.admin)
        assert "ELSEWHERE-1" not in self.client.get("/data/rooms/").content.decode()

    def test_a_bad_row_is_reported_with_row_column_and_reason_and_nothing_is_stored(self) -> None:
        self.as_user(self.admin)
        before = am.Room.objects.filter(organization=self.org).count()
        body = csv_bytes([ROOM_HEADER, ["NEW-1", "Hall one", "40", "lecture", "A"],
                          ["NEW-2", "Hall two", "lots", "lecture", "A"]])
        response = self.upload("rooms", "rooms.csv", body)
        assert response.status_code == 400
        html = response.content.decode()
        assert "<td>3</td><td>capacity</td><td>&#x27;lots&#x27; is not a whole number</td>" in html
        assert "Nothing from this file was saved" in html
        assert am.Room.objects.filter(organization=self.org).count() == before  # not even the good first row

    def test_a_good_file_adds_and_updates_by_code(self) -> None:
        self.as_user(self.admin)
        existing = am.Room.objects.filter(organization=self.org).order_by("code").first()
        body = csv_bytes([ROOM_HEADER, ["NEW-1", "Hall one", "40", "", "A"],
                          [existing.code, "Renamed", "99", "lecture", "B"]])
        response = self.upload("rooms", "rooms.csv", body)
        assert response.status_code == 302
        new = am.Room.objects.get(organization=self.org, code="NEW-1")
        assert (new.capacity, new.room_type, new.shared) == (40, "lecture", True)
        existing.refresh_from_db()
        assert (existing.name, existing.capacity) == ("Renamed", 99)
        assert "1 rooms added, 1 updated" in self.client.get("/data/rooms/").content.decode()

    def test_excel_uploads_link_courses_to_faculty_and_batches(self) -> None:
        self.as_user(self.scheduler)
        teacher = am.Faculty.objects.filter(organization=self.org).order_by("code").first()
        batch = am.Batch.objects.filter(organization=self.org).order_by("code").first()
        header = ["code", "name", "kind", "sessions_per_week", "faculty", "batches"]
        response = self.upload("courses", "courses.xlsx", xlsx_bytes(
            [header, ["NEWC-A", "New course", "open_elective", 2, teacher.code, batch.code]]))
        assert response.status_code == 302, response.content.decode()[:2000]
        course = am.Course.objects.get(organization=self.org, code="NEWC-A")
        assert course.kind == "open_elective" and course.sessions_per_week == 2
        assert list(course.faculty.all()) == [teacher] and list(course.batches.all()) == [batch]

    def test_students_with_and_without_electives(self) -> None:
        self.as_user(self.admin)
        batch = am.Batch.objects.filter(organization=self.org).order_by("code").first()
        elective = am.Course.objects.filter(organization=self.org, kind="open_elective").first()
        response = self.upload("students", "s.csv", csv_bytes([
            ["code", "name", "batch", "electives"], ["S-1", "Asha", batch.code, elective.code], ["S-2", "Ravi", "", ""],
        ]))
        assert response.status_code == 302, response.content.decode()[:3000]
        one, two = am.Student.objects.filter(organization=self.org, code__in=["S-1", "S-2"]).order_by("code")
        assert one.batch == batch and list(one.electives.all()) == [elective]
        assert two.batch is None and not two.electives.exists()

    def test_a_course_row_with_empty_lists_is_stored_without_links(self) -> None:
        self.as_user(self.admin)
        response = self.upload("courses", "c.csv", csv_bytes([["code", "faculty", "batches"], ["LONE-1", "", ""]]))
        assert response.status_code == 302
        course = am.Course.objects.get(organization=self.org, code="LONE-1")
        assert not course.faculty.exists() and not course.batches.exists()

    def test_unknown_references_and_columns_are_named(self) -> None:
        self.as_user(self.admin)
        response = self.upload("faculty", "f.csv", csv_bytes([["code", "department"], ["X1", "NO-SUCH"]]))
        assert "no department with code &#x27;NO-SUCH&#x27;" in response.content.decode()
        response = self.upload("faculty", "f.csv", csv_bytes([["code", "shoe_size"], ["X1", "9"]]))
        assert "unknown column" in response.content.decode()
        assert not am.Faculty.objects.filter(organization=self.org, code="X1").exists()

    def test_templates_download_with_the_tables_columns(self) -> None:
        self.as_user(self.scheduler)
        response = self.client.get("/data/courses/template.csv")
        header = next(csv.reader(io.StringIO(response.content.decode())))
        assert header[:3] == ["code", "name", "course_code"] and "faculty" in header
        response = self.client.get("/data/students/template.xlsx")
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert [c.value for c in sheet[1]] == ["code", "name", "batch", "electives"]

    def test_an_approver_sees_the_data_but_may_not_upload(self) -> None:
        self.as_user(self.approver)
        assert self.client.get("/data/rooms/").status_code == 200
        response = self.upload("rooms", "rooms.csv", csv_bytes([ROOM_HEADER, ["NEW-9", "x", "10", "lecture", ""]]))
        assert response.status_code == 403
        assert not am.Room.objects.filter(code="NEW-9").exists()


@FAST_HASHING
@override_settings(ENGINE_CLIENT=FAKE_CLIENT, MAX_CONCURRENT_JOBS=2)
class GenerationPageTests(PersonasTestCase):
    def form(self, **changes):
        data = {"academic_year": "2026-27", "semester": "1", "variant_count": "2", "time_limit": "5",
                "variant_1": "Balanced", "variant_2": "Compactness-focused"}
        return {**data, **changes}

    def test_the_form_offers_sensible_defaults(self) -> None:
        self.as_user(self.scheduler)
        html = self.client.get("/admin/timetables/new").content.decode()
        assert 'name="academic_year" value="2026-27"' in html  # today is in the 2026-27 academic year
        assert 'name="variant_count" value="3"' in html
        assert "Faculty-focused (faculty preference x5)" in html

    def test_submitting_starts_a_job_with_the_chosen_priorities_and_opens_its_status(self) -> None:
        self.as_user(self.scheduler)
        dept = am.Department.objects.filter(organization=self.org).order_by("code").first()
        response = self.client.post("/admin/timetables/new", self.form(departments=[dept.pk]))
        job = GenerationJob.objects.get(organization=self.org)
        assert response.status_code == 302 and response["Location"] == f"/admin/timetables/status/{job.id}"
        (sent,) = FakeEngineClient.submitted
        assert sent["variants"] == ["Balanced", "Compactness-focused"] and sent["time_limit"] == 5
        assert {c["department"] for c in sent["instance"]["courses"]} == {dept.code}

    def test_the_same_priority_twice_is_refused(self) -> None:
        self.as_user(self.scheduler)
        response = self.client.post("/admin/timetables/new", self.form(variant_2="Balanced"))
        assert response.status_code == 400
        assert "each variant needs a different priority" in response.content.decode()
        assert not GenerationJob.objects.exists()

    @override_settings(MAX_CONCURRENT_JOBS=1)
    def test_the_concurrent_job_limit_is_explained_on_the_form(self) -> None:
        GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1)
        self.as_user(self.scheduler)
        response = self.client.post("/admin/timetables/new", self.form())
        assert response.status_code == 429
        assert "the most allowed at once is 1" in response.content.decode()

    def test_an_approver_may_not_generate(self) -> None:
        self.as_user(self.approver)
        assert self.client.get("/admin/timetables/new").status_code == 403

    def test_the_status_page_follows_the_engine_and_cancel_reaches_it(self) -> None:
        job = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1,
                                           status=JobStatus.RUNNING, progress=42, metadata={"phase": "parts"})
        self.as_user(self.scheduler)
        html = self.client.get(f"/admin/timetables/status/{job.id}").content.decode()
        assert 'aria-valuenow="42"' in html and f'/ws/progress/{job.id}"' in html
        assert f'data-poll="/api/timetable/progress/{job.id}/"' in html and ">parts<" in html
        response = self.client.post(f"/admin/timetables/status/{job.id}/cancel")
        assert response.status_code == 302
        assert FakeEngineClient.cancelled == [str(job.id)]
        assert "Cancel requested" in self.client.get(response["Location"]).content.decode()

    def test_another_organizations_job_is_not_found(self) -> None:
        job = GenerationJob.objects.create(organization=self.other_org, academic_year="2026-27", semester=1)
        self.as_user(self.admin)
        assert self.client.get(f"/admin/timetables/status/{job.id}").status_code == 404
        assert self.client.post(f"/admin/timetables/status/{job.id}/cancel").status_code == 404
        assert self.client.get("/admin/timetables/status/not-a-uuid").status_code == 404

    def test_djangos_own_admin_still_answers_beside_the_pages(self) -> None:
        self.as_user(self.admin)
        assert self.client.get("/admin/").status_code == 200


@FAST_HASHING
class ReviewAndPublishedTests(PersonasTestCase):
    def test_the_review_grid_shows_sessions_conflicts_and_metrics(self) -> None:
        _job, (first, _) = finished_job(self.client, self.org)
        self.as_user(self.scheduler)
        batch = am.Batch.objects.filter(organization=self.org).order_by("code").first()
        html = self.client.get(f"/admin/timetables/{first.pk}/review?kind=batch&owner={batch.pk}").content.decode()
        course = batch.courses.order_by("code").first()
        assert (course.course_code or course.code) in html
        # the builder puts every course's sessions in a few slots: the checker and the grid both see clashes
        assert 'id="hard-total"><strong>' in html and "batch_clash" in html
        assert 'class="busy conflict"' in html and "⚠ conflict" in html
        assert "⚠ room clash: room " in html  # the checker's own words, on the cell it concerns
        assert "hard violations (engine)" in html  # the stored metrics
        assert "An approver decides" in html  # a scheduler has no decision buttons

    def test_the_grid_by_room_and_by_faculty(self) -> None:
        _, (first, _) = finished_job(self.client, self.org)
        self.as_user(self.admin)
        for kind in ("room", "faculty"):
            response = self.client.get(f"/admin/timetables/{first.pk}/review?kind={kind}")
            assert response.status_code == 200 and 'class="week"' in response.content.decode()
        assert self.client.get(f"/admin/timetables/{first.pk}/review?kind=shoe").status_code == 404
        # the kind changed, the owner still a batch's: the first faculty member is shown
        batch = am.Batch.objects.filter(organization=self.org).first()
        html = self.client.get(f"/admin/timetables/{first.pk}/review?kind=faculty&owner={batch.pk}").content.decode()
        first_faculty = am.Faculty.objects.filter(organization=self.org, pk__in=first.slots.values("faculty_id"))
        assert f"Faculty member {first_faculty.order_by('code').first().code}</h2>" in html

    def test_compare_lists_every_variant_on_every_metric(self) -> None:
        job, variants = finished_job(self.client, self.org)
        self.as_user(self.approver)
        html = self.client.get(f"/admin/timetables/jobs/{job.id}/compare").content.decode()
        for t in variants:
            assert f"Review {t.name}" in html and f"Choose {t.name} for approval" in html
        assert "hard violations (checker)" in html and "soft cost, the university&#x27;s weights (checker)" in html

    def test_approving_publishes_the_variant_and_only_approvers_may(self) -> None:
        _job, (first, second) = finished_job(self.client, self.org)
        self.as_user(self.scheduler)
        assert self.client.post(f"/admin/timetables/{second.pk}/decide", {"action": "approve"}).status_code == 403
        self.as_user(self.approver)
        response = self.client.post(f"/admin/timetables/{second.pk}/decide",
                                    {"action": "approve", "comments": "fewest idle hours"})
        assert response.status_code == 302
        second.refresh_from_db()
        first.refresh_from_db()
        assert second.status == TimetableStatus.PUBLISHED and first.status == TimetableStatus.DRAFT
        html = self.client.get(response["Location"]).content.decode()
        assert "Approved</strong> by approver" in html and "fewest idle hours" in html

    def test_rejecting_archives_the_drafts(self) -> None:
        _job, (first, _second) = finished_job(self.client, self.org)
        self.as_user(self.admin)
        self.client.post(f"/admin/timetables/{first.pk}/decide", {"action": "reject", "comments": "too many gaps"})
        first.refresh_from_db()
        assert first.status == TimetableStatus.ARCHIVED

    def test_a_faculty_member_reads_their_published_week_and_not_a_colleagues(self) -> None:
        _job, (first, _) = finished_job(self.client, self.org)
        self.as_user(self.approver)
        self.client.post(f"/admin/timetables/{first.pk}/decide", {"action": "approve"})
        self.as_user(self.faculty_user)
        html = self.client.get(f"/timetables/faculty/{self.teacher.pk}/").content.decode()
        taught = self.teacher.courses.order_by("code").first()
        assert first.name in html and (taught.course_code or taught.code) in html
        colleague = am.Faculty.objects.filter(organization=self.org).exclude(pk=self.teacher.pk).first()
        assert self.client.get(f"/timetables/faculty/{colleague.pk}/").status_code == 403
        assert self.client.get(f"/timetables/faculty/{self.teacher.pk}/?timetable={first.pk}").status_code == 403

    def test_a_student_reads_their_batch_and_elective_sessions(self) -> None:
        _, (first, _) = finished_job(self.client, self.org)
        self.as_user(self.approver)
        self.client.post(f"/admin/timetables/{first.pk}/decide", {"action": "approve"})
        self.as_user(self.student_user)
        html = self.client.get(f"/timetables/student/{self.pupil.pk}/").content.decode()
        courses = [*self.pupil.batch.courses.all(), *self.pupil.electives.all()]
        assert courses and all(f"<strong>{c.course_code or c.code}</strong>" in html for c in courses)
        other = am.Student.objects.filter(organization=self.org).exclude(pk=self.pupil.pk).first()
        assert self.client.get(f"/timetables/student/{other.pk}/").status_code == 403
        assert self.client.get(f"/timetables/student/{self.pupil.pk}/export.ics").status_code == 200

    def test_staff_open_a_rooms_published_week_from_the_room_list(self) -> None:
        _, (first, _) = finished_job(self.client, self.org)
        self.as_user(self.admin)
        self.client.post(f"/admin/timetables/{first.pk}/decide", {"action": "approve"})
        room = am.Room.objects.get(pk=first.slots.exclude(room=None).first().room_id)
        assert f'href="/timetables/room/{room.pk}/"' in self.client.get("/data/rooms/").content.decode()
        html = self.client.get(f"/timetables/room/{room.pk}/").content.decode()
        assert f"Room {room.code}" in html and 'class="week"' in html

    def test_nothing_published_yet_is_said_plainly(self) -> None:
        self.as_user(self.student_user)
        response = self.client.get(f"/timetables/student/{self.pupil.pk}/")
        assert response.status_code == 404 and "No timetable is published yet." in response.content.decode()

    def test_another_organizations_timetable_is_not_found(self) -> None:
        _, (other, _) = finished_job(self.client, self.other_org)
        self.as_user(self.admin)
        assert self.client.get(f"/admin/timetables/{other.pk}/review").status_code == 404
        room = am.Room.objects.filter(organization=self.other_org).first()
        assert self.client.get(f"/timetables/room/{room.pk}/").status_code == 404


@FAST_HASHING
class ExportTests(PersonasTestCase):
    def setUp(self) -> None:
        super().setUp()
        _job, (self.timetable, _) = finished_job(self.client, self.org)
        self.as_user(self.approver)
        self.client.post(f"/admin/timetables/{self.timetable.pk}/decide", {"action": "approve"})
        self.as_user(self.faculty_user)
        self.base = f"/timetables/faculty/{self.teacher.pk}/export"
        self.taught = self.teacher.courses.order_by("code").first()

    def test_the_pdf_shows_the_week_with_its_sessions(self) -> None:
        response = self.client.get(f"{self.base}.pdf")
        assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
        text = pdf_text(response.content)
        assert f"Faculty member {self.teacher.code}" in text
        assert (self.taught.course_code or self.taught.code) in text and "Mon" in text

    def test_the_ics_has_a_weekly_recurring_event_per_session(self) -> None:
        response = self.client.get(f"{self.base}.ics?start=2027-01-04&weeks=15")
        body = response.content.decode()
        assert response["Content-Type"].startswith("text/calendar")
        assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
        sessions = {(s.course_id, s.session) for s in self.timetable.slots.filter(faculty=self.teacher)}
        assert body.count("BEGIN:VEVENT") == len(sessions) > 0
        assert body.count("RRULE:FREQ=WEEKLY;UNTIL=20270418T") == len(sessions)  # 15 weeks from 4 January
        assert "DTSTART;TZID=Asia/Kolkata:202701" in body
        assert f"SUMMARY:{self.taught.course_code or self.taught.code}" in body

    def test_excel_and_csv_list_the_sessions(self) -> None:
        rows = list(csv.DictReader(io.StringIO(self.client.get(f"{self.base}.csv").content.decode())))
        assert rows and all(self.teacher.code in r["faculty_codes"] and self.teacher.name in r["faculty"]
                            for r in rows)
        book = load_workbook(io.BytesIO(self.client.get(f"{self.base}.xlsx").content))
        assert book.sheetnames == ["Week", "Sessions"]
        assert book["Sessions"].max_row == len(rows) + 1

    def test_the_ics_follows_the_term_and_the_organizations_time_zone(self) -> None:
        self.org.time_zone = "Europe/Berlin"
        self.org.save()
        am.Term.objects.create(organization=self.org, academic_year=self.timetable.academic_year,
                               semester=self.timetable.semester, start_date=date(2027, 3, 1),
                               end_date=date(2027, 4, 30), holidays=["2027-04-01"])
        calendar = Calendar.from_ical(self.client.get(f"{self.base}.ics?start=2020-01-01").content)
        events = calendar.walk("VEVENT")
        assert events and calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Berlin"
        for event in events:
            start = event.decoded("dtstart")
            assert date(2027, 3, 1) <= start.date() <= date(2027, 3, 7) and str(start.tzinfo) == "Europe/Berlin"
            assert event["rrule"]["UNTIL"][0] == datetime(2027, 4, 30, 21, 59, 59, tzinfo=UTC)
        thursdays = [e for e in events if e.decoded("dtstart").weekday() == 3]
        assert all(e["exdate"].dts[0].dt.date() == date(2027, 4, 1) for e in thursdays)
        html = self.client.get(f"/timetables/faculty/{self.teacher.pk}/").content.decode()
        assert "Term: 1 Mar 2027 to 30 Apr 2027 · 1 holiday" in html

    def test_an_unknown_format_is_not_found(self) -> None:
        assert self.client.get(f"{self.base}.docx").status_code == 404

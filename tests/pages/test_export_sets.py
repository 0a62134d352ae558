"""PDFs people can hand out: one per batch, faculty member or room as a ZIP, a department's booklet (a cover and
a page per batch, faculty member and room, names in any script), codes never broken in two; and who may have
them (another organization gets 404, a visitor the sign-in, a faculty member 403)."""

from __future__ import annotations

import io
import zipfile
from datetime import time

from pypdf import PdfReader

from tests.pages.support import finished_job, pdf_text
from tests.pages.test_views import FAST_HASHING
from tests.web.support import PersonasTestCase
from timetabling.engine.model import TimeGrid
from timetabling.web.academics import models as am
from timetabling.web.pages.exports import OwnerWeek, to_booklet, to_pdf
from timetabling.web.pages.grids import Session, week_grid
from timetabling.web.scheduling.models import TimetableSlot

HINDI = "डॉ. अनन्या शर्मा"


@FAST_HASHING
class PdfSetTests(PersonasTestCase):
    def setUp(self) -> None:
        super().setUp()
        _job, (self.timetable, _) = finished_job(self.client, self.org)
        self.as_user(self.approver)
        self.client.post(f"/admin/timetables/{self.timetable.pk}/decide", {"action": "approve"})
        self.teacher.name = HINDI
        self.teacher.save()
        self.as_user(self.scheduler)

    def test_a_faculty_member_with_a_non_latin_name_gets_it_in_their_pdf(self) -> None:
        self.as_user(self.faculty_user)
        response = self.client.get(f"/timetables/faculty/{self.teacher.pk}/export.pdf")
        assert response.status_code == 200
        assert HINDI in pdf_text(response.content)

    def test_the_zip_holds_one_pdf_per_faculty_member_with_sessions_each_with_their_name(self) -> None:
        response = self.client.get("/timetables/faculty/pdfs.zip")
        assert response.status_code == 200 and response["Content-Type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        teaching = am.Faculty.objects.filter(pk__in=TimetableSlot.objects.filter(timetable=self.timetable)
                                             .values("faculty_id")).order_by("code")
        assert archive.namelist() == [f"timetable-faculty-{f.code}.pdf" for f in teaching]
        mine = pdf_text(archive.read(f"timetable-faculty-{self.teacher.code}.pdf"))
        assert HINDI in mine and self.teacher.code in mine
        taught = self.teacher.courses.order_by("code").first()
        assert (taught.course_code or taught.code) in mine

    def test_a_zip_of_one_departments_rooms_and_an_unknown_kind(self) -> None:
        department = am.Department.objects.filter(organization=self.org).order_by("code").first()
        response = self.client.get(f"/timetables/room/pdfs.zip?department={department.pk}")
        names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
        theirs = {f"timetable-room-{r.code}.pdf" for r in am.Room.objects.filter(department=department)}
        assert set(names) <= theirs
        assert self.client.get("/timetables/student/pdfs.zip").status_code == 404
        assert self.client.get("/timetables/room/pdfs.zip?department=x").status_code == 404

    def test_the_department_booklet_has_a_cover_and_a_page_per_batch_faculty_member_and_room(self) -> None:
        department = self.teacher.department
        response = self.client.get(f"/timetables/department/{department.pk}/export.pdf")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        reader = PdfReader(io.BytesIO(response.content))
        owners = [*am.Batch.objects.filter(department=department), *am.Faculty.objects.filter(department=department),
                  *am.Room.objects.filter(department=department)]
        outline = [item.title for item in reader.outline if not isinstance(item, list)]
        assert len(outline) == len(owners) and len(reader.pages) >= 1 + len(owners)
        cover = reader.pages[0].extract_text()
        assert "Department" in cover and self.timetable.name in cover and HINDI in cover
        assert any(title == f"Faculty member {HINDI} ({self.teacher.code})" for title in outline)

    def test_another_organization_gets_404_a_visitor_the_sign_in_and_a_faculty_member_403(self) -> None:
        department = self.teacher.department
        self.as_user(self.outsider)
        assert self.client.get(f"/timetables/department/{department.pk}/export.pdf").status_code == 404
        assert self.client.get(f"/timetables/faculty/pdfs.zip?timetable={self.timetable.pk}").status_code == 404
        assert self.client.get("/timetables/faculty/pdfs.zip").status_code == 404  # theirs has none published
        self.as_user(None)
        for url in ("/timetables/faculty/pdfs.zip", f"/timetables/department/{department.pk}/export.pdf"):
            response = self.client.get(url)
            assert response.status_code == 302 and response["Location"].startswith("/signin/"), url
        self.as_user(self.faculty_user)
        assert self.client.get("/timetables/faculty/pdfs.zip").status_code == 403
        assert self.client.get(f"/timetables/department/{department.pk}/export.pdf").status_code == 403


LONG_CODE = "INTERDISCIPLINARY-RESEARCH-SEMINAR-3"


def test_a_long_code_is_never_broken_in_two_in_a_pdf_cell() -> None:
    grid = TimeGrid.standard(n_days=6, n_periods=4, lunch_after=1)
    seminar = Session(course_code=LONG_CODE, course_name="Seminar", session=0, day=2, period=0, length=1,
                      start=time(9, 0), end=time(10, 0), faculty=["F1"], engine_id="S1")
    week = week_grid(grid, [seminar])
    for body in (to_pdf(week, "Room R1"), to_booklet("Department D", "Balanced", [("Rooms", [OwnerWeek("Room R1",
                                                                                                  week)])])):
        lines = pdf_text(body).splitlines()
        assert any(LONG_CODE in line for line in lines), lines

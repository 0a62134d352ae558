"""Editing academic data on the pages: the engine's model rules refuse before anything is kept, every change is
recorded old -> new, a deletion says which published timetables it affects, and other organizations see 404."""

from __future__ import annotations

from tests.pages.support import finished_job
from tests.pages.test_views import FAST_HASHING
from tests.web.support import PersonasTestCase
from timetabling.web.academics import models as am
from timetabling.web.scheduling.models import TimetableStatus


@FAST_HASHING
class RecordEditingTests(PersonasTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.as_user(self.scheduler)
        self.course = am.Course.objects.filter(organization=self.org).order_by("code").first()

    def course_form(self, **changes: object) -> dict:
        c = self.course
        data = {"code": c.code, "name": c.name, "course_code": c.course_code,
                "department": c.department_id or "", "kind": c.kind, "credits": c.credits,
                "sessions_per_week": c.sessions_per_week, "session_length": c.session_length,
                "min_days": c.min_days, "max_per_day": c.max_per_day, "room_type": c.room_type,
                "size": c.size or "", "faculty": [f.pk for f in c.faculty.all()],
                "batches": [b.pk for b in c.batches.all()]}
        return {**data, **changes}

    def test_an_edit_the_engine_refuses_shows_the_field_and_reason_and_stores_nothing(self) -> None:
        before = (self.course.session_length, am.ChangeRecord.objects.count())
        response = self.client.post(f"/data/courses/{self.course.pk}/", self.course_form(session_length=99))
        assert response.status_code == 400
        html = response.content.decode()
        field = html[html.index('id="field-session_length"'):]
        field = field[:field.index("</div>")]
        assert 'class="error field-error"' in field and "99" in field, field
        self.course.refresh_from_db()
        assert (self.course.session_length, am.ChangeRecord.objects.count()) == before

    def test_an_edit_is_stored_and_its_history_shows_old_and_new(self) -> None:
        old = self.course.name
        response = self.client.post(f"/data/courses/{self.course.pk}/", self.course_form(name="Renamed course"))
        assert response.status_code == 302, response.content.decode()[:3000]
        self.course.refresh_from_db()
        assert self.course.name == "Renamed course"
        change = am.ChangeRecord.objects.get(kind="courses", record_id=self.course.pk)
        assert change.action == "updated" and change.user == self.scheduler
        assert change.changes == {"name": [old, "Renamed course"]}
        html = self.client.get(f"/data/courses/{self.course.pk}/history/").content.decode()
        assert "Renamed course" in html and old in html and "scheduler" in html

    def test_a_new_room_is_created_and_a_duplicate_code_refused(self) -> None:
        data = {"code": "NEW-1", "name": "New hall", "capacity": 40, "room_type": "lecture", "building": "",
                "department": "", "shared": "on", "unavailable-grid": "1",
                "unavailable": ["0-0-prohibited", "0-1-neutral", "1-2-prohibited"]}
        assert self.client.post("/data/rooms/new/", data).status_code == 302
        room = am.Room.objects.get(organization=self.org, code="NEW-1")
        assert room.unavailable == [[0, 0], [1, 2]]
        assert am.ChangeRecord.objects.get(kind="rooms", record_id=room.pk).action == "created"
        response = self.client.post("/data/rooms/new/", data)
        assert response.status_code == 400 and "another room has the code" in response.content.decode()

    def faculty_form(self, cells: list[str]) -> dict:
        teacher = self.teacher
        return {"code": teacher.code, "name": teacher.name, "department": teacher.department_id or "",
                "max_hours_per_week": teacher.max_hours_per_week, "max_hours_per_day": teacher.max_hours_per_day,
                "max_consecutive": teacher.max_consecutive, "preferences-grid": "1", "preferences": cells}

    def test_the_week_grid_stores_each_cells_level_and_the_history_says_it_in_words(self) -> None:
        teacher = self.teacher
        grid = am.TimeGridConfig.objects.get(organization=self.org)
        cells = {f"{d}-{p}": "neutral" for d in range(len(grid.working_days)) for p in range(grid.periods_per_day)}
        cells.update({"0-0": "prohibited", "0-1": "strongly_discouraged", "1-0": "preferred",
                      "2-3": "strongly_preferred", "3-1": "discouraged"})
        response = self.client.post(f"/data/faculty/{teacher.pk}/",
                                    self.faculty_form([f"{c}-{level}" for c, level in cells.items()]))
        assert response.status_code == 302, response.content.decode()[:3000]
        teacher.refresh_from_db()
        assert teacher.preferences == [[0, 0, "prohibited"], [0, 1, "strongly_discouraged"], [1, 0, "preferred"],
                                       [2, 3, "strongly_preferred"], [3, 1, "discouraged"]]
        assert teacher.unavailable == [[0, 0]]
        change = am.ChangeRecord.objects.get(kind="faculty", record_id=teacher.pk)
        first_day = grid.working_days[0]
        assert f"{first_day} P1 " in change.changes["preferences"][1]
        assert "prohibited" in change.changes["preferences"][1] and "strongly preferred" in change.changes[
            "preferences"][1]
        # the engine gets the soft levels as preferences, the prohibited slot as unavailable
        from timetabling.web.academics.instance import build_instance

        engine = next(f for f in build_instance(self.org).faculty if f.id == teacher.code)
        assert {(p.day, p.period): p.level.value for p in engine.preferences} == {
            (0, 1): "strongly_discouraged", (1, 0): "preferred", (2, 3): "strongly_preferred", (3, 1): "discouraged"}
        assert engine.unavailable == {(0, 0)}
        # the page draws the stored levels: each cell named by day, time and level
        html = self.client.get(f"/data/faculty/{teacher.pk}/").content.decode()
        assert 'role="grid"' in html and 'aria-label="Monday ' in html and " prohibited\"" in html

    def test_a_level_the_grid_does_not_know_or_a_cell_outside_the_week_is_refused(self) -> None:
        teacher = self.teacher
        before = list(teacher.preferences)
        for bad, why in (("0-0-loathed", "the level must be one of"), ("99-0-preferred", "the week has"),
                         ("x-0-preferred", "is not a cell of the week")):
            response = self.client.post(f"/data/faculty/{teacher.pk}/", self.faculty_form([bad]))
            assert response.status_code == 400
            html = response.content.decode()
            field = html[html.index('id="field-preferences"'):]
            assert why in field[:field.index('id="field-preferences"') + 60000], bad
            teacher.refresh_from_db()
            assert teacher.preferences == before
        # a room takes only available or not
        room = am.Room.objects.filter(organization=self.org).first()
        response = self.client.post(f"/data/rooms/{room.pk}/", {
            "code": room.code, "name": room.name, "capacity": room.capacity, "room_type": room.room_type,
            "unavailable-grid": "1", "unavailable": ["0-0-preferred"]})
        assert response.status_code == 400 and "the level must be one of neutral, prohibited" in (
            response.content.decode())

    def test_a_course_has_an_availability_grid_too(self) -> None:
        response = self.client.post(f"/data/courses/{self.course.pk}/", self.course_form(**{
            "unavailable-grid": "1", "unavailable": ["1-1-prohibited", "1-2-neutral"]}))
        assert response.status_code == 302, response.content.decode()[:3000]
        self.course.refresh_from_db()
        assert self.course.unavailable == [[1, 1]]

    def test_bulk_edit_sets_a_field_on_the_selected_rows_and_records_each(self) -> None:
        rooms = list(am.Room.objects.filter(organization=self.org).order_by("code")[:2])
        response = self.client.post("/data/rooms/bulk/", {"ids": [r.pk for r in rooms], "field": "capacity",
                                                          "apply": "1", "capacity": 333})
        assert response.status_code == 302
        assert {r.capacity for r in am.Room.objects.filter(pk__in=[r.pk for r in rooms])} == {333}
        assert am.ChangeRecord.objects.filter(kind="rooms", changes__capacity__1=333).count() == 2

    def test_the_list_searches_sorts_and_pages(self) -> None:
        html = self.client.get("/data/rooms/?sort=-capacity").content.decode()
        biggest = am.Room.objects.filter(organization=self.org).order_by("-capacity", "code").first()
        first_row = html[html.index("<tbody>"):]
        assert biggest.code in first_row[:first_row.index("</tr>")]
        assert self.client.get("/data/rooms/?sort=password").status_code == 200  # unknown: by code

    def test_deleting_a_record_a_published_timetable_uses_says_so_first(self) -> None:
        _, variants = finished_job(self.client, self.org)
        published = variants[0]
        published.status = TimetableStatus.PUBLISHED
        published.save()
        slot = published.slots.first()
        course = slot.course
        sessions = published.slots.filter(course=course).values("session").distinct().count()
        self.as_user(self.scheduler)
        html = self.client.get(f"/data/courses/{course.pk}/delete/").content.decode()
        assert f"{sessions} session" in html and published.name in html
        assert am.Course.objects.filter(pk=course.pk).exists()  # only asked
        assert self.client.post(f"/data/courses/{course.pk}/delete/", {"confirm": "yes"}).status_code == 302
        assert not am.Course.objects.filter(pk=course.pk).exists()
        assert am.ChangeRecord.objects.get(kind="courses", record_id=course.pk).action == "deleted"

    def test_it_rejects_other_organisations_records_and_roles_that_may_not_edit(self) -> None:
        theirs = am.Course.objects.filter(organization=self.other_org).first()
        assert self.client.get(f"/data/courses/{theirs.pk}/").status_code == 404
        assert self.client.post(f"/data/courses/{theirs.pk}/delete/", {"confirm": "yes"}).status_code == 404
        assert self.client.post("/data/courses/bulk/", {"ids": [theirs.pk], "field": "room_type", "apply": "1",
                                                        "room_type": "x"}).status_code == 302
        assert am.Course.objects.get(pk=theirs.pk).room_type != "x"
        self.as_user(self.approver)
        assert self.client.get(f"/data/courses/{self.course.pk}/").status_code == 403


@FAST_HASHING
class TermPageTests(PersonasTestCase):
    def test_a_term_with_holidays_and_the_time_zone_are_saved_and_bad_ones_refused(self) -> None:
        self.as_user(self.scheduler)
        term = {"form": "term", "academic_year": "2026-27", "semester": 1, "start_date": "2026-08-01",
                "end_date": "2026-12-15", "holidays_text": "2026-10-02\n2026-11-12"}
        assert self.client.post("/terms/", term).status_code == 302
        saved = am.Term.objects.get(organization=self.org)
        assert saved.holidays == ["2026-10-02", "2026-11-12"]
        response = self.client.post("/terms/", {**term, "holidays_text": "2027-01-26"})
        assert response.status_code == 400 and "2027-01-26 is outside the term" in response.content.decode()
        assert self.client.post("/terms/", {**term, "end_date": "2026-07-01"}).status_code == 400
        assert self.client.post("/terms/", {"form": "time_zone", "time_zone": "Mars/Olympus"}).status_code == 400
        assert self.client.post("/terms/", {"form": "time_zone", "time_zone": "Europe/Berlin"}).status_code == 302
        self.org.refresh_from_db()
        assert self.org.time_zone == "Europe/Berlin"
        self.as_user(self.outsider)
        assert self.client.get(f"/terms/{saved.pk}/").status_code == 404
        self.as_user(self.approver)
        assert self.client.get("/terms/").status_code == 403


@FAST_HASHING
class ElectiveChoiceTests(PersonasTestCase):
    def test_a_students_elective_choices_are_edited_on_their_form(self) -> None:
        self.as_user(self.scheduler)
        student, course = self.pupil, am.Course.objects.filter(organization=self.org).order_by("-code").first()
        response = self.client.post(f"/data/students/{student.pk}/", {
            "code": student.code, "name": student.name, "batch": student.batch_id, "electives": [course.pk]})
        assert response.status_code == 302, response.content.decode()[:2000]
        assert list(am.ElectiveChoice.objects.filter(student=student).values_list("course", flat=True)) == [course.pk]
        change = am.ChangeRecord.objects.get(kind="students", record_id=student.pk)
        assert change.changes["electives"][1] == [course.code]

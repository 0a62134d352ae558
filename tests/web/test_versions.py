"""Versions and scope: drafts copy a version, publishing replaces only its scope (the database holds one
published version per scope), rollback re-publishes an older version exactly, the diff names the moves."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from tests.web.drafts_support import DraftTestCase, placements, stored_timetable
from timetabling.web.academics import models as am
from timetabling.web.scheduling.models import Timetable, TimetableStatus


class VersionsTest(DraftTestCase):
    def publish(self, timetable: Timetable):
        self.as_user(self.approver)
        response = self.post_json(f"/api/timetable/timetables/{timetable.pk}/publish/", {})
        self.as_user(self.scheduler)
        return response

    def move_somewhere(self, draft: Timetable) -> tuple[str, int, int, int]:
        course, session = min(placements(draft))[:2]
        cells = self.candidates(draft, course, session)["cells"]
        cell = next(c for c in cells if c["status"] in ("free", "soft") and not c["current"])
        response = self.edit(draft, op="move", course=course, session=session, day=cell["day"], period=cell["period"])
        assert response.status_code == 200, response.content
        return course, session, cell["day"], cell["period"]

    def test_a_draft_copies_its_version_and_edits_leave_the_version_alone(self) -> None:
        self.assertEqual(self.publish(self.variant).status_code, 200)
        published = placements(self.variant)
        draft = self.api_draft()
        self.assertEqual(placements(draft), published)
        self.assertEqual((draft.parent_id, draft.created_by, draft.status),
                         (self.variant.pk, self.scheduler, TimetableStatus.DRAFT))
        self.move_somewhere(draft)
        self.assertEqual(placements(self.variant), published)
        state = self.client.get(f"/api/timetable/drafts/{draft.pk}/").json()
        self.assertEqual(state["edits"][0]["by"], "scheduler")
        self.assertEqual({v["id"] for v in state["versions"]}, {draft.pk, self.variant.pk})

    def test_rollback_restores_the_previous_version_exactly(self) -> None:
        self.publish(self.variant)
        first = placements(self.variant)
        draft = self.api_draft()
        self.move_somewhere(draft)
        self.assertEqual(self.publish(draft).status_code, 200)
        self.variant.refresh_from_db()
        self.assertEqual(self.variant.status, TimetableStatus.ARCHIVED)
        self.as_user(self.scheduler)
        self.assertEqual(self.publish(self.variant).status_code, 200)
        published = Timetable.objects.get(organization=self.org, status=TimetableStatus.PUBLISHED)
        self.assertEqual(published.pk, self.variant.pk)
        self.assertEqual(placements(published), first)
        draft.refresh_from_db()
        self.assertEqual(draft.status, TimetableStatus.ARCHIVED)

    def test_only_approvers_publish(self) -> None:
        self.as_user(self.scheduler)
        self.assertEqual(self.post_json(f"/api/timetable/timetables/{self.variant.pk}/publish/", {}).status_code, 403)

    def test_scoped_publishing_keeps_the_other_departments_published_timetable(self) -> None:
        departments = list(am.Department.objects.filter(organization=self.org, course__isnull=False)
                           .distinct().order_by("code").values_list("pk", flat=True))
        self.assertGreaterEqual(len(departments), 2)
        mine = stored_timetable(self.org, departments[:1], name="first department")
        theirs = stored_timetable(self.org, departments[1:2], name="second department")
        again = stored_timetable(self.org, departments[:1], name="first department, again")
        for t in (mine, theirs):
            self.assertEqual(self.publish(t).status_code, 200)
        self.assertEqual(self.publish(again).status_code, 200)
        status = dict(Timetable.objects.filter(pk__in=[mine.pk, theirs.pk, again.pk]).values_list("pk", "status"))
        self.assertEqual(status, {mine.pk: "archived", theirs.pk: "published", again.pk: "published"})
        # a batch of the second department still reads its sessions from its own published version
        batch = am.Batch.objects.filter(organization=self.org, courses__department_id=departments[1]).first()
        if batch is not None:
            response = self.client.get(f"/api/timetable/batch/{batch.pk}/")
            self.assertEqual(response.json()["timetable"]["id"], theirs.pk)

    def test_the_database_allows_one_published_version_per_scope(self) -> None:
        other = stored_timetable(self.org, name="another")
        Timetable.objects.filter(pk=self.variant.pk).update(status=TimetableStatus.PUBLISHED)
        with self.assertRaises(IntegrityError), transaction.atomic():
            Timetable.objects.filter(pk=other.pk).update(status=TimetableStatus.PUBLISHED)
        Timetable.objects.filter(pk=other.pk).update(status=TimetableStatus.PUBLISHED, semester=2)  # another scope

    def test_the_diff_names_the_moved_session(self) -> None:
        draft = self.api_draft()
        course, _session, day, period = self.move_somewhere(draft)
        response = self.client.get(f"/api/timetable/diff/{self.variant.pk}/{draft.pk}/")
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(body["summary"]["moved_in_time"], 1)
        self.assertEqual([(s["course"], s["new"]["day"], s["new"]["period"]) for s in body["sessions"]],
                         [(course, day, period)])
        self.assertTrue(body["per_batch"] or body["per_faculty"])
        self.as_user(self.outsider)
        self.assertEqual(self.client.get(f"/api/timetable/diff/{self.variant.pk}/{draft.pk}/").status_code, 404)

    def test_the_diff_page_highlights_the_moved_session(self) -> None:
        draft = self.api_draft()
        course, *_ = self.move_somewhere(draft)
        response = self.client.get(f"/admin/timetables/{self.variant.pk}/diff/{draft.pk}")
        self.assertEqual(response.status_code, 200)
        page = response.content.decode()
        self.assertIn(f'<th scope="row">{course}</th>', page)
        self.assertIn("1 session(s) moved in time", page)

    def test_the_dashboard_shows_what_a_data_change_breaks(self) -> None:
        self.publish(self.variant)
        self.as_user(self.scheduler)
        self.assertNotContains(self.client.get("/"), "what-breaks")
        slot = next(s for s in self.variant.slots.select_related("faculty", "course") if s.faculty_id)
        slot.faculty.unavailable = [[slot.day, slot.period]]
        slot.faculty.save()  # the faculty member can no longer teach then
        page = self.client.get("/").content.decode()
        self.assertIn('id="what-breaks"', page)
        self.assertIn(slot.course.code, page)

    def test_a_repair_makes_a_draft_that_fixes_what_the_data_change_broke(self) -> None:
        self.publish(self.variant)
        slot = next(s for s in self.variant.slots.select_related("faculty") if s.faculty_id)
        slot.faculty.unavailable = [[slot.day, slot.period]]
        slot.faculty.save()
        self.as_user(self.scheduler)
        response = self.post_json(f"/api/timetable/timetables/{self.variant.pk}/repair/", {})
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertGreaterEqual(body["changes"]["summary"]["moved_in_time"], 1)
        draft = Timetable.objects.get(pk=body["draft"]["id"])
        self.assertEqual((draft.status, draft.parent_id), (TimetableStatus.DRAFT, self.variant.pk))
        self.assertEqual(draft.report.hard_total, 0)
        self.assertEqual(Timetable.objects.get(pk=self.variant.pk).status, TimetableStatus.PUBLISHED)

"""Editing a draft through the API: the candidate query, checked moves, refusals that store nothing, stale edits,
undo and redo, bad input, roles, other organizations and CSRF."""

from __future__ import annotations

from django.test import Client

from tests.web.drafts_support import DraftTestCase, placements
from timetabling.web.academics import models as am
from timetabling.web.scheduling.models import Timetable, TimetableEdit


class EditsApiTest(DraftTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.draft = self.api_draft()
        first = min(placements(self.draft))
        self.course, self.session = first[0], first[1]

    def cell(self, status: str) -> dict:
        found = self.candidates(self.draft, self.course, self.session)
        return next(c for c in found["cells"] if c["status"] == status and not c["current"])

    def test_the_candidate_query_marks_every_cell(self) -> None:
        found = self.candidates(self.draft, self.course, self.session)
        statuses = {c["status"] for c in found["cells"]}
        self.assertIn("hard", statuses)
        self.assertTrue(statuses & {"free", "soft"})
        self.assertEqual(sum(c["current"] for c in found["cells"]), 1)
        hard = next(c for c in found["cells"] if c["status"] == "hard")
        self.assertTrue(hard["reason"])

    def test_it_refuses_a_move_that_breaks_a_hard_rule_and_stores_nothing(self) -> None:
        before = placements(self.draft)
        version = Timetable.objects.get(pk=self.draft.pk).slots_version
        bad = self.cell("hard")
        response = self.edit(self.draft, op="move", course=self.course, session=self.session, day=bad["day"],
                             period=bad["period"])
        self.assertEqual(response.status_code, 400, response.content)
        body = response.json()
        self.assertIn("breaks a hard rule", body["message"])
        self.assertTrue(body["error"].get("rules") or body.get("rules"), body)
        self.assertEqual(placements(self.draft), before)
        self.assertEqual(Timetable.objects.get(pk=self.draft.pk).slots_version, version)
        self.assertFalse(TimetableEdit.objects.filter(timetable=self.draft).exists())

    def test_a_checked_move_is_stored_and_undo_and_redo_restore_it(self) -> None:
        before = placements(self.draft)
        good = self.cell("free") if any(c["status"] == "free" for c in self.candidates(
            self.draft, self.course, self.session)["cells"] if not c["current"]) else self.cell("soft")
        response = self.edit(self.draft, op="move", course=self.course, session=self.session, day=good["day"],
                             period=good["period"])
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["report"]["hard_total"], 0)
        moved = placements(self.draft)
        self.assertNotEqual(moved, before)
        self.assertTrue(all((p[2], p[3]) == (good["day"], good["period"]) for p in moved
                            if p[:2] == (self.course, self.session)))
        self.assertEqual(self.post_json(f"/api/timetable/drafts/{self.draft.pk}/undo/", {}).status_code, 200)
        self.assertEqual(placements(self.draft), before)
        redo = self.post_json(f"/api/timetable/drafts/{self.draft.pk}/redo/", {})
        self.assertEqual(redo.status_code, 200, redo.content)
        self.assertEqual(placements(self.draft), moved)
        self.assertEqual(self.post_json(f"/api/timetable/drafts/{self.draft.pk}/redo/", {}).status_code, 409)

    def test_a_stale_edit_gets_409_and_loses_nothing(self) -> None:
        self.draft.refresh_from_db()
        stale = self.draft.slots_version
        self.assertEqual(self.edit(self.draft, op="lock", course=self.course, session=self.session).status_code, 200)
        after_first = placements(self.draft), Timetable.objects.get(pk=self.draft.pk).locks
        response = self.edit(self.draft, op="unlock", course=self.course, session=self.session, base_version=stale)
        self.assertEqual(response.status_code, 409)
        self.assertIn("someone else changed this draft", response.json()["message"])
        self.assertEqual((placements(self.draft), Timetable.objects.get(pk=self.draft.pk).locks), after_first)

    def test_a_locked_session_cannot_be_moved(self) -> None:
        self.assertEqual(self.edit(self.draft, op="lock", course=self.course, session=self.session).status_code, 200)
        good = next(c for c in self.candidates(self.draft, self.course, self.session)["cells"] if not c["current"])
        response = self.edit(self.draft, op="move", course=self.course, session=self.session, day=good["day"],
                             period=good["period"])
        self.assertEqual(response.status_code, 400)
        self.assertIn("locked", response.json()["message"])

    def test_it_names_a_slot_or_room_that_does_not_exist_or_a_deleted_course(self) -> None:
        before = placements(self.draft)
        outside = self.edit(self.draft, op="move", course=self.course, session=self.session, day=40, period=0)
        self.assertEqual(outside.status_code, 400)
        self.assertIn("slot [40, 0] does not exist", outside.json()["message"])
        room = self.edit(self.draft, op="room", course=self.course, session=self.session, room="NO-SUCH-ROOM")
        self.assertEqual(room.status_code, 400)
        self.assertIn("unknown room 'NO-SUCH-ROOM'", room.json()["message"])
        am.Course.objects.filter(organization=self.org, code=self.course).delete()
        lock = self.edit(self.draft, op="lock", course=self.course, session=self.session)
        self.assertEqual(lock.status_code, 400)
        self.assertIn(f"unknown course '{self.course}'", lock.json()["message"])
        self.assertEqual([p for p in placements(self.draft)], [p for p in before if p[0] != self.course])

    def test_a_published_timetable_is_never_edited(self) -> None:
        self.as_user(self.approver)
        self.assertEqual(self.post_json(f"/api/timetable/timetables/{self.variant.pk}/publish/", {}).status_code, 200)
        self.as_user(self.scheduler)
        response = self.edit(self.variant, op="lock", course=self.course, session=self.session)
        self.assertEqual(response.status_code, 409)
        self.assertIn("edits go to a draft", response.json()["message"])

    def test_it_rejects_other_organisations_draft(self) -> None:
        self.as_user(self.outsider)
        self.assertEqual(self.edit(self.draft, op="lock", course=self.course).status_code, 404)
        response = self.client.get(f"/api/timetable/drafts/{self.draft.pk}/candidates/", {"course": self.course})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.post_json(f"/api/timetable/timetables/{self.draft.pk}/draft/", {}).status_code, 404)

    def test_students_and_faculty_may_not_edit(self) -> None:
        for user in (self.student_user, self.faculty_user, self.approver):
            self.as_user(user)
            self.assertEqual(self.edit(self.draft, op="lock", course=self.course).status_code, 403)
            self.assertEqual(self.client.get(f"/api/timetable/drafts/{self.draft.pk}/candidates/",
                                             {"course": self.course}).status_code, 403)

    def test_session_writes_need_the_csrf_token(self) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.scheduler)
        url = f"/api/timetable/drafts/{self.draft.pk}/edits/"
        body = {"op": "lock", "course": self.course, "session": self.session, "base_version": 0}
        self.draft.refresh_from_db()
        body["base_version"] = self.draft.slots_version
        self.assertEqual(client.post(url, body, content_type="application/json").status_code, 403)
        token = client.get("/api/auth/csrf/").json()["csrf_token"]
        response = client.post(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
        self.assertEqual(response.status_code, 200, response.content)

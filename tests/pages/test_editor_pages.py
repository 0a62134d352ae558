"""The review page as the draft editor's host: the editor (and its script) only on a draft and for those who may
edit; "Make a draft", "Publish" and rollback buttons by role; the versions with links to their diffs."""

from __future__ import annotations

from tests.web.drafts_support import DraftTestCase
from timetabling.web.scheduling.models import Timetable, TimetableStatus


class EditorPageTest(DraftTestCase):
    def review(self, timetable: Timetable) -> str:
        response = self.client.get(f"/admin/timetables/{timetable.pk}/review")
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_a_draft_opens_in_the_editor_with_its_version_and_the_sessions_it_can_move(self) -> None:
        draft = self.api_draft()
        page = self.review(draft)
        self.assertIn(f'data-api="/api/timetable/drafts/{draft.pk}/"', page)
        self.assertIn(f'data-version="{draft.slots_version}"', page)
        self.assertIn("/static/pages/editor.js", page)
        self.assertIn('draggable="true"', page)
        self.assertIn('data-day="0" data-period="0"', page)
        self.assertIn('aria-live="polite"', page)
        self.assertNotIn("style=", page)  # the Content-Security-Policy forbids inline styles
        self.assertNotIn("onclick", page)

    def test_a_published_version_is_read_only_and_offers_a_draft(self) -> None:
        self.as_user(self.approver)
        self.client.post(f"/admin/timetables/{self.variant.pk}/publish")
        self.as_user(self.scheduler)
        page = self.review(self.variant)
        self.assertNotIn('id="editor"', page)
        self.assertNotIn("editor.js", page)
        self.assertIn("Make a draft", page)
        self.as_user(self.approver)  # an approver may review; edits are the schedulers'
        draft = self.api_draft()
        self.as_user(self.approver)
        page = self.review(draft)
        self.assertNotIn('id="editor"', page)
        self.assertIn(">Publish</button>", page)

    def test_make_a_draft_then_publish_it_from_the_page(self) -> None:
        self.as_user(self.scheduler)
        response = self.client.post(f"/admin/timetables/{self.variant.pk}/draft?kind=room")
        draft = Timetable.objects.filter(parent=self.variant).get()
        self.assertRedirects(response, f"/admin/timetables/{draft.pk}/review?kind=room", fetch_redirect_response=False)
        self.assertEqual(draft.status, TimetableStatus.DRAFT)
        self.assertEqual(self.client.post(f"/admin/timetables/{draft.pk}/publish").status_code, 403)
        self.as_user(self.approver)
        self.client.post(f"/admin/timetables/{draft.pk}/publish")
        draft.refresh_from_db()
        self.assertEqual(draft.status, TimetableStatus.PUBLISHED)
        page = self.review(draft)
        self.assertIn(f'href="/admin/timetables/{self.variant.pk}/diff/{draft.pk}"', page)

    def test_an_archived_version_is_published_again_as_a_rollback(self) -> None:
        self.as_user(self.approver)
        self.client.post(f"/admin/timetables/{self.variant.pk}/publish")
        draft = self.api_draft()
        self.as_user(self.approver)
        self.client.post(f"/admin/timetables/{draft.pk}/publish")
        self.variant.refresh_from_db()
        self.assertEqual(self.variant.status, TimetableStatus.ARCHIVED)
        self.assertIn("Publish again (roll back)", self.review(self.variant))
        self.client.post(f"/admin/timetables/{self.variant.pk}/publish")
        self.assertEqual(dict(Timetable.objects.filter(pk__in=[self.variant.pk, draft.pk]).values_list("pk", "status")),
                         {self.variant.pk: "published", draft.pk: "archived"})
        self.as_user(self.faculty_user)  # people who read timetables do not see the review page at all
        self.assertEqual(self.client.get(f"/admin/timetables/{draft.pk}/review").status_code, 403)

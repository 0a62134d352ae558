"""Repair as a background job: the dashboard's Repair button starts a job (``mode: "repair"``) with a status
page like a generation's, and the job proposes a minimal-change draft, with its diff, for approval."""

from __future__ import annotations

from unittest import mock

from tests.web.drafts_support import DraftTestCase
from timetabling.web.scheduling import repair_jobs
from timetabling.web.scheduling.models import GenerationJob, JobStatus, Timetable, TimetableStatus


class RepairJobTest(DraftTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.as_user(self.approver)
        assert self.post_json(f"/api/timetable/timetables/{self.variant.pk}/publish/", {}).status_code == 200
        slot = next(s for s in self.variant.slots.select_related("faculty") if s.faculty_id)
        slot.faculty.unavailable = [[slot.day, slot.period]]
        slot.faculty.save()  # the published timetable now breaks a hard rule
        self.as_user(self.scheduler)

    def start(self, run: bool = True):
        """Press the dashboard's Repair button; with ``run``, the job runs at once instead of in a thread."""
        with mock.patch.object(repair_jobs, "launch", repair_jobs.run_repair if run else lambda job_id: None), \
                self.captureOnCommitCallbacks(execute=True):
            return self.client.post(f"/admin/timetables/{self.variant.pk}/repair")

    def test_the_dashboard_offers_a_repair_of_what_the_data_change_broke(self) -> None:
        page = self.client.get("/").content.decode()
        self.assertIn(f'action="/admin/timetables/{self.variant.pk}/repair"', page)
        self.as_user(self.approver)  # approvers publish; they do not start jobs
        self.assertNotIn(f'action="/admin/timetables/{self.variant.pk}/repair"', self.client.get("/").content.decode())
        self.assertEqual(self.client.post(f"/admin/timetables/{self.variant.pk}/repair").status_code, 403)

    def test_the_repair_job_proposes_a_clash_free_draft_and_its_status_page_links_the_diff(self) -> None:
        response = self.start()
        job = GenerationJob.objects.get(metadata__mode="repair")
        self.assertRedirects(response, f"/admin/timetables/status/{job.id}", fetch_redirect_response=False)
        self.assertEqual((job.status, job.progress), (JobStatus.COMPLETED, 100))
        draft = Timetable.objects.get(pk=job.metadata["draft"])
        self.assertEqual((draft.status, draft.parent_id, draft.generation_job_id),
                         (TimetableStatus.DRAFT, self.variant.pk, job.pk))
        self.assertEqual(draft.report.hard_total, 0)
        self.assertGreaterEqual(job.metadata["repair"]["moved_in_time"], 1)
        self.assertEqual(Timetable.objects.get(pk=self.variant.pk).status, TimetableStatus.PUBLISHED)
        page = self.client.get(f"/admin/timetables/status/{job.id}").content.decode()
        self.assertIn("<h1>Repair", page)
        self.assertIn(f'href="/admin/timetables/{self.variant.pk}/diff/{draft.pk}"', page)
        self.assertNotIn("data-ws=", page)  # the web backend runs it: the page polls
        self.assertEqual(self.client.get(f"/admin/timetables/{self.variant.pk}/diff/{draft.pk}").status_code, 200)

    def test_a_repair_cancelled_while_the_engine_works_stores_no_draft(self) -> None:
        self.start(run=False)
        job = GenerationJob.objects.get(metadata__mode="repair")
        self.assertNotEqual(job.status, JobStatus.COMPLETED)
        self.client.post(f"/admin/timetables/status/{job.id}/cancel")
        repair_jobs.run_repair(job.pk)
        job.refresh_from_db()
        self.assertEqual(job.status, JobStatus.CANCELLED)
        self.assertFalse(Timetable.objects.filter(generation_job=job).exists())

    def test_a_re_run_repairs_the_same_version_again(self) -> None:
        self.start()
        job = GenerationJob.objects.get(metadata__mode="repair")
        with mock.patch.object(repair_jobs, "launch", repair_jobs.run_repair), \
                self.captureOnCommitCallbacks(execute=True):
            self.client.post(f"/admin/timetables/status/{job.id}/rerun")
        again = GenerationJob.objects.exclude(pk=job.pk).get(metadata__mode="repair")
        self.assertEqual((again.status, again.metadata["source_timetable"]), (JobStatus.COMPLETED, self.variant.pk))

    def test_a_repair_the_engine_refuses_fails_the_job_with_the_reason(self) -> None:
        Timetable.objects.filter(pk=self.variant.pk).update(locks=[{"course": "NO-SUCH-COURSE", "session": 0,
                                                                    "day": 0, "period": 0}])
        self.start()
        job = GenerationJob.objects.get(metadata__mode="repair")
        self.assertEqual(job.status, JobStatus.FAILED)
        self.assertIn("NO-SUCH-COURSE", job.error_message)

    def test_approving_the_repair_publishes_its_draft_in_place_of_the_broken_version(self) -> None:
        self.start()
        job = GenerationJob.objects.get(metadata__mode="repair")
        self.as_user(self.approver)
        response = self.client.post(f"/admin/timetables/{job.metadata['draft']}/decide", {"action": "approve"})
        self.assertEqual(response.status_code, 302)
        status = dict(Timetable.objects.filter(pk__in=[self.variant.pk, job.metadata["draft"]])
                      .values_list("pk", "status"))
        self.assertEqual(status, {self.variant.pk: "archived", job.metadata["draft"]: "published"})
        self.assertNotIn('id="what-breaks"', self.client.get("/").content.decode())  # nothing breaks any more

    def test_an_outsider_or_a_visitor_cannot_start_a_repair(self) -> None:
        url = f"/admin/timetables/{self.variant.pk}/repair"
        self.as_user(self.outsider)  # an org admin of another organization: the timetable is not there for them
        self.assertEqual(self.client.post(url).status_code, 404)
        self.as_user(None)
        response = self.client.post(url)
        self.assertEqual(response.status_code, 302)
        self.assertIn("/signin/", response["Location"])
        self.assertFalse(GenerationJob.objects.filter(metadata__mode="repair").exists())

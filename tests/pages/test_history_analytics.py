"""The job history (filters, pages, CSV) and the analytics charts (server-side SVG, no script)."""

from __future__ import annotations

import csv
import io

from tests.web.support import PersonasTestCase, placed_entries
from timetabling.web.scheduling import services
from timetabling.web.scheduling.models import GenerationJob, JobStatus


class HistoryTest(PersonasTestCase):
    def setUp(self) -> None:
        super().setUp()
        for year, status, by in (("2026-27", JobStatus.COMPLETED, self.scheduler),
                                 ("2026-27", JobStatus.FAILED, self.admin),
                                 ("2025-26", JobStatus.CANCELLED, self.scheduler)):
            job = GenerationJob.objects.create(organization=self.org, academic_year=year, semester=1, created_by=by,
                                               status=JobStatus.RUNNING, metadata={"variants": ["Balanced"]})
            if status == JobStatus.COMPLETED:
                services.store_result(job, status, [{"name": "Balanced", "entries": placed_entries(self.org),
                                                     "score": 80.0}], 2.5)
            else:
                services.submission.finish_without_result(job, status, "=cmd|' /C calc'!A0")
        GenerationJob.objects.create(organization=self.other_org, academic_year="2026-27", semester=1)
        self.as_user(self.approver)

    def rows(self, **params: str) -> list[dict[str, str]]:
        response = self.client.get("/admin/timetables/history", {**params, "format": "csv"})
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        return list(csv.DictReader(io.StringIO(response.content.decode())))

    def test_the_csv_holds_every_job_of_the_organization_and_no_formula(self) -> None:
        rows = self.rows()
        self.assertEqual(sorted(r["status"] for r in rows), ["cancelled", "completed", "failed"])
        self.assertTrue(all(r["error"] in ("", "'=cmd|' /C calc'!A0") for r in rows))
        self.assertEqual(next(r for r in rows if r["status"] == "completed")["generation_time_s"], "2.5")

    def test_filters_by_status_term_and_who(self) -> None:
        self.assertEqual([r["status"] for r in self.rows(status="failed")], ["failed"])
        self.assertEqual([r["status"] for r in self.rows(term="2025-26/1")], ["cancelled"])
        self.assertEqual(sorted(r["created_by"] for r in self.rows(who="scheduler")), ["scheduler", "scheduler"])
        self.assertEqual(self.rows(term="nonsense"), [])

    def test_the_page_lists_and_pages(self) -> None:
        page = self.client.get("/admin/timetables/history", {"status": "completed"}).content.decode()
        self.assertIn("Page 1 of 1 (1 jobs)", page)
        self.assertIn("2.5", page)

    def test_faculty_may_not_see_the_history(self) -> None:
        self.as_user(self.faculty_user)
        self.assertEqual(self.client.get("/admin/timetables/history").status_code, 403)

    def test_analytics_draws_svg_charts_of_the_runs(self) -> None:
        page = self.client.get("/admin/timetables/analytics").content.decode()
        for title in ("Generation time per run", "Outcomes per week", "Soft cost per variant",
                      "Hard violations per variant"):
            self.assertIn(f"<title>{title}</title>", page)
        self.assertNotIn("<script>", page.split("<main")[1])
        self.assertIn("Balanced", page)

"""Time per stage and time to the first clash-free timetable: noted from the engine's progress events, drawn on
the analytics page."""

from __future__ import annotations

import json

from tests.web.support import CALLBACK_URL, PersonasTestCase, placed_entries, signed_headers
from timetabling.web.scheduling import services, timings
from timetabling.web.scheduling.models import GenerationJob, JobStatus

PLACING = "placing core courses of 2 departments"


class StageTimingTests(PersonasTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.job = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1,
                                                metadata={"phase": "queued", "variants": ["Balanced"]})

    def deliver(self, **body) -> None:
        raw = json.dumps({"job_id": str(self.job.pk), "status": "running", **body}).encode()
        assert self.client.post(CALLBACK_URL, data=raw, content_type="application/json",
                                **signed_headers(raw)).status_code == 200

    def run_job(self) -> None:
        self.deliver(progress=1, phase="looking at the machine's cores", elapsed_s=0.1)
        self.deliver(progress=3, phase="grouping the courses that share students, faculty or rooms", elapsed_s=0.5)
        self.deliver(progress=10, phase=PLACING, elapsed_s=1.0)
        self.deliver(progress=30, phase=PLACING, elapsed_s=4.0)  # the same phase: no new entry
        self.deliver(progress=36, phase="removing the last clashes", elapsed_s=6.0)
        self.deliver(progress=40, phase="removing the last clashes", elapsed_s=7.5, objective=120.0)
        self.deliver(progress=45, phase="improving variant Balanced", elapsed_s=8.0, objective=110.0,
                     variant="Balanced")
        self.deliver(progress=70, phase="improving variant Compact", elapsed_s=10.0, objective=90.0,
                     variant="Compact")
        self.deliver(progress=99, phase="finished", elapsed_s=12.0)
        services.store_result(self.job, JobStatus.COMPLETED, [{"name": "Balanced", "entries": placed_entries(self.org),
                                                               "score": 80.0}], 12.5)
        self.job.refresh_from_db()

    def test_each_phase_start_and_the_first_soft_cost_are_noted(self) -> None:
        self.run_job()
        m = self.job.metadata
        assert [phase for phase, _ in m["stages"]] == [
            "looking at the machine's cores", "grouping the courses that share students, faculty or rooms", PLACING,
            "removing the last clashes", "improving variant Balanced", "improving variant Compact", "finished"]
        assert m["stages"][2] == [PLACING, 1.0]
        assert m["first_timetable_s"] == 7.5

    def test_time_per_stage_joins_the_variants_and_ends_at_the_generation_time(self) -> None:
        self.run_job()
        assert timings.stage_seconds(self.job.metadata) == {
            "looking at the machine's cores": 0.4, "grouping the courses that share students, faculty or rooms": 0.5,
            "placing the courses": 5.0, "removing the last clashes": 2.0, "improving the variants": 4.0}

    def test_a_running_job_leaves_its_open_phase_out(self) -> None:
        assert timings.stage_seconds({"stages": [["placing x", 1.0], ["removing the last clashes", 3.0]]}) == {
            "placing the courses": 2.0}

    def test_the_phases_noted_stay_bounded(self) -> None:
        metadata: dict = {}
        for i in range(timings.STAGE_ENTRIES + 20):
            metadata = timings.note_phase(metadata, f"improving variant V{i}", float(i), None)
        assert len(metadata["stages"]) == timings.STAGE_ENTRIES
        assert "first_timetable_s" not in metadata

    def test_the_analytics_page_draws_time_per_stage_and_to_the_first_timetable(self) -> None:
        self.run_job()
        self.as_user(self.approver)
        page = self.client.get("/admin/timetables/analytics").content.decode()
        assert "<title>Time per stage per run</title>" in page
        assert ": 5 placing the courses</title></rect>" in page
        assert ": 4 improving the variants</title></rect>" in page
        assert "first clash-free timetable, " in page and ": 7.5</title></circle>" in page

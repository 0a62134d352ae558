"""The live convergence series: the engine's soft cost per variant, kept on the job and shown by the progress API."""

from __future__ import annotations

import json

from tests.web.support import CALLBACK_URL, PersonasTestCase, signed_headers
from timetabling.web.scheduling.models import GenerationJob
from timetabling.web.scheduling.services import CONVERGENCE_POINTS, add_point


class ConvergenceTests(PersonasTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.job = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1,
                                                metadata={"phase": "queued"})

    def deliver(self, **body):
        raw = json.dumps({"job_id": str(self.job.pk), "status": "running", **body}).encode()
        return self.client.post(CALLBACK_URL, data=raw, content_type="application/json", **signed_headers(raw))

    def test_the_soft_cost_reported_while_improving_reaches_the_progress_api(self) -> None:
        assert self.deliver(progress=45, phase="improving variant Balanced", eta_seconds=20, objective=90.0,
                            variant="Balanced", elapsed_s=3.5).status_code == 200
        self.deliver(progress=50, phase="improving variant Balanced", objective=70.0, variant="Balanced", elapsed_s=5.0)
        self.deliver(progress=55, phase="placing courses", eta_seconds=12)  # no soft cost: no point
        self.as_user(self.scheduler)
        data = self.client.get(f"/api/timetable/progress/{self.job.pk}/").json()
        assert data["convergence"] == {"Balanced": [[3.5, 90.0], [5.0, 70.0]]}
        assert data["phase"] == "placing courses" and data["eta_seconds"] == 12

    def test_a_long_series_stays_bounded_and_spans_the_whole_run(self) -> None:
        series: dict = {}
        for second in range(1000):
            series = add_point(series, ("Balanced", float(second), 1000.0 - second))
        points = series["Balanced"]
        assert len(points) <= CONVERGENCE_POINTS
        assert points[0][0] == 0.0 and points[-1][0] == 999.0
        assert [p[0] for p in points] == sorted(p[0] for p in points)

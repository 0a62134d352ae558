"""The lower bound on the soft cost, from the engine's messages to what people read: the job's progress
("soft cost X, lower bound B (gap G %)", or "no lower bound known") and each variant of the result."""

from __future__ import annotations

import json

from tests.web.support import CALLBACK_URL, PersonasTestCase, callback_body, signed_headers
from timetabling.service.contract import ProgressMessage
from timetabling.web.scheduling.models import GenerationJob

BOUND = {"value": 40.0, "known": True, "basis": "each teacher's cheapest slots", "by_rule": {"faculty_preference": 40}}


class LowerBoundTests(PersonasTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.job = GenerationJob.objects.create(organization=self.org, academic_year="2026-27", semester=1,
                                                metadata={"variants": ["Balanced"], "time_limit": 5.0})
        self.as_user(self.scheduler)

    def deliver(self, body: dict) -> None:
        raw = json.dumps(body).encode()
        response = self.client.post(CALLBACK_URL, data=raw, content_type="application/json", **signed_headers(raw))
        assert response.status_code == 200, response.content

    def progress(self) -> dict:
        response = self.client.get(f"/api/timetable/progress/{self.job.pk}/")
        assert response.status_code == 200
        return response.json()

    def test_the_progress_shows_the_soft_cost_against_the_lower_bound(self) -> None:
        message = ProgressMessage(str(self.job.pk), "running", 60.0, "improving variant Balanced", None, "",
                                  objective=50.0, variant="Balanced", elapsed_s=3.0, bound=BOUND)
        self.deliver(message.to_dict())
        body = self.progress()
        assert body["cost_line"] == "soft cost 50, lower bound 40 (gap 20.0 %)"
        assert body["lower_bound"]["basis"] == "each teacher's cheapest slots"
        page = self.client.get(f"/admin/timetables/status/{self.job.pk}").content.decode()
        assert "soft cost 50, lower bound 40 (gap 20.0 %)" in page

    def test_without_a_bound_it_says_so_never_bound_0(self) -> None:
        self.deliver({"job_id": str(self.job.pk), "status": "running", "progress": 50, "phase": "optimise",
                      "objective": 75.0, "variant": "Balanced", "elapsed_s": 2.0, "bound": None})
        assert self.progress()["cost_line"] == "soft cost 75, no lower bound known"
        self.deliver({"job_id": str(self.job.pk), "status": "running", "progress": 55, "phase": "optimise"})
        assert self.progress()["cost_line"] == "soft cost 75, no lower bound known"  # the last cost stays

    def test_each_variant_of_the_result_carries_its_bound(self) -> None:
        body = callback_body(self.job.pk, self.org)
        body["variants"][0]["bound"] = BOUND
        self.deliver(body)
        result = self.client.get(f"/api/timetable/result/{self.job.pk}/").json()
        by_name = {t["name"]: t for t in result["timetables"]}
        balanced, faculty = by_name["Balanced"], by_name["Faculty-focused"]
        assert balanced["lower_bound"]["value"] == 40.0 and faculty["lower_bound"] is None
        cost = balanced["checker"]["soft_cost"]
        assert balanced["cost_line"].startswith(f"soft cost {cost:g}, lower bound 40 (gap ")
        assert faculty["cost_line"] == f"soft cost {faculty['checker']['soft_cost']:g}, no lower bound known"

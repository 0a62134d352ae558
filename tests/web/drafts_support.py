"""Builders for the draft and version tests: a real (clash-free) timetable of the tiny university, stored as a
finished job's variant, and helpers to edit it through the API."""

from __future__ import annotations

import functools
from typing import Any

from tests.web.support import PersonasTestCase
from timetabling.engine.model import Solution
from timetabling.web.academics import models as am
from timetabling.web.academics.instance import build_instance
from timetabling.web.scheduling import services
from timetabling.web.scheduling.models import GenerationJob, JobStatus, Timetable, TimetableSlot


@functools.lru_cache(maxsize=1)
def solved_tiny() -> Solution:
    """The engine's clash-free timetable of the tiny university (solved once per test process)."""
    from timetabling.engine.generator import generate_university
    from timetabling.engine.pipeline import PipelineOptions, generate

    result = generate(generate_university("tiny", 0), PipelineOptions(variants=["Balanced"], time_limit=5,
                                                                     workers=1))
    assert result.variants and result.variants[0].report.hard_total == 0
    return result.variants[0].solution


def stored_timetable(org: am.Organization, department_ids: list[int] = (), name: str = "Balanced") -> Timetable:
    """A completed job of ``org`` for these departments with the solved timetable as its one variant."""
    department_ids = list(department_ids)
    instance = build_instance(org, department_ids)
    courses = {c.id for c in instance.courses}
    job = GenerationJob.objects.create(
        organization=org, academic_year="2026-27", semester=1, status=JobStatus.RUNNING,
        metadata={"department_ids": department_ids, "batch_ids": [], "grid": instance.grid.model_dump(mode="json")})
    entries = [{"course": a.course, "session": a.session, "day": a.day, "period": a.period, "room": a.room}
               for a in solved_tiny().assignments if a.course in courses]
    assert services.store_result(job, "completed", [{"name": name, "entries": entries, "score": 90.0}], 1.0)
    return Timetable.objects.get(generation_job=job)


def placements(timetable: Timetable) -> list[tuple[Any, ...]]:
    return sorted(TimetableSlot.objects.filter(timetable=timetable).values_list(
        "course__code", "session", "day", "period", "room__code", "batch_id", "faculty_id"))


class DraftTestCase(PersonasTestCase):
    """The personas with a published timetable of the whole university and a draft made from it."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.variant = stored_timetable(cls.org)

    def api_draft(self, source: Timetable | None = None) -> Timetable:
        self.as_user(self.scheduler)
        response = self.post_json(f"/api/timetable/timetables/{(source or self.variant).pk}/draft/", {})
        assert response.status_code == 200, response.content
        return Timetable.objects.get(pk=response.json()["draft"]["id"])

    def edit(self, draft: Timetable, **body: Any):
        draft.refresh_from_db()
        body.setdefault("base_version", draft.slots_version)
        return self.post_json(f"/api/timetable/drafts/{draft.pk}/edits/", body)

    def candidates(self, draft: Timetable, course: str, session: int = 0) -> dict[str, Any]:
        response = self.client.get(f"/api/timetable/drafts/{draft.pk}/candidates/",
                                   {"course": course, "session": session})
        assert response.status_code == 200, response.content
        return response.json()

"""A run for some departments keeps every other department's published sessions fixed: they still hold their
rooms, faculty and students, so the new timetable cannot clash with them."""

from __future__ import annotations

from django.test import override_settings

from tests.web.drafts_support import DraftTestCase
from tests.web.support import FAKE_CLIENT, FakeEngineClient
from timetabling.engine.checker import check
from timetabling.engine.model import Assignment, Instance, Slot, Solution
from timetabling.engine.pipeline import PipelineOptions, generate
from timetabling.web.academics import models as am
from timetabling.web.academics.instance import build_instance
from timetabling.web.scheduling import reports, services
from timetabling.web.scheduling.models import TimetableSlot


@override_settings(ENGINE_CLIENT=FAKE_CLIENT)
class ScopedGenerationTest(DraftTestCase):
    def setUp(self) -> None:
        super().setUp()
        FakeEngineClient.reset()
        self.as_user(self.approver)  # the whole university's timetable is published
        assert self.post_json(f"/api/timetable/timetables/{self.variant.pk}/publish/", {}).status_code == 200
        self.department = (am.Department.objects.filter(organization=self.org, course__isnull=False)
                           .distinct().order_by("code").first())

    def start(self) -> tuple[Instance, dict]:
        job = services.start_generation(self.org, self.scheduler, "2026-27", 1, [self.department.pk], (),
                                        ["Balanced"], 5)
        return Instance.model_validate(FakeEngineClient.submitted[-1]["instance"]), job.metadata

    def test_the_other_departments_published_sessions_block_their_rooms_faculty_and_batches(self) -> None:
        instance, metadata = self.start()
        ours = {c.id for c in instance.courses}
        self.assertTrue(ours)
        self.assertTrue(all(c.department == self.department.code for c in instance.courses))
        others = list(TimetableSlot.objects.filter(timetable=self.variant).exclude(course__code__in=ours)
                      .select_related("course", "room", "faculty", "batch"))
        self.assertTrue(others)
        self.assertEqual(metadata["fixed_sessions"], len({(s.course_id, s.session) for s in others}))
        rooms, faculty = instance.room_by_id, instance.faculty_by_id
        checked = 0
        for s in others:
            covered = {Slot(s.day, p) for p in range(s.period, s.period + s.course.session_length)}
            if s.room and s.room.code in rooms:
                self.assertLessEqual(covered, rooms[s.room.code].unavailable, s)
                checked += 1
            if s.faculty and s.faculty.code in faculty:
                self.assertLessEqual(covered, faculty[s.faculty.code].unavailable, s)
                checked += 1
            for c in instance.courses:
                if s.batch and s.batch.code in c.batches:
                    self.assertLessEqual(covered, c.unavailable, (s, c.id))
        self.assertGreater(checked, 0)  # the tiny university's departments share rooms (or faculty)

    def test_the_engine_places_the_department_where_no_published_session_clashes(self) -> None:
        instance, _ = self.start()
        result = generate(instance, PipelineOptions(variants=["Balanced"], time_limit=5, workers=1))
        self.assertTrue(result.variants, result.message)
        ours = {c.id for c in instance.courses}
        kept = [a for a in reports.solution_of(self.variant).assignments if a.course not in ours]
        mine = [Assignment(course=a.course, session=a.session, day=a.day, period=a.period, room=a.room)
                for a in result.variants[0].solution.assignments]
        whole = build_instance(self.org)  # every department: the published ones and the new one together
        report = check(whole, Solution(instance=whole.name, assignments=(*kept, *mine)))
        self.assertEqual(report.hard_total, 0, {r.value: items[:3] for r, items in report.offenders.items()
                                                if report.hard.get(r)})

    def test_a_run_for_the_whole_university_fixes_nothing(self) -> None:
        services.start_generation(self.org, self.scheduler, "2026-27", 1, [], (), ["Balanced"], 5)
        instance = Instance.model_validate(FakeEngineClient.submitted[-1]["instance"])
        self.assertEqual(instance, build_instance(self.org))

"""Stage 1 (categories, conflict graph, parts) and stage 2 (waves of parts merged without clashes)."""

from __future__ import annotations

import psutil
import pytest

from timetabling.engine.checker import check
from timetabling.engine.control import CancelToken
from timetabling.engine.generator import generate_university
from timetabling.engine.model import Batch, Course, CourseKind, Department, Faculty, Instance, Room, Student, TimeGrid
from timetabling.engine.pipeline.clustering import classify, cluster, conflict_graph
from timetabling.engine.pipeline.parts import sub_instance
from timetabling.engine.pipeline.stage2 import decompose
from timetabling.engine.pipeline.waves import allot_rooms, waves_of
from timetabling.engine.timetable.placed import to_solution


def three_departments() -> Instance:
    """A core course, a department elective with one outside student, an open elective from three departments."""
    batches = tuple(Batch(id=f"B{i}", department=f"D{i}", size=2) for i in (1, 2, 3))
    students = (
        Student(id="s1", batch="B1", courses=("DE", "OE")),
        Student(id="s2", batch="B2", courses=("DE", "OE")),
        Student(id="s3", batch="B3", courses=("OE",)),
        Student(id="s4", batch="B1"),
    )
    return Instance(
        grid=TimeGrid.standard(n_days=5, n_periods=4, lunch_after=1),
        departments=tuple(Department(id=f"D{i}") for i in (1, 2, 3)),
        faculty=(Faculty(id="F1"), Faculty(id="F2")),
        batches=batches,
        students=students,
        rooms=(Room(id="R1", capacity=60),),
        courses=(
            Course(id="CORE", department="D1", faculty=("F1",), batches=("B1",), sessions_per_week=2),
            Course(id="DE", department="D1", faculty=("F1",), sessions_per_week=2),
            Course(id="OE", department="D2", faculty=("F2",), sessions_per_week=2),
        ),
    )


def test_courses_are_classified_by_the_departments_they_draw_from():
    kinds = classify(three_departments())
    assert kinds == {"CORE": CourseKind.CORE, "DE": CourseKind.DEPARTMENT_ELECTIVE, "OE": CourseKind.OPEN_ELECTIVE}


def test_the_conflict_graph_weighs_shared_students_and_faculty():
    graph, people = conflict_graph(three_departments())
    # CORE and DE: faculty F1 (50) and student s1 (1); DE and OE: students s1 and s2
    assert graph["CORE"]["DE"]["weight"] == 51
    assert graph["DE"]["OE"]["weight"] == 2
    assert ("CORE", "OE") in people  # s1 attends both


def test_the_report_counts_categories_and_puts_open_electives_first():
    c = cluster(three_departments())
    assert c.category_counts == {"core": 1, "department_elective": 1, "open_elective": 1}
    assert c.parts[0].name == "open electives" and c.parts[0].courses == ("OE",)
    assert sorted(x for p in c.parts for x in p.courses) == ["CORE", "DE", "OE"]
    assert c.summary()["categories"]["open_elective"] == 1


def test_parts_of_one_wave_share_no_people():
    inst = generate_university("small", seed=1)
    c = cluster(inst, seed=1)
    owner = {x: p.name for p in c.parts for x in p.courses}
    for wave in waves_of(c):
        names = {p.name for p in wave}
        for a, b in c.people_links:
            if owner[a] in names and owner[b] in names:
                assert owner[a] == owner[b], f"{a} and {b} share people across parts of one wave"


def test_rooms_of_a_wave_go_to_one_part_each():
    inst = generate_university("small", seed=0)
    wave = max(waves_of(cluster(inst)), key=len)
    allotted = allot_rooms(inst, wave, {})
    given = [r for rooms in allotted.values() for r in rooms]
    assert len(given) == len(set(given))
    assert all(allotted[p.name] for p in wave)


def test_a_sub_instance_pins_placed_courses_in_rooms_of_their_own():
    inst = three_departments()
    placed = {"OE": [(0, "R1"), (5, "R1")]}
    sub = sub_instance(inst, {"CORE", "DE"}, placed, ["R1"], {"R1": {0, 5}})
    pinned = sub.course_by_id["OE"]
    assert pinned.room_type == "held:OE" and len(pinned.fixed) == 2
    assert sub.room_by_id["R1"].unavailable == {(0, 0), (1, 1)}
    assert {s.id for s in sub.students} == {"s1", "s2", "s3"}


@pytest.mark.parametrize("profile", ["tiny", "small"])
def test_the_merged_timetable_of_many_departments_has_no_clash(profile):
    inst = generate_university(profile, seed=0)
    result = decompose(inst, cluster(inst), budget=30, processes=1)
    report = check(inst, to_solution(inst, result.placed))
    assert result.unplaced == {}
    assert report.hard_total == 0, report.offenders
    assert len({p["part"] for p in result.parts}) == len(cluster(inst).parts)


def test_the_parts_of_a_wave_run_side_by_side_in_a_process_pool():
    inst = generate_university("small", seed=0)
    clustering = cluster(inst)
    assert any(len(w) > 1 for w in waves_of(clustering))  # so the pool is used
    result = decompose(inst, clustering, budget=60, processes=2)
    assert result.unplaced == {}
    assert check(inst, to_solution(inst, result.placed)).hard_total == 0


def test_a_cancelled_run_leaves_no_pool_process_behind():
    inst = generate_university("small", seed=0)
    token = CancelToken()
    seen: list[str] = []

    def progress(fraction: float, message: str) -> None:
        seen.append(message)
        if len(seen) == 2:  # a part of the first wave that runs in the pool has finished
            token.cancel()

    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    result = decompose(inst, cluster(inst), budget=60, processes=2, cancel=token, progress=progress)
    assert token.cancelled and result.unplaced
    assert "cancelled before its part was scheduled" in result.unplaced.values()
    started = [p for p in me.children(recursive=True) if p.pid not in before]
    _gone, alive = psutil.wait_procs(started, timeout=20)
    assert alive == []

"""Diagnostics: each check on a tiny situation built to break exactly that check."""

from __future__ import annotations

import pytest

from tests.conftest import tiny_instance
from timetabling.engine.diagnostics import (
    CHECKS,
    Finding,
    batch_weekly_load,
    course_start_slots,
    course_without_faculty,
    course_without_room,
    diagnose,
    errors,
    faculty_daily_load,
    faculty_weekly_load,
    fixed_clashes,
    fixed_slots,
    room_type_capacity,
    session_longer_than_run,
    student_weekly_load,
)
from timetabling.engine.model import (
    DEFAULT_HARD,
    Course,
    Department,
    Faculty,
    Room,
    Rule,
    Rules,
    Slot,
    Student,
    TimeGrid,
)

# the tiny instance: 5 days x 4 periods (20 slots), lunch after period 1, so runs of 2 periods
ALL_DAY = frozenset(Slot(0, p) for p in range(4))


def kinds(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return [(f.severity, f.kind, f.entity) for f in findings]


def test_a_clean_instance_has_no_findings() -> None:
    assert diagnose(tiny_instance()) == []


def test_every_check_is_registered_once() -> None:
    assert len(set(CHECKS)) == len(CHECKS) == 11


def test_diagnose_lists_errors_before_warnings() -> None:
    inst = tiny_instance(
        courses=(
            Course(id="C0", batches=("B1",)),  # no faculty: a warning
            Course(id="C1", faculty=("F1",), batches=("B1",), session_length=3),  # too long: an error
        )
    )
    assert [f.severity for f in diagnose(inst)] == ["error", "warning"]


def test_a_finding_reads_as_one_line() -> None:
    assert str(Finding("error", "no_room", "course C1", "no room")) == "error: course C1: no room"


# ----------------------------------------------------------------------------------------- faculty


def test_it_finds_a_faculty_member_with_more_periods_than_free_slots() -> None:
    # F1 teaches 3 + 2 = 5 periods but is free only on Monday (4 slots)
    unavailable = frozenset(Slot(d, p) for d in range(1, 5) for p in range(4))
    inst = tiny_instance(faculty=(Faculty(id="F1", unavailable=unavailable), Faculty(id="F2")))
    [finding] = [f for f in faculty_weekly_load(inst) if f.kind == "faculty_no_time"]
    assert (finding.severity, finding.entity) == ("error", "faculty F1")
    assert "teaches 5 periods a week but is available for only 4 of the 20 slots" in finding.message


def test_it_finds_a_faculty_member_over_their_weekly_maximum() -> None:
    inst = tiny_instance(faculty=(Faculty(id="F1", max_hours_per_week=4), Faculty(id="F2")))
    assert kinds(list(faculty_weekly_load(inst))) == [("error", "faculty_weekly_hours", "faculty F1")]


def test_a_soft_weekly_maximum_gives_a_warning() -> None:
    rules = Rules(hard=DEFAULT_HARD - {Rule.FACULTY_WEEKLY_HOURS})
    inst = tiny_instance(faculty=(Faculty(id="F1", max_hours_per_week=4), Faculty(id="F2")), rules=rules)
    assert kinds(list(faculty_weekly_load(inst))) == [("warning", "faculty_weekly_hours", "faculty F1")]


def test_it_finds_a_session_longer_than_a_faculty_members_day() -> None:
    # F1 may teach 1 period a day: 5 periods fit 5 days, but the 2-period lab L1 does not fit one day
    inst = tiny_instance(faculty=(Faculty(id="F1", max_hours_per_day=1), Faculty(id="F2")))
    [finding] = faculty_daily_load(inst)
    assert kinds([finding]) == [("error", "faculty_daily_hours", "faculty F1")]
    assert "course L1 has sessions of 2 periods, more than max_hours_per_day (1)" in finding.message


def test_it_finds_a_faculty_member_whose_days_are_too_short() -> None:
    # F2 teaches C2 (2 periods) but may teach 1 a day and is away on four days
    away = frozenset(Slot(d, p) for d in range(1, 5) for p in range(4))
    inst = tiny_instance(faculty=(Faculty(id="F1"), Faculty(id="F2", max_hours_per_day=1, unavailable=away)))
    [finding] = faculty_daily_load(inst)
    assert (finding.kind, finding.entity) == ("faculty_daily_hours", "faculty F2")
    assert "teaches 2 periods a week but can teach at most 1" in finding.message


def test_it_finds_a_session_longer_than_max_consecutive() -> None:
    inst = tiny_instance(faculty=(Faculty(id="F1", max_consecutive=1), Faculty(id="F2")))
    [finding] = faculty_daily_load(inst)
    assert (finding.severity, finding.kind, finding.entity) == ("error", "faculty_consecutive", "faculty F1")
    assert "course L1" in finding.message


# ------------------------------------------------------------------------------ batches, students


def test_it_finds_a_batch_with_more_periods_than_the_grid() -> None:
    inst = tiny_instance(
        courses=(
            Course(id="C1", faculty=("F1",), batches=("B1",), sessions_per_week=10, session_length=2),
            Course(id="C2", faculty=("F2",), batches=("B1", "B2"), sessions_per_week=1),
        )
    )
    [finding] = batch_weekly_load(inst)
    assert kinds([finding]) == [("error", "batch_overloaded", "batch B1")]
    assert "need 21 periods a week but the grid has only 20 slots" in finding.message


def test_it_finds_a_student_whose_electives_overload_the_week() -> None:
    courses = (
        Course(id="C1", faculty=("F1",), batches=("B1",), sessions_per_week=9, session_length=2),
        Course(id="E1", faculty=("F2",), sessions_per_week=3),
    )
    students = (
        Student(id="S1", batch="B1", courses=("E1",)),
        Student(id="S2", batch="B1", courses=("E1",)),
        Student(id="S3", batch="B1"),
    )
    inst = tiny_instance(courses=courses, students=students)
    [finding] = student_weekly_load(inst)
    assert kinds([finding]) == [("error", "student_overloaded", "student S1")]
    assert "2 courses need 21 periods" in finding.message and "1 other student" in finding.message


# ------------------------------------------------------------------------------------------- rooms


def test_it_finds_a_session_longer_than_any_run_without_a_break() -> None:
    inst = tiny_instance(courses=(Course(id="L3", faculty=("F1",), session_length=3, room_type="lab"),))
    [finding] = session_longer_than_run(inst)
    assert kinds([finding]) == [("error", "session_too_long", "course L3")]
    assert "longest run of periods without a break is 2" in finding.message


def test_it_finds_a_course_no_room_fits() -> None:
    inst = tiny_instance(
        courses=(Course(id="C1", faculty=("F1",), batches=("B1",), room_type="lecture", room_features={"proj"}),)
    )
    [finding] = course_without_room(inst)
    assert kinds([finding]) == [("error", "no_room", "course C1")]
    assert finding.message == "no room of type 'lecture' with proj"


def test_it_finds_a_course_larger_than_every_room_it_may_use() -> None:
    # C2 has 50 students (B1 + B2); R1 seats 40; the 80-seat room belongs to another department
    departments = (Department(id="CS"), Department(id="EE"))
    rooms = (
        Room(id="R1", capacity=40),
        Room(id="BIG", capacity=80, department="EE", shared=False),
        Room(id="LAB", capacity=30, type="lab"),
    )
    courses = (Course(id="C2", department="CS", faculty=("F2",), batches=("B1", "B2")),)
    inst = tiny_instance(departments=departments, rooms=rooms, courses=courses)
    [finding] = course_without_room(inst)
    assert kinds([finding]) == [("error", "room_too_small", "course C2")]
    assert "has 50 attendees but the largest room of type 'lecture' it may use seats 40" in finding.message


def test_room_checks_are_off_when_there_are_no_rooms() -> None:
    assert list(course_without_room(tiny_instance(rooms=()))) == []


def test_it_finds_a_room_type_with_too_few_room_periods() -> None:
    # two labs of 2 periods x 5 sessions each = 20 lab-periods; the only lab is closed on Monday (16 left)
    lab = Room(id="LAB", capacity=30, type="lab", unavailable=ALL_DAY)
    courses = (
        Course(id="L1", faculty=("F1",), batches=("B1",), sessions_per_week=5, session_length=2, room_type="lab"),
        Course(id="L2", faculty=("F2",), batches=("B2",), sessions_per_week=5, session_length=2, room_type="lab"),
    )
    inst = tiny_instance(rooms=(Room(id="R1", capacity=40), lab), courses=courses)
    [finding] = room_type_capacity(inst)
    assert kinds([finding]) == [("error", "room_type_overloaded", "room type 'lab'")]
    assert "courses need 20 room-periods a week but the 1 room of this type offer 16" in finding.message


# --------------------------------------------------------------------------------- start slots


def test_it_finds_a_course_with_too_few_start_slots() -> None:
    # L1 (2-period lab) can only start at period 0 or 2; its faculty is away on all days but Monday,
    # and the course itself cannot use Monday afternoon: one start for 2 sessions
    away = frozenset(Slot(d, p) for d in range(1, 5) for p in range(4))
    courses = (
        Course(
            id="L1",
            faculty=("F1",),
            sessions_per_week=2,
            session_length=2,
            room_type="lab",
            unavailable={Slot(0, 3)},
        ),
    )
    inst = tiny_instance(faculty=(Faculty(id="F1", unavailable=away), Faculty(id="F2")), courses=courses)
    [finding] = course_start_slots(inst)
    assert kinds([finding]) == [("error", "too_few_start_slots", "course L1")]
    assert "needs 2 sessions but only 1 fit" in finding.message


def test_a_room_closed_at_every_start_leaves_no_start_slot() -> None:
    lab = Room(id="LAB", capacity=30, type="lab", unavailable=frozenset(Slot(d, 0) for d in range(5)))
    inst = tiny_instance(
        rooms=(Room(id="R1", capacity=40), lab),
        courses=(Course(id="L1", faculty=("F1",), sessions_per_week=6, session_length=2, room_type="lab"),),
    )
    [finding] = course_start_slots(inst)
    assert (finding.kind, finding.entity) == ("too_few_start_slots", "course L1")
    assert "only 5 fit" in finding.message  # afternoons only


def test_it_finds_too_few_days_for_max_per_day() -> None:
    # 3 sessions, at most 1 a day, but the course can meet only on Monday and Tuesday
    closed = frozenset(Slot(d, p) for d in range(2, 5) for p in range(4))
    courses = (Course(id="C1", faculty=("F1",), sessions_per_week=3, unavailable=closed),)
    inst = tiny_instance(courses=courses)
    [finding] = course_start_slots(inst)
    assert kinds([finding]) == [("error", "too_few_days", "course C1")]
    assert "at most 1 a day, but has free slots on only 2 days (room for 2)" in finding.message


def test_it_warns_when_min_days_cannot_be_met() -> None:
    closed = frozenset(Slot(d, p) for d in range(1, 5) for p in range(4))
    courses = (Course(id="C1", faculty=("F1",), sessions_per_week=2, max_per_day=2, min_days=2, unavailable=closed),)
    [finding] = course_start_slots(tiny_instance(courses=courses))
    assert kinds([finding]) == [("warning", "too_few_days", "course C1")]
    assert "should spread over 2 days (min_days) but has free slots on only 1 day" in finding.message


def test_a_course_without_faculty_is_a_warning() -> None:
    inst = tiny_instance(courses=(Course(id="C9", batches=("B1",)),))
    assert kinds(list(course_without_faculty(inst))) == [("warning", "no_faculty", "course C9")]
    assert errors(diagnose(inst)) == []


# ------------------------------------------------------------------------------------ fixed slots


@pytest.mark.parametrize(
    ("fixed", "kind", "words"),
    [
        ((Slot(0, 1),), "fixed_does_not_fit", "fixed slot [0, 1] (Mon P2): a session of 2 periods runs past"),
        ((Slot(2, 3),), "fixed_does_not_fit", "runs past the end of the day or across a break"),
        ((Slot(1, 2),), "fixed_unavailable", "fixed slot [1, 2] (Tue P3): Tue P3 is unavailable"),
        ((Slot(0, 0), Slot(0, 0)), "fixed_overlap", "fixed slot [0, 0] (Mon P1) overlaps another"),
    ],
)
def test_it_finds_a_bad_fixed_slot(fixed: tuple[Slot, ...], kind: str, words: str) -> None:
    faculty = (Faculty(id="F1", unavailable={Slot(1, 2)}), Faculty(id="F2"))
    courses = (Course(id="L1", faculty=("F1",), sessions_per_week=2, session_length=2, fixed=fixed),)
    [finding] = fixed_slots(tiny_instance(faculty=faculty, courses=courses))
    assert (finding.severity, finding.kind, finding.entity) == ("error", kind, "course L1")
    assert words in finding.message


def test_it_finds_two_courses_of_one_batch_fixed_at_the_same_time() -> None:
    courses = (
        Course(id="C1", faculty=("F1",), batches=("B1",), fixed=(Slot(0, 0),)),
        Course(id="C2", faculty=("F2",), batches=("B1",), fixed=(Slot(0, 0),)),
    )
    [finding] = fixed_clashes(tiny_instance(courses=courses))
    assert kinds([finding]) == [("error", "fixed_clash", "batch B1")]
    assert finding.message == "courses C1 and C2 are both fixed at Mon P1"


def test_it_finds_a_faculty_member_fixed_in_two_overlapping_sessions() -> None:
    courses = (
        Course(id="L1", faculty=("F1",), session_length=2, room_type="lab", fixed=(Slot(3, 2),)),
        Course(id="C1", faculty=("F1",), fixed=(Slot(3, 3),)),
    )
    [finding] = fixed_clashes(tiny_instance(courses=courses))
    assert kinds([finding]) == [("error", "fixed_clash", "faculty F1")]
    assert "Thu P4" in finding.message


def test_a_different_grid_changes_the_verdict() -> None:
    # the same 3-period lab fits once the lunch break is gone
    lab = (Course(id="L3", faculty=("F1",), session_length=3, room_type="lab"),)
    assert list(session_longer_than_run(tiny_instance(courses=lab))) != []
    grid = TimeGrid.standard(n_days=5, n_periods=4, lunch_after=None)
    assert diagnose(tiny_instance(courses=lab, grid=grid)) == []

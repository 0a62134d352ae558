"""One test per checker rule: a tiny situation and the exact count."""

from __future__ import annotations

import pytest

from timetabling.engine.checker import check
from timetabling.engine.errors import InputError
from timetabling.engine.model import (
    DEFAULT_HARD,
    DEFAULT_WEIGHTS,
    Assignment,
    Batch,
    Course,
    Faculty,
    Instance,
    PreferredSlot,
    Room,
    Rule,
    Rules,
    Slot,
    Solution,
    Student,
    TimeGrid,
)

MON, TUE, WED = 0, 1, 2
P1, P2, P3, P4 = 0, 1, 2, 3  # lunch between P2 and P3


def build(courses: tuple[Course, ...] | None = None, **overrides) -> Instance:
    """Three faculty, two batches, two lecture rooms and a lab on a 5 x 4 grid with lunch after P2."""
    data = dict(
        name="checker",
        grid=TimeGrid.standard(n_days=5, n_periods=4, lunch_after=1),
        faculty=(Faculty(id="F1"), Faculty(id="F2"), Faculty(id="F3")),
        batches=(Batch(id="B1", size=30), Batch(id="B2", size=20)),
        rooms=(
            Room(id="R1", capacity=60),
            Room(id="R2", capacity=60),
            Room(id="LAB", capacity=30, type="lab", features=frozenset({"pc"})),
        ),
        courses=courses
        or (
            Course(id="C1", faculty=("F1",), batches=("B1",), sessions_per_week=2),
            Course(id="C2", faculty=("F2",), batches=("B1",), sessions_per_week=2),
            Course(id="C3", faculty=("F3",), batches=("B2",)),
            Course(id="L1", faculty=("F3",), batches=("B2",), session_length=2, room_type="lab"),
        ),
    )
    data.update(overrides)
    return Instance(**data)


def a(course: str, session: int, day: int, period: int, room: str | None = "R1") -> Assignment:
    return Assignment(course=course, session=session, day=day, period=period, room=room)


def sol(*assignments: Assignment) -> Solution:
    return Solution(assignments=assignments)


CLEAN = sol(
    a("C1", 0, MON, P1, "R1"),
    a("C1", 1, TUE, P1, "R1"),
    a("C2", 0, MON, P2, "R2"),
    a("C2", 1, TUE, P2, "R2"),
    a("C3", 0, MON, P1, "R2"),
    a("L1", 0, MON, P3, "LAB"),
)


def units(inst: Instance, solution: Solution, rule: Rule) -> int:
    report = check(inst, solution)
    return report.hard[rule] if rule in report.hard else report.soft[rule]


# ------------------------------------------------------------------------------------------ the report


def test_a_clean_timetable_has_no_hard_violation():
    report = check(build(), CLEAN)
    assert report.hard_total == 0
    assert set(report.hard) == set(DEFAULT_HARD)
    assert all(n == 0 for n in report.hard.values())
    assert report.offenders[Rule.FACULTY_CLASH] == []


def test_soft_cost_is_weight_times_units_and_weight_zero_rules_are_left_out():
    report = check(build(), CLEAN)
    # B2 on Monday: C3 at P1, L1 at P3-P4: P2 idle
    assert report.soft[Rule.BATCH_IDLE] == 1
    assert report.soft_cost_by_rule[Rule.BATCH_IDLE] == DEFAULT_WEIGHTS[Rule.BATCH_IDLE]
    assert report.soft_cost == 2
    assert Rule.ISOLATED_SESSION not in report.soft  # weight 0 by default


def test_a_rule_made_hard_is_counted_as_hard():
    rules = Rules(hard=DEFAULT_HARD | {Rule.BATCH_IDLE})
    report = check(build(rules=rules), CLEAN)
    assert report.hard[Rule.BATCH_IDLE] == 1
    assert Rule.BATCH_IDLE not in report.soft
    assert report.hard_total == 1


def test_to_dict_uses_rule_names():
    d = check(build(), CLEAN).to_dict()
    assert d["hard"]["faculty_clash"] == 0
    assert d["hard_total"] == 0
    assert d["soft"]["batch_idle"] == 1
    assert d["soft_cost"] == 2
    assert d["offenders"]["batch_idle"] == ["batch B2: 1 idle period(s) on Mon"]
    assert set(d["metrics"]) >= {"compactness", "sessions_placed_pct"}


# ------------------------------------------------------------------------------------------- input


def test_it_rejects_unknown_courses_rooms_sessions_and_slots():
    bad = sol(
        a("C1", 0, MON, P1),
        a("X", 0, MON, P1),
        a("C1", 2, TUE, P1),
        a("C2", 0, MON, P2, room="R9"),
        a("C2", 1, 5, P1),
        a("C3", 0, MON, 4),
    )
    with pytest.raises(InputError) as err:
        check(build(), bad)
    problems = err.value.problems
    assert problems[0] == "assignments[1].course: unknown course 'X'"
    assert problems[1].startswith("assignments[2].session: session 2")
    assert problems[2] == "assignments[3].room: unknown room 'R9'"
    assert problems[3].startswith("assignments[4]: slot [5, 0] is outside the grid")
    assert problems[4].startswith("assignments[5]: slot [0, 4] is outside the grid")
    assert len(problems) == 5


# ----------------------------------------------------------------------------------------- hard rules


def test_unscheduled_counts_missing_extra_and_duplicate_start_sessions():
    s = sol(
        a("C1", 0, MON, P1),  # C1: one of two -> 1
        a("C2", 0, MON, P2),
        a("C2", 1, MON, P2, "R2"),  # same start as C2#0: one placed -> 1
        a("C3", 0, TUE, P1),
        a("C3", 0, WED, P1),  # extra -> 1
        a("L1", 0, MON, P3, "LAB"),
    )
    report = check(build(), s)
    assert report.hard[Rule.UNSCHEDULED] == 3
    assert "course C2: 1 of 2 sessions placed" in report.offenders[Rule.UNSCHEDULED]
    assert report.hard[Rule.ROOM_CLASH] == 0  # the repeated C2 entry is skipped, like ITC's validator


def test_faculty_clash_counts_pairs_per_period():
    courses = (
        Course(id="C1", faculty=("F1",), batches=("B1",)),
        Course(id="C2", faculty=("F1",), batches=("B2",)),
        Course(id="L1", faculty=("F2",), batches=("B1",), sessions_per_week=2, session_length=2),
        Course(id="L2", faculty=("F2", "F3"), batches=("B2",), session_length=2),
    )
    s = sol(
        a("C1", 0, MON, P1, "R1"),
        a("C2", 0, MON, P1, "R2"),  # F1 twice at Mon P1 -> 1
        a("L1", 0, TUE, P3, "R1"),
        a("L1", 1, TUE, P3, "R2"),  # same course, same start: one session (unscheduled, no clash)
        a("L2", 0, TUE, P3, "LAB"),  # F2 with L1 at Tue P3 and P4 -> 2
    )
    report = check(build(courses), s)
    assert report.hard[Rule.FACULTY_CLASH] == 3
    assert report.hard[Rule.BATCH_CLASH] == 0
    assert "faculty F1: C1#0 and C2#0 at Mon P1" in report.offenders[Rule.FACULTY_CLASH]


def test_two_overlapping_sessions_of_one_course_are_a_faculty_clash():
    courses = (Course(id="L1", faculty=("F1",), batches=("B1",), sessions_per_week=2, session_length=2),)
    s = sol(a("L1", 0, MON, P2), a("L1", 1, MON, P1, "R2"))  # both at Mon P2
    report = check(build(courses), s)
    assert report.hard[Rule.FACULTY_CLASH] == 1
    assert report.offenders[Rule.FACULTY_CLASH] == ["course L1: L1#0 and L1#1 at Mon P2"]


def test_batch_clash_counts_pairs_not_already_a_faculty_clash():
    courses = (
        Course(id="C1", faculty=("F1",), batches=("B1",)),
        Course(id="C2", faculty=("F2",), batches=("B1", "B2")),
        Course(id="C3", faculty=("F1",), batches=("B1",)),
    )
    s = sol(a("C1", 0, MON, P1, "R1"), a("C2", 0, MON, P1, "R2"), a("C3", 0, MON, P1, "LAB"))
    report = check(build(courses), s)
    # pairs: C1-C2 batch, C2-C3 batch, C1-C3 faculty (F1) and batch -> counted once, as faculty
    assert report.hard[Rule.BATCH_CLASH] == 2
    assert report.hard[Rule.FACULTY_CLASH] == 1
    assert "batch B1: C1#0 and C2#0 at Mon P1" in report.offenders[Rule.BATCH_CLASH]


def test_student_clash_counts_each_student_of_an_elective_pair_once():
    courses = (
        Course(id="C1", faculty=("F1",), batches=("B1",)),
        Course(id="C2", faculty=("F2",), batches=("B1",)),
        Course(id="E1", faculty=("F3",)),  # an elective: individual enrolments only
    )
    students = (
        Student(id="S1", batch="B1", courses=("E1",)),
        Student(id="S2", batch="B1", courses=("E1",)),
        Student(id="S3", batch="B2", courses=("E1", "C1")),
        Student(id="S4", batch="B1"),
    )
    s = sol(
        a("C1", 0, MON, P1, "R1"),
        a("E1", 0, MON, P1, "R2"),  # S1, S2 (via batch C1) and S3 (individually) -> 3
        a("C2", 0, MON, P1, "LAB"),  # C1-C2 is a batch clash; E1-C2: S1, S2 -> 2
    )
    report = check(build(courses, students=students), s)
    assert report.hard[Rule.BATCH_CLASH] == 1
    assert report.hard[Rule.STUDENT_CLASH] == 5
    assert "3 student(s) S1, S2, S3: C1#0 and E1#0 at Mon P1" in report.offenders[Rule.STUDENT_CLASH]


def test_room_clash_counts_k_minus_one_per_room_and_period():
    courses = (
        Course(id="C1", faculty=("F1",), batches=("B1",)),
        Course(id="C2", faculty=("F2",), batches=("B2",)),
        Course(id="L1", faculty=("F3",), session_length=2),
    )
    s = sol(a("C1", 0, MON, P1), a("C2", 0, MON, P2), a("L1", 0, MON, P1))
    report = check(build(courses), s)
    assert report.hard[Rule.ROOM_CLASH] == 2  # Mon P1: C1 and L1; Mon P2: C2 and L1
    assert report.offenders[Rule.ROOM_CLASH] == ["room R1: C1#0, L1#0 at Mon P1", "room R1: C2#0, L1#0 at Mon P2"]


def test_room_capacity_counts_sessions_when_hard_and_students_over_when_soft():
    courses = (Course(id="C1", faculty=("F1",), batches=("B1", "B2"), sessions_per_week=2),)  # 50 students
    rooms = (Room(id="R1", capacity=45), Room(id="R2", capacity=40), Room(id="R3", capacity=50))
    s = sol(a("C1", 0, MON, P1, "R1"), a("C1", 1, TUE, P1, "R2"))
    assert units(build(courses, rooms=rooms), s, Rule.ROOM_CAPACITY) == 2
    soft = Rules(hard=DEFAULT_HARD - {Rule.ROOM_CAPACITY}, weights={Rule.ROOM_CAPACITY: 1})
    report = check(build(courses, rooms=rooms, rules=soft), s)
    assert report.soft[Rule.ROOM_CAPACITY] == 15
    assert report.soft_cost == 15
    assert report.offenders[Rule.ROOM_CAPACITY][0] == "room R1 (45 seats): C1#0 has 50 students"


def test_room_type_counts_wrong_type_missing_feature_foreign_room_and_no_room():
    courses = (
        Course(id="C1", faculty=("F1",)),
        Course(id="L1", faculty=("F2",), room_type="lab", room_features=frozenset({"pc", "gpu"})),
        Course(id="C2", faculty=("F3",), department="CS"),
        Course(id="C3", faculty=("F3",), department="CS"),
        Course(id="C4", faculty=("F3",)),
    )
    rooms = (
        Room(id="R1", capacity=60),
        Room(id="LAB", capacity=30, type="lab", features=frozenset({"pc"})),
        Room(id="MATH", capacity=60, department="MA", shared=False),
        Room(id="OWN", capacity=60, department="CS", shared=False),
    )
    s = sol(
        a("C1", 0, MON, P1, "LAB"),  # a lab for a lecture
        a("L1", 0, TUE, P1, "LAB"),  # no gpu
        a("C2", 0, WED, P1, "MATH"),  # another department's room
        a("C3", 0, WED, P2, "OWN"),  # fine
        a("C4", 0, WED, P3, None),  # no room
    )
    report = check(build(courses, rooms=rooms), s)
    assert report.hard[Rule.ROOM_TYPE] == 4
    assert report.offenders[Rule.ROOM_TYPE] == [
        "C1#0: room LAB is a lab, not a lecture",
        "L1#0: room LAB lacks gpu",
        "C2#0: room MATH belongs to department MA",
        "C4#0: no room",
    ]


def test_no_room_is_fine_when_the_instance_has_no_rooms():
    assert units(build(rooms=()), sol(a("C3", 0, MON, P1, None)), Rule.ROOM_TYPE) == 0


def test_unavailable_counts_each_blocked_period_once():
    courses = (
        Course(id="C1", faculty=("F1",), unavailable=frozenset({Slot(MON, P1)})),
        Course(id="L1", faculty=("F2",), session_length=2, unavailable=frozenset({Slot(TUE, P3)})),
    )
    faculty = (Faculty(id="F1"), Faculty(id="F2", unavailable=frozenset({Slot(TUE, P4)})))
    rooms = (Room(id="R1", capacity=60, unavailable=frozenset({Slot(MON, P1), Slot(TUE, P3)})),)
    s = sol(a("C1", 0, MON, P1), a("L1", 0, TUE, P3))  # C1: 1 (course and room); L1: P3 and P4 -> 2
    report = check(build(courses, faculty=faculty, rooms=rooms), s)
    assert report.hard[Rule.UNAVAILABLE] == 3
    assert report.offenders[Rule.UNAVAILABLE][1] == "L1#0: unavailable at Tue P3, Tue P4"


def test_lab_block_counts_sessions_crossing_lunch_or_leaving_the_day():
    courses = (Course(id="L1", faculty=("F1",), sessions_per_week=3, session_length=2),)
    s = sol(a("L1", 0, MON, P2), a("L1", 1, TUE, P4), a("L1", 2, WED, P3))
    report = check(build(courses), s)
    assert report.hard[Rule.LAB_BLOCK] == 2
    assert report.offenders[Rule.LAB_BLOCK][0].startswith("L1#0: 2 periods from Mon P2")


def test_faculty_daily_hours_counts_periods_over_the_day_limit():
    faculty = (Faculty(id="F1", max_hours_per_day=2),)
    courses = (
        Course(id="C1", faculty=("F1",), sessions_per_week=3, max_per_day=3),
        Course(id="L1", faculty=("F1",), session_length=2),
    )
    s = sol(a("C1", 0, MON, P1), a("C1", 1, MON, P2), a("C1", 2, TUE, P1), a("L1", 0, MON, P3))
    report = check(build(courses, faculty=faculty), s)
    assert report.hard[Rule.FACULTY_DAILY_HOURS] == 2  # 4 periods on Monday
    assert report.offenders[Rule.FACULTY_DAILY_HOURS] == ["faculty F1: 4 periods on Mon (max 2)"]


def test_faculty_weekly_hours_counts_periods_over_the_week_limit():
    faculty = (Faculty(id="F1", max_hours_per_week=3),)
    courses = (
        Course(id="C1", faculty=("F1",), sessions_per_week=2),
        Course(id="L1", faculty=("F1",), session_length=2),
    )
    s = sol(a("C1", 0, MON, P1), a("C1", 1, TUE, P1), a("L1", 0, WED, P3))
    assert units(build(courses, faculty=faculty), s, Rule.FACULTY_WEEKLY_HOURS) == 1


def test_faculty_consecutive_counts_excess_per_run_and_lunch_ends_a_run():
    faculty = (Faculty(id="F1", max_consecutive=1), Faculty(id="F2", max_consecutive=2))
    courses = (
        Course(id="C1", faculty=("F1",), sessions_per_week=2, max_per_day=2),
        Course(id="L1", faculty=("F1", "F2"), session_length=2),
    )
    s = sol(a("C1", 0, MON, P1), a("C1", 1, MON, P2), a("L1", 0, MON, P3, "R2"))
    report = check(build(courses, faculty=faculty), s)
    # F1: runs P1-P2 and P3-P4 (lunch between) -> 1 + 1; F2: one run of 2 -> 0
    assert report.hard[Rule.FACULTY_CONSECUTIVE] == 2
    assert report.offenders[Rule.FACULTY_CONSECUTIVE][0] == "faculty F1: 2 periods in a row from Mon P1 (max 1)"


def test_course_max_per_day_counts_extra_sessions_a_day():
    courses = (Course(id="C1", faculty=("F1",), sessions_per_week=4),)
    s = sol(a("C1", 0, MON, P1), a("C1", 1, MON, P2), a("C1", 2, MON, P3), a("C1", 3, TUE, P1))
    report = check(build(courses), s)
    assert report.hard[Rule.COURSE_MAX_PER_DAY] == 2
    assert report.offenders[Rule.COURSE_MAX_PER_DAY] == ["course C1: 3 sessions on Mon (max 1)"]


# ----------------------------------------------------------------------------------------- soft rules


def test_course_min_days_counts_missing_days_at_weight_five():
    courses = (Course(id="C1", faculty=("F1",), sessions_per_week=3, min_days=3, max_per_day=3),)
    s = sol(a("C1", 0, MON, P1), a("C1", 1, MON, P2), a("C1", 2, MON, P3))
    report = check(build(courses), s)
    assert report.soft[Rule.COURSE_MIN_DAYS] == 2
    assert report.soft_cost_by_rule[Rule.COURSE_MIN_DAYS] == 10


def test_faculty_preference_counts_taught_periods_outside_preferred_slots():
    faculty = (
        Faculty(id="F1", preferred=(PreferredSlot(day=MON, period=P1), PreferredSlot(day=MON, period=P3))),
        Faculty(id="F2"),
    )
    courses = (
        Course(id="C1", faculty=("F1", "F2"), sessions_per_week=2),
        Course(id="L1", faculty=("F1",), session_length=2),
    )
    s = sol(a("C1", 0, MON, P1), a("C1", 1, TUE, P1), a("L1", 0, MON, P3))  # 0 + 1 + 1 (P4)
    report = check(build(courses, faculty=faculty), s)
    assert report.soft[Rule.FACULTY_PREFERENCE] == 2
    assert report.offenders[Rule.FACULTY_PREFERENCE][0] == "faculty F1: C1#1 has 1 period(s) outside preferences"


def test_batch_idle_counts_free_periods_between_sessions_of_a_day():
    courses = (
        Course(id="C1", faculty=("F1",), batches=("B1",), sessions_per_week=2, max_per_day=2),
        Course(id="C2", faculty=("F2",), batches=("B1", "B2")),
    )
    s = sol(a("C1", 0, MON, P1), a("C1", 1, MON, P4), a("C2", 0, TUE, P2))
    report = check(build(courses), s)
    assert report.soft[Rule.BATCH_IDLE] == 2  # B1 on Monday: P2 and P3
    assert report.soft_cost_by_rule[Rule.BATCH_IDLE] == 4


def test_isolated_session_counts_per_batch_and_lunch_breaks_adjacency():
    weights = dict(DEFAULT_WEIGHTS) | {Rule.ISOLATED_SESSION: 2}
    courses = (
        Course(id="C1", faculty=("F1",), batches=("B1",), sessions_per_week=3, max_per_day=2),
        Course(id="C2", faculty=("F2",), batches=("B1", "B2")),
    )
    s = sol(
        a("C1", 0, MON, P1),
        a("C2", 0, MON, P2, "R2"),  # B1: next to C1#0; B2: alone -> 1
        a("C1", 1, MON, P3),  # after lunch: isolated -> 1
        a("C1", 2, TUE, P1),  # alone -> 1
    )
    report = check(build(courses, rules=Rules(weights=weights)), s)
    assert report.soft[Rule.ISOLATED_SESSION] == 3
    assert report.soft_cost_by_rule[Rule.ISOLATED_SESSION] == 6
    assert "batch B2: C2#0 isolated at Mon P2" in report.offenders[Rule.ISOLATED_SESSION]


def test_isolated_session_looks_past_the_end_of_a_multi_period_session():
    weights = dict(DEFAULT_WEIGHTS) | {Rule.ISOLATED_SESSION: 1}
    courses = (
        Course(id="L1", faculty=("F1",), batches=("B1",), session_length=2),
        Course(id="C1", faculty=("F2",), batches=("B1",)),
    )
    no_lunch = TimeGrid.standard(n_days=5, n_periods=4, lunch_after=None)
    inst = build(courses, grid=no_lunch, rules=Rules(weights=weights))
    assert units(inst, sol(a("L1", 0, MON, P1), a("C1", 0, MON, P3, "R2")), Rule.ISOLATED_SESSION) == 0
    assert units(inst, sol(a("L1", 0, MON, P1), a("C1", 0, MON, P4, "R2")), Rule.ISOLATED_SESSION) == 2
    lunch = build(courses, rules=Rules(weights=weights))
    assert units(lunch, sol(a("L1", 0, MON, P1), a("C1", 0, MON, P3, "R2")), Rule.ISOLATED_SESSION) == 2


def test_room_stability_counts_rooms_beyond_the_first():
    courses = (Course(id="C1", faculty=("F1",), sessions_per_week=4),)
    s = sol(a("C1", 0, MON, P1, "R1"), a("C1", 1, TUE, P1, "R2"), a("C1", 2, WED, P1, "R1"), a("C1", 3, 3, P1, "LAB"))
    report = check(build(courses), s)
    assert report.soft[Rule.ROOM_STABILITY] == 2
    assert report.offenders[Rule.ROOM_STABILITY] == ["course C1: 3 rooms (LAB, R1, R2)"]


def test_batch_daily_load_counts_sessions_below_the_minimum_and_above_the_maximum():
    weights = dict(DEFAULT_WEIGHTS) | {Rule.BATCH_DAILY_LOAD: 2}
    batches = (Batch(id="B1", size=30, min_per_day=2, max_per_day=2), Batch(id="B2", size=20))
    courses = (
        Course(id="C1", faculty=("F1",), batches=("B1",), sessions_per_week=3, max_per_day=3),
        Course(id="C2", faculty=("F2",), batches=("B1", "B2")),
    )
    # B1: 3 on Monday (1 over), 1 on Tuesday (1 under), none on Wednesday (free); B2 has no limits
    s = sol(a("C1", 0, MON, P1), a("C1", 1, MON, P2), a("C2", 0, MON, P3, "R2"), a("C1", 2, TUE, P1))
    report = check(build(courses, batches=batches, rules=Rules(weights=weights)), s)
    assert report.soft[Rule.BATCH_DAILY_LOAD] == 2
    assert report.soft_cost_by_rule[Rule.BATCH_DAILY_LOAD] == 4
    assert report.offenders[Rule.BATCH_DAILY_LOAD][0] == "batch B1: 3 session(s) on Mon (wants 2-2)"


def test_batch_travel_counts_building_changes_between_consecutive_periods_not_across_lunch():
    weights = dict(DEFAULT_WEIGHTS) | {Rule.BATCH_TRAVEL: 3}
    rooms = (Room(id="R1", capacity=60, building="North"), Room(id="R2", capacity=60, building="South"))
    courses = (
        Course(id="C1", faculty=("F1",), batches=("B1",), sessions_per_week=3, max_per_day=3),
        Course(id="C2", faculty=("F2",), batches=("B1",), sessions_per_week=2, max_per_day=2),
    )
    s = sol(
        a("C1", 0, MON, P1, "R1"),
        a("C2", 0, MON, P2, "R2"),  # North -> South: 1
        a("C1", 1, MON, P3, "R1"),  # after lunch: no move counted
        a("C2", 1, MON, P4, "R1"),  # same building: none
        a("C1", 2, TUE, P1, "R2"),  # alone: none
    )
    report = check(build(courses, rooms=rooms, rules=Rules(weights=weights)), s)
    assert report.soft[Rule.BATCH_TRAVEL] == 1
    assert report.soft_cost_by_rule[Rule.BATCH_TRAVEL] == 3
    assert report.offenders[Rule.BATCH_TRAVEL] == ["batch B1: building North -> South after Mon P1"]


def test_course_double_sessions_counts_unpaired_sessions_on_days_with_several():
    weights = dict(DEFAULT_WEIGHTS) | {Rule.COURSE_DOUBLE_SESSIONS: 1}
    courses = (Course(id="C1", faculty=("F1",), batches=("B1",), sessions_per_week=6, max_per_day=3,
                      double_sessions=True),)  # fmt: skip
    s = sol(
        a("C1", 0, MON, P1), a("C1", 1, MON, P2),  # a pair: 0
        a("C1", 2, TUE, P2), a("C1", 3, TUE, P3),  # lunch between: 2
        a("C1", 4, WED, P3), a("C1", 5, WED, P4, "R2"),  # two rooms: 2
    )  # fmt: skip
    report = check(build(courses, rules=Rules(weights=weights)), s)
    assert report.soft[Rule.COURSE_DOUBLE_SESSIONS] == 4
    assert report.offenders[Rule.COURSE_DOUBLE_SESSIONS][0] == "course C1: C1#2 at Tue P2 is unpaired"


def test_course_double_sessions_leave_a_single_session_alone():
    weights = dict(DEFAULT_WEIGHTS) | {Rule.COURSE_DOUBLE_SESSIONS: 1}
    courses = (Course(id="C1", faculty=("F1",), batches=("B1",), sessions_per_week=2, double_sessions=True),)
    report = check(build(courses, rules=Rules(weights=weights)), sol(a("C1", 0, MON, P1), a("C1", 1, TUE, P3)))
    assert report.soft[Rule.COURSE_DOUBLE_SESSIONS] == 0


def test_room_avoided_counts_sessions_in_rooms_their_course_avoids():
    weights = dict(DEFAULT_WEIGHTS) | {Rule.ROOM_AVOIDED: 3}
    courses = (Course(id="C1", faculty=("F1",), batches=("B1",), sessions_per_week=2, avoid_rooms=frozenset({"R2"})),)
    report = check(build(courses, rules=Rules(weights=weights)), sol(a("C1", 0, MON, P1, "R2"), a("C1", 1, TUE, P1)))
    assert report.soft[Rule.ROOM_AVOIDED] == 1 and report.soft_cost_by_rule[Rule.ROOM_AVOIDED] == 3
    assert report.offenders[Rule.ROOM_AVOIDED] == ["C1#0: room R2 is one its course avoids"]

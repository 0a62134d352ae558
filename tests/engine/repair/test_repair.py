"""Repair, locks, the change report and the candidate query, each judged by the independent checker."""

from __future__ import annotations

import json
import random
from collections import Counter
from functools import cache

import pytest

from tests.conftest import tiny_instance
from timetabling.engine.checker import check
from timetabling.engine.errors import InputError
from timetabling.engine.generator import generate_university
from timetabling.engine.model import Assignment, Batch, Course, Faculty, Instance, Room, Rule, Slot, Solution, TimeGrid
from timetabling.engine.repair import Lock, RepairOptions, broken_locks, diff, keep_locks, repair
from timetabling.engine.repair.candidates import CandidateIndex
from timetabling.engine.solver import SolveOptions, solve

FAST = RepairOptions(time_limit=10, workers=1)


@cache
def small() -> tuple[Instance, Solution]:
    """The ``small`` synthetic university and a first timetable of it (shared by the tests)."""
    inst = generate_university("small", seed=3)
    result = solve(inst, SolveOptions(time_limit=30, workers=1, optimize=False))
    assert result.solution is not None and check(inst, result.solution).hard_total == 0
    return inst, result.solution


def solved_tiny() -> tuple[Instance, Solution]:
    inst = tiny_instance()
    sol = solve(inst, SolveOptions(time_limit=10, workers=1, optimize=False)).solution
    assert sol is not None
    return inst, sol


def without_day(inst: Instance, faculty: str, day: int) -> Instance:
    f = inst.faculty_by_id[faculty]
    gone = f.unavailable | {Slot(day, p) for p in range(inst.grid.n_periods)}
    return inst.model_copy(update={"faculty": tuple(f.model_copy(update={"unavailable": gone}) if f.id == faculty
                                                    else f for f in inst.faculty)})


def busiest_day(inst: Instance, sol: Solution) -> tuple[str, int]:
    load = Counter(f for a in sol.assignments for f in inst.course_by_id[a.course].faculty)
    faculty = load.most_common(1)[0][0]
    days = Counter(a.day for a in sol.assignments if faculty in inst.course_by_id[a.course].faculty)
    return faculty, days.most_common(1)[0][0]


def places(sol: Solution) -> set[tuple[str, int, int, str | None]]:
    return {(a.course, a.day, a.period, a.room) for a in sol.assignments}


# ------------------------------------------------------------------------------------------ repair


def test_a_repair_of_an_unchanged_instance_moves_nothing() -> None:
    inst, sol = small()
    result = repair(inst, sol, options=FAST)
    assert result.status == "unchanged"
    assert result.changes is not None and result.changes.empty
    assert places(result.solution) == places(sol)


def test_a_faculty_member_losing_a_day_moves_only_what_it_must() -> None:
    inst, sol = small()
    faculty, day = busiest_day(inst, sol)
    changed = without_day(inst, faculty, day)
    result = repair(changed, sol, options=FAST)
    assert result.solution is not None
    assert check(changed, result.solution).hard_total == 0
    hit = sum(1 for a in sol.assignments if a.day == day and faculty in inst.course_by_id[a.course].faculty)
    assert result.hit == hit
    changes = result.changes
    assert changes is not None
    assert hit <= changes.moved_in_time + changes.count("room") <= 3 * hit
    # every session of the faculty member left the lost day
    assert all(a.day != day for a in result.solution.assignments
               if faculty in changed.course_by_id[a.course].faculty)


def test_removed_course_sessions_disappear_and_new_ones_are_placed() -> None:
    inst, sol = small()
    gone = inst.courses[0]
    grown = inst.courses[1]
    courses = [c.model_copy(update={"sessions_per_week": c.sessions_per_week + 1, "min_days": c.min_days})
               if c.id == grown.id else c for c in inst.courses[1:]]
    students = tuple(s.model_copy(update={"courses": tuple(c for c in s.courses if c != gone.id)})
                     for s in inst.students)
    changed = inst.model_copy(update={"courses": tuple(courses), "students": students})
    result = repair(changed, sol, options=FAST)
    assert result.solution is not None
    assert check(changed, result.solution).hard_total == 0
    assert not any(a.course == gone.id for a in result.solution.assignments)
    assert sum(1 for a in result.solution.assignments if a.course == grown.id) == grown.sessions_per_week + 1
    assert result.changes.count("removed") == gone.sessions_per_week
    assert result.changes.count("added") == 1


def test_a_timetable_of_another_instance_is_refused() -> None:
    inst, _sol = small()
    foreign = Solution(instance="other", assignments=tuple(
        Assignment(course=f"X{i}", session=0, day=0, period=0) for i in range(10)))
    with pytest.raises(InputError, match="another instance"):
        repair(inst, foreign, options=FAST)


# ------------------------------------------------------------------------------------------- locks


def test_repair_never_moves_a_locked_session() -> None:
    inst, sol = small()
    faculty, day = busiest_day(inst, sol)
    changed = without_day(inst, faculty, day)
    # lock every session that shares a batch with the hit sessions and is not hit itself
    hit_batches = {b for a in sol.assignments if a.day == day and faculty in inst.course_by_id[a.course].faculty
                   for b in inst.course_by_id[a.course].batches}
    locks = tuple(Lock(course=a.course, session=a.session, day=a.day, period=a.period, room=a.room)
                  for a in sol.assignments
                  if set(inst.course_by_id[a.course].batches) & hit_batches
                  and faculty not in inst.course_by_id[a.course].faculty)
    assert locks
    result = repair(changed, sol, locks, options=FAST)
    assert result.solution is not None
    assert broken_locks(changed, result.solution, locks) == []
    assert check(changed, result.solution).hard_total == 0
    assert {(lk.course, lk.day, lk.period, lk.room) for lk in locks} <= places(result.solution)


def test_a_lock_moves_its_session_and_the_rest_makes_room() -> None:
    inst, sol = solved_tiny()
    a = next(a for a in sol.assignments if a.course == "C2")
    target = next(Slot(d, p) for d in range(5) for p in range(4) if (d, p) != (a.day, a.period)
                  and not any(b.course == "C2" and b.day == d for b in sol.assignments))
    lock = Lock(course="C2", session=a.session, day=target.day, period=target.period)
    result = repair(inst, sol, (lock,), options=FAST)
    assert result.solution is not None
    assert broken_locks(inst, result.solution, (lock,)) == []
    assert check(inst, result.solution).hard_total == 0


def test_two_locks_on_one_faculty_member_at_once_are_named() -> None:
    inst, sol = solved_tiny()
    locks = (Lock(course="C1", day=0, period=0), Lock(course="L1", day=0, period=0))  # both taught by F1
    result = repair(inst, sol, locks, options=FAST)
    assert result.status == "infeasible" and result.solution is None
    text = "\n".join(result.explanation)
    assert "lock 1 (C1 at Mon P1)" in text and "lock 2 (L1 at Mon P1)" in text and "faculty F1" in text


def test_a_lock_in_an_unavailable_slot_or_a_small_room_is_named() -> None:
    base = tiny_instance()
    inst = base.model_copy(update={"faculty": (Faculty(id="F1", unavailable=frozenset({Slot(1, 0)})),
                                               Faculty(id="F2")),
                                   "rooms": (*base.rooms, Room(id="CUPBOARD", capacity=2))})
    sol = solve(inst, SolveOptions(time_limit=10, workers=1, optimize=False)).solution
    locks = (Lock(course="C1", day=1, period=0), Lock(course="C2", day=2, period=2, room="CUPBOARD"))
    result = repair(inst, sol, locks, options=FAST)
    text = "\n".join(result.explanation)
    assert result.solution is None
    assert "lock 1 (C1 at Tue P1): faculty F1 is unavailable at Tue P1" in text
    assert "lock 2 (C2 at Wed P3 in CUPBOARD): room CUPBOARD seats 2 but C2 has 50 students" in text


def test_locks_that_only_fail_together_are_named_by_the_core() -> None:
    # one day of two periods: B1 needs three sessions; two locked sessions of B1 leave no place for the third
    grid = TimeGrid.standard(n_days=1, n_periods=3, lunch_after=None)
    inst = Instance(grid=grid, faculty=(Faculty(id="F1"), Faculty(id="F2"), Faculty(id="F3")),
                    batches=(Batch(id="B1", size=10),), rooms=(Room(id="R1", capacity=20), Room(id="R2", capacity=20)),
                    courses=(Course(id="A", faculty=("F1",), batches=("B1",)),
                             Course(id="B", faculty=("F2",), batches=("B1",)),
                             Course(id="C", faculty=("F3",), batches=("B1",), unavailable=frozenset({Slot(0, 2)}))))
    sol = solve(inst, SolveOptions(time_limit=10, workers=1, optimize=False)).solution
    locks = (Lock(course="A", day=0, period=0), Lock(course="B", day=0, period=1))
    result = repair(inst, sol, locks, options=FAST)
    assert result.solution is None
    text = "\n".join(result.explanation)
    assert "lock 1 (A at Mon P1)" in text and "lock 2 (B at Mon P2)" in text


def test_locks_that_name_what_does_not_exist_are_input_errors() -> None:
    inst, sol = solved_tiny()
    locks = (Lock(course="GONE", day=0, period=0), Lock(course="C1", day=9, period=0),
             Lock(course="C2", day=0, period=0, room="NOWHERE"))
    with pytest.raises(InputError) as err:
        repair(inst, sol, locks, options=FAST)
    text = "\n".join(err.value.problems)
    assert "unknown course 'GONE'" in text and "outside the grid" in text and "unknown room 'NOWHERE'" in text


def test_keep_locks_puts_a_moved_locked_session_back() -> None:
    inst, sol = small()
    a = sol.assignments[0]
    other = next(s for s in sol.assignments[1:] if s.course == a.course) if inst.course_by_id[
        a.course].sessions_per_week > 1 else None
    lock = Lock(course=a.course, day=a.day, period=a.period, room=a.room)
    # an "optimiser" moved the locked session: drop it and put a copy elsewhere
    moved = [x for x in sol.assignments if x is not a]
    free = next(Slot(d, p) for d in range(inst.grid.n_days) for p in range(inst.grid.n_periods)
                if not any(x.course == a.course and x.day == d for x in sol.assignments))
    moved.append(a.model_copy(update={"day": free.day, "period": free.period}))
    result = keep_locks(inst, Solution(assignments=tuple(moved)), (lock,), FAST)
    assert result.solution is not None
    assert broken_locks(inst, result.solution, (lock,)) == []
    assert check(inst, result.solution).hard_total == 0
    del other


def test_the_documented_lock_example_reads_and_fits_the_documented_instance() -> None:
    from tests.engine.formats.test_schema import doc_examples
    from timetabling.engine.formats.native import parse
    from timetabling.engine.repair import LockFile, check_locks

    instance_text, _solution, lock_text = doc_examples()
    inst = parse(Instance, json.loads(instance_text), "formats.md")
    locks = parse(LockFile, json.loads(lock_text), "formats.md").locks
    assert len(check_locks(inst, locks)) == 2


# ------------------------------------------------------------------------------------------ diff


def test_diff_of_identical_timetables_is_empty() -> None:
    inst, sol = small()
    changes = diff(inst, sol, sol)
    assert changes.empty and changes.unchanged == len(sol.assignments)
    assert changes.per_student == {} and changes.per_batch == {}


def test_diff_names_each_kind_of_change_and_the_people() -> None:
    inst, sol = solved_tiny()
    rows = list(sol.assignments)
    c1 = [i for i, a in enumerate(rows) if a.course == "C1"]
    a = rows[c1[0]]
    rows[c1[0]] = a.model_copy(update={"day": (a.day + 1) % 5 if all(
        r.day != (a.day + 1) % 5 for r in rows if r.course == "C1") else (a.day + 2) % 5})
    changes = diff(inst, sol, Solution(assignments=tuple(rows)))
    assert [c.kind for c in changes.sessions] == ["day"]
    assert changes.per_batch == {"B1": 1} and changes.per_faculty == {"F1": 1}


# ------------------------------------------------------------------------------- candidate query


def moved(sol: Solution, course: str, session: int, day: int, period: int, room: str | None) -> Solution:
    return Solution(assignments=tuple(
        a.model_copy(update={"day": day, "period": period, "room": room})
        if (a.course, a.session) == (course, session) else a for a in sol.assignments))


def test_the_candidate_query_agrees_with_the_checker() -> None:
    inst, sol = small()
    base = check(inst, sol)
    index = CandidateIndex(inst, sol)
    rng = random.Random(7)
    for a in rng.sample(list(sol.assignments), 6):
        found = index.query(a.course, a.session)
        assert len(found.slots) == inst.grid.n_slots
        options = list(found.options())
        picks = rng.sample(options, 12) + [o for o in options if not o[3]][:3]
        for day, period, room, breaches, soft_delta in picks:
            report = check(inst, moved(sol, a.course, a.session, day, period, room))
            rules = {b.rule for b in breaches}
            if not breaches:
                assert report.hard_total == 0, (a, day, period, room)
                assert report.soft_cost - base.soft_cost == soft_delta
            for rule in rules:
                assert report.hard[rule] > 0, (a, day, period, room, rule)
            if Rule.UNSCHEDULED not in rules:  # a twin start: which of the two the checker keeps is its own
                assert {r for r, n in report.hard.items() if n} <= rules, (a, day, period, room)
        for swap in found.swaps[:5]:
            other_course, other_session = swap.other.split("#")
            b = next(x for x in sol.assignments if (x.course, x.session) == (other_course, int(other_session)))
            after = moved(moved(sol, a.course, a.session, b.day, b.period, b.room),
                          b.course, b.session, a.day, a.period, a.room)
            report = check(inst, after)
            assert report.hard_total == 0
            assert report.soft_cost - base.soft_cost == swap.soft_delta


def test_a_move_onto_a_clash_names_the_rule_and_the_other_session() -> None:
    inst, sol = solved_tiny()
    index = CandidateIndex(inst, sol)
    c1 = next(a for a in sol.assignments if a.course == "C1")
    c2 = next(a for a in sol.assignments if a.course == "C2")  # C1 and C2 share batch B1
    found = index.query(c1.course, c1.session)
    slot = next(s for s in found.slots if (s.day, s.period) == (c2.day, c2.period))
    batch = [b for b in slot.breaches if b.rule == Rule.BATCH_CLASH]
    assert batch and batch[0].with_ == (f"C2#{c2.session}",)

"""The synthetic university: deterministic, of the promised size, and solvable by design."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from timetabling.cli import main
from timetabling.engine.formats.native import dump, load_instance
from timetabling.engine.generator import PROFILES, describe, generate_university
from timetabling.engine.model import CourseKind, Instance, PreferenceLevel

MARGIN = 0.6  # share of the week (or of the room stock) that any demand may take at most


@pytest.fixture(scope="module")
def instances() -> dict[str, Instance]:
    return {name: generate_university(name, seed=3) for name in ("tiny", "small", "medium")}


def elective_periods(inst: Instance, kind: CourseKind) -> dict[str, int]:
    """Batch id -> the longest weekly load of one elective of ``kind`` that a student of the batch chose."""
    out: dict[str, int] = defaultdict(int)
    for s in inst.students:
        for cid in s.courses:
            c = inst.course_by_id[cid]
            if c.kind == kind and s.batch:
                out[s.batch] = max(out[s.batch], c.periods_per_week)
    return out


# ------------------------------------------------------------------------------------ determinism


def test_it_gives_the_same_instance_for_the_same_seed():
    assert dump(generate_university("small", seed=7)) == dump(generate_university("small", seed=7))


def test_it_gives_another_instance_for_another_seed():
    assert dump(generate_university("small", seed=7)) != dump(generate_university("small", seed=8))


def test_it_leaves_the_global_random_state_alone():
    import random

    random.seed(1)
    expected = random.random()
    random.seed(1)
    generate_university("tiny", seed=5)
    assert random.random() == expected


# ------------------------------------------------------------------------------------------- size

EXPECTED = {
    "tiny": {"departments": (2, 2), "courses": (8, 16), "students": (40, 70)},
    "small": {"departments": (6, 6), "courses": (80, 140), "sessions": (280, 450), "students": (700, 1200)},
    "medium": {"departments": (30, 30), "courses": (450, 750), "students": (3500, 7000)},
}


@pytest.mark.parametrize("profile", sorted(EXPECTED))
def test_each_profile_has_the_expected_size(instances, profile):
    counts = describe(instances[profile])
    for key, (low, high) in EXPECTED[profile].items():
        assert low <= counts[key] <= high, (key, counts[key])
    assert counts["courses"] == sum(counts[f"courses_{k}"] for k in CourseKind)
    assert min(counts[f"courses_{k}"] for k in CourseKind) > 0
    assert counts["courses_lab"] == counts["batches"]
    assert counts["rooms"] == counts["rooms_lecture"] + counts["rooms_lab"] + counts["rooms_seminar"]


@pytest.mark.slow
def test_the_university_profile_has_the_reference_scale():
    counts = describe(generate_university("university", seed=0))
    assert counts["departments"] == 127
    assert 2100 <= counts["courses"] <= 2550
    assert 7500 <= counts["sessions"] <= 9000
    assert 17000 <= counts["students_with_electives"] <= 21000
    assert 1050 <= counts["rooms"] <= 1250
    assert counts["slots"] == 48


def test_describe_counts_programs_and_students_with_choices(instances):
    inst = instances["tiny"]
    counts = describe(inst)
    assert counts["programs"] == len({(b.department, b.program) for b in inst.batches})
    assert counts["students_with_electives"] == sum(1 for s in inst.students if s.courses)
    assert counts["weekly_periods"] == sum(c.sessions_per_week * c.session_length for c in inst.courses)


# ------------------------------------------------------------------------------------- soundness


@pytest.mark.parametrize("profile", ["tiny", "small", "medium"])
def test_every_reference_survives_a_round_trip(instances, profile, tmp_path):
    inst = instances[profile]
    path = tmp_path / "u.json"
    path.write_text(dump(inst), encoding="utf-8")
    assert load_instance(path) == inst


@pytest.mark.parametrize("profile", ["tiny", "small", "medium"])
def test_batch_sizes_equal_their_students(instances, profile):
    inst = instances[profile]
    members = Counter(s.batch for s in inst.students)
    assert all(b.size == members[b.id] for b in inst.batches)
    assert all(30 <= b.size <= 70 for b in inst.batches) or profile == "tiny"


@pytest.mark.parametrize("profile", ["tiny", "small", "medium"])
def test_students_choose_electives_only(instances, profile):
    inst = instances[profile]
    for s in inst.students:
        kinds = Counter(inst.course_by_id[c].kind for c in s.courses)
        assert kinds[CourseKind.DEPARTMENT_ELECTIVE] <= 1 and kinds[CourseKind.OPEN_ELECTIVE] <= 1
        assert not kinds[CourseKind.CORE]
        department = inst.batch_by_id[s.batch].department
        for c in s.courses:
            if inst.course_by_id[c].kind == CourseKind.DEPARTMENT_ELECTIVE:
                assert inst.course_by_id[c].department == department


@pytest.mark.parametrize("profile", ["tiny", "small", "medium"])
def test_no_batch_is_busy_more_than_the_margin(instances, profile):
    inst = instances[profile]
    de = elective_periods(inst, CourseKind.DEPARTMENT_ELECTIVE)
    oe = elective_periods(inst, CourseKind.OPEN_ELECTIVE)
    for b in inst.batches:
        own = sum(inst.course_by_id[c].periods_per_week for c in inst.courses_of_batch[b.id])
        assert own + de[b.id] + oe[b.id] <= MARGIN * inst.grid.n_slots, b.id


@pytest.mark.parametrize("profile", ["tiny", "small", "medium"])
def test_no_faculty_member_is_loaded_beyond_the_margin(instances, profile):
    inst = instances[profile]
    for f in inst.faculty:
        courses = [inst.course_by_id[c] for c in inst.courses_of_faculty[f.id]]
        load = sum(c.periods_per_week for c in courses)
        assert courses, f.id
        assert load <= f.max_hours_per_week
        assert load <= MARGIN * (inst.grid.n_slots - len(f.unavailable))
        assert f.max_hours_per_day >= 4 and len(f.unavailable) <= 4
        assert f.max_consecutive >= max(c.session_length for c in courses)
        assert all(c.department == f.department for c in courses)


@pytest.mark.parametrize("profile", ["tiny", "small", "medium"])
def test_every_course_fits_a_room_of_its_type(instances, profile):
    inst = instances[profile]
    for c in inst.courses:
        size = inst.course_size[c.id]
        assert size > 0
        assert any(r.type == c.room_type and r.capacity >= size and r.usable_by(c.department) for r in inst.rooms)


@pytest.mark.parametrize("profile", ["tiny", "small", "medium"])
def test_room_demand_stays_within_the_margin_at_every_size(instances, profile):
    inst = instances[profile]
    slots = inst.grid.n_slots
    for room_type in {r.type for r in inst.rooms}:
        courses = [c for c in inst.courses if c.room_type == room_type]
        rooms = [r for r in inst.rooms if r.type == room_type]
        for size in {inst.course_size[c.id] for c in courses}:
            need = sum(c.periods_per_week for c in courses if inst.course_size[c.id] >= size)
            have = sum(slots - len(r.unavailable) for r in rooms if r.capacity >= size)
            assert need <= MARGIN * have, (room_type, size)


@pytest.mark.parametrize("profile", ["small", "medium"])
def test_faculty_state_graded_preferences(instances, profile):
    inst = instances[profile]
    stating = [f for f in inst.faculty if f.preferences]
    assert 0.3 <= len(stating) / len(inst.faculty) <= 0.7  # the profile's share, 0.5
    assert not any(f.preferred for f in inst.faculty)  # written in format 1.1's levels only
    levels = Counter(p.level for f in stating for p in f.preferences)
    assert set(levels) == set(PreferenceLevel) - {PreferenceLevel.NEUTRAL}
    # favourites and windows are common, strong dislikes and prohibitions few
    assert levels[PreferenceLevel.PREFERRED] > levels[PreferenceLevel.STRONGLY_DISCOURAGED]
    assert levels[PreferenceLevel.PROHIBITED] < len(stating)
    for f in stating:
        assert any(p.level in (PreferenceLevel.PREFERRED, PreferenceLevel.STRONGLY_PREFERRED) for p in f.preferences)
        assert f.prohibited <= f.unavailable  # prohibited slots are hard, within the unavailable margin
        load = sum(inst.course_by_id[c].periods_per_week for c in inst.courses_of_faculty[f.id])
        assert load <= MARGIN * (inst.grid.n_slots - len(f.unavailable))


def test_no_session_is_pinned(instances):
    assert not any(c.fixed for inst in instances.values() for c in inst.courses)


# ------------------------------------------------------------------------------------------- cli


def test_generate_data_writes_a_loadable_file(tmp_path, capsys):
    out = tmp_path / "tiny.json"
    assert main(["generate-data", "--profile", "tiny", "--seed", "2", "-o", str(out)]) == 0
    assert load_instance(out) == generate_university("tiny", seed=2)
    printed = capsys.readouterr().out
    assert str(out) in printed and "courses" in printed


def test_generate_data_knows_every_profile():
    from timetabling.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["generate-data", "--profile", "huge", "-o", "x.json"])
    assert set(PROFILES) == {"tiny", "small", "medium", "university"}

"""Variant weight profiles are data: the shipped ones, and a user's own from a JSON or TOML file."""

from __future__ import annotations

import pytest

from timetabling.engine.generator import generate_university
from timetabling.engine.model import Rule
from timetabling.engine.pipeline import PipelineOptions, variant_rules
from timetabling.engine.pipeline.profiles import VARIANT_PROFILES, ProfileError, load_profiles


def test_the_shipped_profiles_are_the_five_variants() -> None:
    assert list(VARIANT_PROFILES) == ["Balanced", "Faculty-focused", "Compactness-focused",
                                      "Room-utilisation-focused", "Student-focused"]
    assert VARIANT_PROFILES["Faculty-focused"] == {Rule.FACULTY_PREFERENCE: 5}
    assert VARIANT_PROFILES["Balanced"] == {}


@pytest.mark.parametrize("name, text", [
    ("p.json", '{"Evening": {"batch_idle": 4}}'),
    ("p.toml", '[Evening]\nbatch_idle = 4\n'),
])
def test_a_profiles_file_gives_a_variant_its_weights(tmp_path, name, text) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    profiles = load_profiles(path)
    assert profiles == {"Evening": {Rule.BATCH_IDLE: 4}}
    inst = generate_university("tiny", seed=0)
    rules = variant_rules(inst, "Evening", PipelineOptions(profiles=profiles))
    assert rules.weight(Rule.BATCH_IDLE) == 4 * inst.rules.weight(Rule.BATCH_IDLE)
    assert rules.weight(Rule.ROOM_STABILITY) == inst.rules.weight(Rule.ROOM_STABILITY)


@pytest.mark.parametrize("text, words", [
    ('{"Evening": {"no_such_rule": 2}}', "profile 'Evening': 'no_such_rule' is not a rule that can be weighted"),
    ('{"Evening": {"batch_idle": -1}}', "rule 'batch_idle': the factor must be a whole number 0..100"),
    ('{"Evening": {"faculty_clash": 2}}', "'faculty_clash' is not a rule that can be weighted"),
    ('{"Evening": ', "not valid JSON"),
    ('[]', "expected a table of named profiles"),
])
def test_a_bad_profiles_file_is_refused_naming_the_file_and_the_entry(tmp_path, text, words) -> None:
    path = tmp_path / "profiles.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as err:
        load_profiles(path)
    assert words in str(err.value) and str(path) in str(err.value)


def test_an_unknown_variant_names_the_known_ones() -> None:
    inst = generate_university("tiny", seed=0)
    with pytest.raises(ValueError, match="unknown variant 'Evening' \\(known: Balanced, Faculty-focused"):
        variant_rules(inst, "Evening", PipelineOptions())

"""``timetable generate --weights FILE``: chosen priorities from a JSON file."""

from __future__ import annotations

import json

import pytest

from timetabling.cli import main
from timetabling.engine.checker import check
from timetabling.engine.formats.native import load_instance, load_solution, save
from timetabling.engine.generator import generate_university
from timetabling.engine.model import Rule, Rules


@pytest.fixture
def instance_file(tmp_path):
    path = tmp_path / "tiny.json"
    save(generate_university("tiny", seed=0), path)
    return path


def test_the_weights_make_the_variant_and_its_reported_cost(instance_file, tmp_path):
    weights = tmp_path / "weights.json"
    weights.write_text(json.dumps({"name": "Quiet", "weights": {"batch_idle": 30, "room_stability": 0}}))
    every = tmp_path / "variants"
    rc = main(["generate", str(instance_file), "-o", str(tmp_path / "out"), "--weights", str(weights),
               "--variants", "Balanced", "--all-variants", str(every), "--time-limit", "5", "--workers", "1",
               "--quiet"])
    assert rc == 0
    rows = {v["name"]: v for v in json.loads((every / "comparison.json").read_text())["variants"]}
    assert list(rows) == ["Balanced", "Quiet"]
    inst = load_instance(instance_file)
    chosen = inst.model_copy(update={"rules": Rules(hard=inst.rules.hard, weights={
        **inst.rules.weights, Rule.BATCH_IDLE: 30, Rule.ROOM_STABILITY: 0})})
    assert check(chosen, load_solution(every / "quiet" / "solution.json")).soft_cost == rows["Quiet"]["soft_cost"]


@pytest.mark.parametrize("content, said", [
    ({"batch_idle": 500}, "batch_idle"),
    ({"colour": 1}, "colour"),
    ("{not json", "weights.json"),
])
def test_a_bad_weights_file_is_refused_with_the_reason(instance_file, tmp_path, capsys, content, said):
    weights = tmp_path / "weights.json"
    weights.write_text(content if isinstance(content, str) else json.dumps(content))
    rc = main(["generate", str(instance_file), "-o", str(tmp_path / "out"), "--weights", str(weights), "--quiet"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "bad --weights" in err and said in err

"""The committed JSON Schemas are exactly what the domain model generates, and they accept real files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import tiny_instance
from timetabling.cli import main
from timetabling.cli.schema import MODELS, json_schema, schema_text
from timetabling.engine.checker import check
from timetabling.engine.diagnostics import diagnose, errors
from timetabling.engine.formats.native import dump, load_instance, load_solution
from timetabling.engine.model import Assignment, Solution

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "docs" / "schema"
FIX = "regenerate with: timetable schema {kind} -o docs/schema/{kind}.schema.json"


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_the_committed_schema_is_the_generated_one(kind: str) -> None:
    committed = (SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(kind), FIX.format(kind=kind)


def test_the_schema_names_its_draft_and_forbids_unknown_fields() -> None:
    schema = json_schema("instance")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["grid"]
    assert schema["$defs"]["Course"]["properties"]["session_length"]["minimum"] == 1


def test_schema_command_prints_and_writes(tmp_path: Path, capsys) -> None:
    assert main(["schema", "solution"]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema("solution")
    out = tmp_path / "sub" / "instance.schema.json"
    assert main(["schema", "instance", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == schema_text("instance")


def test_files_validate_against_the_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    instance = json.loads(dump(tiny_instance()))
    jsonschema.validate(instance, json_schema("instance"))
    solution = Solution(instance="builder", assignments=(Assignment(course="C1", session=0, day=1, period=2),))
    jsonschema.validate(json.loads(dump(solution)), json_schema("solution"))


def test_the_schema_rejects_what_the_loader_rejects() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json_schema("instance"))
    instance = json.loads(dump(tiny_instance()))
    instance["rooms"][0]["capacity"] = 0
    instance["courses"][0]["teacher"] = "F1"
    instance["faculty"][0]["unavailable"] = [[0, 1, 2]]
    paths = sorted(".".join(map(str, e.absolute_path)) for e in validator.iter_errors(instance))
    assert paths == ["courses.0", "faculty.0.unavailable.0", "rooms.0.capacity"]


def doc_examples() -> list[str]:
    text = (SCHEMA_DIR.parent / "formats.md").read_text(encoding="utf-8")
    return re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)


def test_the_documented_examples_load_and_fit_together(tmp_path: Path) -> None:
    instance_text, solution_text = doc_examples()[:2]  # the lock example is tested in test_repair
    (tmp_path / "instance.json").write_text(instance_text, encoding="utf-8")
    (tmp_path / "solution.json").write_text(solution_text, encoding="utf-8")
    instance = load_instance(tmp_path / "instance.json")
    solution = load_solution(tmp_path / "solution.json")
    assert errors(diagnose(instance)) == []
    assert solution.instance == instance.name
    placed = {(a.course, a.session) for a in solution.assignments}
    assert placed == set(instance.sessions())
    for a in solution.assignments:
        assert a.room in instance.room_by_id
        assert instance.grid.block_fits(a.period, instance.course_by_id[a.course].session_length)
    report = check(instance, solution)
    assert report.feasible and report.soft_cost == solution.meta["objective"]

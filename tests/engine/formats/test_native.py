"""Bad instance and solution files: every problem reported with its path and value, never a traceback."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import tiny_instance
from timetabling.cli import main
from timetabling.engine.errors import InputError
from timetabling.engine.formats.native import dump, load_instance, load_solution, parse, save
from timetabling.engine.model import Assignment, Instance, Solution


def tiny_dict() -> dict[str, Any]:
    return json.loads(dump(tiny_instance()))


def write(tmp_path: Path, data: Any, name: str = "instance.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def problems_of(path: Path, loader=load_instance) -> list[str]:
    with pytest.raises(InputError) as info:
        loader(path)
    assert info.value.source == str(path)
    return info.value.problems


def course_index(data: dict[str, Any], course_id: str) -> int:
    return next(i for i, c in enumerate(data["courses"]) if c["id"] == course_id)


# ---------------------------------------------------------------------------------- the file itself


def test_a_good_file_loads_back_equal(tmp_path: Path) -> None:
    inst = tiny_instance()
    save(inst, tmp_path / "ok.json")
    assert load_instance(tmp_path / "ok.json") == inst


def test_it_reports_invalid_json_with_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "name": "x",\n  "grid": }\n')
    [problem] = problems_of(path)
    assert problem.startswith("line 3, column 11: invalid JSON")


def test_it_rejects_a_file_that_is_not_a_json_object(tmp_path: Path) -> None:
    assert problems_of(write(tmp_path, "[1, 2]")) == ["expected a JSON object at the top level, got an array"]


def test_it_reports_an_empty_file(tmp_path: Path) -> None:
    assert problems_of(write(tmp_path, "  \n")) == ["the file is empty"]


def test_it_reports_a_directory_instead_of_a_file(tmp_path: Path) -> None:
    assert problems_of(tmp_path) == ["is a directory, not a file"]


def test_it_reports_a_missing_file(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "nope.json") == ["file not found"]


def test_it_reports_non_utf8_text_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{\n "name": "Génie"\n}'.encode("latin-1"))
    assert problems_of(path) == ["line 2: not UTF-8 text (byte 0xe9 at offset 13)"]


def test_it_reads_a_utf8_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + dump(tiny_instance()).encode())
    assert load_instance(path).name == "builder"


# ------------------------------------------------------------------------------------ field errors


def test_it_reports_a_missing_required_field(tmp_path: Path) -> None:
    data = tiny_dict()
    del data["grid"]
    del data["rooms"][1]["capacity"]
    problems = problems_of(write(tmp_path, data))
    assert "grid: required field is missing" in problems
    assert "rooms[1].capacity: required field is missing" in problems


def test_it_reports_a_wrong_type_with_the_value(tmp_path: Path) -> None:
    data = tiny_dict()
    data["rooms"][0]["capacity"] = "big"
    data["courses"][0]["faculty"] = "F1"
    problems = problems_of(write(tmp_path, data))
    assert any(p.startswith("rooms[0].capacity: ") and p.endswith("(got 'big')") for p in problems)
    assert "courses[0].faculty: should be a JSON array (got 'F1')" in problems


def test_it_reports_a_negative_number(tmp_path: Path) -> None:
    data = tiny_dict()
    data["batches"][1]["size"] = -5
    problems = problems_of(write(tmp_path, data))
    assert problems == ["batches[1].size: Input should be greater than or equal to 0 (got -5)"]


def test_it_reports_a_malformed_slot(tmp_path: Path) -> None:
    data = tiny_dict()
    data["faculty"][0]["unavailable"] = [[0, 1, 2]]
    problems = problems_of(write(tmp_path, data))
    assert problems == ["faculty[0].unavailable[0][2]: one value too many (a slot is [day, period]) (got 2)"]


def test_it_reports_an_unknown_field(tmp_path: Path) -> None:
    data = tiny_dict()
    data["courses"][0]["teacher"] = "F1"
    problems = problems_of(write(tmp_path, data))
    assert problems == ["courses[0].teacher: Extra inputs are not permitted (got 'F1')"]


def test_it_reports_an_invalid_rule_name_as_a_key(tmp_path: Path) -> None:
    data = tiny_dict()
    data["rules"]["weights"]["lunch"] = 3
    [problem] = problems_of(write(tmp_path, data))
    assert problem.startswith("rules.weights.lunch: invalid key: Input should be 'faculty_clash'")


def test_it_reports_an_unsupported_format_version(tmp_path: Path) -> None:
    data = tiny_dict()
    data["format_version"] = "2.0"
    problems = problems_of(write(tmp_path, data))
    assert problems == ["format_version: unsupported format_version '2.0' (this version reads 1.0 to 1.1)"]


# ------------------------------------------------------------------------------------- references


def test_it_reports_an_unknown_faculty(tmp_path: Path) -> None:
    data = tiny_dict()
    data["courses"][1]["faculty"] = ["F99"]
    assert problems_of(write(tmp_path, data)) == ["courses[1].faculty: unknown faculty 'F99'"]


def test_it_reports_an_unknown_batch(tmp_path: Path) -> None:
    data = tiny_dict()
    data["courses"][0]["batches"] = ["B1", "B9"]
    data["students"] = [{"id": "S1", "batch": "B8"}]
    problems = problems_of(write(tmp_path, data))
    assert problems == ["students[0].batch: unknown batch 'B8'", "courses[0].batches: unknown batch 'B9'"]


def test_it_reports_an_unknown_course_of_a_student(tmp_path: Path) -> None:
    data = tiny_dict()
    data["students"] = [{"id": "S1", "batch": "B1", "courses": ["C2", "X7"]}]
    assert problems_of(write(tmp_path, data)) == ["students[0].courses: unknown course 'X7'"]


def test_it_reports_an_unknown_department(tmp_path: Path) -> None:
    data = tiny_dict()
    data["departments"] = [{"id": "CS"}]
    data["rooms"][0]["department"] = "EE"
    assert problems_of(write(tmp_path, data)) == ["rooms[0].department: unknown department 'EE'"]


def test_it_reports_an_unknown_school(tmp_path: Path) -> None:
    data = tiny_dict()
    data["schools"] = [{"id": "ENG"}]
    data["departments"] = [{"id": "CS", "school": "SCI"}]
    assert problems_of(write(tmp_path, data)) == ["departments[0].school: unknown school 'SCI'"]


def test_it_reports_a_duplicate_id(tmp_path: Path) -> None:
    data = tiny_dict()
    data["rooms"].append(dict(data["rooms"][0]))
    assert problems_of(write(tmp_path, data)) == ["rooms[2].id: duplicate id 'R1'"]


def test_it_reports_a_slot_outside_the_grid(tmp_path: Path) -> None:
    data = tiny_dict()
    data["courses"][0]["fixed"] = [[5, 0]]
    data["faculty"][1]["unavailable"] = [[0, -1]]
    problems = problems_of(write(tmp_path, data))
    assert problems == [
        "faculty[1].unavailable: slot [0, -1] is outside the grid (5 days x 4 periods)",
        "courses[0].fixed: slot [5, 0] is outside the grid (5 days x 4 periods)",
    ]


def test_field_errors_and_dangling_references_are_reported_together(tmp_path: Path) -> None:
    data = tiny_dict()
    data["courses"][0]["sessions_per_week"] = -1  # a field error in the same course...
    data["courses"][0]["faculty"] = ["F99"]  # ...does not hide its dangling reference
    data["courses"][2]["batches"] = ["B7"]
    data["rooms"][0]["capacity"] = 0
    data["rooms"].append(dict(data["rooms"][1], capacity="x"))  # unreadable field, readable id
    problems = problems_of(write(tmp_path, data))
    assert "courses[0].sessions_per_week: Input should be greater than or equal to 1 (got -1)" in problems
    assert "rooms[0].capacity: Input should be greater than or equal to 1 (got 0)" in problems
    assert "courses[0].faculty: unknown faculty 'F99'" in problems
    assert "courses[2].batches: unknown batch 'B7'" in problems
    assert "rooms[2].id: duplicate id 'LAB'" in problems
    assert len(problems) == 6


def test_an_unreadable_item_is_skipped_but_keeps_the_indices(tmp_path: Path) -> None:
    data = tiny_dict()
    data["faculty"].insert(0, "F0")  # not an object: F1 and F2 move to [1] and [2] and still exist
    data["courses"][1]["faculty"] = ["F2", "F3"]
    problems = problems_of(write(tmp_path, data))
    assert problems == ["faculty[0]: should be a JSON object (got 'F0')", "courses[1].faculty: unknown faculty 'F3'"]


def test_an_unreadable_faculty_is_not_reported_as_unknown(tmp_path: Path) -> None:
    data = tiny_dict()
    data["faculty"][0]["max_hours_per_week"] = -1
    problems = problems_of(write(tmp_path, data))
    assert problems == ["faculty[0].max_hours_per_week: Input should be greater than or equal to 0 (got -1)"]


def test_slots_are_not_judged_against_an_unreadable_grid(tmp_path: Path) -> None:
    data = tiny_dict()
    data["grid"]["days"] = []
    data["courses"][0]["fixed"] = [[5, 0]]
    data["courses"][0]["faculty"] = ["F99"]
    problems = problems_of(write(tmp_path, data))
    assert problems[1:] == ["courses[0].faculty: unknown faculty 'F99'"]
    assert problems[0].startswith("grid.days: ")


# --------------------------------------------------------------------------------------- solutions


def test_a_bad_solution_file_reports_each_assignment(tmp_path: Path) -> None:
    good = Solution(instance="builder", assignments=(Assignment(course="C1", session=0, day=0, period=0),))
    data = json.loads(dump(good))
    data["assignments"].append({"course": "C1", "session": -1, "day": "Mon", "period": 0})
    problems = problems_of(write(tmp_path, data, "solution.json"), load_solution)
    assert "assignments[1].session: Input should be greater than or equal to 0 (got -1)" in problems
    assert any(p.startswith("assignments[1].day: ") and p.endswith("(got 'Mon')") for p in problems)


# -------------------------------------------------------------------------------------------- cli


def test_check_instance_exits_2_with_every_problem_and_no_traceback(tmp_path: Path, capsys) -> None:
    data = tiny_dict()
    data["courses"][0]["faculty"] = ["F99"]
    data["rooms"][0]["capacity"] = -3
    path = write(tmp_path, data)
    assert main(["check-instance", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{path}: 2 problem(s)" in err
    assert "courses[0].faculty: unknown faculty 'F99'" in err
    assert "rooms[0].capacity: Input should be greater than or equal to 1 (got -3)" in err


def test_check_instance_exits_2_on_invalid_json(tmp_path: Path, capsys) -> None:
    assert main(["check-instance", str(write(tmp_path, "{"))]) == 2
    err = capsys.readouterr().err
    assert "line 1, column 2: invalid JSON" in err and "Traceback" not in err


def test_check_instance_reports_diagnostics(tmp_path: Path, capsys) -> None:
    data = tiny_dict()
    data["courses"][0]["sessions_per_week"] = 30  # 30 periods for batch B1 on a 20-slot grid
    data["courses"][0]["min_days"] = 1
    assert main(["check-instance", str(write(tmp_path, data))]) == 1
    out = capsys.readouterr().out
    assert "error: batch B1: its courses need 32 periods a week" in out


def test_check_instance_passes_a_clean_instance(tmp_path: Path, capsys) -> None:
    path = tmp_path / "ok.json"
    save(tiny_instance(), path)
    assert main(["check-instance", str(path)]) == 0
    assert "0 error(s), 0 warning(s)" in capsys.readouterr().out


# ------------------------------------------------------------------------------------ never crashes

JUNK: list[Any] = [None, -1, 0, 1.5, True, "x", "", [], {}, [[0]], [[0, 1, 2]], [0, "a"], {"id": 1}, "F1", 10**30]


def paths_of(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths_of(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths_of(v, (*prefix, i))
    return out


def test_random_damage_gives_an_input_error_never_a_crash() -> None:
    rng = random.Random(7)
    base = tiny_dict()
    base["students"] = [{"id": "S1", "batch": "B1", "courses": ["C1"]}]
    base["faculty"][0]["preferred"] = [{"day": 0, "period": 0, "weight": 2}]
    all_paths = [p for p in paths_of(base) if p]
    for _ in range(400):
        data = copy.deepcopy(base)
        for path in rng.sample(all_paths, 3):
            node = data
            try:
                for key in path[:-1]:
                    node = node[key]
                node[path[-1]] = copy.deepcopy(rng.choice(JUNK))
            except (KeyError, IndexError, TypeError):
                continue  # an earlier change removed this path
        try:
            parse(Instance, data, "fuzz")
        except InputError as err:
            assert err.problems and all(isinstance(p, str) and p for p in err.problems)


def test_a_time_with_a_time_zone_is_an_input_error_with_its_path(tmp_path: Path) -> None:
    data = tiny_dict()
    data["grid"]["periods"][1]["end"] = "11:00+05:30"  # a grid is local clock time
    data["courses"][0]["faculty"] = ["F99"]
    problems = problems_of(write(tmp_path, data))
    assert problems[0] == (
        "grid.periods[1]: period 'P2': clock times must not carry a time zone (got 10:00:00-11:00:00+05:30)"
    )
    assert problems[1:] == ["courses[0].faculty: unknown faculty 'F99'"]

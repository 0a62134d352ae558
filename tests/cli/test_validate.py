"""``timetable validate``: exit codes, text and JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from timetabling.cli import main
from timetabling.engine.formats.native import save
from timetabling.engine.model import Assignment, Batch, Course, Faculty, Instance, Room, Solution, TimeGrid


def instance() -> Instance:
    return Instance(
        name="cli",
        grid=TimeGrid.standard(n_days=2, n_periods=3, lunch_after=None),
        faculty=(Faculty(id="F1"), Faculty(id="F2")),
        batches=(Batch(id="B1", size=10),),
        rooms=(Room(id="R1", capacity=20), Room(id="R2", capacity=20)),
        courses=(
            Course(id="C1", faculty=("F1",), batches=("B1",)),
            Course(id="C2", faculty=("F2",), batches=("B1",)),
        ),
    )


def write(tmp_path: Path, *assignments: Assignment) -> tuple[str, str]:
    save(instance(), tmp_path / "inst.json")
    save(Solution(instance="cli", assignments=assignments), tmp_path / "sol.json")
    return str(tmp_path / "inst.json"), str(tmp_path / "sol.json")


def test_it_exits_0_for_a_timetable_without_hard_violations(tmp_path, capsys):
    files = write(
        tmp_path,
        Assignment(course="C1", session=0, day=0, period=0, room="R1"),
        Assignment(course="C2", session=0, day=0, period=1, room="R1"),
    )
    assert main(["validate", *files]) == 0
    out = capsys.readouterr().out
    assert "hard violations: 0" in out
    assert "compactness: 10.00" in out


def test_it_exits_1_and_names_offenders_for_a_clash(tmp_path, capsys):
    files = write(
        tmp_path,
        Assignment(course="C1", session=0, day=0, period=0, room="R1"),
        Assignment(course="C2", session=0, day=0, period=0, room="R2"),
    )
    assert main(["validate", *files]) == 1
    out = capsys.readouterr().out
    assert "batch_clash: 1" in out
    assert "batch B1: C1#0 and C2#0 at Mon P1" in out


def test_json_output_parses(tmp_path, capsys):
    files = write(tmp_path, Assignment(course="C1", session=0, day=0, period=0, room="R1"))
    assert main(["validate", *files, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["hard"]["unscheduled"] == 1
    assert report["hard_total"] == 1
    assert report["offenders"]["unscheduled"] == ["course C2: 0 of 1 sessions placed"]


def test_it_exits_2_when_a_file_is_missing(tmp_path, capsys):
    inst, _ = write(tmp_path)
    assert main(["validate", inst, str(tmp_path / "nope.json")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_it_exits_2_when_the_solution_names_an_unknown_course(tmp_path, capsys):
    files = write(tmp_path, Assignment(course="X", session=0, day=0, period=0, room="R1"))
    assert main(["validate", *files]) == 2
    assert "assignments[0].course: unknown course 'X'" in capsys.readouterr().err


def test_it_reads_itc2007_files_by_suffix(tmp_path, capsys):
    pytest.importorskip("timetabling.engine.formats.itc2007")
    ctt = tmp_path / "toy.ctt"
    ctt.write_text(
        "Name: Toy\nCourses: 2\nRooms: 1\nDays: 2\nPeriods_per_day: 2\nCurricula: 1\nConstraints: 0\n\n"
        "COURSES:\nc1 t1 2 2 30\nc2 t2 1 1 10\n\nROOMS:\nr1 20\n\nCURRICULA:\nq1 2 c1 c2\n\n"
        "UNAVAILABILITY_CONSTRAINTS:\n\nEND.\n"
    )
    sol = tmp_path / "toy.sol"
    sol.write_text("c1 r1 0 0\nc1 r1 0 1\nc2 r1 1 0\n")
    assert main(["validate", str(ctt), str(sol), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    # c1: 30 students in 20 seats twice; one working day of 2; c2 alone on day 1 (isolated)
    assert report["soft_cost_by_rule"].get("room_capacity") == 20
    assert report["soft_cost_by_rule"].get("course_min_days") == 5
    assert report["soft_cost_by_rule"].get("isolated_session") == 2
    assert report["soft_cost"] == 27

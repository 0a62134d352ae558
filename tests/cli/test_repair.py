"""``timetable repair``, ``timetable diff`` and ``generate --lock``: outputs, the checker's verdict, bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from timetabling.cli import main
from timetabling.engine.checker import check
from timetabling.engine.formats.native import load_instance, load_solution, save
from timetabling.engine.generator import generate_university
from timetabling.engine.model import Assignment, Slot, Solution
from timetabling.engine.repair import Lock, LockFile, broken_locks
from timetabling.engine.solver import SolveOptions, solve


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path]:
    """The ``tiny`` university and a first timetable of it."""
    folder = tmp_path_factory.mktemp("repair")
    inst = generate_university("tiny", seed=0)
    sol = solve(inst, SolveOptions(time_limit=10, workers=1, optimize=False)).solution
    save(inst, folder / "instance.json")
    save(sol, folder / "first.json")
    return folder / "instance.json", folder / "first.json"


def lose_a_day(instance_file: Path, solution_file: Path, out: Path) -> tuple[Path, str, int]:
    inst, sol = load_instance(instance_file), load_solution(solution_file)
    a = sol.assignments[0]
    fid = inst.course_by_id[a.course].faculty[0]
    f = inst.faculty_by_id[fid]
    gone = f.unavailable | {Slot(a.day, p) for p in range(inst.grid.n_periods)}
    changed = inst.model_copy(update={"faculty": tuple(x.model_copy(update={"unavailable": gone}) if x.id == fid
                                                       else x for x in inst.faculty)})
    save(changed, out)
    return out, fid, a.day


def write_locks(path: Path, locks: tuple[Lock, ...]) -> Path:
    path.write_text(LockFile(locks=locks).model_dump_json(), encoding="utf-8")
    return path


def test_repair_writes_the_timetable_and_the_changes(files, tmp_path, capsys) -> None:
    instance_file, first = files
    changed, fid, _day = lose_a_day(instance_file, first, tmp_path / "changed.json")
    out = tmp_path / "out"
    rc = main(["repair", str(changed), "--from", str(first), "-o", str(out), "--workers", "1"])
    assert rc == 0
    assert {p.name for p in out.iterdir()} == {"solution.json", "changes.json", "changes.csv"}
    inst = load_instance(changed)
    repaired = load_solution(out / "solution.json")
    assert check(inst, repaired).hard_total == 0
    report = json.loads((out / "changes.json").read_text())
    assert report["summary"]["moved_in_time"] >= 1
    assert fid in report["per_faculty"]
    rows = list(csv.DictReader((out / "changes.csv").open()))
    assert sum(1 for r in rows if r["record"] == "session") == len(report["sessions"])
    printed = capsys.readouterr().out
    assert "checker: 0 hard violations" in printed and "soft cost" in printed and "moved in time" in printed


def test_repair_keeps_the_locks(files, tmp_path) -> None:
    instance_file, first = files
    changed, fid, day = lose_a_day(instance_file, first, tmp_path / "changed.json")
    sol, inst = load_solution(first), load_instance(instance_file)
    locks = tuple(Lock(course=a.course, day=a.day, period=a.period, room=a.room) for a in sol.assignments[5:15]
                  if not (a.day == day and fid in inst.course_by_id[a.course].faculty))
    out = tmp_path / "out"
    rc = main(["repair", str(changed), "--from", str(first), "-o", str(out), "--workers", "1",
               "--lock", str(write_locks(tmp_path / "locks.json", locks))])
    assert rc == 0
    assert broken_locks(load_instance(changed), load_solution(out / "solution.json"), locks) == []


def test_generate_keeps_the_locks(files, tmp_path) -> None:
    instance_file, first = files
    sol = load_solution(first)
    # pin sessions somewhere else than the first timetable put them: the optimiser must not undo it
    locks = tuple(Lock(course=a.course, day=a.day, period=a.period) for a in sol.assignments[:6])
    out = tmp_path / "out"
    rc = main(["generate", str(instance_file), "-o", str(out), "--time-limit", "5", "--workers", "1", "--quiet",
               "--lock", str(write_locks(tmp_path / "locks.json", locks))])
    assert rc == 0
    inst = load_instance(instance_file)
    result = load_solution(out / "solution.json")
    assert broken_locks(inst, result, locks) == []
    assert check(inst, result).hard_total == 0


def test_diff_of_identical_timetables_prints_no_changes(files, capsys) -> None:
    instance_file, first = files
    assert main(["diff", str(instance_file), str(first), str(first)]) == 0
    assert capsys.readouterr().out.strip() == "no changes"
    assert main(["diff", str(instance_file), str(first), str(first), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sessions"] == []


@pytest.mark.parametrize("problem", ["foreign", "deleted course", "no such slot", "no such room"])
def test_bad_input_exits_2_naming_what_is_wrong(files, tmp_path, capsys, problem) -> None:
    instance_file, first = files
    args = ["repair", str(instance_file), "--from", str(first), "-o", str(tmp_path / "out")]
    sol = load_solution(first)
    a = sol.assignments[0]
    if problem == "foreign":
        foreign = Solution(instance="elsewhere", assignments=tuple(
            Assignment(course=f"X{i}", session=0, day=0, period=i % 4) for i in range(20)))
        save(foreign, tmp_path / "foreign.json")
        args[3], expected = str(tmp_path / "foreign.json"), "another instance"
    else:
        lock = {"deleted course": Lock(course="GONE-101", day=0, period=0),
                "no such slot": Lock(course=a.course, day=40, period=0),
                "no such room": Lock(course=a.course, day=a.day, period=a.period, room="ATLANTIS")}[problem]
        args += ["--lock", str(write_locks(tmp_path / "locks.json", (lock,)))]
        expected = {"deleted course": "unknown course 'GONE-101'", "no such slot": "outside the grid",
                    "no such room": "unknown room 'ATLANTIS'"}[problem]
    assert main(args) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "out" / "solution.json").exists()


def test_locks_that_cannot_hold_are_diagnosed_not_silent(files, tmp_path, capsys) -> None:
    instance_file, first = files
    inst = load_instance(instance_file)
    fid = next(f for f, courses in inst.courses_of_faculty.items() if len(courses) >= 2)
    c1, c2 = inst.courses_of_faculty[fid][:2]
    locks = (Lock(course=c1, day=0, period=0), Lock(course=c2, day=0, period=0))
    rc = main(["repair", str(instance_file), "--from", str(first), "-o", str(tmp_path / "out"),
               "--lock", str(write_locks(tmp_path / "locks.json", locks))])
    assert rc == 1
    err = capsys.readouterr().err
    assert "lock 1" in err and "lock 2" in err and f"faculty {fid}" in err

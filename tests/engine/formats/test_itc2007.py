"""ITC-2007 track 3: the .ctt/.sol reader and writer, and official scoring of the reference solutions."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from timetabling.bench.itc import best_known, gap_pct, run_itc_bench
from timetabling.engine.checker import check
from timetabling.engine.errors import InputError
from timetabling.engine.formats.itc2007 import (
    ITC_RULES,
    read_ctt,
    read_itc_solution,
    write_itc_solution,
)
from timetabling.engine.model import Rule, Slot
from timetabling.engine.solver import SolveResult

REFERENCE_COSTS = {
    "comp01": 5,
    "comp02": 36,
    "comp03": 66,
    "comp04": 37,
    "comp05": 305,
    "comp06": 40,
    "comp07": 14,
}



TOY = """\
Name: ToyExample
Courses: 4
Rooms: 2
Days: 5
Periods_per_day: 4
Curricula: 2
Constraints: 8

COURSES:
SceCosC Ocra 3 3 30
ArcTec Indaco 3 2 42
TecCos Rosa 5 4 40
Geotec Scarlatti 5 4 18

ROOMS:
A 32
B 50

CURRICULA:
Cur1 3 SceCosC ArcTec TecCos
Cur2 2 TecCos Geotec

UNAVAILABILITY_CONSTRAINTS:
TecCos 2 0
TecCos 2 1
TecCos 3 2
TecCos 3 3
ArcTec 4 0
ArcTec 4 1
ArcTec 4 2
ArcTec 4 3

END.
"""


def write(tmp_path: Path, text: str, name: str = "x.ctt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as err:
        read_ctt(path)
    assert err.value.source == str(path)
    return err.value.problems


# ------------------------------------------------------------------------------------------ reader


def test_it_maps_the_toy_instance_onto_the_domain_model(tmp_path):
    inst = read_ctt(write(tmp_path, TOY))
    assert inst.name == "ToyExample"
    assert (inst.grid.n_days, inst.grid.n_periods, inst.grid.breaks) == (5, 4, ())
    tec = inst.course_by_id["TecCos"]
    assert tec.faculty == ("Rosa",)
    assert (tec.sessions_per_week, tec.session_length, tec.min_days, tec.max_per_day) == (5, 1, 4, 5)
    assert tec.batches == ("Cur1", "Cur2")
    assert tec.unavailable == {Slot(2, 0), Slot(2, 1), Slot(3, 2), Slot(3, 3)}
    assert inst.course_size == {"SceCosC": 30, "ArcTec": 42, "TecCos": 40, "Geotec": 18}
    assert [(r.id, r.capacity, r.type) for r in inst.rooms] == [("A", 32, "lecture"), ("B", 50, "lecture")]
    assert [(b.id, b.size) for b in inst.batches] == [("Cur1", 0), ("Cur2", 0)]
    assert [f.id for f in inst.faculty] == ["Ocra", "Indaco", "Rosa", "Scarlatti"]
    assert inst.rules == ITC_RULES


def test_its_rules_are_the_official_weights_and_nothing_else_binds(tmp_path):
    inst = read_ctt(write(tmp_path, TOY))
    weights = {rule: inst.rules.weight(rule) for rule in Rule}
    assert {r: w for r, w in weights.items() if w} == {
        Rule.ROOM_CAPACITY: 1,
        Rule.COURSE_MIN_DAYS: 5,
        Rule.ISOLATED_SESSION: 2,
        Rule.ROOM_STABILITY: 1,
    }
    assert not inst.rules.is_hard(Rule.ROOM_CAPACITY)
    assert not inst.rules.is_hard(Rule.COURSE_MAX_PER_DAY)
    for f in inst.faculty:  # limits no clash-free timetable can reach, should they ever be made hard
        assert f.max_hours_per_week >= inst.grid.n_slots
        assert f.max_hours_per_day >= inst.grid.n_periods
        assert f.max_consecutive >= inst.grid.n_periods


def test_it_reads_tabs_runs_of_spaces_and_r_prefixed_room_ids(tmp_path):
    messy = (
        TOY.replace("A 32", "rA\t\t32")
        .replace("B 50", "  rB   50  ")
        .replace("Cur1 3 SceCosC", "Cur1\t3 \t SceCosC")
        .replace("ArcTec 4 0", "ArcTec\t4\t0")
    )
    inst = read_ctt(write(tmp_path, messy))
    assert [(r.id, r.capacity) for r in inst.rooms] == [("rA", 32), ("rB", 50)]
    assert inst.course_by_id["SceCosC"].batches == ("Cur1",)
    assert Slot(4, 0) in inst.course_by_id["ArcTec"].unavailable


def test_it_reads_all_competition_instances(bench):
    sessions = {}
    for path in sorted((bench / "instances").glob("*.ctt")):
        inst = read_ctt(path)
        sessions[path.stem] = inst.n_sessions
    assert sessions == {
        "comp01": 160,
        "comp02": 283,
        "comp03": 251,
        "comp04": 286,
        "comp05": 152,
        "comp06": 361,
        "comp07": 434,
        "toy": 16,
    }


# ------------------------------------------------------------------------------ malformed .ctt files


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("Geotec Scarlatti 5 4 18", "Geotec Scarlatti 5 4", "line 13: a course (id teacher"),
        ("Geotec Scarlatti 5 4 18", "Geotec Scarlatti five 4 18", "line 13: lectures must be a whole number"),
        ("B 50", "B 5O", "line 17: room capacity must be a whole number (got '5O')"),
        ("Cur2 2 TecCos Geotec", "Cur2 2 TecCos Geotek", "line 21: curriculum 'Cur2' lists unknown course"),
        ("Cur2 2 TecCos Geotec", "Cur2 3 TecCos Geotec", "line 21: curriculum 'Cur2' says 3 courses"),
        ("TecCos 3 3\n", "TecCos 3 3 3\n", "line 27: a unavailability (course day period) line"),
        ("ArcTec 4 3", "ArcTec 5 3", "line 31: slot (5, 3) is outside the grid (5 days x 4 periods)"),
        ("ArcTec 4 3", "ArkTec 4 3", "line 31: unknown course 'ArkTec'"),
        ("Courses: 4", "Courses: 5", "line 9: the header says Courses: 5 but the COURSES: section has 4"),
        ("Constraints: 8", "Constraints: 9", "line 23: the header says Constraints: 9"),
        ("Days: 5", "Days: five", "line 4: 'Days:' must be a whole number (got 'five')"),
        ("Days: 5\n", "", "line 8: the header has no 'Days:' line before COURSES:"),
        ("Rooms: 2", "Room: 2", "line 3: unknown header line 'Room: 2'"),
        ("\nEND.\n", "\n", "line 31: the file ends without END."),
        ("ROOMS:", "ROOMZ:", "line 19: expected section ROOMS: but found CURRICULA:"),
        ("CURRICULA:", "UNAVAILABILITY_CONSTRAINTS:", "line 19: expected section CURRICULA:"),
        ("SceCosC Ocra 3 3 30", "SceCosC Ocra 3 4 30", "line 10: course 'SceCosC' needs 4 working days"),
        ("Geotec Scarlatti 5 4 18", "TecCos Scarlatti 5 4 18", "line 13: course 'TecCos' is listed twice"),
        ("END.\n", "END.\nmore\n", "line 34: unexpected text after END."),
    ],
)
def test_a_malformed_ctt_names_the_line_and_the_problem(tmp_path, old, new, expected):
    assert old in TOY
    problems = problems_of(write(tmp_path, TOY.replace(old, new, 1)))
    assert problems[0].startswith(expected), problems


def test_a_missing_file_is_an_input_error(tmp_path):
    assert problems_of(tmp_path / "nope.ctt") == ["file not found"]


# ------------------------------------------------------------------------------------ solutions


@pytest.mark.parametrize("name", ["toy", "comp01"])
def test_a_solution_survives_a_write_and_read_round_trip(bench, tmp_path, name):
    inst = read_ctt(bench / "instances" / f"{name}.ctt")
    if name == "toy":  # no reference: place each lecture in its own slot, room A
        slots = [(d, p) for d in range(5) for p in range(4)]
        text = "".join(
            f"{cid} A {slots[i][0]} {slots[i][1]}\n"
            for i, cid in enumerate(c.id for c in inst.courses for _ in range(c.sessions_per_week))
        )
        source = write(tmp_path, text, "toy.sol")
    else:
        source = bench / "solutions" / f"{name}.sol"
    sol = read_itc_solution(source, inst)
    assert len(sol.assignments) == inst.n_sessions
    write_itc_solution(inst, sol, tmp_path / "out.sol")
    again = read_itc_solution(tmp_path / "out.sol", inst)
    assert again.assignments == sol.assignments
    if name == "comp01":  # the reference is grouped by course in instance order, so the text is identical
        assert (tmp_path / "out.sol").read_text().split() == source.read_text().split()


def test_a_solution_may_spell_room_ids_with_or_without_the_r_prefix(tmp_path):
    plain = read_ctt(write(tmp_path, TOY))
    prefixed = read_ctt(write(tmp_path, TOY.replace("A 32", "rA 32").replace("B 50", "rB 50"), "r.ctt"))
    sol = write(tmp_path, "SceCosC rB 0 0\nArcTec A 0 1\n", "x.sol")
    assert [a.room for a in read_itc_solution(sol, plain).assignments] == ["B", "A"]
    assert [a.room for a in read_itc_solution(sol, prefixed).assignments] == ["rB", "rA"]


def test_solution_sessions_are_numbered_per_course_in_file_order(tmp_path):
    inst = read_ctt(write(tmp_path, TOY))
    sol = read_itc_solution(write(tmp_path, "TecCos A 0 0\nGeotec B 0 0\nTecCos\tB  1 2\n", "x.sol"), inst)
    assert [(a.course, a.session, a.day, a.period, a.room) for a in sol.assignments] == [
        ("TecCos", 0, 0, 0, "A"),
        ("Geotec", 0, 0, 0, "B"),
        ("TecCos", 1, 1, 2, "B"),
    ]
    assert sol.instance == "ToyExample"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("TecCos A 0", "line 2: a solution (course room day period) line has 4 fields, this one has 3"),
        ("TecKos A 0 0", "line 2: unknown course 'TecKos'"),
        ("TecCos Z 0 0", "line 2: unknown room 'Z'"),
        ("TecCos A x 0", "line 2: day must be a whole number (got 'x')"),
        ("TecCos A 0 4", "line 2: slot (0, 4) is outside the grid (5 days x 4 periods)"),
        ("TecCos A -1 0", "line 2: day must be at least 0 (got -1)"),
    ],
)
def test_a_malformed_solution_names_the_line(tmp_path, line, expected):
    inst = read_ctt(write(tmp_path, TOY))
    path = write(tmp_path, f"Geotec A 1 1\n{line}\n", "bad.sol")
    with pytest.raises(InputError) as err:
        read_itc_solution(path, inst)
    assert expected in err.value.problems


def test_writing_a_lecture_without_a_room_is_an_input_error(tmp_path):
    from timetabling.engine.model import Assignment, Solution

    inst = read_ctt(write(tmp_path, TOY))
    sol = Solution(assignments=(Assignment(course="TecCos", session=0, day=0, period=0),))
    with pytest.raises(InputError, match="has no room"):
        write_itc_solution(inst, sol, tmp_path / "x.sol")


def test_a_solution_with_more_lectures_than_the_course_has_names_the_line(tmp_path):
    inst = read_ctt(write(tmp_path, TOY))
    text = "".join(f"SceCosC A {d} 0\n" for d in range(4))
    with pytest.raises(InputError) as err:
        read_itc_solution(write(tmp_path, text, "x.sol"), inst)
    assert err.value.problems == ["line 4: course 'SceCosC' has 3 lecture(s); this line is one more"]


# -------------------------------------------------------------------------------- official scoring


@pytest.mark.parametrize("name", sorted(REFERENCE_COSTS))
def test_the_checker_reproduces_the_official_cost_of_each_reference_solution(bench, name):
    inst = read_ctt(bench / "instances" / f"{name}.ctt")
    report = check(inst, read_itc_solution(bench / "solutions" / f"{name}.sol", inst))
    assert report.hard_total == 0, {r: n for r, n in report.hard.items() if n}
    assert report.soft_cost == REFERENCE_COSTS[name], report.soft_cost_by_rule


def test_the_reference_costs_split_by_rule_as_the_official_validator_reports_them(bench):
    inst = read_ctt(bench / "instances" / "comp01.ctt")
    report = check(inst, read_itc_solution(bench / "solutions" / "comp01.sol", inst))
    assert report.soft_cost_by_rule == {
        Rule.ROOM_CAPACITY: 4,
        Rule.COURSE_MIN_DAYS: 0,
        Rule.ISOLATED_SESSION: 0,
        Rule.ROOM_STABILITY: 1,
    }


def test_the_checker_counts_itc_hard_violations_by_their_official_conventions(tmp_path):
    inst = read_ctt(write(tmp_path, TOY))
    text = (
        "SceCosC A 0 0\n"  # Cur1 with ArcTec in the same period: one curriculum clash pair
        "ArcTec B 0 0\n"
        "TecCos A 1 0\n"  # TecCos and Geotec (Cur2) in room A at the same period: one room clash
        "Geotec A 1 0\n"
        "TecCos B 2 0\n"  # TecCos is unavailable on day 2, period 0
    )
    report = check(inst, read_itc_solution(write(tmp_path, text, "x.sol"), inst))
    assert report.hard[Rule.BATCH_CLASH] == 2  # (SceCosC, ArcTec) in Cur1 and (TecCos, Geotec) in Cur2
    assert report.hard[Rule.ROOM_CLASH] == 1
    assert report.hard[Rule.UNAVAILABLE] == 1
    assert report.hard[Rule.UNSCHEDULED] == (3 - 1) + (3 - 1) + (5 - 2) + (5 - 1)


def test_two_lectures_of_a_course_in_one_period_count_as_one_unscheduled_lecture(bench, tmp_path):
    inst = read_ctt(bench / "instances" / "comp01.ctt")
    lines = (bench / "solutions" / "comp01.sol").read_text().splitlines()
    course, _, day, period = lines[0].split()
    assert lines[1].startswith(f"{course} ")
    lines[1] = f"{course} C {day} {period}"  # its second lecture joins the first, in another room
    report = check(inst, read_itc_solution(write(tmp_path, "\n".join(lines), "x.sol"), inst))
    assert {r: n for r, n in report.hard.items() if n} == {Rule.UNSCHEDULED: 1}


# ------------------------------------------------------------------------------------------- bench


def test_the_best_known_costs_are_those_of_the_benchmark_readme():
    table = best_known()
    assert {n: b.best_known for n, b in table.items() if n.startswith("comp")} == {
        "comp01": 5,
        "comp02": 24,
        "comp03": 62,
        "comp04": 35,
        "comp05": 284,
        "comp06": 27,
        "comp07": 6,
    }
    assert [table[f"comp0{i}"].itc2007_winner for i in range(1, 8)] == [5, 43, 72, 35, 298, 41, 14]
    assert sum(b.best_known for n, b in table.items() if n.startswith("comp")) == 443


@pytest.mark.parametrize(
    ("cost", "best", "gap"), [(10, 5, 100.0), (5, 5, 0.0), (36, 24, 50.0), (0, 0, 0.0), (3, 0, None), (4, None, None)]
)
def test_the_gap_is_in_percent_of_the_best_known(cost, best, gap):
    assert gap_pct(cost, best) == gap


@pytest.mark.slow
@pytest.mark.usefixtures("compiled_search")
def test_the_bench_solves_toy_scores_it_and_writes_the_table_and_the_solution(tmp_path):
    folder = tmp_path / "instances"
    folder.mkdir()
    write(folder, TOY, "toy.ctt")
    rows = run_itc_bench(folder, time_limit=10, workers=1, out_dir=tmp_path / "out")
    assert len(rows) == 1
    row = rows[0]
    assert (row["instance"], row["hard_violations"], row["soft_cost"], row["best_known"]) == ("toy", 0, 0, 0)
    assert row["gap_pct"] == 0.0
    assert row["first_feasible_s"] is not None and row["first_feasible_s"] <= row["total_s"]
    with (tmp_path / "out" / "results.csv").open() as f:
        table = list(csv.DictReader(f))
    assert table[0]["instance"] == "toy" and table[0]["soft_cost"] == "0" and table[0]["isolated_session"] == "0"
    inst = read_ctt(folder / "toy.ctt")
    sol = read_itc_solution(tmp_path / "out" / "toy.sol", inst)
    assert check(inst, sol).hard_total == 0


def test_a_bench_run_without_a_timetable_has_an_empty_row_and_no_solution_file(tmp_path):
    folder = tmp_path / "instances"
    folder.mkdir()
    write(folder, TOY, "toy.ctt")

    def gives_up(instance, options):  # a stand-in for a solver that finds nothing in time
        return SolveResult("unknown", None)

    rows = run_itc_bench(folder, time_limit=1, workers=1, out_dir=tmp_path / "out", solver=gives_up)
    assert rows[0]["status"] == "unknown"
    assert rows[0]["hard_violations"] is None and rows[0]["soft_cost"] is None
    assert not (tmp_path / "out" / "toy.sol").exists()
    assert (tmp_path / "out" / "results.csv").exists()


def test_the_bench_refuses_an_instance_it_cannot_find(tmp_path):
    write(tmp_path, TOY, "toy.ctt")
    with pytest.raises(InputError, match=r"no instance 'comp09\.ctt' here"):
        run_itc_bench(tmp_path, time_limit=1, out_dir=tmp_path / "out", only=["comp09"])
    with pytest.raises(InputError, match=r"no \.ctt files"):
        run_itc_bench(tmp_path / "out", time_limit=1, out_dir=tmp_path / "out")


@pytest.mark.slow
@pytest.mark.usefixtures("compiled_search")
def test_timetable_bench_itc2007_prints_the_table_and_exits_0_when_feasible(tmp_path, capsys):
    from timetabling.cli import main

    folder = tmp_path / "instances"
    folder.mkdir()
    write(folder, TOY, "toy.ctt")
    argv = ["bench", "itc2007", "--instances", str(folder), "--time-limit", "10", "--workers", "1"]
    assert main([*argv, "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "toy: optimal, hard 0, cost 0" in out
    assert out.splitlines()[-3].split()[:3] == ["toy", "0", "0"]
    assert (tmp_path / "out" / "toy.sol").exists()


def test_the_table_totals_only_feasible_instances_with_both_published_costs():
    from timetabling.bench.itc import COLUMNS
    from timetabling.cli.bench_itc import render_table

    def row(name, cost, best, winner, hard=0):
        r = dict.fromkeys(COLUMNS)
        r.update(instance=name, hard_violations=hard, soft_cost=cost, best_known=best, itc2007_winner=winner)
        return r

    rows = [row("comp01", 5, 5, 5), row("comp02", 40, 24, 43), row("toy", 0, 0, None), row("comp03", 9, 62, 72, 1)]
    lines = render_table(rows).splitlines()
    assert lines[-2].split() == ["total", "45", "29", "48"]
    assert lines[-1] == "(total over 2 instances: comp01, comp02)"

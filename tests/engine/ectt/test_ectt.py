"""The extended CB-CTT format (.ectt): reader and writer, the UD1-UD5 scorer against the official
validator's figures, the mapping onto the native model, and the bench."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from timetabling.bench.ectt import run_ectt_bench
from timetabling.cli import main
from timetabling.engine.checker import check
from timetabling.engine.ectt import FORMULATIONS, score, to_instance
from timetabling.engine.ectt.mapping import lectures_of
from timetabling.engine.errors import InputError
from timetabling.engine.formats.ectt import (
    Lecture,
    read_ectt,
    read_ectt_solution,
    write_ectt,
    write_ectt_solution,
)
from timetabling.engine.improve.anneal import AnnealConfig, Chain, Problem, anneal
from timetabling.engine.model import Rule, Slot
from timetabling.engine.solver import SolveOptions, solve

DATA = Path(__file__).parents[3] / "benchmarks" / "ectt"  # a copy of ../shared/benchmarks/ectt
ITC = Path(__file__).parents[3] / "benchmarks" / "itc2007"


def expected_rows() -> dict[tuple[str, str], dict[str, int]]:
    out: dict[tuple[str, str], dict[str, int]] = {}
    if not (DATA / "expected.csv").is_file():
        return out
    with (DATA / "expected.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.setdefault((row["instance"], row["formulation"]), {})[row["component"]] = int(row["value"])
    return out


EXPECTED = expected_rows()


@pytest.fixture(scope="module")
def data() -> Path:
    if not (DATA / "instances").is_dir():
        pytest.skip(f"ECTT benchmark data not found at {DATA}")
    return DATA


def write(tmp_path: Path, text: str, name: str = "x.ectt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


TOY = (DATA / "instances" / "toy.ectt").read_text(encoding="utf-8") if (DATA / "instances").is_dir() else ""


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as err:
        read_ectt(path)
    return err.value.problems


# ------------------------------------------------------------------------------------------ reader


def test_it_reads_every_field_of_the_toy_instance(data):
    inst = read_ectt(data / "instances" / "toy.ectt")
    assert (inst.name, inst.n_days, inst.n_periods, inst.min_daily, inst.max_daily) == ("Toy", 5, 4, 2, 3)
    assert [(c.id, c.teacher, c.lectures, c.min_days, c.students, c.double_lectures) for c in inst.courses][:2] == [
        ("SceCosC", "Ocra", 3, 3, 30, True),
        ("ArcTec", "Indaco", 3, 2, 42, False),
    ]
    assert [(r.id, r.capacity, r.building) for r in inst.rooms] == [("rA", 32, "1"), ("rB", 50, "0"), ("rC", 40, "0")]
    assert [(q.id, q.courses) for q in inst.curricula] == [
        ("Cur1", ("SceCosC", "ArcTec", "TecCos")),
        ("Cur2", ("TecCos", "Geotec")),
    ]
    assert ("TecCos", 2, 0) in inst.unavailable and len(inst.unavailable) == 8
    assert inst.room_constraints == {("SceCosC", "rA"), ("Geotec", "rB"), ("TecCos", "rC")}
    assert inst.extended


def test_an_instance_written_and_read_back_is_the_same(data, tmp_path):
    for name in ("toy", "comp01", "test1"):
        inst = read_ectt(data / "instances" / f"{name}.ectt")
        write_ectt(inst, tmp_path / f"{name}.ectt")
        assert read_ectt(tmp_path / f"{name}.ectt") == inst


def test_a_solution_written_and_read_back_is_the_same(data, tmp_path):
    inst = read_ectt(data / "instances" / "comp01.ectt")
    lectures = read_ectt_solution(data / "solutions" / "comp01.sol", inst)
    write_ectt_solution(lectures, tmp_path / "out.sol")
    assert read_ectt_solution(tmp_path / "out.sol", inst) == lectures
    assert (tmp_path / "out.sol").read_text().split() == (data / "solutions" / "comp01.sol").read_text().split()


def test_it_still_reads_itc2007_ctt_files_and_scores_them_as_ud2():
    if not (ITC / "instances").is_dir():
        pytest.skip("ITC-2007 data not found")
    inst = read_ectt(ITC / "instances" / "comp01.ctt")
    assert not inst.extended and inst.room_constraints == frozenset() and inst.max_daily == 0
    lectures = read_ectt_solution(ITC / "solutions" / "comp01.sol", inst)
    assert score(inst, lectures, "UD2").soft_cost == 5


# -------------------------------------------------------------------------------- official figures


@pytest.mark.parametrize(("instance", "formulation"), sorted(EXPECTED))
def test_it_reproduces_the_official_validator(data, instance, formulation):
    inst = read_ectt(data / "instances" / f"{instance}.ectt")
    result = score(inst, read_ectt_solution(data / "solutions" / f"{instance}.sol", inst), formulation)
    got = {**result.hard, **result.soft, "TOTAL_HARD": result.hard_total, "TOTAL_SOFT": result.soft_cost}
    assert got == EXPECTED[instance, formulation]


def test_there_are_35_official_figures_to_reproduce():
    assert len(EXPECTED) in (0, 35)


# ---------------------------------------------------------------------------------- components


def toy_score(lectures: list[Lecture], which: str) -> dict[str, int]:
    inst = read_ectt(DATA / "instances" / "toy.ectt")
    result = score(inst, lectures, which)
    return {**result.hard, **result.soft}


def test_it_counts_a_window_of_two_periods_as_two(data):
    # Cur2 (TecCos, Geotec): periods 0 and 3 of Monday leave a window of 2 periods
    got = toy_score([Lecture("TecCos", "rB", 0, 0), Lecture("Geotec", "rA", 0, 3)], "UD4")
    assert got["CurriculumCompactness"] == 2


def test_it_counts_an_instantaneous_move_between_buildings(data):
    # rA is in building 1, rB in building 0: periods 0 and 1 of one curriculum, one move (weight 2 in UD5)
    got = toy_score([Lecture("TecCos", "rB", 0, 0), Lecture("Geotec", "rA", 0, 1)], "UD5")
    assert got["TravelDistance"] == 2


def test_it_counts_lectures_below_the_daily_minimum_and_above_the_maximum(data):
    one = [Lecture("ArcTec", "rB", 1, 0)]  # Cur1 has 1 lecture on Tuesday: 1 below the minimum of 2
    four = [Lecture("SceCosC", "rB", 0, p) for p in range(2)] + [Lecture("ArcTec", "rC", 0, p) for p in (2, 3)]
    assert toy_score(one, "UD4")["StudentLoad"] == 1
    assert toy_score(four, "UD4")["StudentLoad"] == 1  # 4 on Monday, max 3


def test_it_counts_double_lectures_apart_or_in_two_rooms(data):
    apart = [Lecture("SceCosC", "rB", 0, 0), Lecture("SceCosC", "rB", 0, 2)]
    two_rooms = [Lecture("SceCosC", "rB", 0, 0), Lecture("SceCosC", "rC", 0, 1)]
    paired = [Lecture("SceCosC", "rB", 0, 0), Lecture("SceCosC", "rB", 0, 1)]
    single = [Lecture("SceCosC", "rB", 0, 0)]
    assert [toy_score(x, "UD4")["DoubleLectures"] for x in (apart, two_rooms, paired, single)] == [2, 2, 0, 0]


def test_room_constraints_are_hard_in_ud4_and_cost_three_in_ud3(data):
    forbidden = [Lecture("SceCosC", "rA", 0, 0)]
    assert toy_score(forbidden, "UD4")["RoomConstraints"] == 1
    assert toy_score(forbidden, "UD3")["RoomConstraints"] == 3


# -------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("change", "line", "problem"),
    [
        (("ROOM_CONSTRAINTS:\n", ""), 40, "expected section ROOM_CONSTRAINTS: but found END."),
        (("Courses: 4", "Courses: 5"), 11, "the header says Courses: 5 but the COURSES: section has 4 line(s)"),
        (("Cur2 2 TecCos Geotec", "Cur2 2 TecCos Nope"), 24, "curriculum 'Cur2' lists unknown course 'Nope'"),
        (("Geotec rB", "Geotec rZ"), 38, "room constraint on unknown room 'rZ'"),
        (("Min_Max_Daily_Lectures: 2 3", "Min_Max_Daily_Lectures: 3"), 7, "'Min_Max_Daily_Lectures:' takes 2"),
        (("Geotec Scarlatti 5 4 18 1", "Geotec Scarlatti 5 4 18"), 15, "a course (id teacher lectures"),
    ],
)
def test_bad_input_names_the_line_and_the_problem(data, tmp_path, change, line, problem):
    assert change[0] in TOY
    path = write(tmp_path, TOY.replace(*change))
    problems = problems_of(path)
    assert any(p.startswith(f"line {line}: {problem}") for p in problems), problems


def test_the_cli_exits_2_on_a_malformed_instance(data, tmp_path, capsys):
    path = write(tmp_path, TOY.replace("Geotec rB", "Geotec rZ"))
    assert main(["validate", str(path), str(data / "solutions" / "comp01.sol"), "--formulation", "UD3"]) == 2
    assert "line 38: room constraint on unknown room 'rZ'" in capsys.readouterr().err


def test_the_cli_exits_2_on_a_solution_with_an_unknown_course(data, tmp_path, capsys):
    sol = write(tmp_path, "TecCos rB 0 0\nNope rB 0 1\n", "x.sol")
    assert main(["validate", str(data / "instances" / "toy.ectt"), str(sol)]) == 2
    assert "line 2: unknown course 'Nope'" in capsys.readouterr().err


def test_the_cli_prints_the_components_as_json(data, capsys):
    args = ["validate", str(data / "instances" / "comp01.ectt"), str(data / "solutions" / "comp01.sol")]
    assert main([*args, "--formulation", "UD4", "--json"]) == 1  # 20 room constraints broken: hard in UD4
    out = json.loads(capsys.readouterr().out)
    assert (out["hard_total"], out["soft_cost"], out["hard"]["RoomConstraints"]) == (20, 34, 20)
    assert main([*args, "--formulation", "ud5", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["soft"]["TravelDistance"] == 44


# --------------------------------------------------------------------------------------- solving


def test_the_mapping_carries_buildings_room_constraints_and_weights(data):
    inst = read_ectt(data / "instances" / "toy.ectt")
    native = to_instance(inst, "UD4")
    assert native.room_by_id["rA"].building == "1"
    sce = native.course_by_id["SceCosC"]
    assert sce.room_features == {"allowed:SceCosC"} and sce.batches == ("Cur1",) and sce.size == 30
    assert "allowed:SceCosC" not in native.room_by_id["rA"].features
    assert "allowed:SceCosC" in native.room_by_id["rB"].features
    assert native.course_by_id["TecCos"].unavailable >= {Slot(2, 0), Slot(3, 3)}
    weights = {r: native.rules.weight(r) for r in Rule if native.rules.weight(r)}
    assert weights == {
        Rule.ROOM_CAPACITY: 1,
        Rule.COURSE_MIN_DAYS: 1,
        Rule.BATCH_IDLE: 1,
        Rule.BATCH_DAILY_LOAD: 1,
        Rule.COURSE_DOUBLE_SESSIONS: 1,
    }
    assert native.course_by_id["SceCosC"].double_sessions and not native.course_by_id["ArcTec"].double_sessions
    assert (native.batch_by_id["Cur1"].min_per_day, native.batch_by_id["Cur1"].max_per_day) == (2, 3)
    assert to_instance(inst, "UD2").course_by_id["SceCosC"].room_features == frozenset()
    ud3 = to_instance(inst, "UD3").course_by_id["SceCosC"]
    assert (ud3.room_features, ud3.avoid_rooms) == (frozenset(), {"rA"})


@pytest.mark.parametrize("which", sorted(FORMULATIONS))
def test_the_solver_keeps_every_hard_rule_of_the_toy_instance(data, which):
    inst = read_ectt(data / "instances" / "toy.ectt")
    result = solve(to_instance(inst, which), SolveOptions(time_limit=3, workers=1))
    assert result.feasible and result.solution is not None
    assert score(inst, lectures_of(result.solution), which).hard_total == 0


def test_the_bench_writes_scored_rows_and_solutions(data, tmp_path):
    rows = run_ectt_bench(data / "instances", "UD5", 3, 1, tmp_path, only=["toy"])
    assert rows[0]["hard_total"] == 0 and rows[0]["first_feasible_s"] is not None
    inst = read_ectt(data / "instances" / "toy.ectt")
    lectures = read_ectt_solution(tmp_path / "toy.sol", inst)
    assert score(inst, lectures, "UD5").soft_cost == rows[0]["soft_cost"]
    with (tmp_path / "results.csv").open() as f:
        assert next(csv.DictReader(f))["TravelDistance"] == str(rows[0]["TravelDistance"])


@pytest.mark.slow
@pytest.mark.parametrize("which", ["UD3", "UD5"])
def test_the_annealer_counts_every_component_as_the_checker_does(data, which):
    # UD3 and UD5 are in the annealer whole: capacity, minimum days, isolated lectures, windows, student
    # load, travel between buildings, room constraints (soft in UD3)
    inst = to_instance(read_ectt(data / "instances" / "comp01.ectt"), which)
    first = solve(inst, SolveOptions(time_limit=60, workers=1, optimize=False, anneal=False))
    assert first.feasible
    prob = Problem(inst)
    start, room = prob.state(first.solution)
    chain = Chain(prob, start, room, AnnealConfig(kempe=0.3), seed=1)
    assert (chain.hard, chain.soft) == (0, check(inst, first.solution).soft_cost)
    for temperature in (50.0, 5.0, 0.5):  # incremental counts stay those of a fresh count
        chain.step(3_000, temperature)
        fresh = Chain(prob, chain.start, chain.room, chain.cfg, seed=0)
        assert (chain.hard, chain.soft) == (fresh.hard, fresh.soft)
        assert np.array_equal(chain.bocc, fresh.bocc) and np.array_equal(chain.rd_soft, fresh.rd_soft)
    result = anneal(inst, first.solution, 2.0, seed=1)
    report = check(inst, result.solution)
    assert report.hard_total == 0
    assert report.soft_cost == result.cost <= check(inst, first.solution).soft_cost


def test_the_bench_says_why_an_instance_has_no_timetable(data, tmp_path):
    # three lectures of one teacher in a one-period week: no timetable, and the row says why
    text = TOY.replace("Days: 5", "Days: 1").replace("Periods_per_day: 4", "Periods_per_day: 1")
    text = text.replace("UnavailabilityConstraints: 8", "UnavailabilityConstraints: 0")
    start, end = text.index("UNAVAILABILITY_CONSTRAINTS:"), text.index("ROOM_CONSTRAINTS:")
    (tmp_path / "in").mkdir()
    write(tmp_path / "in", text[: start + len("UNAVAILABILITY_CONSTRAINTS:\n")] + "\n" + text[end:], "tiny.ectt")
    rows = run_ectt_bench(tmp_path / "in", "UD2", 5, 1, tmp_path / "out")
    assert rows[0]["status"] == "infeasible" and rows[0]["hard_total"] is None
    assert rows[0]["diagnosis"]
    assert not (tmp_path / "out" / "tiny.sol").exists()


def test_room_constraints_cost_three_a_lecture_in_ud3_and_cannot_be_broken_in_ud4(data, tmp_path):
    # TecCos may not use rC and is the only course; with rC the only room, UD3 pays 3 a lecture, UD4 fails
    inst = read_ectt(data / "instances" / "toy.ectt")
    courses = [c for c in inst.courses if c.id == "TecCos"]
    rooms = [r for r in inst.rooms if r.id == "rC"]
    small = type(inst)(
        name="one", n_days=5, n_periods=4, courses=tuple(courses), rooms=tuple(rooms), curricula=(),
        room_constraints=frozenset({("TecCos", "rC")}), min_daily=2, max_daily=3,
    )  # fmt: skip
    (tmp_path / "in").mkdir()
    write_ectt(small, tmp_path / "in" / "one.ectt")
    ud3 = run_ectt_bench(tmp_path / "in", "UD3", 10, 1, tmp_path / "ud3")[0]
    assert ud3["hard_total"] == 0 and ud3["RoomConstraints"] == 15
    ud4 = run_ectt_bench(tmp_path / "in", "UD4", 10, 1, tmp_path / "ud4")[0]
    assert ud4["status"] == "infeasible" and ud4["diagnosis"]


def test_a_native_course_may_not_avoid_an_unknown_room(data):
    native = to_instance(read_ectt(data / "instances" / "toy.ectt"), "UD3")
    course = native.courses[0].model_copy(update={"avoid_rooms": frozenset({"nowhere"})})
    with pytest.raises(ValueError, match=r"courses\[0\]\.avoid_rooms: unknown room 'nowhere'"):
        type(native)(**{**native.model_dump(), "courses": (course, *native.courses[1:])})

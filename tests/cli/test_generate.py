"""``timetable generate``: the pipeline from a file; the first variant to -o, every variant with --all-variants."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from timetabling.cli import main
from timetabling.engine.checker import check
from timetabling.engine.formats.native import load_instance, load_solution, save
from timetabling.engine.generator import generate_university


@pytest.fixture
def instance_file(tmp_path):
    path = tmp_path / "tiny.json"
    save(generate_university("tiny", seed=0), path)
    return path


def test_it_writes_a_clash_free_timetable(instance_file, tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["generate", str(instance_file), "-o", str(out), "--time-limit", "5", "--workers", "1", "--quiet"])
    assert rc == 0
    assert {p.name for p in out.iterdir()} == {"solution.json", "timetable.csv", "timetable.html"}
    inst = load_instance(instance_file)
    assert check(inst, load_solution(out / "solution.json")).hard_total == 0
    printed = capsys.readouterr().out
    assert "stage 1: core" in printed and "Balanced" in printed


def test_it_writes_every_variant_and_a_comparison(instance_file, tmp_path):
    every = tmp_path / "variants"
    rc = main(["generate", str(instance_file), "-o", str(tmp_path / "out"), "--all-variants", str(every),
               "--time-limit", "5", "--workers", "1", "--quiet"])
    assert rc == 0
    comparison = json.loads((every / "comparison.json").read_text())
    assert [v["name"] for v in comparison["variants"]] == [
        "Balanced", "Faculty-focused", "Compactness-focused", "Room-utilisation-focused", "Student-focused"]
    assert all(v["hard_violations"] == 0 for v in comparison["variants"])
    assert (every / "room-utilisation-focused" / "solution.json").exists()
    assert comparison["clustering"]["categories"]["core"] > 0


@pytest.mark.parametrize("extra", [["--first"], ["--optimizer", "cpsat"], ["--optimizer", "anneal"],
                                   ["--variants", "Faculty-focused"]])
def test_its_options_give_a_clash_free_timetable(instance_file, tmp_path, extra):
    out = tmp_path / "out"
    rc = main(["generate", str(instance_file), "-o", str(out), "--time-limit", "3", "--workers", "1", "--quiet",
               *extra])
    assert rc == 0
    assert check(load_instance(instance_file), load_solution(out / "solution.json")).hard_total == 0


def test_an_unknown_variant_is_an_error_without_a_traceback(instance_file, tmp_path, capsys):
    rc = main(["generate", str(instance_file), "-o", str(tmp_path / "o"), "--variants", "Fastest", "--quiet"])
    assert rc == 2
    assert "unknown variant(s): Fastest" in capsys.readouterr().err


def test_first_stops_every_part_at_its_first_timetable_and_writes_its_timings(instance_file, tmp_path,
                                                                               monkeypatch):
    import timetabling.cli.generate as cli_generate

    asked = []
    real = cli_generate.generate

    def recording(instance, options):
        asked.append(options)
        return real(instance, options)

    monkeypatch.setattr(cli_generate, "generate", recording)
    timings = tmp_path / "timings.json"
    rc = main(["generate", str(instance_file), "-o", str(tmp_path / "out"), "--first", "--time-limit", "5",
               "--workers", "1", "--quiet", "--timings", str(timings)])
    assert rc == 0
    assert [(o.optimizer, o.part_optimisation) for o in asked] == [("none", 0.0)]
    steps = json.loads(timings.read_text())
    for key in ("read_s", "pipeline_s", "stage1_s", "stage2_s", "prepare_s", "stage3_s", "check_s", "write_s",
                "main_cpu_s"):
        assert steps[key] >= 0, key
    assert steps["run_at"] <= steps["end_at"]


def test_the_cli_and_a_first_timetable_do_not_load_numba():
    # the annealing's numba is slow to import: only a run that anneals loads it
    code = ("import sys, timetabling.cli, timetabling.cli.generate, timetabling.engine.pipeline.pool, "
            "timetabling.engine.repair.polish; print('numba' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"

"""Exports: the shared timetable view, CSV rows and the self-contained HTML page."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from timetabling.engine.export import (
    Cell,
    assignments_by_entity,
    entities,
    grid_for,
    render_html,
    solution_rows,
    write_csv,
    write_html,
)
from timetabling.engine.export.views import KINDS
from timetabling.engine.model import (
    Assignment,
    Batch,
    Course,
    CourseKind,
    Faculty,
    Instance,
    Room,
    Solution,
    Student,
    TimeGrid,
)

# P1 09-10, P2 10-11, lunch, P3 12-13, P4 13-14; Mon..Fri
GRID = TimeGrid.standard(n_days=5, n_periods=4, lunch_after=1)


def university(**overrides) -> Instance:
    """Two batches, two faculty, two rooms; a core course, a shared course, a 2-period lab, an elective."""
    data = dict(
        name="export-test",
        grid=GRID,
        faculty=(Faculty(id="F1", name="Dr. Rao"), Faculty(id="F2")),
        batches=(Batch(id="B1", name="CSE 1A", size=30), Batch(id="B2", size=20)),
        rooms=(Room(id="R1", capacity=60), Room(id="LAB", capacity=30, type="lab")),
        students=(Student(id="S1", batch="B1", courses=("E1",)), Student(id="S2", batch="B2")),
        courses=(
            Course(
                id="C1",
                code="MA101",
                name="Maths",
                department=None,
                kind=CourseKind.CORE,
                faculty=("F1",),
                batches=("B1",),
                sessions_per_week=2,
            ),
            Course(id="C2", code="PH101", name="Physics", faculty=("F2",), batches=("B1", "B2")),
            Course(id="L1", code="CS191", name="Lab", faculty=("F1",), batches=("B2",), session_length=2),
            Course(id="E1", code="EL300", name="Elective", faculty=("F2",), kind=CourseKind.OPEN_ELECTIVE),
        ),
    )
    data.update(overrides)
    return Instance(**data)


def timetable() -> Solution:
    return Solution(
        instance="export-test",
        assignments=(
            Assignment(course="C1", session=0, day=0, period=0, room="R1"),
            Assignment(course="C1", session=1, day=2, period=0, room="R1"),
            Assignment(course="C2", session=0, day=0, period=1, room="R1"),
            Assignment(course="L1", session=0, day=1, period=2, room="LAB"),
            Assignment(course="E1", session=0, day=3, period=3, room="R1"),
        ),
    )


def cell(course: str, session: int, start: int, *, room: str, length: int = 1, is_start: bool = True) -> Cell:
    c = university().course_by_id[course]
    return Cell(
        course=course,
        code=c.code,
        name=c.name,
        session=session,
        faculty=c.faculty,
        room=room,
        batches=c.batches,
        start=start,
        length=length,
        is_start=is_start,
    )


# -------------------------------------------------------------------------------------------- views


def test_batch_grid_has_exactly_its_courses_sessions() -> None:
    assert grid_for(university(), timetable(), "batch", "B1") == {
        (0, 0): [cell("C1", 0, 0, room="R1")],
        (2, 0): [cell("C1", 1, 0, room="R1")],
        (0, 1): [cell("C2", 0, 1, room="R1")],
    }


def test_faculty_grid_shows_a_lab_in_both_its_periods() -> None:
    assert grid_for(university(), timetable(), "faculty", "F1") == {
        (0, 0): [cell("C1", 0, 0, room="R1")],
        (2, 0): [cell("C1", 1, 0, room="R1")],
        (1, 2): [cell("L1", 0, 2, room="LAB", length=2)],
        (1, 3): [cell("L1", 0, 2, room="LAB", length=2, is_start=False)],
    }


def test_room_grid_shows_only_sessions_held_there() -> None:
    assert grid_for(university(), timetable(), "room", "LAB") == {
        (1, 2): [cell("L1", 0, 2, room="LAB", length=2)],
        (1, 3): [cell("L1", 0, 2, room="LAB", length=2, is_start=False)],
    }
    assert set(grid_for(university(), timetable(), "room", "R1")) == {(0, 0), (2, 0), (0, 1), (3, 3)}


def test_student_grid_adds_elective_choices_to_the_batch_courses() -> None:
    inst, sol = university(), timetable()
    s1 = grid_for(inst, sol, "student", "S1")
    assert s1 == {**grid_for(inst, sol, "batch", "B1"), (3, 3): [cell("E1", 0, 3, room="R1")]}
    assert grid_for(inst, sol, "student", "S2") == grid_for(inst, sol, "batch", "B2")


def test_a_clash_shows_both_sessions_in_the_slot() -> None:
    clash = Solution(
        assignments=(
            Assignment(course="C1", session=0, day=0, period=0, room="R1"),
            Assignment(course="C2", session=0, day=0, period=0, room="R1"),
        )
    )
    assert [c.course for c in grid_for(university(), clash, "room", "R1")[(0, 0)]] == ["C1", "C2"]


def test_unknown_kind_and_entity_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="unknown timetable view 'teacher'"):
        grid_for(university(), timetable(), "teacher", "F1")
    with pytest.raises(ValueError, match="unknown batch 'B9'"):
        grid_for(university(), timetable(), "batch", "B9")


def test_entities_list_ids_with_labels_for_people() -> None:
    inst = university()
    assert entities(inst, "batch") == [("B1", "CSE 1A (B1)"), ("B2", "B2")]
    assert entities(inst, "faculty") == [("F1", "Dr. Rao (F1)"), ("F2", "F2")]
    assert [e for e, _ in entities(inst, "room")] == ["R1", "LAB"]
    assert entities(inst, "student") == [("S1", "S1 (B1)"), ("S2", "S2 (B2)")]


@pytest.mark.parametrize("kind", KINDS)
def test_one_pass_index_agrees_with_grid_for(kind: str) -> None:
    inst, sol = university(), timetable()
    index = assignments_by_entity(inst, sol, kind)
    assert set(index) == {e for e, _ in entities(inst, kind)}
    for eid, assignments in index.items():
        starts = {(a.day, a.period) for a in assignments}
        grid = grid_for(inst, sol, kind, eid)
        assert starts == {slot for slot, cells in grid.items() if any(c.is_start for c in cells)}


# ---------------------------------------------------------------------------------------------- csv


def test_csv_has_one_row_per_session_and_a_lab_ends_after_its_last_period(tmp_path: Path) -> None:
    path = tmp_path / "out" / "timetable.csv"
    write_csv(university(), timetable(), path)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(timetable().assignments)
    lab = next(r for r in rows if r["course"] == "L1")
    assert (lab["day"], lab["period"], lab["start"], lab["end"], lab["length"]) == ("Tue", "P3", "12:00", "14:00", "2")
    assert lab["room"] == "LAB" and lab["faculty"] == "F1" and lab["batches"] == "B2"


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(tmp_path: Path) -> None:
    evil = university().course_by_id["C2"].model_copy(update={"name": '=HYPERLINK("http://x","y")'})
    inst = university(courses=tuple(evil if c.id == "C2" else c for c in university().courses))
    path = tmp_path / "timetable.csv"
    write_csv(inst, timetable(), path)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert next(r for r in rows if r["course"] == "C2")["name"] == '\'=HYPERLINK("http://x","y")'
    assert next(r for r in rows if r["course"] == "C1")["name"] == "Maths"


def test_solution_rows_carry_course_facts_and_attendance() -> None:
    rows = {(r["course"], r["session"]): r for r in solution_rows(university(), timetable())}
    assert rows[("C1", 1)] == {
        "course": "C1",
        "code": "MA101",
        "name": "Maths",
        "kind": "core",
        "department": "",
        "session": 1,
        "day": "Wed",
        "period": "P1",
        "start": "09:00",
        "end": "10:00",
        "length": 1,
        "room": "R1",
        "faculty": "F1",
        "batches": "B1",
        "students": 30,
    }
    assert rows[("C2", 0)]["batches"] == "B1;B2" and rows[("C2", 0)]["students"] == 50
    assert rows[("E1", 0)]["students"] == 1  # S1 chose it; S1's batch does not take it


# --------------------------------------------------------------------------------------------- html


def embedded_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="tt-data">(.*?)</script>', page, re.S)
    assert m, "no embedded timetable data"
    return json.loads(m.group(1))


def test_html_is_one_file_with_the_data_embedded_once_and_nothing_external(tmp_path: Path) -> None:
    path = tmp_path / "timetable.html"
    write_html(university(), timetable(), path)
    page = path.read_text(encoding="utf-8")
    data = embedded_data(page)
    assert len(data["sessions"]) == 5
    assert page.count('id="tt-data"') == 1
    assert not re.search(r"https?://|<link\b|\bsrc\s*=|@import|url\(", page, re.I)
    assert "@media print" in page and "<noscript>" in page


def test_html_data_keeps_lab_length_room_and_the_lunch_break() -> None:
    inst = university()
    data = embedded_data(render_html(inst, timetable()))
    lab = next(s for s in data["sessions"] if data["courses"][s[0]][0] == "L1")
    assert lab[1:5] == [1, 2, 2, [r[0] for r in data["rooms"]].index("LAB")]
    assert data["breaks"] == [[1, "Lunch"]]
    assert data["periods"][2] == ["P3", "12:00", "13:00"]
    assert [b[0] for b in data["batches"]] == ["B1", "B2"]


def test_html_escapes_names_so_data_cannot_inject_markup() -> None:
    evil = '<img src=x onerror="alert(1)"> & </script><script>alert(2)</script>'
    courses = university().courses
    inst = university(
        name=f"Uni {evil}",
        faculty=(Faculty(id="F1", name=f"O'Brien {evil}"), Faculty(id="F2")),
        courses=(courses[0].model_copy(update={"name": evil}), *courses[1:]),
    )
    report = {"hard": {"room_clash": 0}, "hard_total": 0, "metrics": {evil: evil}}
    page = render_html(inst, timetable(), report)
    assert "<img" not in page and "alert(2)</script>" not in page and "<script>alert" not in page
    assert page.count("</script>") == 2  # the data and the page's own script, nothing more
    assert "<title>Timetable: Uni &lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; " in page
    data = embedded_data(page)
    assert data["name"] == f"Uni {evil}"
    assert data["courses"][0][2] == evil and data["faculty"][0][1] == f"O'Brien {evil}"


def test_html_header_summarises_the_report() -> None:
    report = {
        "hard": {"room_clash": 2, "batch_clash": 0},
        "hard_total": 2,
        "soft_cost": 17,
        "soft": {"batch_idle": 5, "room_stability": 1},
        "soft_cost_by_rule": {"batch_idle": 15, "room_stability": 2},
        "metrics": {"room_time_utilisation_pct": 45.678, "idle_periods": 3},
        "offenders": {"room_clash": ["room R1: C1#0 and C2#0 at Mon P1", "room R1: C1#1 and C2#1 at Tue P1"]},
    }
    page = render_html(university(), timetable(), report)
    assert '<span class="bad">2 hard violation(s)</span> (room clash 2)' in page
    assert "batch clash" not in page  # only rules that were broken
    assert "soft cost 17 (batch idle 15, room stability 2)" in page
    assert "A room holds one session at a time" in page  # the meaning, from the checker's own rule
    assert "Room time utilisation</td><td>45.68%</td><td>higher is better" in page
    assert "Idle periods</td><td>3</td>" in page  # an unknown metric, in words
    assert "<b>room R1</b>: 2" in page  # offenders by person
    assert "5 of 5 sessions placed" in page
    partial = Solution(assignments=timetable().assignments[:4])
    assert "4 of 5 sessions placed" in render_html(university(), partial)
    clean = render_html(university(), timetable(), {"hard": {}, "hard_total": 0})
    assert "No hard violations" in clean
    assert "hard violation" not in render_html(university(), timetable())


def test_html_lists_the_first_offenders_and_the_rest_behind_show_all() -> None:
    items = [f"faculty F{i}: C{i}#0 has 1 period(s) outside preferences" for i in range(25)]
    report = {"hard": {}, "hard_total": 0, "soft_cost": 25, "soft_cost_by_rule": {"faculty_preference": 25},
              "offenders": {"faculty_preference": items}}
    page = render_html(university(), timetable(), report)
    assert "show all 25 items" in page and "show all 25 people and things" in page
    assert page.count("<details") == 1 + 1 + 1 + 25 + 1  # the list, the rule, its rest, each person, the rest
    assert "{'" not in page and "[(" not in page


# A tiny stand-in for the browser DOM: enough for the page's script to run under node and draw a grid.
FAKE_DOM = r"""
class Node {
  constructor(tag) { this.tagName = tag; this.children = []; this.style = {}; this.attrs = {};
    this.textContent = ""; this.className = ""; this.value = ""; this.listeners = {}; }
  appendChild(c) { this.children.push(c); return c; }
  replaceChildren(...cs) { this.children = cs; }
  addEventListener(ev, f) { this.listeners[ev] = f; }
  querySelector(sel) {
    const m = /value="(.*)"/.exec(sel);
    return this.children.find((c) => c.value === m[1]) || null;
  }
}
const byId = {};
for (const id of ["tt-kind", "tt-entity", "tt-search", "tt-count", "tt-title", "tt-grid"]) byId[id] = new Node("x");
byId["tt-kind"].value = "batch";
Object.defineProperty(byId["tt-entity"], "value", {
  get() { return this._v !== undefined ? this._v : (this.children[0] ? this.children[0].value : ""); },
  set(v) { this._v = v; },
});
const fs = require("fs");
const page = fs.readFileSync(process.argv[2], "utf8");
const data = /<script type="application\/json" id="tt-data">([\s\S]*?)<\/script>/.exec(page)[1];
const code = /<script>([\s\S]*?)<\/script>/.exec(page)[1];
byId["tt-data"] = {textContent: data};
global.document = {getElementById: (id) => byId[id], createElement: (t) => new Node(t)};
global.location = {hash: process.argv[3] || ""};
global.history = {replaceState: (a, b, h) => { global.location.hash = h; }};
eval(code);
const text = (n) => n.textContent + n.children.map(text).join("|");
const table = byId["tt-grid"].children[1].children[0];
const rows = table.children[1].children.map((tr) => tr.children.map((td) => [td.rowSpan || 1, td.className, text(td)]));
console.log(JSON.stringify({title: byId["tt-title"].textContent, hash: location.hash, rows}));
"""


def draw(tmp_path: Path, solution: Solution, hash_: str, students: bool = False) -> dict:
    """Run the page's script under node with a stand-in DOM; the drawn rows as (rowspan, class, text)."""
    page, dom = tmp_path / "t.html", tmp_path / "dom.js"
    write_html(university(), solution, page, students=students)
    dom.write_text(FAKE_DOM, encoding="utf-8")
    out = subprocess.run(["node", str(dom), str(page), hash_], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


@needs_node
def test_page_script_draws_a_lab_spanning_two_periods(tmp_path: Path) -> None:
    b2 = draw(tmp_path, timetable(), "#batch/B2")
    assert b2["title"] == "Batch: B2" and b2["hash"] == "#batch/B2"
    rows = b2["rows"]  # P1, P2, Lunch, P3, P4: a time header, then one cell per day not spanned over
    assert len(rows) == 5 and rows[2][0][2] == "Lunch"
    assert rows[3][2][0] == 2  # Tuesday's lab spans P3 and P4
    assert "CS191" in rows[3][2][2] and "12:00–14:00" in rows[3][2][2] and "Room LAB" in rows[3][2][2]
    assert len(rows[4]) == 1 + 4  # Tuesday P4 is covered by the lab
    assert "PH101" in rows[1][1][2]
    first = draw(tmp_path, timetable(), "")
    assert first["title"] == "Batch: CSE 1A (B1)"


@needs_node
def test_page_script_marks_overlapping_sessions_as_one_clash_cell(tmp_path: Path) -> None:
    clash = Solution(
        assignments=(
            Assignment(course="L1", session=0, day=0, period=0, room="R1"),  # P1-P2
            Assignment(course="C2", session=0, day=0, period=1, room="R1"),  # P2
            Assignment(course="E1", session=0, day=0, period=3, room="R1"),  # P4, clear of both
        )
    )
    rows = draw(tmp_path, clash, "#room/R1")["rows"]
    span, cls, text = rows[0][1]
    assert (span, cls) == (2, "clash") and "CS191" in text and "PH101" in text and "10:00–11:00" in text
    assert len(rows[1]) == 1 + 4  # Monday P2 is inside the clash cell
    assert rows[4][1][1:] == ["", "EL300|Elective|F2"]


@needs_node
def test_page_script_shows_a_student_their_batch_courses_and_electives(tmp_path: Path) -> None:
    drawn = draw(tmp_path, timetable(), "#student/S1", students=True)
    assert drawn["title"] == "Student: S1 (B1)"
    text = " ".join(cell[2] for row in drawn["rows"] for cell in row)
    assert [code for code in ("MA101", "PH101", "CS191", "EL300") if code in text] == ["MA101", "PH101", "EL300"]
    assert "EL300" in drawn["rows"][4][4][2]  # Thursday P4


def test_html_embeds_students_only_when_asked() -> None:
    assert "students" not in embedded_data(render_html(university(), timetable()))
    page = render_html(university(), timetable(), students=True)
    assert embedded_data(page)["students"] == [["S1", 0, [3]], ["S2", 1, []]]
    assert '<option value="student">' in page


def test_every_rule_and_metric_has_words_for_the_report() -> None:
    from timetabling.engine.checker.describe import describe_metric, describe_rule
    from timetabling.engine.checker.metrics import METRICS
    from timetabling.engine.checker.rules import RULES

    for rule in RULES:
        d = describe_rule(rule)
        assert d.title and d.meaning.endswith(".") and "``" not in d.meaning and "_" not in d.meaning, d
    for name in METRICS:
        d = describe_metric(name)
        # a bound is the instance's, not the timetable's: no better direction
        directions = ("",) if name == "faculty_preference_bound_pct" else ("higher", "lower")
        assert d.unit and d.better in directions and d.meaning, d
    assert describe_rule("room_clash").meaning == "A room holds one session at a time: k - 1 per room and period " \
                                                  "with k sessions."

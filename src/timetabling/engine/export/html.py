"""A timetable as one self-contained HTML file: every batch, faculty member and room, browsable offline.

The timetable is embedded once as compact JSON and drawn in the browser one week grid at a time, so
the file stays small at university scale (a grid per entity rendered on the server would repeat every
session once per batch, faculty member and room). No external assets: it can be mailed or archived.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from timetabling.engine.export.assets import CSS, JS
from timetabling.engine.export.report_html import made_line, report_section, verdict
from timetabling.engine.export.views import placed, session_length
from timetabling.engine.model import Instance, Solution


def timetable_data(instance: Instance, solution: Solution, students: bool = False) -> dict[str, Any]:
    """The compact, index-based form of the timetable that the page's script draws from.

    ``courses``: ``[id, code, name, [faculty index], [batch index]]``;
    ``sessions``: ``[course index, day, period, length, room index or -1, session]``;
    ``students`` (only when asked for): ``[id, batch index or -1, [chosen course index]]``.
    """
    g = instance.grid
    batches = [[b.id, b.name] for b in instance.batches]
    faculty = [[f.id, f.name] for f in instance.faculty]
    rooms = [[r.id, r.name] for r in instance.rooms]
    batch_ix = {b[0]: i for i, b in enumerate(batches)}
    faculty_ix = {f[0]: i for i, f in enumerate(faculty)}
    room_ix = {r[0]: i for i, r in enumerate(rooms)}
    course_ix = {c.id: i for i, c in enumerate(instance.courses)}
    sessions = []
    for a in sorted(placed(instance, solution), key=lambda a: (a.day, a.period, a.course, a.session)):
        if a.room is not None and a.room not in room_ix:  # shown under its id, so the clash is visible
            room_ix[a.room] = len(rooms)
            rooms.append([a.room, ""])
        room = room_ix[a.room] if a.room is not None else -1
        sessions.append([course_ix[a.course], a.day, a.period, session_length(instance, a), room, a.session])
    data: dict[str, Any] = {
        "name": instance.name,
        "days": list(g.days),
        "periods": [[p.name, p.start.strftime("%H:%M"), p.end.strftime("%H:%M")] for p in g.periods],
        "breaks": [[b.after_period, b.name] for b in g.breaks],
        "batches": batches,
        "faculty": faculty,
        "rooms": rooms,
        "courses": [
            [c.id, c.code, c.name, [faculty_ix[f] for f in c.faculty], [batch_ix[b] for b in c.batches]]
            for c in instance.courses
        ],
        "sessions": sessions,
    }
    if students:
        data["students"] = [
            [s.id, batch_ix.get(s.batch, -1) if s.batch else -1, [course_ix[c] for c in s.courses]]
            for s in instance.students
        ]
    return data


def script_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` can end it early."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(
    instance: Instance,
    solution: Solution,
    report: Mapping[str, Any] | None = None,
    students: bool = False,
) -> str:
    """The whole page: header with counts and the checker's verdict, the week grid on the first screen, then
    the checker's report in words (when given) with who is affected in collapsible lists.

    ``students=True`` adds a per-student view (batch courses plus elective choices); it makes the file
    about twice as large at university scale, so it is off by default.
    """
    data = timetable_data(instance, solution, students)
    student_option = '<option value="student">Student</option>' if students and instance.students else ""
    title = escape(instance.name)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Timetable: {title}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>{title}</h1>
{_counts(instance, len(data["sessions"]))}
{verdict(report) if report else ""}
</header>
<main>
<div class="controls">
<label>View <select id="tt-kind">
<option value="batch">Batch</option><option value="faculty">Faculty</option><option value="room">Room</option>
{student_option}</select></label>
<input id="tt-search" type="search" placeholder="Search…" aria-label="Search">
<select id="tt-entity" aria-label="Timetable of"></select>
<span id="tt-count"></span>
</div>
<h2 id="tt-title"></h2>
<div id="tt-grid"></div>
<noscript><p class="bad">This timetable is drawn by JavaScript: please allow scripts for this file,
or use the CSV export.</p></noscript>
{report_section(report, solution.meta) if report else _made(solution)}
</main>
<script type="application/json" id="tt-data">{script_json(data)}</script>
<script>{JS}</script>
</body>
</html>
"""


def write_html(
    instance: Instance,
    solution: Solution,
    path: str | Path,
    report: Mapping[str, Any] | None = None,
    students: bool = False,
) -> None:
    """Write ``render_html`` to ``path`` (UTF-8)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(instance, solution, report, students), encoding="utf-8")


# ------------------------------------------------------------------------------------------ header


def _counts(instance: Instance, n_placed: int) -> str:
    g = instance.grid
    items = [
        f"{n_placed:,} of {instance.n_sessions:,} sessions placed",
        f"{len(instance.courses):,} courses",
        f"{len(instance.batches):,} batches",
        f"{len(instance.faculty):,} faculty",
        f"{len(instance.rooms):,} rooms",
        f"{len(instance.students):,} students",
        f"{g.n_days} days × {g.n_periods} periods",
    ]
    return '<p class="counts">' + "".join(f"<span>{escape(i)}</span>" for i in items) + "</p>"


def _made(solution: Solution) -> str:
    line = made_line(solution.meta)
    return f'<section id="report" class="report">{line}</section>' if line else ""

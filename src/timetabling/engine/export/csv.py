"""A timetable as CSV: one row per placed session, with clock times, for spreadsheets and other tools."""

from __future__ import annotations

import csv
from pathlib import Path

from timetabling.engine.export.views import placed, session_length
from timetabling.engine.model import Instance, Solution

COLUMNS: tuple[str, ...] = (
    "course",
    "code",
    "name",
    "kind",
    "department",
    "session",
    "day",
    "period",
    "start",
    "end",
    "length",
    "room",
    "faculty",
    "batches",
    "students",
)


def solution_rows(instance: Instance, solution: Solution) -> list[dict[str, str | int]]:
    """One dict per placed session (keys: ``COLUMNS``), ordered by day, period, course and session.

    ``end`` is the end of the session's last period, so a 2-period lab from 14:00 ends at 16:00.
    """
    g = instance.grid
    rows: list[dict[str, str | int]] = []
    for a in sorted(placed(instance, solution), key=lambda a: (a.day, a.period, a.course, a.session)):
        course = instance.course_by_id[a.course]
        length = session_length(instance, a)
        rows.append(
            {
                "course": course.id,
                "code": course.code,
                "name": course.name,
                "kind": course.kind.value if course.kind else "",
                "department": course.department or "",
                "session": a.session,
                "day": g.days[a.day],
                "period": g.periods[a.period].name,
                "start": g.periods[a.period].start.strftime("%H:%M"),
                "end": g.periods[a.period + length - 1].end.strftime("%H:%M"),
                "length": length,
                "room": a.room or "",
                "faculty": ";".join(course.faculty),
                "batches": ";".join(course.batches),
                "students": instance.course_size[course.id],
            }
        )
    return rows


def write_csv(instance: Instance, solution: Solution, path: str | Path) -> None:
    """Write ``solution_rows`` to ``path`` as UTF-8 CSV with a header row."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in solution_rows(instance, solution))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str | int) -> str | int:
    """A text cell a spreadsheet would run as a formula (``=HYPERLINK(...)``) gets a leading quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value

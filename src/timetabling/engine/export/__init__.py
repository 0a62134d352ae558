"""Timetable exports: a shared view (who has what in which slot), CSV and a self-contained HTML page.

Every export builds on ``views.grid_for`` / ``views.assignments_by_entity``, so that all of them agree
on what a batch, faculty member, room or student has in each slot.
"""

from __future__ import annotations

from timetabling.engine.export.csv import solution_rows, write_csv
from timetabling.engine.export.html import render_html, write_html
from timetabling.engine.export.views import Cell, assignments_by_entity, entities, grid_for

__all__ = [
    "Cell",
    "assignments_by_entity",
    "entities",
    "grid_for",
    "render_html",
    "solution_rows",
    "write_csv",
    "write_html",
]

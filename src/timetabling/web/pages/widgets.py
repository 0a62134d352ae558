"""The week grid: a checkbox per day x period, ticked where the person or room is available; stored as the
engine's ``unavailable`` list of ``[day, period]`` pairs (the cells left unticked)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join

from timetabling.engine.model import TimeGrid


class WeekGridWidget(forms.Widget):
    """Renders the grid as a table of checkboxes named ``<name>`` with values ``day-period``; a hidden
    ``<name>-grid`` marks that the grid was on the page, so that an untouched grid is told from an empty one."""

    def __init__(self, grid: TimeGrid) -> None:
        super().__init__()
        self.grid = grid

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if f"{name}-grid" not in data:
            return None
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> str:
        blocked = {(p[0], p[1]) for p in (value or []) if isinstance(p, list | tuple) and len(p) >= 2}
        head = format_html_join("", '<th scope="col">{}</th>', ((d,) for d in self.grid.days))
        rows = []
        for p, period in enumerate(self.grid.periods):
            cells = format_html_join("", (
                '<td><input type="checkbox" name="{}" value="{}-{}" id="{}-{}-{}" aria-label="{} {}"{}></td>'),
                ((name, d, p, name, d, p, day, period.name, "" if (d, p) in blocked else " checked")
                 for d, day in enumerate(self.grid.days)))
            rows.append(format_html('<tr><th scope="row">{} <span class="muted">{}</span></th>{}</tr>',
                                    period.name, f"{period.start:%H:%M}", cells))
        return format_html(
            '<input type="hidden" name="{}-grid" value="1">'
            '<table class="week-grid" data-week-grid id="{}-table"><caption>Ticked: available · '
            'unticked: cannot be scheduled</caption><thead><tr><td></td>{}</tr></thead><tbody>{}</tbody></table>',
            name, name, head, format_html_join("", "{}", ((r,) for r in rows)))


class WeekGridField(forms.Field):
    """Ticked cells in, the unticked ones (the engine's ``unavailable``) out."""

    def __init__(self, grid: TimeGrid, **kwargs: Any) -> None:
        self.grid = grid
        super().__init__(widget=WeekGridWidget(grid), **kwargs)

    def clean(self, value: Any) -> Any:
        if value is None:  # the grid was not on the page: the form keeps what is stored
            return None
        ticked = set()
        for cell in value:
            day, _, period = str(cell).partition("-")
            if not (day.isdigit() and period.isdigit()):
                raise forms.ValidationError(f"'{str(cell)[:20]}' is not a cell of the week")
            ticked.add((int(day), int(period)))
        return [[d, p] for d in range(len(self.grid.days)) for p in range(len(self.grid.periods))
                if (d, p) not in ticked]

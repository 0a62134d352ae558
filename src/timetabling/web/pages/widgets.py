"""The week grid editor: one cell per day x period, each at a level. A faculty member's cells take UniTime's six
levels (prohibited ... strongly preferred, stored as ``preferences``); a room's or a course's are available or
not (stored as the engine's ``unavailable`` list of ``[day, period]`` pairs).

The page posts one hidden ``<name>`` value per cell, ``day-period-level``; ``static/pages/weekgrid.js`` sets
them as the user clicks, drags, types or uses a shortcut (the cells are buttons, the level picker a radio
group)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from timetabling.engine.model import TimeGrid
from timetabling.web.academics.models import NEUTRAL, PREFERENCE_LEVELS, PROHIBITED


@dataclass(frozen=True)
class Level:
    value: str
    label: str
    mark: str  # shown in the cell, so that no level is told by colour alone


FACULTY_LEVELS = tuple(Level(v, v.replace("_", " "), m) for v, m in zip(
    PREFERENCE_LEVELS, ("✕", "−−", "−", "", "+", "++"), strict=True))
AVAILABILITY_LEVELS = (Level(PROHIBITED, "unavailable", "✕"), Level(NEUTRAL, "available", ""))

DAY_NAMES = {"mo": "Monday", "tu": "Tuesday", "we": "Wednesday", "th": "Thursday", "fr": "Friday",
             "sa": "Saturday", "su": "Sunday"}
NOON = time(12, 0)


def day_name(day: str) -> str:
    """``Mon`` -> ``Monday``; a name the grid spells otherwise stays as it is."""
    full = DAY_NAMES.get(day.strip().lower()[:2])
    return full if full and full.lower().startswith(day.strip().lower()) else day


def morning_periods(grid: TimeGrid) -> set[int]:
    """The periods before the lunch break when the grid has one, else those starting before noon."""
    lunch = next((b for b in grid.breaks if "lunch" in b.name.lower()), None)
    if lunch is not None:
        return set(range(lunch.after_period + 1))
    return {p for p, period in enumerate(grid.periods) if period.start < NOON}


class WeekGridWidget(forms.Widget):
    """The grid as a table of buttons (one per cell, roving focus) with a hidden ``<name>`` input each, the
    level picker and the shortcuts; a hidden ``<name>-grid`` says the grid was on the page."""

    def __init__(self, grid: TimeGrid, levels: tuple[Level, ...]) -> None:
        super().__init__()
        self.grid, self.levels = grid, levels

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if f"{name}-grid" not in data:
            return None
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> str:
        levels = {(c[0], c[1]): c[2] for c in (value or []) if isinstance(c, list | tuple) and len(c) >= 3}
        by_value = {level.value: level for level in self.levels}
        default = PROHIBITED
        picker = format_html_join("", (
            '<label class="level lvl-{}"><input type="radio" name="{}-level" value="{}" data-label="{}" '
            'data-mark="{}"{}><span class="mark" aria-hidden="true">{}</span> {}</label>'),
            ((lv.value, name, lv.value, lv.label, lv.mark, " checked" if lv.value == default else "",
              lv.mark or "·", lv.label) for lv in self.levels))
        head = format_html_join("", '<th scope="col" abbr="{}">{}</th>', ((day_name(d), d) for d in self.grid.days))
        mornings = morning_periods(self.grid)
        rows = []
        for p, period in enumerate(self.grid.periods):
            clock = f"{period.start:%H:%M}"
            cells = []
            for d, day in enumerate(self.grid.days):
                level = by_value.get(levels.get((d, p), NEUTRAL), by_value[NEUTRAL])
                cells.append(format_html(
                    '<td class="lvl-{}"><button type="button" class="cell" data-day="{}" data-period="{}" '
                    'data-start="{}" data-day-name="{}"{} data-level="{}" aria-label="{} {} {}" tabindex="{}">'
                    '<span class="mark" aria-hidden="true">{}</span></button>'
                    '<input type="hidden" name="{}" value="{}-{}-{}"></td>',
                    level.value, d, p, clock, day_name(day), mark_safe(' data-morning="1"') if p in mornings else "",
                    level.value, day_name(day), clock, level.label, 0 if (d, p) == (0, 0) else -1, level.mark,
                    name, d, p, level.value))
            rows.append(format_html('<tr><th scope="row">{} <span class="muted">{}</span></th>{}</tr>',
                                    period.name, clock, format_html_join("", "{}", ((c,) for c in cells))))
        days = format_html_join("", '<option value="{}"{}>{}</option>', (
            (d, " selected" if d == len(self.grid.days) - 1 else "", day_name(day))
            for d, day in enumerate(self.grid.days)))
        starts = [f"{period.start:%H:%M}" for period in self.grid.periods[1:]]
        chosen = "10:00" if "10:00" in starts else (starts[0] if starts else "")
        times = format_html_join("", '<option value="{}"{}>{}</option>',
                                 ((t, " selected" if t == chosen else "", t) for t in starts))
        return format_html(
            '<div class="grid-editor" data-grid-editor="{}">'
            '<input type="hidden" name="{}-grid" value="1">'
            '<fieldset class="level-picker"><legend>Level to set</legend>{}</fieldset>'
            '<div class="shortcuts" role="group" aria-label="Shortcuts: set the chosen level on">'
            '<button type="button" data-shortcut="afternoons">Mornings only</button> '
            '<span class="shortcut"><button type="button" data-shortcut="day">No classes on</button> '
            '<select aria-label="Day with no classes" data-shortcut-day>{}</select></span> '
            '<span class="shortcut"><button type="button" data-shortcut="before">Not before</button> '
            '<select aria-label="Earliest start" data-shortcut-time>{}</select></span> '
            '<button type="button" data-shortcut="clear">Reset all to {}</button>'
            '</div>'
            '<table class="week-grid levels" role="grid" id="{}-table" aria-describedby="{}-help">'
            '<thead><tr><td></td>{}</tr></thead><tbody>{}</tbody></table>'
            '<p class="muted" id="{}-help">Click a cell, or press on one and drag over others, to give them the '
            'chosen level. Keyboard: the arrow keys move between cells, Space or Enter sets the chosen level, '
            'the keys 1 to {} choose a level. The shortcuts set the chosen level on the cells they name.</p>'
            '<p class="visually-hidden" aria-live="polite" data-grid-status></p>'
            '</div>',
            name, name, picker, days, times, by_value[NEUTRAL].label, name, name, head,
            format_html_join("", "{}", ((r,) for r in rows)), name, len(self.levels))


class WeekGridField(forms.Field):
    """``day-period-level`` per cell in; out: the non-neutral cells ``[[day, period, level], ...]`` (faculty), or
    the unavailable ones ``[[day, period], ...]`` (``levels`` = :data:`AVAILABILITY_LEVELS`)."""

    def __init__(self, grid: TimeGrid, levels: tuple[Level, ...] = AVAILABILITY_LEVELS, **kwargs: Any) -> None:
        self.grid, self.levels = grid, levels
        super().__init__(widget=WeekGridWidget(grid, levels), **kwargs)

    @property
    def graded(self) -> bool:
        return self.levels is not AVAILABILITY_LEVELS

    def prepare_value(self, value: Any) -> Any:
        """The stored list as cells with a level, for the widget."""
        if not isinstance(value, list):
            return []
        cells = []
        for c in value:
            if isinstance(c, str):  # posted back (a refused form): as the page sent it
                d, p, level = [*c.split("-", 2), "", ""][:3]
                if d.isascii() and d.isdigit() and p.isascii() and p.isdigit():
                    cells.append([int(d), int(p), level])
            elif isinstance(c, list | tuple) and len(c) >= 2:
                cells.append([c[0], c[1], c[2] if self.graded and len(c) >= 3 else PROHIBITED])
        return cells

    def clean(self, value: Any) -> Any:
        if value is None:  # the grid was not on the page: the form keeps what is stored
            return None
        allowed = {level.value for level in self.levels}
        n_days, n_periods = len(self.grid.days), len(self.grid.periods)
        cells: dict[tuple[int, int], str] = {}
        for raw in value:
            day, period, level = [*str(raw).split("-", 2), "", ""][:3]
            if not (day.isascii() and day.isdigit() and period.isascii() and period.isdigit()):
                raise forms.ValidationError(f"'{str(raw)[:30]}' is not a cell of the week (day-period-level)")
            if not (int(day) < n_days and int(period) < n_periods):
                raise forms.ValidationError(f"'{str(raw)[:30]}': the week has {n_days} days of {n_periods} periods")
            if level not in allowed:
                raise forms.ValidationError(
                    f"'{str(raw)[:30]}': the level must be one of {', '.join(sorted(allowed))}")
            cells[int(day), int(period)] = level
        if self.graded:
            return [[d, p, level] for (d, p), level in sorted(cells.items()) if level != NEUTRAL]
        return [[d, p] for (d, p), level in sorted(cells.items()) if level == PROHIBITED]

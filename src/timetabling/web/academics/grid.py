"""The organization's time grid configuration <-> the engine's ``TimeGrid``."""

from __future__ import annotations

from datetime import time

from timetabling.engine.model import Break, Period, TimeGrid
from timetabling.web.academics.models import Organization, TimeGridConfig

DEFAULT_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri"]


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _clock(minutes: int) -> time:
    minutes = min(minutes, 24 * 60 - 1)
    return time(minutes // 60, minutes % 60)


def grid_of(config: TimeGridConfig) -> TimeGrid:
    """Consecutive periods of ``period_minutes`` from ``start_time``, ``lunch_minutes`` after the lunch period."""
    periods = []
    t = _minutes(config.start_time)
    lunch = config.lunch_after_period  # 1-based
    for p in range(config.periods_per_day):
        start, t = t, t + config.period_minutes
        periods.append(Period(name=f"P{p + 1}", start=_clock(start), end=_clock(t)))
        if lunch is not None and p + 1 == lunch:
            t += config.lunch_minutes
    breaks = ()
    if lunch is not None and 1 <= lunch < config.periods_per_day:
        breaks = (Break(after_period=lunch - 1, name="Lunch"),)
    return TimeGrid(days=tuple(config.working_days or DEFAULT_DAYS), periods=tuple(periods), breaks=breaks)


def organization_grid(org: Organization) -> TimeGrid:
    config = TimeGridConfig.objects.filter(organization=org).first()
    if config is None:
        return TimeGrid.standard()
    return grid_of(config)


def config_fields(grid: TimeGrid) -> dict:
    """The configuration that reproduces a regular ``grid`` (the first period's length, the first break)."""
    first = grid.periods[0]
    length = _minutes(first.end) - _minutes(first.start)
    lunch_after = grid.breaks[0].after_period if grid.breaks else None
    lunch_minutes = 60
    if lunch_after is not None:
        lunch_minutes = _minutes(grid.periods[lunch_after + 1].start) - _minutes(grid.periods[lunch_after].end)
    return {
        "working_days": list(grid.days),
        "periods_per_day": grid.n_periods,
        "start_time": first.start,
        "end_time": grid.periods[-1].end,
        "period_minutes": length,
        "lunch_after_period": None if lunch_after is None else lunch_after + 1,
        "lunch_minutes": max(0, lunch_minutes),
    }

"""The rows of the compare page: each measure of the variants with a human name, its unit, which direction is
better, and the best value of the row marked. Meanings, units and directions come from the checker
(``engine.checker.describe``); only the names people read are written here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from timetabling.engine.checker.describe import describe_metric

# what each metric is called on the page; its meaning (the tooltip) is the checker's own sentence
TITLES = {
    "faculty_preference_pct": "teaching in preferred slots",
    "room_seat_utilisation_pct": "seats filled in used rooms",
    "room_time_utilisation_pct": "room hours in use",
    "compactness": "compact batch days",
    "workload_std": "unevenness of faculty workloads",
    "peak_load": "busiest slot against the average",
    "continuity_pct": "courses kept in one room",
    "day_spread_pct": "courses spread over the week",
    "sessions_placed_pct": "sessions placed",
    "hard_violations": "hard violations (engine)",
    "soft_cost": "soft cost, the variant's own weights",
}
# engine-reported measures that the checker's metric table does not describe
EXTRA = {
    "hard_violations": ("count", "lower", "What the engine reported; the checker's count is above."),
    "soft_cost": ("weighted units", "lower", "Each variant under its own weights: not comparable across variants."),
}
NOT_RANKED = {"soft_cost"}  # each variant's own weights: the lowest is not the best


@dataclass
class Cell:
    text: str
    best: bool = False
    variant: str = ""  # its column's name: narrow screens show it beside the value


@dataclass
class Row:
    key: str
    title: str
    unit: str = ""
    better: str = ""  # higher | lower | "" (no direction)
    meaning: str = ""
    cells: list[Cell] = field(default_factory=list)

    @property
    def mark(self) -> str:
        return {"higher": "↑ higher is better", "lower": "↓ lower is better"}.get(self.better, "")


def number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return "" if value is None else str(value)


def row(key: str, values: list[Any], title: str = "", unit: str = "", better: str = "", meaning: str = "") -> Row:
    """One row; the best numeric value(s) marked when the row has a direction and the values differ."""
    described = describe_metric(key)
    unit, better = unit or EXTRA.get(key, (described.unit,))[0], better or EXTRA.get(key, ("", described.better))[1]
    meaning = meaning or (EXTRA[key][2] if key in EXTRA else described.meaning)
    r = Row(key, title or TITLES.get(key, described.title), unit, better, meaning,
            [Cell(number(v)) for v in values])
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if better and key not in NOT_RANKED and len(set(numbers)) > 1:
        best = max(numbers) if better == "higher" else min(numbers)
        for cell, v in zip(r.cells, values, strict=True):
            cell.best = isinstance(v, int | float) and v == best
    return r


def metric_rows(variants: list[Any]) -> list[Row]:
    """A row per metric any variant has, the checker's metrics first in their own order."""
    keys = sorted({k for t in variants for k in t.metrics}, key=lambda k: (k in EXTRA, list(TITLES).index(k)
                                                                             if k in TITLES else 99, k))
    return [row(k, [t.metrics.get(k) for t in variants]) for k in keys]


def label_cells(rows: list[Row], names: list[str]) -> list[Row]:
    """Each cell told the name of its variant (the column header a narrow screen does not show)."""
    for r in rows:
        for cell, name in zip(r.cells, names, strict=True):
            cell.variant = name
    return rows

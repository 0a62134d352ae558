"""The independent checker: recomputes every violation and metric from an ``Instance`` and a ``Solution``.

It shares no constraint code with the solver, so that it can catch the solver's mistakes.

    report = check(instance, solution)
    report.hard_total, report.soft_cost, report.offenders[Rule.ROOM_CLASH], report.metrics
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from timetabling.engine.checker.metrics import compute_metrics
from timetabling.engine.checker.placement import Timeline
from timetabling.engine.checker.rules import RULES
from timetabling.engine.model import Instance, Rule, Solution

__all__ = ["Report", "check"]


@dataclass
class Report:
    """Counts per rule, offenders, soft cost and metrics of one solution."""

    hard: dict[Rule, int] = field(default_factory=dict)  # every hard rule of the instance, zeros included
    soft: dict[Rule, int] = field(default_factory=dict)  # raw units of each soft rule with weight > 0
    soft_cost_by_rule: dict[Rule, int] = field(default_factory=dict)  # weight x units
    offenders: dict[Rule, list[str]] = field(default_factory=dict)  # per checked rule
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def hard_total(self) -> int:
        return sum(self.hard.values())

    @property
    def soft_cost(self) -> int:
        return sum(self.soft_cost_by_rule.values())

    @property
    def feasible(self) -> bool:
        return self.hard_total == 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary (rule names as keys)."""
        return {
            "hard": {r.value: n for r, n in self.hard.items()},
            "hard_total": self.hard_total,
            "offenders": {r.value: list(o) for r, o in self.offenders.items()},
            "soft": {r.value: n for r, n in self.soft.items()},
            "soft_cost_by_rule": {r.value: n for r, n in self.soft_cost_by_rule.items()},
            "soft_cost": self.soft_cost,
            "metrics": dict(self.metrics),
        }


def check(instance: Instance, solution: Solution) -> Report:
    """Count every hard violation and soft penalty of ``solution``; never raises for violations.

    Raises ``InputError`` when the solution names an unknown course or room, a session index beyond
    the course's sessions per week, or a slot outside the grid.
    """
    timeline = Timeline(instance, solution)
    rules = instance.rules
    report = Report()
    for rule, count in RULES.items():
        if rules.is_hard(rule):
            tally = count(timeline)
            report.hard[rule] = tally.units
        elif rules.weight(rule) > 0:
            tally = count(timeline)
            report.soft[rule] = tally.units
            report.soft_cost_by_rule[rule] = rules.weight(rule) * tally.units
        else:
            continue
        report.offenders[rule] = tally.offenders
    report.metrics = compute_metrics(timeline)
    return report

"""The checker's rules and metrics in words, for the people who read a report.

Nothing here is written twice: a rule's meaning is the first sentence of its checking function's docstring
(``rules.RULES``), a metric's meaning that of its function (``metrics.METRICS``) and its unit and better
direction come from ``metrics.METRIC_SCALES``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from timetabling.engine.checker.metrics import METRIC_SCALES, METRICS
from timetabling.engine.checker.rules import RULES
from timetabling.engine.model import Rule


@dataclass(frozen=True)
class Described:
    title: str  # "Faculty clash"
    meaning: str  # one line, in words
    unit: str = ""  # metrics only: "%", "periods", ...
    better: str = ""  # metrics only: "higher" or "lower"


def _words(name: str) -> str:
    return name.replace("_", " ")


def _first_sentence(doc: str | None, ends: str = ".") -> str:
    text = " ".join((doc or "").split())
    text = re.sub(r"``([^`]*)``", lambda m: _words(m.group(1)), text)
    match = re.match(rf"(.+?[{ends}])(\s|$)", text)
    return (match.group(1) if match else text).rstrip(ends) + "." if text else ""


def describe_rule(name: str | Rule) -> Described:
    """The title and one-line meaning of a checker rule; an unknown name is shown in words, without meaning."""
    try:
        rule = Rule(name)
    except ValueError:
        return Described(_words(str(name)).capitalize(), "")
    return Described(_words(rule.value).capitalize(), _first_sentence(RULES[rule].__doc__))


def describe_metric(name: str) -> Described:
    """The title, meaning, unit and better direction of a quality metric (bare words for an unknown one)."""
    unit, better = METRIC_SCALES.get(name, ("", ""))
    title = _words(name.removesuffix("_pct")).capitalize()
    fn = METRICS.get(name)
    return Described(title, _first_sentence(fn.__doc__, ".;") if fn else "", unit, better)

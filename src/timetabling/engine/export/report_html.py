"""The checker's report as HTML for people: a one-line verdict for the page's header, and a section with the
rules in words, the metrics with their units, and who is affected as collapsible lists.

Rule and metric meanings come from the checker (``checker.describe``); nothing here names a rule."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from html import escape
from typing import Any

from timetabling.engine.checker.describe import describe_metric, describe_rule

SHOWN_FIRST = 20  # offenders (and people) listed before "show all"


def _n(value: Any) -> str:
    """A number for people: thousands separated, floats to at most 2 decimals; anything else as text."""
    if isinstance(value, bool):
        return escape(str(value))
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return escape(str(value))


def _mapping(report: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = report.get(key)
    return value if isinstance(value, Mapping) else {}


def _hard_total(report: Mapping[str, Any]) -> int:
    hard = _mapping(report, "hard")
    return int(report.get("hard_total", sum(v for v in hard.values() if isinstance(v, int | float))))


def verdict(report: Mapping[str, Any]) -> str:
    """One line: hard violations by rule in words, and the soft cost with its largest parts."""
    total = _hard_total(report)
    if total == 0:
        parts = ['<span class="ok">No hard violations</span>']
    else:
        broken = ", ".join(f"{escape(describe_rule(r).title.lower())} {_n(v)}"
                           for r, v in _mapping(report, "hard").items() if v)
        parts = [f'<span class="bad">{_n(total)} hard violation(s)</span>' + (f" ({broken})" if broken else "")]
    if "soft_cost" in report:
        by_rule = sorted(_mapping(report, "soft_cost_by_rule").items(), key=lambda kv: -kv[1])
        detail = ", ".join(f"{escape(describe_rule(r).title.lower())} {_n(v)}" for r, v in by_rule if v)
        parts.append(f"soft cost {_n(report['soft_cost'])}" + (f" ({detail})" if detail else "")
                     + ' <span class="hint">(lower is better)</span>')
    return ('<p class="verdict">' + " · ".join(parts)
            + ' · <a class="jump" href="#report">the full report</a></p>')


def report_section(report: Mapping[str, Any], meta: Mapping[str, Any] | None = None) -> str:
    """The whole report: hard rules, soft cost by rule, metrics, who is affected, how it was made."""
    blocks = [_hard_block(report), _soft_block(report), _metrics_block(report), _offenders_block(report),
              made_line(meta or {})]
    body = "".join(b for b in blocks if b)
    return f'<section id="report" class="report" aria-labelledby="report-h"><h2 id="report-h">The checker\'s ' \
           f'report</h2>{body}</section>'


def _table(caption: str, head: tuple[str, ...], rows: list[tuple[str, ...]], cls: str = "") -> str:
    th = "".join(f'<th scope="col">{h}</th>' for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="rep {cls}"><caption>{caption}</caption><thead><tr>{th}</tr></thead><tbody>{body}</tbody>' \
           "</table>"


def _hard_block(report: Mapping[str, Any]) -> str:
    hard = _mapping(report, "hard")
    broken = [(r, v) for r, v in hard.items() if v]
    if not broken:
        checked = f"all {len(hard)} hard rules hold" if hard else "no hard rule is broken"
        return f'<p class="ok-line"><span class="ok">Hard rules:</span> {checked}: no clash for faculty, ' \
               "batches, students or rooms.</p>"
    rows = [(escape(describe_rule(r).title), f'<span class="bad">{_n(v)}</span>', escape(describe_rule(r).meaning))
            for r, v in broken]
    return _table("Hard violations: rules that must hold and do not", ("Rule", "Violations", "What it means"), rows)


def _soft_block(report: Mapping[str, Any]) -> str:
    costs = _mapping(report, "soft_cost_by_rule")
    units = _mapping(report, "soft")
    if not costs:
        return f'<p>Soft cost {_n(report["soft_cost"])}.</p>' if "soft_cost" in report else ""
    rows = [(escape(describe_rule(r).title), _n(units.get(r, "")), _n(v), escape(describe_rule(r).meaning))
            for r, v in sorted(costs.items(), key=lambda kv: -kv[1])]
    rows.append(("<b>Total</b>", "", f"<b>{_n(report.get('soft_cost', sum(costs.values())))}</b>", "lower is better"))
    return _table("Soft cost by rule: wishes, each unit costs the rule's weight", ("Rule", "Units", "Cost",
                                                                                    "What it means"), rows)


def _metrics_block(report: Mapping[str, Any]) -> str:
    metrics = _mapping(report, "metrics")
    if not metrics:
        return ""
    rows = []
    for name, value in metrics.items():
        d = describe_metric(str(name))
        unit = "" if not d.unit else (d.unit if d.unit == "%" else " " + d.unit)
        rows.append((escape(d.title), _n(value) + escape(unit), escape(f"{d.better} is better" if d.better else ""),
                     escape(d.meaning)))
    return _table("Quality metrics: numbers that describe the timetable", ("Metric", "Value", "Better",
                                                                           "What it measures"), rows)


def _items(items: list[str]) -> str:
    return "".join(f"<li>{escape(i)}</li>" for i in items)


def _first_then_all(items: list[str], noun: str) -> str:
    """The first ``SHOWN_FIRST`` list items, the rest behind "show all"."""
    head = f"<ul>{''.join(items[:SHOWN_FIRST])}</ul>"
    if len(items) <= SHOWN_FIRST:
        return head
    return head + f'<details class="more"><summary>show all {len(items):,} {noun}</summary>' \
                  f"<ul>{''.join(items[SHOWN_FIRST:])}</ul></details>"


def _offenders_block(report: Mapping[str, Any]) -> str:
    offenders = {r: list(v) for r, v in _mapping(report, "offenders").items() if isinstance(v, list | tuple) and v}
    if not offenders:
        return ""
    total = sum(len(v) for v in offenders.values())
    by_rule = []
    for rule, items in sorted(offenders.items(), key=lambda kv: -len(kv[1])):
        d = describe_rule(rule)
        lines = [f"<li>{escape(str(i))}</li>" for i in items]
        by_rule.append(f"<details><summary><b>{escape(d.title)}</b>: {len(items):,}</summary>"
                       f"{_first_then_all(lines, 'items')}</details>")
    people: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for rule, items in offenders.items():
        for item in items:
            who, _, what = str(item).partition(": ")
            people[who if what else "other"].append((describe_rule(rule).title, what or str(item)))
    by_person = []
    for who, items in sorted(people.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lines = [f"<li>{escape(title)}: {escape(what)}</li>" for title, what in items]
        by_person.append(f"<li><details><summary><b>{escape(who)}</b>: {len(items):,}</summary>"
                         f"{_first_then_all(lines, 'items')}</details></li>")
    return (f'<details id="offenders" class="offenders"><summary>Who is affected: {total:,} item(s) under '
            f"{len(offenders)} rule(s), {len(people):,} people or things</summary>"
            f'<div class="cols"><div><h3>By rule</h3>{"".join(by_rule)}</div>'
            f'<div><h3>By person or thing</h3>{_first_then_all(by_person, "people and things")}</div></div>'
            "</details>")


def made_line(meta: Mapping[str, Any]) -> str:
    """The solver's scalar facts about the timetable (solver, status, time, seed...)."""
    shown = [(k, v) for k, v in meta.items() if isinstance(v, str | int | float | bool)]
    if not shown:
        return ""
    spans = "".join(f"<span>{escape(str(k).replace('_', ' '))}: {_n(v)}</span>" for k, v in shown)
    return f'<p class="meta">How it was made: {spans}</p>'

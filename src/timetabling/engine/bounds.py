"""A lower bound on the soft cost: no timetable that keeps the hard rules costs less.

Per-rule arguments, each valid on its own, added up (the rules' penalties are independent sums):

- ``faculty_preference``: every faculty member teaches all their periods (unscheduled is hard), at most one
  per slot (faculty clash is hard), never in an unavailable slot, and at most ``max_hours_per_day`` on a day
  when that rule is hard. Ignoring the other faculty, courses, rooms and session shapes, the cheapest such
  choice takes their cheapest available slots (greedily, day caps kept: a partition matroid, so greedy is
  optimal). The sum over faculty of these minima is a lower bound.
- ``course_min_days``: a course cannot use more distinct days than the days on which one of its sessions
  can start at all (inside the day, across no break, clear of its own and its faculty's unavailable
  slots), nor more than ``sessions_per_week``; each missing day below ``min_days`` is unavoidable.
- every other soft rule counts 0 (no cheap valid argument).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from timetabling.engine.model import Instance, Rule, Rules

# the soft rules this module argues about; any other weighted rule counts 0
COVERED: tuple[Rule, ...] = (Rule.FACULTY_PREFERENCE, Rule.COURSE_MIN_DAYS)


@dataclass(frozen=True)
class Bound:
    """A lower bound on the soft cost, in the weights of the rules it was computed for."""

    value: int  # weighted soft cost no timetable keeping the hard rules can go below
    by_rule: dict[str, int] = field(default_factory=dict)  # rule -> weighted part of ``value``
    known: bool = False  # False: no argument gave anything (``value`` is the trivial 0)
    basis: str = ""  # how it was obtained, in plain words

    def gap_pct(self, cost: float) -> float | None:
        """How far ``cost`` is above the bound, as a share (%) of ``cost``; None when no bound is known."""
        if not self.known:
            return None
        return 100.0 * (cost - self.value) / cost if cost > 0 else 0.0

    def as_dict(self) -> dict[str, object]:
        return {"value": self.value, "by_rule": dict(self.by_rule), "known": self.known, "basis": self.basis}


def faculty_taught_periods(instance: Instance) -> dict[str, int]:
    """Faculty id -> periods taught per week (every session of every course they teach)."""
    out = dict.fromkeys(instance.faculty_by_id, 0)
    for c in instance.courses:
        for f in c.faculty:
            out[f] = out.get(f, 0) + c.periods_per_week
    return out


def cheapest_slots(instance: Instance, faculty: str, row: np.ndarray, periods: int, daily_cap: bool) -> int:
    """The least total of ``row`` (a value per flat slot) over ``periods`` distinct slots available to one
    faculty member, at most ``max_hours_per_day`` a day when ``daily_cap`` (greedy: optimal on a partition
    matroid). Fewer slots than ``periods`` available: the total of those there are."""
    f = instance.faculty_by_id[faculty]
    g = instance.grid
    if periods <= 0:
        return 0
    blocked = {g.slot_index(s) for s in f.unavailable if 0 <= s[0] < g.n_days and 0 <= s[1] < g.n_periods}
    order = sorted((int(row[u]), u) for u in range(g.n_slots) if u not in blocked)
    per_day = [0] * g.n_days
    cost = taken = 0
    for units, u in order:
        if taken == periods:
            break
        day = u // g.n_periods
        if daily_cap and per_day[day] >= f.max_hours_per_day:
            continue
        per_day[day] += 1
        cost += units
        taken += 1
    return cost


def faculty_preference_minimum(instance: Instance, faculty: str, periods: int, daily_cap: bool) -> int:
    """The fewest ``faculty_preference`` units (unweighted) one faculty member can pay for ``periods`` taught
    periods: their cheapest available slots, at most ``max_hours_per_day`` a day when ``daily_cap``."""
    row = instance.preference_row(faculty)
    return 0 if row is None else cheapest_slots(instance, faculty, row, periods, daily_cap)


def faculty_preference_lower_bound(instance: Instance, rules: Rules | None = None) -> int:
    """Unweighted ``faculty_preference`` units no timetable keeping the hard rules goes below."""
    rules = rules or instance.rules
    daily_cap = rules.is_hard(Rule.FACULTY_DAILY_HOURS)
    taught = faculty_taught_periods(instance)
    return sum(faculty_preference_minimum(instance, f.id, taught.get(f.id, 0), daily_cap) for f in instance.faculty)


def course_usable_days(instance: Instance, course_id: str) -> int:
    """Days on which a session of the course can start: the block fits the day, crosses no break and
    meets no slot unavailable to the course or one of its faculty."""
    c = instance.course_by_id[course_id]
    g = instance.grid
    blocked = set(c.unavailable).union(*(instance.faculty_by_id[f].unavailable for f in c.faculty))
    days = 0
    for d in range(g.n_days):
        if any(
            g.block_fits(p, c.session_length)
            and not any((d, q) in blocked for q in range(p, p + c.session_length))
            for p in range(g.n_periods)
        ):
            days += 1
    return days


def course_min_days_lower_bound(instance: Instance) -> int:
    """Unweighted ``course_min_days`` units (missing days) every timetable has."""
    total = 0
    for c in instance.courses:
        if c.min_days > 0:
            reachable = min(course_usable_days(instance, c.id), c.sessions_per_week)
            total += max(0, c.min_days - reachable)
    return total


def lower_bound(instance: Instance, rules: Rules | None = None) -> Bound:
    """A lower bound on the weighted soft cost of any timetable of ``instance`` that keeps the hard rules,
    under ``rules`` (default: the instance's own). Valid, never above the optimum; exact when faculty
    preferences are the only cost and nothing else stands in the way."""
    rules = rules or instance.rules
    parts: dict[str, int] = {}
    words: list[str] = []
    w = rules.weight(Rule.FACULTY_PREFERENCE)
    if w:
        parts[Rule.FACULTY_PREFERENCE.value] = value = w * faculty_preference_lower_bound(instance, rules)
        if value:
            words.append(f"faculty preferences {value} (each faculty member's cheapest available slots for the "
                         "periods they teach)")
    w = rules.weight(Rule.COURSE_MIN_DAYS)
    if w:
        parts[Rule.COURSE_MIN_DAYS.value] = value = w * course_min_days_lower_bound(instance)
        if value:
            words.append(f"course spread {value} (courses with fewer usable days than their minimum)")
    weighted = [r for r in Rule if rules.weight(r) > 0]
    uncovered = [r.value for r in weighted if r not in COVERED]
    value = sum(parts.values())
    known = value > 0 or not uncovered
    if not weighted:
        basis = "no soft rule has a weight: every timetable that keeps the hard rules costs 0"
    elif not known:
        basis = "no lower bound known (" + ", ".join(uncovered) + " have no bound argument)"
    else:
        zero = [r for r in (*parts, *uncovered) if not parts.get(r)]
        basis = "; ".join(words + ([f"0 for {', '.join(zero)}"] if zero else []))
    return Bound(value=value, by_rule=parts, known=known, basis=basis)

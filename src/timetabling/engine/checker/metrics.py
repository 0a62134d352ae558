"""Quality metrics of a timetable: numbers that describe it, none of them a rule."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from timetabling.engine.bounds import cheapest_slots, faculty_preference_lower_bound, faculty_taught_periods
from timetabling.engine.checker.placement import Timeline
from timetabling.engine.model import Instance, PreferenceLevel, Rule


def liked_slots(instance: Instance) -> dict[str, np.ndarray]:
    """Faculty id -> per flat slot, True where the slot satisfies them: stated "preferred" or "strongly
    preferred", or at the best level they state (a faculty member who only states dislikes is satisfied by
    any slot they do not dislike). Only faculty who state a level other than "prohibited"."""
    if "liked_slots" in instance.memo:
        return instance.memo["liked_slots"]
    g = instance.grid
    out: dict[str, np.ndarray] = {}
    for f in instance.faculty:
        levels = f.levels()
        if all(lv == PreferenceLevel.PROHIBITED for lv in levels.values()):
            continue
        liked = instance.preference_penalty[instance.faculty_index[f.id]] == 0
        for s, lv in levels.items():
            if lv in _LIKED and 0 <= s[0] < g.n_days and 0 <= s[1] < g.n_periods:
                liked[g.slot_index(s)] = True
        out[f.id] = liked
    instance.memo["liked_slots"] = out
    return out


_LIKED = (PreferenceLevel.PREFERRED, PreferenceLevel.STRONGLY_PREFERRED)


def faculty_preference_pct(t: Timeline) -> float:
    """Share (%) of the periods taught by faculty who state preferences that fall in a slot they like
    (preferred, or their best level); 100 when nobody with preferences teaches."""
    liked_at = liked_slots(t.inst)
    n = t.grid.n_periods
    taught = liked = 0
    for s in t.sessions:
        for f in s.course.faculty:
            if f in liked_at:
                taught += len(s.periods)
                liked += sum(1 for p in s.periods if liked_at[f][s.day * n + p])
    return 100.0 * liked / taught if taught else 100.0


def faculty_preference_bound_pct(instance: Instance) -> float:
    """The most ``faculty_preference_pct`` any timetable could reach: a faculty member teaches at most one
    period per slot, never in an unavailable one, and at most his daily hours on one day when that rule is
    hard, so at most that many of his periods fall in liked slots. 100 when nobody with preferences teaches.
    An upper bound, exact when no other rule stands in the way."""
    if "faculty_preference_bound_pct" in instance.memo:
        return instance.memo["faculty_preference_bound_pct"]
    daily_cap = instance.rules.is_hard(Rule.FACULTY_DAILY_HOURS)
    taught_by = faculty_taught_periods(instance)
    taught = liked = 0
    for f, row in liked_slots(instance).items():
        periods = taught_by.get(f, 0)
        if not periods:
            continue
        taught += periods
        liked += periods - cheapest_slots(instance, f, (~row).astype(np.int64), periods, daily_cap)
    instance.memo["faculty_preference_bound_pct"] = pct = 100.0 * liked / taught if taught else 100.0
    return pct


def _bound_pct(t: Timeline) -> float:
    """The most faculty preference met (%) that any timetable of this instance could reach (its bound)."""
    return faculty_preference_bound_pct(t.inst)


def faculty_preference_of_bound_pct(t: Timeline) -> float:
    """Faculty preference met as a share (%) of the most any timetable could reach ("96 % of what is
    possible"); 100 when the bound is 0."""
    bound = faculty_preference_bound_pct(t.inst)
    return min(100.0, 100.0 * faculty_preference_pct(t) / bound) if bound > 0 else 100.0


def faculty_preference_cost_of_bound_pct(t: Timeline) -> float:
    """The least faculty-preference cost any timetable could pay (its lower bound, graded levels counted) as
    a share (%) of what this one pays; 100 when it pays nothing."""
    inst = t.inst
    n = t.grid.n_periods
    paid = 0
    for s in t.sessions:
        for f in s.course.faculty:
            row = inst.preference_row(f)
            if row is not None:
                paid += int(sum(row[s.day * n + p] for p in s.periods))
    if paid == 0:
        return 100.0
    if "faculty_preference_lower_bound" not in inst.memo:
        inst.memo["faculty_preference_lower_bound"] = faculty_preference_lower_bound(inst)
    return min(100.0, 100.0 * inst.memo["faculty_preference_lower_bound"] / paid)


def room_seat_utilisation_pct(t: Timeline) -> float:
    """Mean (%) of course size / room capacity over placed sessions that have a room; 0 without any."""
    sizes = t.inst.course_size
    ratios = [sizes[s.course.id] / s.room.capacity for s in t.sessions if s.room is not None]
    return 100.0 * float(np.mean(ratios)) if ratios else 0.0


def room_time_utilisation_pct(t: Timeline) -> float:
    """Share (%) of room-periods (rooms x slots) in which the room holds a session; 0 without rooms."""
    if not t.inst.rooms:
        return 0.0
    held = {(s.room.id, slot) for s in t.sessions if s.room is not None for slot in s.slots}
    return 100.0 * len(held) / (len(t.inst.rooms) * t.grid.n_slots)


def compactness(t: Timeline) -> float:
    """0 to 10: 10 x occupied / (occupied + idle) periods summed over the days of every batch; 10 when
    no batch has a session."""
    days: dict[tuple[str, int], set[int]] = defaultdict(set)
    for b, idx in t.by_batch.items():
        for i in idx:
            days[b, t.sessions[i].day].update(t.sessions[i].periods)
    occupied = sum(len(p) for p in days.values())
    span = sum(max(p) - min(p) + 1 for p in days.values())
    return 10.0 * occupied / span if span else 10.0


def workload_std(t: Timeline) -> float:
    """Population standard deviation of the weekly periods taught, over all faculty; 0 without faculty."""
    if not t.inst.faculty:
        return 0.0
    load = [sum(len(t.sessions[i].periods) for i in t.by_faculty.get(f.id, ())) for f in t.inst.faculty]
    return float(np.std(np.asarray(load, dtype=float)))


def peak_load(t: Timeline) -> float:
    """Most sessions in one slot divided by the mean number per slot (1 = perfectly even); 0 if empty."""
    counts = np.zeros(t.grid.n_slots)
    for slot, idx in t.by_slot.items():
        counts[slot] = len(idx)
    mean = counts.mean()
    return float(counts.max() / mean) if mean > 0 else 0.0


def continuity_pct(t: Timeline) -> float:
    """Share (%) of courses with a roomed session whose sessions all use one room; 100 when none has."""
    rooms: dict[str, set[str]] = defaultdict(set)
    for s in t.sessions:
        if s.room is not None:
            rooms[s.course.id].add(s.room.id)
    return 100.0 * sum(1 for r in rooms.values() if len(r) == 1) / len(rooms) if rooms else 100.0


def day_spread_pct(t: Timeline) -> float:
    """Mean over courses (%) of distinct days used / min(sessions per week, days); 100 without courses."""
    n_days = t.grid.n_days
    spreads = [
        len({t.sessions[i].day for i in t.by_course.get(c.id, ())}) / min(c.sessions_per_week, n_days)
        for c in t.inst.courses
    ]
    return 100.0 * float(np.mean(spreads)) if spreads else 100.0


def sessions_placed_pct(t: Timeline) -> float:
    """Share (%) of required sessions placed (extra sessions of a course do not count); 100 if none."""
    required = t.inst.n_sessions
    placed = sum(min(len(t.by_course.get(c.id, ())), c.sessions_per_week) for c in t.inst.courses)
    return 100.0 * placed / required if required else 100.0


METRICS = {
    "faculty_preference_pct": faculty_preference_pct,
    "faculty_preference_bound_pct": _bound_pct,
    "faculty_preference_of_bound_pct": faculty_preference_of_bound_pct,
    "faculty_preference_cost_of_bound_pct": faculty_preference_cost_of_bound_pct,
    "room_seat_utilisation_pct": room_seat_utilisation_pct,
    "room_time_utilisation_pct": room_time_utilisation_pct,
    "compactness": compactness,
    "workload_std": workload_std,
    "peak_load": peak_load,
    "continuity_pct": continuity_pct,
    "day_spread_pct": day_spread_pct,
    "sessions_placed_pct": sessions_placed_pct,
}


# the unit of each metric and which way is better, for the people reading a report (meanings: the docstrings)
METRIC_SCALES: dict[str, tuple[str, str]] = {
    "faculty_preference_pct": ("%", "higher"),
    "faculty_preference_bound_pct": ("%", ""),
    "faculty_preference_of_bound_pct": ("% of the bound", "higher"),
    "faculty_preference_cost_of_bound_pct": ("% of the bound", "higher"),
    "room_seat_utilisation_pct": ("%", "higher"),
    "room_time_utilisation_pct": ("%", "higher"),
    "compactness": ("of 10", "higher"),
    "workload_std": ("periods", "lower"),
    "peak_load": ("x the mean", "lower"),
    "continuity_pct": ("%", "higher"),
    "day_spread_pct": ("%", "higher"),
    "sessions_placed_pct": ("%", "higher"),
}


def compute_metrics(t: Timeline) -> dict[str, float]:
    """Every metric of ``METRICS`` by name."""
    return {name: fn(t) for name, fn in METRICS.items()}

"""Checker metrics on small timetables, computed by hand."""

from __future__ import annotations

import math

import pytest

from tests.engine.checker.test_rules import CLEAN, MON, P1, P2, P3, TUE, a, build, sol
from timetabling.engine.checker import check
from timetabling.engine.model import Faculty, PreferredSlot


def test_metrics_of_a_clean_timetable():
    m = check(build(), CLEAN).metrics
    assert m["faculty_preference_pct"] == 100.0  # nobody states preferences
    # sizes / capacities: C1 30/60 twice, C2 30/60 twice, C3 20/60, L1 20/30 -> mean 1/2
    assert m["room_seat_utilisation_pct"] == pytest.approx(50.0)
    # R1: 2, R2: 3, LAB: 2 room-periods of 3 rooms x 20 slots
    assert m["room_time_utilisation_pct"] == pytest.approx(100 * 7 / 60)
    # B1 Mon 2/2, B1 Tue 2/2, B2 Mon 3 of a 4-period span
    assert m["compactness"] == pytest.approx(10 * 7 / 8)
    # F1 2, F2 2, F3 3 periods
    assert m["workload_std"] == pytest.approx(math.sqrt(2) / 3)
    # Mon P1 holds 2 sessions; 7 session-periods over 20 slots
    assert m["peak_load"] == pytest.approx(2 / (7 / 20))
    assert m["continuity_pct"] == 100.0
    assert m["day_spread_pct"] == pytest.approx(100.0)
    assert m["sessions_placed_pct"] == 100.0


def test_metrics_of_a_partial_timetable():
    faculty = (Faculty(id="F1"), Faculty(id="F2", preferred=(PreferredSlot(day=MON, period=P2),)), Faculty(id="F3"))
    s = sol(a("C1", 0, MON, P1, "R1"), a("C2", 0, MON, P2, "R2"), a("C2", 1, TUE, P3, "R1"))
    m = check(build(faculty=faculty), s).metrics
    assert m["sessions_placed_pct"] == pytest.approx(50.0)  # 3 of 6
    assert m["faculty_preference_pct"] == pytest.approx(50.0)  # F2: Mon P2 yes, Tue P3 no
    assert m["continuity_pct"] == pytest.approx(50.0)  # C1 one room, C2 two
    assert m["day_spread_pct"] == pytest.approx(100 * (0.5 + 1 + 0 + 0) / 4)
    assert m["peak_load"] == pytest.approx(1 / (3 / 20))


def test_metrics_of_an_empty_timetable():
    m = check(build(), sol()).metrics
    assert m == {
        "faculty_preference_pct": 100.0,
        "faculty_preference_bound_pct": 100.0,
        "faculty_preference_of_bound_pct": 100.0,
        "faculty_preference_cost_of_bound_pct": 100.0,
        "room_seat_utilisation_pct": 0.0,
        "room_time_utilisation_pct": 0.0,
        "compactness": 10.0,
        "workload_std": 0.0,
        "peak_load": 0.0,
        "continuity_pct": 100.0,
        "day_spread_pct": 0.0,
        "sessions_placed_pct": 0.0,
    }

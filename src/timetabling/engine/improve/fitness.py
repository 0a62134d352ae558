"""The genetic optimiser's fitness, evaluated for a whole population of (start, room) arrays at once with numpy.

Rule terms, one per soft rule of the catalogue (``engine/rules.py``), each the rule's weight x the checker's
units, so together they are exactly the checker's soft cost of a timetable that keeps every hard rule (every
individual does). The optimiser's own terms (``GAConfig``): room utilisation (empty seats), workload balance
(spread of faculty daily loads), peak spreading (spread of sessions per slot).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from timetabling.engine.model import Rule, Rules
from timetabling.engine.rules import NotNeeded, Optimiser, register
from timetabling.engine.timetable.board import Layout, _columns

if TYPE_CHECKING:
    from timetabling.engine.improve.genetic import GAConfig


class _Population:
    """Counts of one population shared by the terms: ``p`` individuals, each (start, room) per session."""

    def __init__(self, fit: Fitness, starts: np.ndarray, rooms: np.ndarray):
        lay = fit.lay
        self.starts, self.rooms = starts, rooms
        self.p, self.n = starts.shape
        self.rows = np.arange(self.p)[:, None]
        self.days = starts // lay.n_periods
        n_c, d = len(lay.course_ids), lay.n_days
        idx = (self.rows * n_c + lay.session_course[None, :]) * d + self.days
        self.course_day = np.bincount(idx.ravel(), minlength=self.p * n_c * d).reshape(self.p, n_c, d)

    def occupancy(self, sess: np.ndarray, col: np.ndarray, off: np.ndarray, n_cols: int, t: int) -> np.ndarray:
        """(P, columns, T) sessions of each column (batch, faculty) in each slot."""
        idx = (self.rows * n_cols + col[None, :]) * t + self.starts[:, sess] + off[None, :]
        return np.bincount(idx.ravel(), minlength=self.p * n_cols * t).reshape(self.p, n_cols, t)


class Fitness:
    """Vectorised fitness over a population of (start, room) arrays."""

    def __init__(self, lay: Layout, rules: Rules, config: GAConfig):
        inst = lay.instance
        self.lay, self.config = lay, config
        n, t = lay.n, lay.n_slots
        self.w = {rule: rules.weight(rule) for rule in Rule}
        self.w_pref = self.w[Rule.FACULTY_PREFERENCE]
        courses = inst.courses
        self.min_days = np.array([c.min_days for c in courses], dtype=np.int64)
        self.max_per_day = np.array([c.max_per_day for c in courses], dtype=np.int64)
        # faculty preference: cost of each session at each start
        self.pref_cost = np.zeros((n, t), dtype=np.int64)
        if self.w_pref:  # per faculty and slot: Instance.preference_penalty, summed over each start's block
            per_course = np.zeros((len(courses), t), dtype=np.int64)
            starts = np.arange(t)
            for k, c in enumerate(courses):
                for f in c.faculty:
                    if (row := inst.preference_row(f)) is not None:
                        sums = np.concatenate([[0], np.cumsum(row[:t])])
                        per_course[k] += sums[np.minimum(starts + c.session_length, len(sums) - 1)] - sums[starts]
            self.pref_cost = per_course[lay.session_course]
        # batch entries: (session, batch column, offset)
        bcol = {int(r): k for k, r in enumerate(lay.batch_rows)}
        fcol = {int(r): k for k, r in enumerate(lay.faculty_rows)}
        be, fe = [], []
        for i in range(n):
            for res in lay.resources[i]:
                for off in range(int(lay.length[i])):
                    if res in bcol:
                        be.append((i, bcol[res], off))
                    if res in fcol:
                        fe.append((i, fcol[res], off))
        self.b_sess, self.b_col, self.b_off = _columns(be, 3)
        self.f_sess, self.f_col, self.f_off = _columns(fe, 3)
        first = self.b_off == 0  # one entry per (session, batch)
        self.b0_sess, self.b0_col = self.b_sess[first], self.b_col[first]
        self.n_batches, self.n_faculty = len(lay.batch_rows), len(lay.faculty_rows)
        self.batch_min = np.array([b.min_per_day for b in inst.batches], dtype=np.int64)
        self.batch_max = np.array([b.max_per_day for b in inst.batches], dtype=np.int64)
        sizes_int = np.array([inst.course_size[c.id] for c in courses], dtype=np.int64)[lay.session_course]
        caps_int = np.array([r.capacity for r in inst.rooms], dtype=np.int64)
        sizes = sizes_int.astype(float)
        caps = np.array([r.capacity for r in inst.rooms] + [1], dtype=float)  # last: no room
        self.seat_share = np.clip(sizes[:, None] / caps[None, :], 0.0, 1.0)  # (N, rooms + 1)
        self.seat_share[:, -1] = 1.0
        # per session and room (last column: no room): students over capacity, and 1 in a room its course avoids
        self.over = np.zeros((n, len(inst.rooms) + 1), dtype=np.int64)
        self.over[:, :-1] = np.maximum(0, sizes_int[:, None] - caps_int[None, :])
        self.avoid = np.zeros((n, len(inst.rooms) + 1), dtype=np.int64)
        room_index = {r: k for k, r in enumerate(lay.room_ids)}
        for i in range(n):
            for r in courses[lay.session_course[i]].avoid_rooms:
                self.avoid[i, room_index[r]] = 1
        buildings = sorted({r.building for r in inst.rooms})
        self.room_bld = np.array([buildings.index(r.building) for r in inst.rooms] + [-1], dtype=np.int64)
        self.two_buildings = len(buildings) > 1
        self.fac_max_day, self.fac_max_run = lay.faculty_max_day, lay.faculty_max_run
        weekly = np.bincount(self.f_col, minlength=self.n_faculty)  # a faculty member's periods a week
        limit = np.array([f.max_hours_per_week for f in inst.faculty], dtype=np.int64)
        self.weekly_excess = int(np.maximum(0, weekly - limit).sum()) if self.n_faculty else 0
        # double sessions: ordered pairs (i, j) of sessions of one double-session course
        pairs = [(i, j) for c, cid in enumerate(lay.course_ids) if inst.course_by_id[cid].double_sessions
                 for i in np.flatnonzero(lay.session_course == c) for j in np.flatnonzero(lay.session_course == c)
                 if i != j]
        self.pair_i, self.pair_j = _columns(pairs, 2)
        self.double = np.array([courses[c].double_sessions for c in lay.session_course], dtype=bool)

    def __call__(self, starts: np.ndarray, rooms: np.ndarray) -> np.ndarray:
        """Cost of each individual: ``starts`` and ``rooms`` are (P, N)."""
        return sum(self.terms(starts, rooms).values())

    def rule_terms(self, starts: np.ndarray, rooms: np.ndarray) -> dict[str, np.ndarray]:
        """The soft rules' weighted units per individual, by rule name; their sum is the checker's soft cost."""
        pop = _Population(self, starts, rooms)
        out: dict[str, np.ndarray] = {}
        for rule, term in RULE_TERMS.items():
            if self.w[rule] and not isinstance(term, NotNeeded):
                out[rule.value] = self.w[rule] * term(self, pop)
        return out

    def terms(self, starts: np.ndarray, rooms: np.ndarray) -> dict[str, np.ndarray]:
        """The rule terms and the optimiser's own ones, by name."""
        lay, cfg = self.lay, self.config
        p_count, n = starts.shape
        d, periods, t = lay.n_days, lay.n_periods, lay.n_slots
        out = self.rule_terms(starts, rooms)
        rows = np.arange(p_count)[:, None]
        if cfg.room_utilisation and len(lay.room_ids):
            share = self.seat_share[np.arange(n)[None, :], np.where(rooms >= 0, rooms, -1)]
            out["room_utilisation"] = cfg.room_utilisation * ((1.0 - share) * lay.length[None, :]).sum(1)
        if cfg.workload_balance and len(self.f_sess):
            nf = self.n_faculty
            idx = (rows * nf + self.f_col[None, :]) * d + (starts[:, self.f_sess] + self.f_off[None, :]) // periods
            load = np.bincount(idx.ravel(), minlength=p_count * nf * d).reshape(p_count, nf, d)
            out["workload_balance"] = cfg.workload_balance * load.var(2).sum(1)
        if cfg.peak_spreading:
            idx = rows * t + starts
            per_slot = np.bincount(idx.ravel(), minlength=p_count * t).reshape(p_count, t)
            out["peak_spreading"] = cfg.peak_spreading * per_slot.var(1) * t
        return out

    # ---- rule units per individual, (P,) each

    def _batch_occ(self, pop: _Population) -> np.ndarray:
        lay = self.lay
        occ = pop.occupancy(self.b_sess, self.b_col, self.b_off, self.n_batches, lay.n_slots)
        return occ.reshape(pop.p, self.n_batches, lay.n_days, lay.n_periods)

    def _faculty_occ(self, pop: _Population) -> np.ndarray:
        lay = self.lay
        occ = pop.occupancy(self.f_sess, self.f_col, self.f_off, self.n_faculty, lay.n_slots)
        return occ.reshape(pop.p, self.n_faculty, lay.n_days, lay.n_periods)

    def faculty_preference(self, pop: _Population) -> np.ndarray:
        return self.pref_cost[np.arange(pop.n)[None, :], pop.starts].sum(1)

    def course_min_days(self, pop: _Population) -> np.ndarray:
        used = (pop.course_day > 0).sum(2)
        return np.maximum(0, self.min_days[None, :] - used).sum(1)

    def course_max_per_day(self, pop: _Population) -> np.ndarray:
        return np.maximum(0, pop.course_day - self.max_per_day[None, :, None]).sum((1, 2))

    def batch_idle(self, pop: _Population) -> np.ndarray:
        if not len(self.b_sess):
            return np.zeros(pop.p, dtype=np.int64)
        occ = self._batch_occ(pop) > 0
        periods = self.lay.n_periods
        first = occ.argmax(3)
        last = periods - 1 - occ[..., ::-1].argmax(3)
        return np.where(occ.any(3), last - first + 1 - occ.sum(3), 0).sum((1, 2))

    def isolated_session(self, pop: _Population) -> np.ndarray:
        if not len(self.b0_sess):
            return np.zeros(pop.p, dtype=np.int64)
        lay = self.lay
        occ = self._batch_occ(pop).reshape(pop.p, self.n_batches, lay.n_slots) > 0
        first = pop.starts[:, self.b0_sess]
        last = first + lay.length[self.b0_sess][None, :] - 1
        col = self.b0_col[None, :]
        before = (first % lay.n_periods > 0) & lay.adjacent[first - 1] & occ[pop.rows, col, first - 1]
        nxt = np.minimum(last + 1, lay.n_slots - 1)
        after = lay.adjacent[last] & occ[pop.rows, col, nxt]
        return (~(before | after)).sum(1)

    def room_stability(self, pop: _Population) -> np.ndarray:
        lay, rooms = self.lay, pop.rooms
        has = rooms >= 0
        codes = np.where(has, lay.session_course[None, :] * (len(lay.room_ids) + 1) + rooms, -1)
        s = np.sort(codes, axis=1)
        distinct_pairs = ((np.diff(s, axis=1) != 0) & (s[:, 1:] >= 0)).sum(1) + (s[:, 0] >= 0)
        cs = np.sort(np.where(has, lay.session_course[None, :], -1), axis=1)
        distinct_courses = ((np.diff(cs, axis=1) != 0) & (cs[:, 1:] >= 0)).sum(1) + (cs[:, 0] >= 0)
        return distinct_pairs - distinct_courses

    def room_capacity(self, pop: _Population) -> np.ndarray:
        return self.over[np.arange(pop.n)[None, :], pop.rooms].sum(1)  # no room (-1) reads the last column

    def room_avoided(self, pop: _Population) -> np.ndarray:
        return self.avoid[np.arange(pop.n)[None, :], pop.rooms].sum(1)

    def batch_daily_load(self, pop: _Population) -> np.ndarray:
        if not len(self.b0_sess):
            return np.zeros(pop.p, dtype=np.int64)
        nb, d = self.n_batches, self.lay.n_days
        idx = (pop.rows * nb + self.b0_col[None, :]) * d + pop.days[:, self.b0_sess]
        n = np.bincount(idx.ravel(), minlength=pop.p * nb * d).reshape(pop.p, nb, d)
        hi, lo = self.batch_max[None, :, None], self.batch_min[None, :, None]
        excess = np.where(hi > 0, n - hi, 0)
        units = np.where(n > 0, np.maximum(0, np.maximum(excess, lo - n)), 0)
        return units.sum((1, 2))

    def batch_travel(self, pop: _Population) -> np.ndarray:
        if not self.two_buildings or not len(self.b_sess):
            return np.zeros(pop.p, dtype=np.int64)
        lay = self.lay
        where = np.full((pop.p, self.n_batches, lay.n_slots), -1, dtype=np.int64)  # building of each batch slot
        bld = self.room_bld[pop.rooms[:, self.b_sess]]  # individuals keep every hard rule: one session a slot
        where[pop.rows, self.b_col[None, :], pop.starts[:, self.b_sess] + self.b_off[None, :]] = bld
        here, there = where[..., :-1], where[..., 1:]
        moved = lay.adjacent[None, None, :-1] & (here >= 0) & (there >= 0) & (here != there)
        return moved.sum((1, 2))

    def course_double_sessions(self, pop: _Population) -> np.ndarray:
        if not len(self.pair_i):
            return np.zeros(pop.p, dtype=np.int64)
        lay = self.lay
        i, j = self.pair_i, self.pair_j
        si, sj, ri, rj = pop.starts[:, i], pop.starts[:, j], pop.rooms[:, i], pop.rooms[:, j]
        n = lay.length[i][None, :]
        same = (ri >= 0) & (ri == rj) & (pop.days[:, i] == pop.days[:, j])
        paired = same & (((sj == si - n) & lay.adjacent[si - 1]) | ((sj == si + n) & lay.adjacent[si + n - 1]))
        has = np.zeros((pop.p, pop.n), dtype=np.int64)
        np.add.at(has, (pop.rows, i[None, :]), paired)
        several = pop.course_day[pop.rows, lay.session_course[None, :], pop.days] >= 2
        return (self.double[None, :] & several & (has == 0)).sum(1)

    def faculty_daily_hours(self, pop: _Population) -> np.ndarray:
        if not self.n_faculty:
            return np.zeros(pop.p, dtype=np.int64)
        load = self._faculty_occ(pop).sum(3)
        return np.maximum(0, load - self.fac_max_day[None, :, None]).sum((1, 2))

    def faculty_weekly_hours(self, pop: _Population) -> np.ndarray:
        return np.full(pop.p, self.weekly_excess, dtype=np.int64)  # sessions keep their faculty: a constant

    def faculty_consecutive(self, pop: _Population) -> np.ndarray:
        if not self.n_faculty:
            return np.zeros(pop.p, dtype=np.int64)
        lay = self.lay
        busy = self._faculty_occ(pop) > 0  # (P, F, days, periods)
        adjacent = lay.adjacent.reshape(lay.n_days, lay.n_periods)[None, None, :, :]
        limit = self.fac_max_run[None, :, None]
        run = np.zeros(busy.shape[:3], dtype=np.int64)
        excess = np.zeros(busy.shape[:3], dtype=np.int64)
        for q in range(lay.n_periods):  # a run's periods beyond the limit: one unit each
            carried = np.where(adjacent[..., q - 1], run, 0) if q else run
            run = np.where(busy[..., q], carried + 1, 0)
            excess += run > limit
        return excess.sum((1, 2))


_HARD = NotNeeded("every individual keeps it: mutations and crossovers are checked on the board (Board.clashes_at)"
                  " and go only to the allowed starts and rooms")
RULE_TERMS: dict[Rule, object] = {
    Rule.UNSCHEDULED: _HARD,
    Rule.FACULTY_CLASH: _HARD,
    Rule.BATCH_CLASH: _HARD,
    Rule.STUDENT_CLASH: _HARD,
    Rule.ROOM_CLASH: _HARD,
    Rule.ROOM_TYPE: _HARD,
    Rule.UNAVAILABLE: _HARD,
    Rule.LAB_BLOCK: _HARD,
    # hard by default; when an instance makes them soft, these count them
    Rule.ROOM_CAPACITY: Fitness.room_capacity,
    Rule.FACULTY_DAILY_HOURS: Fitness.faculty_daily_hours,
    Rule.FACULTY_WEEKLY_HOURS: Fitness.faculty_weekly_hours,
    Rule.FACULTY_CONSECUTIVE: Fitness.faculty_consecutive,
    Rule.COURSE_MAX_PER_DAY: Fitness.course_max_per_day,
    Rule.COURSE_MIN_DAYS: Fitness.course_min_days,
    Rule.FACULTY_PREFERENCE: Fitness.faculty_preference,
    Rule.BATCH_IDLE: Fitness.batch_idle,
    Rule.ISOLATED_SESSION: Fitness.isolated_session,
    Rule.ROOM_STABILITY: Fitness.room_stability,
    Rule.BATCH_DAILY_LOAD: Fitness.batch_daily_load,
    Rule.BATCH_TRAVEL: Fitness.batch_travel,
    Rule.COURSE_DOUBLE_SESSIONS: Fitness.course_double_sessions,
    Rule.ROOM_AVOIDED: Fitness.room_avoided,
}
register(Optimiser.GENETIC, RULE_TERMS)

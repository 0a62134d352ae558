"""Simulated annealing on a complete timetable, with exact incremental costs (compiled with numba).

CP-SAT finds the first timetable in seconds; from there a local search that tries millions of small moves
lowers the soft cost much further in the same time than re-solving neighbourhoods (see docs/benchmarks.md,
ITC-2007). The search works on the same sessions, resources and rules as the checker, so it serves native
instances and ITC-2007 alike:

- state: a start slot and a room per session; occupancy counts per resource row (course, faculty, batch,
  student clash group) and per room and slot, sessions per course and day, rooms per course;
- moves: a session to another allowed start and room; when one session of the same length holds that room
  there and may take the mover's place, the two swap (no room clash is made). On a clash-free timetable a
  share of the moves (``AnnealConfig.kempe``) are Kempe chain moves: the session goes to the other start, the
  sessions there that share a resource row with it come back to its start, and so on, so the chain makes no
  clash among its members (the moves that let a curriculum's lectures trade periods; ITC comp02 at 60 s:
  mean 54 over 4 seeds against 67 over 10 without);
- cost: ``HARD_WEIGHT`` x hard units + the weighted soft rules, each move's change computed from the
  resource rows, days and rooms it touches. Clashes are allowed during the search (they are what lets it
  pass between timetables) but only clash-free timetables are kept as the best;
- rules: every soft rule of the checker (isolated sessions, batch idle periods, minimum working days,
  room stability, faculty preferences, room capacity when soft) and the hard-by-default rules an instance
  may make soft (faculty daily hours and consecutive periods, course sessions per day);
- acceptance: Metropolis with one random draw per move, so the quick refusals of clash-making moves (counted
  before the daily rules) and the full test agree;
- temperature: exponential in the elapsed share of a cooling cycle, from ``t_start`` to ``t_end``. A long run
  cools several times (``AnnealConfig.cycle``): each later cycle starts every chain from the best timetable so
  far. Where one cooling ends depends much on its hot start (ITC comp05: 302 to 362 by seed, at 10 s as at
  60 s), so several coolings from the best do better than one slow one in the same time.

The independent checker has the last word on every result (``solve`` re-checks it before using it).
"""

from __future__ import annotations

import itertools
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from numba import njit

from timetabling.engine.model import Instance, Rule, Solution
from timetabling.engine.solver.domains import Domains

# in units of the largest soft weight (5 on ITC-2007): tuned on ITC comp02, comp05 and comp07 at 60 s, where a
# start of 2 gave 66, 575 and 23 and a start of 20 gave 55, 314 and 29; a hard weight of 8 left comp05 at 612
T_START, T_END, HARD_WEIGHT = 4.0, 0.01, 4.0
KIND_COURSE, KIND_FACULTY, KIND_BATCH, KIND_GROUP = 0, 1, 2, 3
KEMPE_MAX = 32  # sessions in one Kempe chain move at most
# cooling cycles (ITC at 150 s, one chain, seeds 1-2, cycles of 30 s against one cycle): comp05 303, 302 against
# 338, 321; comp07 19, 19 against 18, 19; comp06 53, 50 against 51, 45, so larger instances get longer cycles
# (comp06 72 s, comp07 87 s; the 8,235 sessions of the university profile: one cycle below 3,300 s)
MIN_CYCLE, CYCLE_PER_SESSION = 30.0, 0.2
CHUNK_ITERATIONS = 200_000  # moves per compiled call; temperature and the clock are checked between calls


@dataclass
class AnnealConfig:
    t_start: float | None = None  # None: T_START x the largest soft weight
    t_end: float | None = None  # None: T_END x the largest soft weight
    keep_room: float = 0.6  # chance that a move keeps the session's room
    threads: int = 1  # independent chains (different seeds) run side by side; the best wins
    hard_weight: int | None = None  # None: HARD_WEIGHT x the largest soft weight
    kempe: float = 0.1  # share of the moves that are Kempe chain moves (on a clash-free timetable)
    cycle: float | None = None  # seconds per cooling cycle (each later one starts every chain from the best
    # timetable so far, at ``t_start``); None: CYCLE_PER_SESSION x the sessions, at least MIN_CYCLE; 0: one cycle


@dataclass
class AnnealResult:
    solution: Solution | None  # the best clash-free timetable found; None when none was
    cost: int  # its soft cost as the search counts it
    first_cost: int  # soft cost of the starting timetable
    moves: int  # moves tried, all chains
    accepted: int
    seconds: float


class _Problem:
    """The instance as flat arrays for the compiled search."""

    def __init__(self, instance: Instance, domains: Domains | None = None):
        from timetabling.engine.pipeline.board import layout  # the pipeline's session arrays (no import cycle)

        lay = layout(instance, domains)
        self.lay = lay
        rules = instance.rules
        n, t_n, n_rooms = lay.n, lay.n_slots, len(lay.room_ids)
        self.n, self.n_rooms = n, n_rooms
        courses = instance.courses
        self.course = lay.session_course
        self.length = lay.length
        self.start_ptr, self.start_list = _csr(lay.starts)
        self.room_ptr, self.room_list = _csr(lay.rooms)
        self.res_ptr, self.res_list = _csr([np.asarray(r, dtype=np.int64) for r in lay.resources])
        members: list[list[int]] = [[] for _ in range(lay.n_resources)]  # per resource row: its sessions
        for i, rows in enumerate(lay.resources):
            for row in rows:
                members[int(row)].append(i)
        self.row_ptr, self.row_sessions = _csr([np.asarray(m, dtype=np.int64) for m in members])
        self.allowed_start, allowed_room = lay.allowed
        self.allowed_room = np.ascontiguousarray(allowed_room[:, :n_rooms])
        kind = np.full(lay.n_resources, KIND_GROUP, dtype=np.int64)
        kind[: len(lay.course_ids)] = KIND_COURSE
        kind[lay.faculty_rows] = KIND_FACULTY
        kind[lay.batch_rows] = KIND_BATCH
        self.row_kind = kind
        self.row_faculty = np.full(lay.n_resources, -1, dtype=np.int64)
        self.row_faculty[lay.faculty_rows] = np.arange(len(lay.faculty_rows))
        # daily limits per row: a faculty member's (most periods a day, most in a row), then each batch's (most
        # and fewest sessions a day, 0 for none); row_faculty points a faculty or batch row at its own
        self.row_faculty[lay.batch_rows] = len(lay.faculty_rows) + np.arange(len(lay.batch_rows))
        batches = instance.batches
        self.fac_max_day = np.concatenate([lay.faculty_max_day, [b.max_per_day for b in batches]]).astype(np.int64)
        self.fac_max_run = np.concatenate([lay.faculty_max_run, [b.min_per_day for b in batches]]).astype(np.int64)
        self.course_max_day = lay.course_max_day
        self.min_days = np.array([c.min_days for c in courses], dtype=np.int64)
        self.room_blocked = lay.room_blocked.astype(np.int32)
        self.adjacent = lay.adjacent
        self.n_days, self.n_periods = lay.n_days, lay.n_periods
        # (weight, hard) per rule the search counts; a hard rule adds hard units, a soft one its weight
        self.w_idle = rules.weight(Rule.BATCH_IDLE)
        self.w_iso = rules.weight(Rule.ISOLATED_SESSION)
        self.w_days = rules.weight(Rule.COURSE_MIN_DAYS)
        self.w_stab = rules.weight(Rule.ROOM_STABILITY)
        self.rule_flags = np.array([
            _weight_or_hard(rules, Rule.FACULTY_DAILY_HOURS), _weight_or_hard(rules, Rule.FACULTY_CONSECUTIVE),
            _weight_or_hard(rules, Rule.COURSE_MAX_PER_DAY), _weight_or_hard(rules, Rule.BATCH_DAILY_LOAD),
            _weight_or_hard(rules, Rule.BATCH_TRAVEL),
        ], dtype=np.int64)  # > 0: soft weight; -1: hard; 0: off
        # building of each room, as an index; travel is counted only with two buildings or more
        buildings = sorted({r.building for r in instance.rooms})
        index = {b: k for k, b in enumerate(buildings)}
        self.room_bld = np.array([index[instance.room_by_id[r].building] for r in lay.room_ids] or [0], dtype=np.int64)
        self.n_buildings = len(buildings) if self.rule_flags[4] != 0 and len(buildings) > 1 else 0
        # per-session costs that depend on the start or the room alone
        self.pref_cost = np.zeros((n, t_n), dtype=np.int64)
        w_pref = rules.weight(Rule.FACULTY_PREFERENCE)
        grid = instance.grid
        if w_pref:
            outside: dict[str, np.ndarray] = {}  # faculty -> 1 per slot outside the preferred ones
            for f in instance.faculty:
                if f.preferred:
                    outside[f.id] = np.ones(t_n + 1, dtype=np.int64)
                    outside[f.id][[grid.slot_index(p.slot) for p in f.preferred]] = 0
            per_course = np.zeros((len(courses), t_n), dtype=np.int64)
            for k, c in enumerate(courses):
                for f in c.faculty:
                    if f in outside:  # periods of a block from each start outside the preferences
                        sums = np.concatenate([[0], np.cumsum(outside[f])])
                        ends = np.minimum(np.arange(t_n) + c.session_length, t_n + 1)
                        per_course[k] += sums[ends] - sums[np.arange(t_n)]
            self.pref_cost = w_pref * per_course[lay.session_course]
        self.max_weight = max([rules.weight(r) for r in Rule], default=0)
        self.cap_cost = np.zeros((n, max(1, n_rooms)), dtype=np.int32)
        w_cap = rules.weight(Rule.ROOM_CAPACITY)
        if w_cap and n_rooms:
            sizes = np.array([instance.course_size[c.id] for c in courses], dtype=np.int64)[lay.session_course]
            caps = np.array([r.capacity for r in instance.rooms], dtype=np.int64)
            self.cap_cost[:, :n_rooms] = w_cap * np.maximum(0, sizes[:, None] - caps[None, :])
        w_avoid = rules.weight(Rule.ROOM_AVOIDED)  # a room a course avoids costs like capacity: per session and room
        if w_avoid and n_rooms:
            room_index = {r.id: k for k, r in enumerate(instance.rooms)}
            avoid = np.zeros((len(courses), n_rooms), dtype=np.int32)
            for k, c in enumerate(courses):
                avoid[k, [room_index[r] for r in c.avoid_rooms if r in room_index]] = w_avoid
            self.cap_cost[:, :n_rooms] += avoid[lay.session_course]
        # sessions pinned by a course's fixed slots do not move
        self.frozen = np.zeros(n, dtype=np.bool_)
        self.fixed_starts = [{grid.slot_index(s) for s in c.fixed} for c in courses]

    def state(self, solution: Solution) -> tuple[np.ndarray, np.ndarray] | None:
        """(start, room) per session of ``solution``; None when a session is not placed."""
        from timetabling.engine.pipeline.board import board_from
        from timetabling.engine.pipeline.decompose import from_solution

        board = board_from(self.lay, from_solution(self.lay.instance, solution))
        if (board.start < 0).any():
            return None
        self.frozen[:] = False
        taken: set[tuple[int, int]] = set()
        for i in range(self.n):
            c, s = int(self.course[i]), int(board.start[i])
            if s in self.fixed_starts[c] and (c, s) not in taken:
                taken.add((c, s))
                self.frozen[i] = True
        return board.start.copy(), board.room.copy()

    def solution(self, start: np.ndarray, room: np.ndarray, meta: dict[str, object]) -> Solution:
        from timetabling.engine.pipeline.board import Board

        return Board(self.lay, start, room).solution(meta)


def _scaled(cfg: AnnealConfig, unit: int) -> AnnealConfig:
    unit = max(1, unit)
    return replace(cfg, t_start=cfg.t_start if cfg.t_start is not None else T_START * unit,
                   t_end=cfg.t_end if cfg.t_end is not None else T_END * unit,
                   hard_weight=cfg.hard_weight if cfg.hard_weight is not None else round(HARD_WEIGHT * unit))


def _weight_or_hard(rules, rule: Rule) -> int:
    return -1 if rules.is_hard(rule) else rules.weight(rule)


def _csr(lists: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    flat = np.concatenate(lists).astype(np.int64) if lists and ptr[-1] else np.zeros(0, dtype=np.int64)
    return ptr, flat


def anneal(
    instance: Instance,
    solution: Solution,
    time_limit: float,
    *,
    seed: int = 0,
    config: AnnealConfig | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_improve: Callable[[int], None] | None = None,
    domains: Domains | None = None,
) -> AnnealResult:
    """Lower the soft cost of ``solution`` (complete, clash-free) for ``time_limit`` seconds; ``domains``: the
    instance's, when the caller has them already."""
    t0 = time.perf_counter()
    prob = _Problem(instance, domains)
    cfg = _scaled(config or AnnealConfig(), prob.max_weight)
    state = prob.state(solution)
    if state is None or prob.n == 0:
        return AnnealResult(None, 0, 0, 0, 0, time.perf_counter() - t0)
    chains = [_Chain(prob, state[0], state[1], cfg, seed + k) for k in range(max(1, cfg.threads))]
    first_cost = chains[0].soft
    if chains[0].hard:
        return AnnealResult(None, first_cost, first_cost, 0, 0, time.perf_counter() - t0)
    deadline = t0 + time_limit
    lock = threading.Lock()
    best = [first_cost]
    best_state = [chains[0].best_start.copy(), chains[0].best_room.copy()]
    begin = time.perf_counter()
    cycles = _cycles(deadline - begin, max(MIN_CYCLE, CYCLE_PER_SESSION * prob.n) if cfg.cycle is None else cfg.cycle)

    def run(chain: _Chain) -> None:
        _seed(chain.seed)  # numba's random state is per thread
        for k, (lo, hi) in enumerate(cycles):
            if k > 0:
                with lock:  # a later cycle starts from the best timetable of all chains so far
                    chain.reset(best_state[0], best_state[1])
            span = max(1e-3, hi - lo)
            while True:
                now = time.perf_counter()
                if now >= deadline or best[0] == 0 or (should_stop and should_stop()):
                    return  # no soft cost is below 0
                share = (now - begin - lo) / span
                if share >= 1.0:
                    break
                temperature = chain.cfg.t_start * (chain.cfg.t_end / chain.cfg.t_start) ** share
                chain.step(CHUNK_ITERATIONS, temperature)
                with lock:
                    if chain.best_cost < best[0]:
                        best[0] = chain.best_cost
                        best_state[0][:] = chain.best_start
                        best_state[1][:] = chain.best_room
                        if on_improve:
                            on_improve(int(chain.best_cost))

    if len(chains) == 1:
        run(chains[0])
    else:
        errors: list[BaseException] = []

        def guarded(chain: _Chain) -> None:
            try:
                run(chain)
            except BaseException as exc:  # raised again below, in the caller's thread
                errors.append(exc)

        threads = [threading.Thread(target=guarded, args=(c,), daemon=True) for c in chains]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        if errors:
            raise errors[0]
    winner = min(chains, key=lambda c: c.best_cost)
    meta = {"solver": "anneal", "moves": sum(c.moves for c in chains), "seed": seed}
    return AnnealResult(
        prob.solution(winner.best_start, winner.best_room, meta), int(winner.best_cost), first_cost,
        sum(c.moves for c in chains), sum(c.accepted for c in chains), time.perf_counter() - t0)


def compiled_ready() -> bool:
    """Whether the compiled search is loaded in this process or cached on disk; when not, the first ``anneal``
    compiles it (numba, about 15 s once per install), which a progress display should say."""
    for fn in (_seed, _init, _kempe_ops, _search):
        if fn.signatures:
            continue
        index = getattr(getattr(getattr(fn, "_cache", None), "_cache_file", None), "_index_path", None)
        if not index or not os.path.exists(index):
            return False
    return True


def _cycles(seconds: float, cycle: float | None) -> list[tuple[float, float]]:
    """(begin, end) of each cooling cycle in ``seconds``: equal cycles, as many as ``cycle`` seconds fit
    (rounded); one cycle when fewer than two fit."""
    if not cycle or cycle <= 0 or seconds < 2 * cycle:
        return [(0.0, seconds)]
    n = round(seconds / cycle)
    edges = [seconds * k / n for k in range(n + 1)]
    return list(itertools.pairwise(edges))


class _Chain:
    """One annealing chain: its own state arrays, counters and random stream."""

    def __init__(self, prob: _Problem, start: np.ndarray, room: np.ndarray, cfg: AnnealConfig, seed: int):
        self.p, self.cfg = prob, _scaled(cfg, prob.max_weight)
        n_rows = len(prob.row_kind)
        t_n = prob.n_days * prob.n_periods
        self.start, self.room = start.astype(np.int64).copy(), room.astype(np.int64).copy()
        self.occ = np.zeros((n_rows, t_n), dtype=np.int32)
        self.bst = np.zeros((n_rows, t_n), dtype=np.int32)
        self.blen = np.zeros((n_rows, t_n), dtype=np.int32)
        self.rocc = prob.room_blocked.copy() if prob.n_rooms else np.zeros((1, t_n), dtype=np.int32)
        self.owner = np.full(self.rocc.shape, -1, dtype=np.int64)
        n_c = int(prob.course.max()) + 1 if prob.n else 0
        self.cday = np.zeros((n_c, prob.n_days), dtype=np.int32)
        self.ndays = np.zeros(n_c, dtype=np.int64)
        self.croom = np.zeros((n_c, max(1, prob.n_rooms)), dtype=np.int32)
        self.nrooms = np.zeros(n_c, dtype=np.int64)
        self.rd_hard = np.zeros((n_rows, prob.n_days), dtype=np.int64)  # per row and day: its daily rules' cost
        # per row, slot and building: the row's sessions there (batch travel; one empty building when not counted)
        self.bocc = np.zeros((n_rows if prob.n_buildings else 1, t_n, max(1, prob.n_buildings)), dtype=np.int32)
        self.rd_soft = np.zeros((n_rows, prob.n_days), dtype=np.int64)
        self.movable = np.flatnonzero(~prob.frozen & (np.diff(prob.start_ptr) > 0)).astype(np.int64)
        self.acc = np.zeros(5, dtype=np.int64)  # hard, soft, moves, accepted, accepted Kempe chain moves
        self.best_start, self.best_room = self.start.copy(), self.room.copy()
        self.best = np.zeros(1, dtype=np.int64)
        # the search's work arrays: (row, day) pairs a move recounts, the changes of a move, a Kempe chain and
        # its marks (allocated here: the compiled search runs without numba's reference counting, see _search)
        max_ops = 2 * KEMPE_MAX
        max_pairs = max_ops * (int(np.diff(prob.res_ptr).max(initial=0)) + 1)
        self.work = (
            *(np.empty(max_pairs, dtype=np.int64) for _ in range(4)), np.empty((max_ops, 4), dtype=np.int64),
            np.empty(KEMPE_MAX, dtype=np.int64), np.empty(KEMPE_MAX, dtype=np.int64),
            np.empty(prob.n, dtype=np.int64), np.empty((2, self.rocc.shape[0]), dtype=np.int64),
            np.empty(self.rd_hard.shape, dtype=np.int64))
        self.reset(self.start, self.room)  # counts the starting timetable
        self.seed = seed
        _seed(seed)  # for steps run on this thread; ``anneal`` seeds each chain's own thread again

    def reset(self, start: np.ndarray, room: np.ndarray) -> None:
        """Go to the timetable (``start``, ``room``), counted from empty counters; it becomes this chain's best."""
        self.start[:] = start
        self.room[:] = room
        for counter in (self.occ, self.bst, self.blen, self.cday, self.ndays, self.croom, self.nrooms, self.rd_hard,
                        self.rd_soft, self.acc[:2], self.bocc):
            counter[:] = 0
        self.rocc[:] = self.p.room_blocked if self.p.n_rooms else 0
        self.owner[:] = -1
        _init(*self._args())
        self.best_start[:] = self.start
        self.best_room[:] = self.room
        self.best[0] = self.acc[1]

    def _args(self) -> tuple:
        p = self.p
        return (
            self.start, self.room, p.course, p.length, p.res_ptr, p.res_list, p.row_kind, p.row_faculty,
            p.fac_max_day, p.fac_max_run, p.course_max_day, p.min_days, p.adjacent, p.n_periods,
            p.w_idle, p.w_iso, p.w_days, p.w_stab, p.rule_flags, p.pref_cost, p.cap_cost,
            self.occ, self.bst, self.blen, self.rocc, self.owner, self.cday, self.ndays, self.croom, self.nrooms,
            self.rd_hard, self.rd_soft, self.acc, self.bocc, p.room_bld,
        )

    @property
    def hard(self) -> int:
        return int(self.acc[0])

    @property
    def soft(self) -> int:
        return int(self.acc[1])

    @property
    def best_cost(self) -> int:
        return int(self.best[0])

    @property
    def moves(self) -> int:
        return int(self.acc[2])

    @property
    def accepted(self) -> int:
        return int(self.acc[3])

    @property
    def kempe_accepted(self) -> int:
        return int(self.acc[4])

    def step(self, iterations: int, temperature: float) -> None:
        p = self.p
        _search(*self._args(), p.start_ptr, p.start_list, p.room_ptr, p.room_list, p.allowed_start,
                p.allowed_room, p.row_ptr, p.row_sessions, self.movable, p.frozen, self.best_start, self.best_room,
                self.best, *self.work, iterations, temperature, self.cfg.keep_room, self.cfg.hard_weight,
                self.cfg.kempe)


# ------------------------------------------------------------------------------------ compiled core


@njit(cache=True, nogil=True)
def _seed(seed):
    np.random.seed(seed)


@njit(cache=True, nogil=True, inline="always")
def _row_day(row, day, occ, bst, blen, row_kind, row_faculty, fac_max_day, fac_max_run, adjacent, n_periods,
             w_idle, w_iso, rule_flags, bocc):
    """(hard, soft) of one batch or faculty row on one day: idle periods and isolated sessions of a batch;
    daily hours and consecutive periods of a faculty member."""
    t0 = day * n_periods
    hard = 0
    soft = 0
    kind = row_kind[row]
    if kind == 2:
        if w_idle > 0:
            first = -1
            last = -1
            busy = 0
            for p in range(n_periods):
                if occ[row, t0 + p] > 0:
                    if first < 0:
                        first = p
                    last = p
                    busy += 1
            if first >= 0:
                soft += w_idle * (last - first + 1 - busy)
        if w_iso > 0:
            for p in range(n_periods):
                t = t0 + p
                k = bst[row, t]
                if k == 0:
                    continue
                length = blen[row, t] // k
                before = p > 0 and adjacent[t - 1] and occ[row, t - 1] > 0
                end = t + length - 1
                after = p + length < n_periods and adjacent[end] and occ[row, end + 1] > 0
                if not (before or after):
                    soft += w_iso * k
        w_load = rule_flags[3]
        if w_load != 0:  # sessions of the day against the batch's most (fac_max_day) and fewest (fac_max_run)
            f = row_faculty[row]
            n = 0
            for p in range(n_periods):
                n += bst[row, t0 + p]
            units = 0
            if fac_max_day[f] > 0 and n > fac_max_day[f]:
                units = n - fac_max_day[f]
            elif 0 < n < fac_max_run[f]:
                units = fac_max_run[f] - n
            if units > 0:
                if w_load < 0:
                    hard += units
                else:
                    soft += w_load * units
        w_travel = rule_flags[4]
        if w_travel != 0 and bocc.shape[0] > 1:  # a change of building between consecutive periods
            moves = 0
            n_b = bocc.shape[2]
            for p in range(n_periods - 1):
                t = t0 + p
                if not adjacent[t]:
                    continue
                moved = False
                for a in range(n_b):
                    if bocc[row, t, a] > 0:
                        for b in range(n_b):
                            if b != a and bocc[row, t + 1, b] > 0:
                                moved = True
                if moved:
                    moves += 1
            if w_travel < 0:
                hard += moves
            else:
                soft += w_travel * moves
    elif kind == 1:
        f = row_faculty[row]
        w_day = rule_flags[0]
        w_run = rule_flags[1]
        if w_day != 0:
            total = 0
            for p in range(n_periods):
                total += occ[row, t0 + p]
            excess = total - fac_max_day[f]
            if excess > 0:
                if w_day < 0:
                    hard += excess
                else:
                    soft += w_day * excess
        if w_run != 0:
            run = 0
            excess = 0
            for p in range(n_periods):
                t = t0 + p
                if occ[row, t] > 0:
                    run += 1
                else:
                    if run > fac_max_run[f]:
                        excess += run - fac_max_run[f]
                    run = 0
                if not adjacent[t]:
                    if run > fac_max_run[f]:
                        excess += run - fac_max_run[f]
                    run = 0
            if run > fac_max_run[f]:
                excess += run - fac_max_run[f]
            if excess > 0:
                if w_run < 0:
                    hard += excess
                else:
                    soft += w_run * excess
    return hard, soft


@njit(cache=True, nogil=True, inline="always")
def _place(i, s, r, sign, course, length, res_ptr, res_list, row_kind, course_max_day, min_days, w_days, w_stab,
           rule_flags, pref_cost, cap_cost, occ, bst, blen, rocc, owner, cday, ndays, croom, nrooms, bocc, room_bld):
    """Add (sign 1) or remove (sign -1) session ``i`` at start ``s`` in room ``r``: occupancy, the course's days
    and rooms. Returns (d_hard, d_soft) of everything but the per row and day rules (see ``_row_day``)."""
    n_len = length[i]
    c = course[i]
    dh = 0
    ds = 0
    for k in range(res_ptr[i], res_ptr[i + 1]):
        row = res_list[k]
        for t in range(s, s + n_len):
            if sign > 0:
                if occ[row, t] >= 1:
                    dh += 1
                occ[row, t] += 1
            else:
                if occ[row, t] >= 2:
                    dh -= 1
                occ[row, t] -= 1
        if row_kind[row] == 2:
            bst[row, s] += sign
            blen[row, s] += sign * n_len
            if r >= 0 and bocc.shape[0] > 1:
                for t in range(s, s + n_len):
                    bocc[row, t, room_bld[r]] += sign
    if r >= 0:
        for t in range(s, s + n_len):
            if sign > 0:
                if rocc[r, t] >= 1:
                    dh += 1
                else:
                    owner[r, t] = i  # the first session in a room slot owns it (a clash leaves the owner)
                rocc[r, t] += 1
            else:
                if rocc[r, t] >= 2:
                    dh -= 1
                rocc[r, t] -= 1
                if owner[r, t] == i:
                    owner[r, t] = -1
        ds += sign * cap_cost[i, r]
        before = nrooms[c]
        if sign > 0:
            if croom[c, r] == 0:
                nrooms[c] += 1
            croom[c, r] += 1
        else:
            croom[c, r] -= 1
            if croom[c, r] == 0:
                nrooms[c] -= 1
        if w_stab > 0:
            ds += w_stab * (max(0, nrooms[c] - 1) - max(0, before - 1))
    day = s // (occ.shape[1] // cday.shape[1])
    before_days = ndays[c]
    before_count = cday[c, day]
    if sign > 0:
        if cday[c, day] == 0:
            ndays[c] += 1
        cday[c, day] += 1
    else:
        cday[c, day] -= 1
        if cday[c, day] == 0:
            ndays[c] -= 1
    if w_days > 0:
        ds += w_days * (max(0, min_days[c] - ndays[c]) - max(0, min_days[c] - before_days))
    w_cday = rule_flags[2]
    if w_cday != 0:
        change = max(0, cday[c, day] - course_max_day[c]) - max(0, before_count - course_max_day[c])
        if w_cday < 0:
            dh += change
        else:
            ds += w_cday * change
    ds += sign * pref_cost[i, s]
    return dh, ds


@njit(cache=True, nogil=True, inline="always")
def _clashes_of_move(i, s0, r0, s1, r1, length, res_ptr, res_list, occ, rocc):
    """Change in clash units (resource rows and rooms) when session ``i`` moves from (s0, r0) to (s1, r1)."""
    n_len = length[i]
    d = 0
    for k in range(res_ptr[i], res_ptr[i + 1]):
        row = res_list[k]
        for t in range(s0, s0 + n_len):
            if occ[row, t] >= 2:
                d -= 1
        for t in range(s1, s1 + n_len):
            o = occ[row, t]
            if s0 <= t < s0 + n_len:
                o -= 1
            if o >= 1:
                d += 1
    if r0 >= 0:
        for t in range(s0, s0 + n_len):
            if rocc[r0, t] >= 2:
                d -= 1
    if r1 >= 0:
        for t in range(s1, s1 + n_len):
            o = rocc[r1, t]
            if r1 == r0 and s0 <= t < s0 + n_len:
                o -= 1
            if o >= 1:
                d += 1
    return d


@njit(cache=True, nogil=True, inline="always")
def _daily_row(row, row_kind, w_idle, w_iso, rule_flags):
    kind = row_kind[row]
    return (kind == 2 and (w_idle > 0 or w_iso > 0 or rule_flags[3] != 0 or rule_flags[4] != 0)) or (
        kind == 1 and (rule_flags[0] != 0 or rule_flags[1] != 0)
    )


@njit(cache=True, nogil=True)
def _init(start, room, course, length, res_ptr, res_list, row_kind, row_faculty, fac_max_day, fac_max_run,
          course_max_day, min_days, adjacent, n_periods, w_idle, w_iso, w_days, w_stab, rule_flags, pref_cost,
          cap_cost, occ, bst, blen, rocc, owner, cday, ndays, croom, nrooms, rd_hard, rd_soft, acc, bocc, room_bld):
    """Place every session on empty counters; ``acc[0:2]``: hard units and soft cost of the timetable."""
    hard = 0
    soft = 0
    for i in range(len(start)):
        dh, ds = _place(i, start[i], room[i], 1, course, length, res_ptr, res_list, row_kind, course_max_day,
                        min_days, w_days, w_stab, rule_flags, pref_cost, cap_cost, occ, bst, blen, rocc, owner,
                        cday, ndays, croom, nrooms, bocc, room_bld)
        hard += dh
        soft += ds
    # blocked room slots start at 1: a session there is a clash, counted above. Each course's missing days
    # were counted down from an empty timetable, where every day is missing
    if w_days > 0:
        for c in range(len(min_days)):
            soft += w_days * min_days[c]
    n_days = rd_hard.shape[1]
    for row in range(len(row_kind)):
        if _daily_row(row, row_kind, w_idle, w_iso, rule_flags):
            for d in range(n_days):
                h, s_ = _row_day(row, d, occ, bst, blen, row_kind, row_faculty, fac_max_day, fac_max_run, adjacent,
                                 n_periods, w_idle, w_iso, rule_flags, bocc)
                rd_hard[row, d] = h
                rd_soft[row, d] = s_
                hard += h
                soft += s_
    acc[0] = hard
    acc[1] = soft


@njit(cache=True, nogil=True, inline="always")
def _daily_delta(ops, n_ops, res_ptr, res_list, row_kind, row_faculty, fac_max_day, fac_max_run, adjacent,
                 n_periods, w_idle, w_iso, rule_flags, occ, bst, blen, rd_hard, rd_soft, pair_row, pair_day, pair_h,
                 pair_s, seen, stamp, bocc):
    """Recount the daily rules of every (row, day) the changes in ``ops`` touched (already applied to the
    counters): the new values go to ``pair_*``; returns (pairs, d_hard, d_soft). ``seen[row, day] == stamp``
    marks the pairs recounted in this call (``stamp``: new per call)."""
    n_pairs = 0
    dh = 0
    ds = 0
    for q in range(n_ops):
        m = ops[q, 0]
        d = ops[q, 1] // n_periods
        for k in range(res_ptr[m], res_ptr[m + 1]):
            row = res_list[k]
            if not _daily_row(row, row_kind, w_idle, w_iso, rule_flags):
                continue
            if seen[row, d] == stamp:
                continue
            seen[row, d] = stamp
            h, s_ = _row_day(row, d, occ, bst, blen, row_kind, row_faculty, fac_max_day, fac_max_run, adjacent,
                             n_periods, w_idle, w_iso, rule_flags, bocc)
            pair_row[n_pairs] = row
            pair_day[n_pairs] = d
            pair_h[n_pairs] = h
            pair_s[n_pairs] = s_
            n_pairs += 1
            dh += h - rd_hard[row, d]
            ds += s_ - rd_soft[row, d]
    return n_pairs, dh, ds


@njit(cache=True, nogil=True, _nrt=False)
def _kempe_ops(i, s1, start, room, length, res_ptr, res_list, row_ptr, row_sessions, room_ptr, room_list, occ, rocc,
               owner, allowed_start, frozen, chain, side, mark, claim, stamp, ops):
    """A Kempe chain move: session ``i`` goes from its start s0 to ``s1``; every session at s1 that shares a
    resource row with it goes to s0, every session at s0 sharing one with those goes to s1, and so on, so no
    clash between them is made. Each keeps its room when that room is free at the new start (or left by the
    chain), else takes one of its rooms that is. Needs a clash-free timetable (room owners are then exact).
    Writes the removals, then the additions, to ``ops``; returns their number, 0 when there is no such move."""
    s0 = start[i]
    n_len = length[i]
    n_mem = 1
    chain[0] = i
    side[0] = 0
    mark[i] = stamp
    head = 0
    while head < n_mem:
        a = chain[head]
        here = s0 if side[head] == 0 else s1
        there = s1 if side[head] == 0 else s0
        for k in range(res_ptr[a], res_ptr[a + 1]):
            row = res_list[k]
            busy = False  # has the row a session at ``there``? Then find it among the row's sessions
            for t in range(there, there + n_len):
                if occ[row, t] > 0:
                    busy = True
            if not busy:
                continue
            for x in range(row_ptr[row], row_ptr[row + 1]):
                b = row_sessions[x]
                if mark[b] == stamp or start[b] + length[b] <= there or start[b] >= there + n_len:
                    continue
                if (frozen[b] or start[b] != there or length[b] != n_len or not allowed_start[b, here]
                        or n_mem == len(chain)):
                    return 0
                chain[n_mem] = b
                side[n_mem] = 1 - side[head]
                mark[b] = stamp
                n_mem += 1
        head += 1
    for q in range(n_mem):
        m = chain[q]
        ops[q, 0], ops[q, 1], ops[q, 2], ops[q, 3] = m, start[m], room[m], -1
    # rooms at the new starts: a room is usable by a member going to start ``to`` when each of its slots there
    # is free or held by a member leaving it, and no other member took it already. Its own room first
    for q in range(n_mem):
        m = chain[q]
        to = s1 if side[q] == 0 else s0
        r = room[m]
        chosen = -1
        if r >= 0:
            for x in range(room_ptr[m] - 1, room_ptr[m + 1]):
                cand = r if x < room_ptr[m] else room_list[x]
                if (x >= room_ptr[m] and cand == r) or claim[side[q], cand] == stamp:
                    continue
                usable = True
                for t in range(to, to + n_len):
                    if rocc[cand, t] == 0:
                        continue
                    o = owner[cand, t]
                    if rocc[cand, t] > 1 or o < 0 or mark[o] != stamp or start[o] != to:
                        usable = False
                        break
                if usable:
                    chosen = cand
                    break
            if chosen < 0:
                chosen = r  # a room clash: the move's cost says so
            claim[side[q], chosen] = stamp
        ops[n_mem + q, 0], ops[n_mem + q, 1], ops[n_mem + q, 2], ops[n_mem + q, 3] = m, to, chosen, 1
    return 2 * n_mem


@njit(cache=True, nogil=True, _nrt=False)
def _search(start, room, course, length, res_ptr, res_list, row_kind, row_faculty, fac_max_day, fac_max_run,
            course_max_day, min_days, adjacent, n_periods, w_idle, w_iso, w_days, w_stab, rule_flags, pref_cost,
            cap_cost, occ, bst, blen, rocc, owner, cday, ndays, croom, nrooms, rd_hard, rd_soft, acc, bocc, room_bld,
            start_ptr,
            start_list, room_ptr, room_list, allowed_start, allowed_room, row_ptr, row_sessions, movable, frozen,
            best_start, best_room, best, pair_row, pair_day, pair_h, pair_s, ops, chain, side, mark, claim, seen,
            iterations, temperature, keep_room, hard_weight, kempe):
    """``iterations`` moves at ``temperature``. Compiled without numba's reference counting (``_nrt=False``): with
    it, every helper inlined here took and dropped a reference to each array it was handed, an atomic
    operation per array and call that was half of the run time (perf, ITC comp05; numba's refcount pruning does
    not reach across branches, numba/numba#2350). So nothing here allocates: the work arrays come from the
    chain, and arrays are copied element by element."""
    n_mov = len(movable)
    if n_mov == 0:
        return
    hard = acc[0]
    soft = acc[1]
    mark[:] = -1
    claim[:] = -1
    seen[:] = -1
    stamp = 0  # of the current Kempe chain, in ``mark`` and ``claim``
    recount = 0  # of the current move's daily recount, in ``seen``
    for _ in range(iterations):
        i = movable[np.random.randint(n_mov)]
        s0 = start[i]
        r0 = room[i]
        n_st = start_ptr[i + 1] - start_ptr[i]
        s1 = start_list[start_ptr[i] + np.random.randint(n_st)]
        # Metropolis with one draw: the move is taken when its cost change is at most ``threshold``
        u = np.random.random()
        threshold = -temperature * math.log(u) if u > 0.0 else 1e18
        kempe_move = kempe > 0.0 and hard == 0 and np.random.random() < kempe
        if kempe_move:
            if s1 == s0:
                continue
            stamp += 1
            n_ops = _kempe_ops(i, s1, start, room, length, res_ptr, res_list, row_ptr, row_sessions, room_ptr,
                               room_list, occ, rocc, owner, allowed_start, frozen, chain, side, mark, claim, stamp,
                               ops)
            if n_ops == 0:
                continue
        else:
            n_rm = room_ptr[i + 1] - room_ptr[i]
            if n_rm == 0:
                r1 = -1
            elif r0 >= 0 and np.random.random() < keep_room:
                r1 = r0
            else:
                r1 = room_list[room_ptr[i] + np.random.randint(n_rm)]
            if s1 == s0 and r1 == r0:
                continue
            # the session holding room r1 at s1 swaps with i when it can
            j = -1
            if r1 >= 0 and rocc[r1, s1] == 1:
                o = owner[r1, s1]
                if (o >= 0 and o != i and not frozen[o] and start[o] == s1 and room[o] == r1
                        and length[o] == length[i] and allowed_start[o, s0] and r0 >= 0 and allowed_room[o, r0]):
                    j = o
            if j < 0 and hard_weight > threshold:
                # most moves that make a clash are refused: count the clashes first, without moving anything
                quick = _clashes_of_move(i, s0, r0, s1, r1, length, res_ptr, res_list, occ, rocc)
                if hard_weight * quick > threshold:
                    acc[2] += 1
                    continue
            # the move as removals and additions: i leaves, j leaves, i arrives, j arrives
            ops[0, 0], ops[0, 1], ops[0, 2], ops[0, 3] = i, s0, r0, -1
            n_ops = 1
            if j >= 0:
                ops[1, 0], ops[1, 1], ops[1, 2], ops[1, 3] = j, s1, r1, -1
                n_ops = 2
            ops[n_ops, 0], ops[n_ops, 1], ops[n_ops, 2], ops[n_ops, 3] = i, s1, r1, 1
            n_ops += 1
            if j >= 0:
                ops[n_ops, 0], ops[n_ops, 1], ops[n_ops, 2], ops[n_ops, 3] = j, s0, r0, 1
                n_ops += 1
        acc[2] += 1
        recount += 1
        dh = 0
        ds = 0
        for q in range(n_ops):
            h, s_ = _place(ops[q, 0], ops[q, 1], ops[q, 2], ops[q, 3], course, length, res_ptr, res_list, row_kind,
                           course_max_day, min_days, w_days, w_stab, rule_flags, pref_cost, cap_cost, occ, bst, blen,
                           rocc, owner, cday, ndays, croom, nrooms, bocc, room_bld)
            dh += h
            ds += s_
        # a move that makes clashes is mostly refused before its daily rules are counted
        go = hard_weight * dh <= threshold
        n_pairs = 0
        if go:
            n_pairs, h, s_ = _daily_delta(ops, n_ops, res_ptr, res_list, row_kind, row_faculty, fac_max_day,
                                          fac_max_run, adjacent, n_periods, w_idle, w_iso, rule_flags, occ, bst, blen,
                                          rd_hard, rd_soft, pair_row, pair_day, pair_h, pair_s, seen, recount,
                                          bocc)
            dh += h
            ds += s_
            go = hard_weight * dh + ds <= threshold
        if go:
            hard += dh
            soft += ds
            for q in range(n_ops):
                if ops[q, 3] > 0:
                    start[ops[q, 0]] = ops[q, 1]
                    room[ops[q, 0]] = ops[q, 2]
            for q in range(n_pairs):
                rd_hard[pair_row[q], pair_day[q]] = pair_h[q]
                rd_soft[pair_row[q], pair_day[q]] = pair_s[q]
            acc[3] += 1
            if kempe_move:
                acc[4] += 1
            if hard == 0 and soft < best[0]:
                best[0] = soft
                for k in range(len(start)):  # an element loop: a slice copy would need numba's allocator
                    best_start[k] = start[k]
                    best_room[k] = room[k]
            continue
        # undo, last change first
        for q in range(n_ops - 1, -1, -1):
            _place(ops[q, 0], ops[q, 1], ops[q, 2], -ops[q, 3], course, length, res_ptr, res_list, row_kind,
                   course_max_day, min_days, w_days, w_stab, rule_flags, pref_cost, cap_cost, occ, bst, blen, rocc,
                   owner, cday, ndays, croom, nrooms, bocc, room_bld)
    acc[0] = hard
    acc[1] = soft

"""The annealing driver: chains (one timetable, its counters and random stream each), cooling cycles, threads,
and the best clash-free timetable of all chains. The moves and costs are in ``kernels``, ``daily`` and ``kempe``."""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from timetabling.engine.improve.anneal.bundles import State, Work
from timetabling.engine.improve.anneal.kempe import kempe_ops
from timetabling.engine.improve.anneal.kernels import count_all, search, seed
from timetabling.engine.improve.anneal.problem import Problem
from timetabling.engine.model import Instance, Solution
from timetabling.engine.timetable.domains import Domains

# in units of the largest soft weight (5 on ITC-2007): tuned on ITC comp02, comp05 and comp07 at 60 s, where a
# start of 2 gave 66, 575 and 23 and a start of 20 gave 55, 314 and 29; a hard weight of 8 left comp05 at 612
T_START, T_END, HARD_WEIGHT = 4.0, 0.01, 4.0
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


def scaled(cfg: AnnealConfig, unit: int) -> AnnealConfig:
    """``cfg`` with its unset temperatures and hard weight in units of the largest soft weight ``unit``."""
    unit = max(1, unit)
    return replace(cfg, t_start=cfg.t_start if cfg.t_start is not None else T_START * unit,
                   t_end=cfg.t_end if cfg.t_end is not None else T_END * unit,
                   hard_weight=cfg.hard_weight if cfg.hard_weight is not None else round(HARD_WEIGHT * unit))


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
    prob = Problem(instance, domains)
    cfg = scaled(config or AnnealConfig(), prob.max_weight)
    state = prob.state(solution)
    if state is None or prob.n == 0:
        return AnnealResult(None, 0, 0, 0, 0, time.perf_counter() - t0)
    chains = [Chain(prob, state[0], state[1], cfg, seed + k) for k in range(max(1, cfg.threads))]
    first_cost = chains[0].soft
    if chains[0].hard:
        return AnnealResult(None, first_cost, first_cost, 0, 0, time.perf_counter() - t0)
    deadline = t0 + time_limit
    lock = threading.Lock()
    best = [first_cost]
    best_state = [chains[0].best_start.copy(), chains[0].best_room.copy()]
    begin = time.perf_counter()
    spans = cycles(deadline - begin, max(MIN_CYCLE, CYCLE_PER_SESSION * prob.n) if cfg.cycle is None else cfg.cycle)

    def run(chain: Chain) -> None:
        chain.reseed()  # numba's random state is per thread
        for k, (lo, hi) in enumerate(spans):
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

        def guarded(chain: Chain) -> None:
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
    for fn in (seed, count_all, kempe_ops, search):
        if fn.signatures:
            continue
        index = getattr(getattr(getattr(fn, "_cache", None), "_cache_file", None), "_index_path", None)
        if not index or not os.path.exists(index):
            return False
    return True


def cycles(seconds: float, cycle: float | None) -> list[tuple[float, float]]:
    """(begin, end) of each cooling cycle in ``seconds``: equal cycles, as many as ``cycle`` seconds fit
    (rounded); one cycle when fewer than two fit."""
    if not cycle or cycle <= 0 or seconds < 2 * cycle:
        return [(0.0, seconds)]
    n = round(seconds / cycle)
    edges = [seconds * k / n for k in range(n + 1)]
    return list(itertools.pairwise(edges))


class Chain:
    """One annealing chain: its own state arrays, counters and random stream (``state``, ``work``: the
    kernels' bundles, allocated once here)."""

    def __init__(self, prob: Problem, start: np.ndarray, room: np.ndarray, cfg: AnnealConfig, seed: int):
        self.p, self.cfg = prob, scaled(cfg, prob.max_weight)
        p = prob.sessions
        n_rows = len(prob.row_kind)
        n_c = len(p.min_days)
        t_n = prob.n_days * prob.n_periods
        rocc = prob.room_blocked.copy() if prob.n_rooms else np.zeros((1, t_n), dtype=np.int32)
        start = start.astype(np.int64).copy()
        room = room.astype(np.int64).copy()
        self.state = State(
            start=start, room=room,
            occ=np.zeros((n_rows, t_n), dtype=np.int32), bst=np.zeros((n_rows, t_n), dtype=np.int32),
            blen=np.zeros((n_rows, t_n), dtype=np.int32), rocc=rocc, owner=np.full(rocc.shape, -1, dtype=np.int64),
            cday=np.zeros((n_c, prob.n_days), dtype=np.int32), ndays=np.zeros(n_c, dtype=np.int64),
            croom=np.zeros((n_c, max(1, prob.n_rooms)), dtype=np.int32), nrooms=np.zeros(n_c, dtype=np.int64),
            rd_hard=np.zeros((n_rows, prob.n_days), dtype=np.int64),  # per row and day: its daily rules' cost
            rd_soft=np.zeros((n_rows, prob.n_days), dtype=np.int64),
            # per row, slot and building: the row's sessions there (batch travel; one empty building when not)
            bocc=np.zeros((n_rows if prob.n_buildings else 1, t_n, max(1, prob.n_buildings)), dtype=np.int32),
            pos_start=np.full(prob.n, -1, dtype=np.int64), pos_room=np.full(prob.n, -1, dtype=np.int64),
            dd=np.zeros((n_c, prob.n_days), dtype=np.int64),
            acc=np.zeros(5, dtype=np.int64),  # hard, soft, moves, accepted, accepted Kempe chain moves
            best_start=start.copy(), best_room=room.copy(), best=np.zeros(1, dtype=np.int64),
            movable=np.flatnonzero(~prob.frozen & (np.diff(p.start_ptr) > 0)).astype(np.int64),
        )
        # the search's work arrays: (row, day) pairs a move recounts, the changes of a move, a Kempe chain and
        # its marks (allocated here: the compiled search runs without numba's reference counting)
        max_ops = 2 * KEMPE_MAX
        max_pairs = max_ops * (int(np.diff(p.res_ptr).max(initial=0)) + 2)
        self.work = Work(
            *(np.empty(max_pairs, dtype=np.int64) for _ in range(4)), ops=np.empty((max_ops, 4), dtype=np.int64),
            chain=np.empty(KEMPE_MAX, dtype=np.int64), side=np.empty(KEMPE_MAX, dtype=np.int64),
            mark=np.empty(prob.n, dtype=np.int64), claim=np.empty((2, rocc.shape[0]), dtype=np.int64),
            seen=np.empty((n_rows, prob.n_days), dtype=np.int64), cseen=np.empty((n_c, prob.n_days), dtype=np.int64),
        )
        self.reset(start, room)  # counts the starting timetable
        self.seed = seed
        self.reseed()  # for steps run on this thread; ``anneal`` seeds each chain's own thread again

    def reseed(self) -> None:
        seed(self.seed)

    def reset(self, start: np.ndarray, room: np.ndarray) -> None:
        """Go to the timetable (``start``, ``room``), counted from empty counters; it becomes this chain's best."""
        st = self.state
        st.start[:] = start
        st.room[:] = room
        for counter in (st.occ, st.bst, st.blen, st.cday, st.ndays, st.croom, st.nrooms, st.rd_hard, st.rd_soft,
                        st.acc[:2], st.bocc, st.dd):
            counter[:] = 0
        st.pos_start[:] = -1
        st.pos_room[:] = -1
        st.rocc[:] = self.p.room_blocked if self.p.n_rooms else 0
        st.owner[:] = -1
        count_all(self.p.sessions, self.p.weights, st)
        st.best_start[:] = st.start
        st.best_room[:] = st.room
        st.best[0] = st.acc[1]

    def __getattr__(self, name: str) -> np.ndarray:
        """The state's arrays by name (``chain.occ``, ``chain.best_start``)."""
        try:
            return getattr(self.__dict__["state"], name)
        except (KeyError, AttributeError):
            raise AttributeError(name) from None

    @property
    def hard(self) -> int:
        return int(self.state.acc[0])

    @property
    def soft(self) -> int:
        return int(self.state.acc[1])

    @property
    def best_cost(self) -> int:
        return int(self.state.best[0])

    @property
    def moves(self) -> int:
        return int(self.state.acc[2])

    @property
    def accepted(self) -> int:
        return int(self.state.acc[3])

    @property
    def kempe_accepted(self) -> int:
        return int(self.state.acc[4])

    def step(self, iterations: int, temperature: float) -> None:
        search(self.p.sessions, self.p.weights, self.state, self.work, iterations, temperature, self.cfg.keep_room,
               self.cfg.hard_weight, self.cfg.kempe)

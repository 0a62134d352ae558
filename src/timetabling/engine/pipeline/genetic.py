"""The genetic optimiser: improves the weighted soft score of a timetable and never breaks a hard rule.

Fitness (lower is better), evaluated for the whole population at once with numpy:
    w1 faculty preference + w2 compactness (batch idle periods) + w3 room utilisation (empty seats)
    + w4 workload balance (spread of faculty daily loads) + w5 peak spreading (spread of sessions per slot)
    + w6 continuity (rooms per course beyond the first) + day spread (the instance's own rule)
w1, w2, w6 and day spread are the variant's own rule weights, so that part of the fitness is exactly the
checker's soft cost; w3-w5 are the optimiser's own terms (``GAConfig``).

Hard rules: crossover children that break one are rejected (the first parent is kept); mutations are
moves and swaps checked on the board before they are made.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from timetabling.engine.model import Rule, Rules
from timetabling.engine.pipeline.board import NO_ROOM, Board, Layout, _columns


@dataclass
class GAConfig:
    population: int = 30
    generations: int = 50
    tournament_top: float = 0.2  # parents come from this best share
    crossover: float = 0.7
    mutation: float = 0.1  # share of sessions a child tries to move or swap (capped by ``max_moves``)
    max_moves: int = 8
    local_moves: int = 3  # per child: sessions moved to their best clash-free start by the fitness (memetic)
    elitism: float = 0.1
    room_utilisation: float = 0.2  # w3: per empty-seat share of a session
    workload_balance: float = 0.2  # w4: per unit of variance of a faculty member's daily load
    peak_spreading: float = 0.05  # w5: per unit of variance of sessions per slot


@dataclass
class GAResult:
    board: Board
    cost: float
    first_cost: float
    generations: int
    accepted_crossovers: int
    tried_crossovers: int


class Fitness:
    """Vectorised fitness over a population of (start, room) arrays."""

    def __init__(self, lay: Layout, rules: Rules, config: GAConfig):
        inst = lay.instance
        grid = inst.grid
        self.lay, self.config = lay, config
        n, t = lay.n, lay.n_slots
        self.w_pref = rules.weight(Rule.FACULTY_PREFERENCE)
        self.w_idle = rules.weight(Rule.BATCH_IDLE)
        self.w_days = rules.weight(Rule.COURSE_MIN_DAYS)
        self.w_rooms = rules.weight(Rule.ROOM_STABILITY)
        courses = inst.courses
        self.min_days = np.array([c.min_days for c in courses], dtype=np.int64)
        # faculty preference: cost of each session at each start
        pref = {f.id: {grid.slot_index(p.slot) for p in f.preferred} for f in inst.faculty if f.preferred}
        self.pref_cost = np.zeros((n, t), dtype=np.int64)
        if self.w_pref:
            for i in range(n):
                c = courses[lay.session_course[i]]
                sets = [pref[f] for f in c.faculty if f in pref]
                if sets:
                    for s in range(t):
                        self.pref_cost[i, s] = sum(1 for p in sets for u in range(s, s + c.session_length)
                                                   if u not in p)
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
        self.n_batches, self.n_faculty = len(lay.batch_rows), len(lay.faculty_rows)
        sizes = np.array([inst.course_size[c.id] for c in courses], dtype=float)[lay.session_course]
        caps = np.array([r.capacity for r in inst.rooms] + [1], dtype=float)  # last: no room
        self.seat_share = np.clip(sizes[:, None] / caps[None, :], 0.0, 1.0)  # (N, rooms + 1)
        self.seat_share[:, -1] = 1.0

    def __call__(self, starts: np.ndarray, rooms: np.ndarray) -> np.ndarray:
        """Cost of each individual: ``starts`` and ``rooms`` are (P, N)."""
        return sum(self.terms(starts, rooms).values())

    def terms(self, starts: np.ndarray, rooms: np.ndarray) -> dict[str, np.ndarray]:
        lay, cfg = self.lay, self.config
        p_count, n = starts.shape
        d, periods, t = lay.n_days, lay.n_periods, lay.n_slots
        out: dict[str, np.ndarray] = {}
        rows = np.arange(p_count)[:, None]
        if self.w_pref:
            out["faculty_preference"] = self.w_pref * self.pref_cost[np.arange(n)[None, :], starts].sum(1)
        if self.w_days:
            n_c = len(lay.course_ids)
            idx = (rows * n_c + lay.session_course[None, :]) * d + starts // periods
            used = np.bincount(idx.ravel(), minlength=p_count * n_c * d).reshape(p_count, n_c, d) > 0
            out["course_min_days"] = self.w_days * np.maximum(0, self.min_days[None, :] - used.sum(2)).sum(1)
        if self.w_idle and len(self.b_sess):
            nb = self.n_batches
            idx = (rows * nb + self.b_col[None, :]) * t + starts[:, self.b_sess] + self.b_off[None, :]
            occ = np.bincount(idx.ravel(), minlength=p_count * nb * t).reshape(p_count, nb, d, periods) > 0
            any_day = occ.any(3)
            first = occ.argmax(3)
            last = periods - 1 - occ[..., ::-1].argmax(3)
            idle = np.where(any_day, last - first + 1 - occ.sum(3), 0)
            out["batch_idle"] = self.w_idle * idle.sum((1, 2))
        if self.w_rooms:
            has = rooms >= 0
            codes = np.where(has, lay.session_course[None, :] * (len(lay.room_ids) + 1) + rooms, -1)
            s = np.sort(codes, axis=1)
            distinct_pairs = ((np.diff(s, axis=1) != 0) & (s[:, 1:] >= 0)).sum(1) + (s[:, 0] >= 0)
            cs = np.sort(np.where(has, lay.session_course[None, :], -1), axis=1)
            distinct_courses = ((np.diff(cs, axis=1) != 0) & (cs[:, 1:] >= 0)).sum(1) + (cs[:, 0] >= 0)
            out["room_stability"] = self.w_rooms * (distinct_pairs - distinct_courses)
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


def _arrays(pop: list[Board]) -> tuple[np.ndarray, np.ndarray]:
    return np.stack([b.start for b in pop]), np.stack([b.room for b in pop])


def mutate(board: Board, rng: np.random.Generator, moves: int) -> int:
    """Up to ``moves`` random moves (to another start, room kept or the best free one) or swaps of two
    sessions' starts; each is made only when it adds no hard violation. Returns the moves made."""
    lay = board.lay
    made = 0
    for _ in range(moves):
        i = int(rng.integers(lay.n))
        if board.start[i] < 0 or not len(lay.starts[i]):
            continue
        if rng.random() < 0.5:
            made += _try_move(board, i, int(rng.choice(lay.starts[i])))
        else:
            made += _try_swap(board, i, int(rng.integers(lay.n)))
    return made


def local_move(board: Board, fitness: Fitness, rng: np.random.Generator) -> bool:
    """Move one random session to the clash-free start (room kept, else the best free one) that lowers the
    fitness most, all candidates scored in one vectorised call; False when none lowers it."""
    lay = board.lay
    i = int(rng.integers(lay.n))
    s0, r0 = int(board.start[i]), int(board.room[i])
    if s0 < 0:
        return False
    needs_room = len(lay.rooms[i]) > 0
    board.lift(i)
    candidates = []
    for s in lay.starts[i]:
        s = int(s)
        keep = r0 != NO_ROOM and not board.rocc[r0, s : s + int(lay.length[i])].any()
        r = r0 if keep else (board.free_room(i, s) if needs_room else NO_ROOM)
        if (r != NO_ROOM or not needs_room) and board.clashes_at(i, s, r) == 0:
            candidates.append((s, r))
    board.put(i, s0, r0)
    if len(candidates) < 2:
        return False
    starts = np.repeat(board.start[None, :], len(candidates), axis=0)
    rooms = np.repeat(board.room[None, :], len(candidates), axis=0)
    starts[:, i] = [s for s, _ in candidates]
    rooms[:, i] = [r for _, r in candidates]
    cost = fitness(starts, rooms)
    here = candidates.index((s0, r0)) if (s0, r0) in candidates else None
    best = int(np.argmin(cost))
    if here is None or cost[best] >= cost[here]:
        return False
    board.put(i, *candidates[best])
    return True


def _try_move(board: Board, i: int, s: int) -> int:
    old_s, old_r = int(board.start[i]), int(board.room[i])
    if s == old_s:
        return 0
    board.lift(i)
    r = old_r if old_r != NO_ROOM and not board.rocc[old_r, s : s + int(board.lay.length[i])].any() else (
        board.free_room(i, s))
    if (r != NO_ROOM or not len(board.lay.rooms[i])) and board.clashes_at(i, s, r) == 0:
        board.put(i, s, r)
        return 1
    board.put(i, old_s, old_r)
    return 0


def _try_swap(board: Board, i: int, j: int) -> int:
    lay = board.lay
    si, sj = int(board.start[i]), int(board.start[j])
    if i == j or sj < 0 or si == sj or sj not in lay.starts[i] or si not in lay.starts[j]:
        return 0
    ri, rj = int(board.room[i]), int(board.room[j])
    board.lift(i)
    board.lift(j)
    new_ri = board.free_room(i, sj) if len(lay.rooms[i]) else NO_ROOM
    ok = (new_ri != NO_ROOM or not len(lay.rooms[i])) and board.clashes_at(i, sj, new_ri) == 0
    if ok:
        board.put(i, sj, new_ri)
        new_rj = board.free_room(j, si) if len(lay.rooms[j]) else NO_ROOM
        ok = (new_rj != NO_ROOM or not len(lay.rooms[j])) and board.clashes_at(j, si, new_rj) == 0
        if ok:
            board.put(j, si, new_rj)
            return 1
        board.lift(i)
    board.put(i, si, ri)
    board.put(j, sj, rj)
    return 0


def crossover(a: Board, b: Board, cut: int) -> Board | None:
    """Sessions before ``cut`` from ``a``, the rest from ``b``; None when the child breaks a hard rule."""
    child = a.copy()
    lay = a.lay
    differ = [i for i in range(cut, lay.n) if a.start[i] != b.start[i] or a.room[i] != b.room[i]]
    if not differ:
        return None
    for i in differ:
        child.lift(i)
    for i in differ:
        s, r = int(b.start[i]), int(b.room[i])
        if s < 0:
            continue
        if child.clashes_at(i, s, r):
            return None
        child.put(i, s, r)
    return child


def optimise(
    board: Board,
    rules: Rules,
    config: GAConfig | None = None,
    *,
    seed: int = 0,
    time_limit: float = 30.0,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> GAResult:
    """Evolve a population grown from ``board`` (which must keep every hard rule) for ``config.generations``
    generations or until ``time_limit``; every individual keeps every hard rule."""
    cfg = config or GAConfig()
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    lay = board.lay
    fitness = Fitness(lay, rules, cfg)
    moves = max(1, min(cfg.max_moves, round(cfg.mutation * lay.n)))
    pop = [board.copy()]
    while len(pop) < cfg.population:
        b = board.copy()
        mutate(b, rng, moves)
        pop.append(b)
    cost = fitness(*_arrays(pop))
    first_cost = float(cost[0])
    n_elite = max(1, math.ceil(cfg.elitism * cfg.population))
    n_top = max(2, math.ceil(cfg.tournament_top * cfg.population))
    tried = accepted = gen = 0
    # course boundaries: a cut inside a course would split its sessions between parents
    boundaries = np.flatnonzero(np.diff(lay.session_course)) + 1
    for gen in range(1, cfg.generations + 1):
        if time.perf_counter() - t0 > time_limit or (should_stop and should_stop()):
            gen -= 1
            break
        order = np.argsort(cost, kind="stable")
        top = order[:n_top]
        children = [pop[k] for k in order[:n_elite]]
        while len(children) < cfg.population:
            if should_stop and should_stop():
                break
            a = pop[_tournament(rng, top, cost)]
            child = None
            if rng.random() < cfg.crossover and len(boundaries):
                b = pop[_tournament(rng, top, cost)]
                if b is not a:
                    tried += 1
                    child = crossover(a, b, int(rng.choice(boundaries)))
                    accepted += child is not None
            child = child or a.copy()
            mutate(child, rng, moves)
            for _ in range(cfg.local_moves):
                local_move(child, fitness, rng)
            children.append(child)
        if len(children) < cfg.population:  # stopped half-way: the last full generation stands
            gen -= 1
            break
        pop = children
        cost = fitness(*_arrays(pop))
        if progress:
            progress(gen, float(cost.min()))
    best = int(np.argmin(cost))
    return GAResult(pop[best], float(cost[best]), first_cost, gen, accepted, tried)


def _tournament(rng: np.random.Generator, top: np.ndarray, cost: np.ndarray) -> int:
    a, b = rng.choice(top, size=2)
    return int(a if cost[a] <= cost[b] else b)

"""The genetic optimiser: improves the weighted soft score of a timetable and never breaks a hard rule.

Fitness (lower is better, ``fitness.py``), for the whole population at once: every soft rule of the catalogue
at the variant's own weights, so that part is exactly the checker's soft cost, plus the optimiser's own terms
(room utilisation, workload balance, peak spreading; ``GAConfig``).

Hard rules: crossover children that break one are rejected (the first parent is kept); mutations are
moves and swaps checked on the board before they are made.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from timetabling.engine.improve.fitness import Fitness
from timetabling.engine.model import Rules
from timetabling.engine.timetable.board import NO_ROOM, Board


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

"""A learned move selector for stage 3: tabular Q-learning over "move or swap a session" actions.

State of a conflicted session: its clashes where it is (0-3+), its length (1-3+), and how many clash-free
starts it has (0, 1-2, 3+). Actions: move to the least conflicted start, move to the least conflicted start
of another day, swap with the session of a shared batch or faculty member that clashes least, move to a
random allowed start. Reward: -1 per conflicted session after the move, +10 when none is left.
``timetable train-resolver`` learns the table on generated instances with planted clashes; the table ships
as ``timetabling/data/resolver_q.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from timetabling.engine.pipeline.min_conflicts import min_conflicts
from timetabling.engine.timetable.board import NO_ROOM, Board

ACTIONS = ("least_conflicts", "other_day", "swap", "random_start")
SHIPPED = "resolver_q.json"


def _place_options(board: Board, i: int, rng: np.random.Generator, day_not: int | None = None) -> list[tuple]:
    lay = board.lay
    out = []
    for s in lay.starts[i]:
        s = int(s)
        if day_not is not None and s // lay.n_periods == day_not:
            continue
        r = board.free_room(i, s) if len(lay.rooms[i]) else NO_ROOM
        if r == NO_ROOM and len(lay.rooms[i]):
            r = int(lay.rooms[i][0])
        out.append((board.clashes_at(i, s, r), float(rng.random()), s, r))
    return out


def state_of(board: Board, i: int) -> str:
    """The discretised state of session ``i`` (placed or not)."""
    lay = board.lay
    s, r = int(board.start[i]), int(board.room[i])
    if s >= 0:
        board.lift(i)
        here = board.clashes_at(i, s, r)
    else:
        here = 3
    free = sum(1 for t in lay.starts[i] if board.clashes_at(
        i, int(t), board.free_room(i, int(t)) if len(lay.rooms[i]) else NO_ROOM) == 0)
    if s >= 0:
        board.put(i, s, r)
    return f"{min(here, 3)}:{min(int(lay.length[i]), 3)}:{0 if free == 0 else 1 if free <= 2 else 2}"


def apply_action(board: Board, i: int, action: str, rng: np.random.Generator) -> None:
    """Make ``action`` for session ``i`` (the move may leave clashes: it is the least bad one)."""
    lay = board.lay
    old_s, old_r = int(board.start[i]), int(board.room[i])
    if action == "swap" and old_s >= 0:
        if _best_swap(board, i, rng):
            return
        action = "least_conflicts"
    board.lift(i)
    if action == "random_start" and len(lay.starts[i]):
        s = int(rng.choice(lay.starts[i]))
        r = board.free_room(i, s) if len(lay.rooms[i]) else NO_ROOM
        board.put(i, s, r if r != NO_ROOM or not len(lay.rooms[i]) else int(lay.rooms[i][0]))
        return
    day_not = old_s // lay.n_periods if action == "other_day" and old_s >= 0 else None
    options = _place_options(board, i, rng, day_not) or _place_options(board, i, rng)
    if options:
        _n, _tie, s, r = min(options)
        board.put(i, s, r)
    elif old_s >= 0:
        board.put(i, old_s, old_r)


def _best_swap(board: Board, i: int, rng: np.random.Generator, tries: int = 12) -> bool:
    """Swap ``i`` with the session sharing a batch or faculty member whose swap clashes least."""
    lay = board.lay
    people = set(lay.resources[i][1:])
    candidates = [j for j in rng.choice(lay.n, size=min(lay.n, 200), replace=False)
                  if j != i and board.start[j] >= 0 and people & set(lay.resources[j])][:tries]
    best = None
    si, ri = int(board.start[i]), int(board.room[i])
    for j in candidates:
        j = int(j)
        sj, rj = int(board.start[j]), int(board.room[j])
        if sj == si or sj not in lay.starts[i] or si not in lay.starts[j]:
            continue
        board.lift(i)
        board.lift(j)
        new_ri = board.free_room(i, sj) if len(lay.rooms[i]) else NO_ROOM
        n = board.clashes_at(i, sj, new_ri)
        board.put(i, sj, new_ri)
        new_rj = board.free_room(j, si) if len(lay.rooms[j]) else NO_ROOM
        n += board.clashes_at(j, si, new_rj)
        board.put(i, si, ri)
        board.put(j, sj, rj)
        if best is None or n < best[0]:
            best = (n, j, new_ri, new_rj)
    if best is None:
        return False
    _n, j, new_ri, new_rj = best
    sj = int(board.start[j])
    board.lift(i)
    board.lift(j)
    board.put(i, sj, new_ri)
    board.put(j, si, new_rj)
    return True


@dataclass
class QTable:
    q: dict[str, list[float]] = field(default_factory=dict)
    episodes: int = 0

    def values(self, state: str) -> list[float]:
        return self.q.setdefault(state, [0.0] * len(ACTIONS))

    def choose(self, state: str, rng: np.random.Generator, epsilon: float = 0.0) -> str:
        if rng.random() < epsilon:
            return ACTIONS[int(rng.integers(len(ACTIONS)))]
        v = self.values(state)
        return ACTIONS[int(np.argmax(v))]

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps({"actions": ACTIONS, "episodes": self.episodes, "q": self.q}, indent=0,
                                         sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path | None = None) -> QTable:
        if path is None:
            text = resources.files("timetabling").joinpath("data", SHIPPED).read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
        if tuple(data.get("actions", ())) != ACTIONS:
            raise ValueError("the Q-table was trained for other actions")
        return cls({k: list(map(float, v)) for k, v in data["q"].items()}, int(data.get("episodes", 0)))


def q_repair(board: Board, table: QTable, *, max_moves: int, seed: int = 0, deadline: float | None = None,
             epsilon: float = 0.0, learn: Callable[[str, str, float, str | None], None] | None = None) -> int:
    """Stage 3 moves chosen by the table; with ``learn`` (training) every step reports
    (state, action, reward, next state or None at zero clashes)."""
    rng = np.random.default_rng(seed)
    moves = 0
    bad = board.conflicted()
    while len(bad) and moves < max_moves:
        if deadline is not None and time.perf_counter() > deadline:
            break
        i = int(rng.choice(bad))
        state = state_of(board, i)
        action = table.choose(state, rng, epsilon)
        apply_action(board, i, action, rng)
        moves += 1
        bad = board.conflicted()
        if learn is not None:
            reward = 10.0 if not len(bad) else -float(len(bad))
            learn(state, action, reward, state_of(board, int(rng.choice(bad))) if len(bad) else None)
    return moves


def plant_clashes(board: Board, k: int, rng: np.random.Generator) -> None:
    """Move ``k`` random sessions to random allowed starts, clashes or not (training and measurement)."""
    lay = board.lay
    for i in rng.choice(lay.n, size=min(k, lay.n), replace=False):
        i = int(i)
        if len(lay.starts[i]):
            s = int(rng.choice(lay.starts[i]))
            board.put(i, s, int(board.room[i]))


def train(boards: list[Board], episodes: int, *, seed: int = 0, plant: int = 6, max_moves: int = 60,
          alpha: float = 0.2, gamma: float = 0.9, epsilon: float = 0.2,
          table: QTable | None = None) -> QTable:
    """Q-learning on clash-free ``boards`` with ``plant`` clashes planted per episode."""
    table = table or QTable()
    rng = np.random.default_rng(seed)

    def learn(state: str, action: str, reward: float, nxt: str | None) -> None:
        v = table.values(state)
        a = ACTIONS.index(action)
        future = 0.0 if nxt is None else max(table.values(nxt))
        v[a] += alpha * (reward + gamma * future - v[a])

    for e in range(episodes):
        board = boards[e % len(boards)].copy()
        plant_clashes(board, plant, rng)
        q_repair(board, table, max_moves=max_moves, seed=int(rng.integers(1 << 30)), epsilon=epsilon, learn=learn)
        table.episodes += 1
    return table


def compare(boards: list[Board], table: QTable, trials: int, *, plant: int = 6, max_moves: int = 60,
            seed: int = 1) -> dict[str, dict[str, float]]:
    """The learned selector against plain min-conflicts on the same planted clashes: share solved (no
    conflicted session left), mean moves and mean milliseconds per trial."""
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, list[float]]] = {"min-conflicts": {}, "q-learning": {}}
    for k in range(trials):
        planted = boards[k % len(boards)].copy()
        plant_clashes(planted, plant, rng)
        for name in out:
            board = planted.copy()
            t0 = time.perf_counter()
            if name == "min-conflicts":
                moves = min_conflicts(board, max_moves=max_moves, seed=k)
            else:
                moves = q_repair(board, table, max_moves=max_moves, seed=k)
            row = out[name]
            row.setdefault("solved", []).append(float(not len(board.conflicted())))
            row.setdefault("moves", []).append(float(moves))
            row.setdefault("ms", []).append(1000 * (time.perf_counter() - t0))
    return {name: {k: round(float(np.mean(v)), 3) for k, v in row.items()} for name, row in out.items()}

"""Min-conflicts: a conflicted session moves to the start and room where it clashes least (ties at random)."""

from __future__ import annotations

import time

import numpy as np

from timetabling.engine.timetable.board import NO_ROOM, Board


def conflicted(board: Board) -> list[int]:
    """Sessions that break a hard rule where they are, and sessions not placed."""
    return [int(i) for i in board.conflicted()]


def _best_place(board: Board, i: int, rng: np.random.Generator) -> tuple[int, int, int]:
    """(clashes, start, room) of the least conflicted place of lifted session ``i``."""
    lay = board.lay
    best: tuple[int, float, int, int] | None = None
    for s in lay.starts[i]:
        s = int(s)
        r = board.free_room(i, s) if len(lay.rooms[i]) else NO_ROOM
        if r == NO_ROOM and len(lay.rooms[i]):
            r = int(lay.rooms[i][0])  # every room taken: the best fit, clash counted
        n = board.clashes_at(i, s, r)
        key = (n, float(rng.random()), s, r)
        if best is None or key < best:
            best = key
    if best is None:
        return (1 << 30, -1, NO_ROOM)
    return best[0], best[2], best[3]


def min_conflicts(board: Board, *, max_moves: int, seed: int = 0, deadline: float | None = None) -> int:
    """Move conflicted sessions to their least conflicted place until none is left; returns the moves."""
    rng = np.random.default_rng(seed)
    moves = 0
    bad = conflicted(board)
    while bad and moves < max_moves:
        if deadline is not None and time.perf_counter() > deadline:
            break
        i = int(rng.choice(bad))
        board.lift(i)
        _n, s, r = _best_place(board, i, rng)
        if s >= 0:
            board.put(i, s, r)
        moves += 1
        bad = conflicted(board)
    return moves

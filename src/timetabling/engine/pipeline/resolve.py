"""Stage 3: whatever clash is left after merging goes, or the sessions that cannot be placed are named.

1. Min-conflicts: a conflicted session moves to the start and room where it clashes least (ties at random).
2. CP-SAT on the neighbourhood of what is still conflicted (its courses and those sharing people with them),
   everything else pinned; the neighbourhood grows once when that fails. This is the guaranteed fallback:
   it either places the sessions without a clash or proves that it cannot in that neighbourhood.
3. Sessions still in conflict are taken out, each with the reason, so that the answer keeps every hard rule
   except that those sessions are unscheduled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from timetabling.engine.model import Instance
from timetabling.engine.pipeline.board import NO_ROOM, Board, Layout, board_from, layout
from timetabling.engine.pipeline.decompose import Placed, _linked_courses, solve_part, sub_instance


@dataclass
class Resolution:
    placed: Placed
    unplaced: dict[str, str] = field(default_factory=dict)  # "course#k" -> why it has no slot
    conflicted_before: int = 0
    min_conflicts_moves: int = 0
    cpsat_rounds: int = 0


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


def _session_label(lay: Layout, i: int) -> str:
    c = lay.session_course[i]
    k = int((lay.session_course[:i] == c).sum())
    return f"{lay.course_ids[c]}#{k}"


def resolve(
    instance: Instance,
    placed: Placed,
    *,
    lay: Layout | None = None,
    time_limit: float = 30.0,
    seed: int = 0,
    workers: int = 1,
    max_moves: int = 500,
    cancel: object | None = None,
    reasons: dict[str, str] | None = None,
) -> Resolution:
    """Remove every clash from ``placed`` (and place courses it lacks), or name what cannot be placed."""
    t0 = time.perf_counter()
    lay = lay or layout(instance)
    board = board_from(lay, placed)
    bad = conflicted(board)
    out = Resolution(placed=placed, conflicted_before=len(bad))
    if not bad:
        return out
    out.min_conflicts_moves = min_conflicts(board, max_moves=max_moves, seed=seed,
                                            deadline=t0 + time_limit / 3)
    bad = conflicted(board)
    courses = {lay.course_ids[lay.session_course[i]] for i in bad}
    for round_no in range(2):
        if not bad or getattr(cancel, "cancelled", False):
            break
        out.cpsat_rounds += 1
        hood = set(courses)
        for _ in range(round_no + 1):
            hood |= _linked_courses(instance, hood)
        current = board.placed()
        others = {c: v for c, v in current.items() if c not in hood}
        busy: dict[str, set[int]] = {}
        for c, items in others.items():
            length = instance.course_by_id[c].session_length
            for t, room in items:
                if room is not None:
                    busy.setdefault(room, set()).update(range(t, t + length))
        sub = sub_instance(instance, hood, others, [r.id for r in instance.rooms], busy)
        left = max(2.0, time_limit - (time.perf_counter() - t0))
        result = solve_part("neighbourhood", sub, tuple(sorted(hood)), left, seed, workers, cancel)
        if result.status in ("optimal", "feasible"):
            board = board_from(lay, {**others, **result.placements})
            bad = conflicted(board)
            courses = {lay.course_ids[lay.session_course[i]] for i in bad}
        elif round_no == 1:
            why = result.message or f"no clash-free timetable of its neighbourhood ({result.status})"
            reasons = {**(reasons or {}), **{c: why for c in courses}}
    # what is still in conflict is taken out, one at a time, until the rest keeps every hard rule
    while bad:
        i = next((k for k in bad if board.start[k] < 0), bad[-1])
        cid = lay.course_ids[lay.session_course[i]]
        why = (reasons or {}).get(cid) or "no start slot and room without a clash was found"
        out.unplaced[_session_label(lay, i)] = why
        board.lift(i)
        board.start[i] = -2  # taken out for good
        bad = [k for k in conflicted(board) if board.start[k] != -2]
    out.placed = board.placed()
    return out

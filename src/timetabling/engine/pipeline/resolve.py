"""Stage 3: whatever clash is left after merging goes, or the sessions that cannot be placed are named.

1. Min-conflicts: a conflicted session moves to the start and room where it clashes least (ties at random);
   or, with ``resolver="qlearn"``, the learned move selector of ``qlearn.py`` picks each move.
2. CP-SAT on the neighbourhood of what is still conflicted (its courses and those sharing people with them),
   everything else pinned; the neighbourhood grows once when that fails. This is the guaranteed fallback:
   it either places the sessions without a clash or proves that it cannot in that neighbourhood.
3. Sessions still in conflict are taken out, each with the reason, so that the answer keeps every hard rule
   except that those sessions are unscheduled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from timetabling.engine.control import CancelToken, is_cancelled
from timetabling.engine.model import Instance
from timetabling.engine.pipeline.min_conflicts import conflicted, min_conflicts
from timetabling.engine.pipeline.parts import linked_courses, solve_part, sub_instance
from timetabling.engine.pipeline.qlearn import QTable, q_repair
from timetabling.engine.timetable.board import Layout, board_from, layout
from timetabling.engine.timetable.placed import Placed

RESOLVERS = ("min_conflicts", "qlearn")  # step 1: plain min-conflicts, or the learned move selector (qlearn.py)


@dataclass
class Resolution:
    placed: Placed
    unplaced: dict[str, str] = field(default_factory=dict)  # "course#k" -> why it has no slot
    conflicted_before: int = 0
    min_conflicts_moves: int = 0
    cpsat_rounds: int = 0


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
    threads: int = 1,
    max_moves: int = 500,
    cancel: CancelToken | None = None,
    reasons: dict[str, str] | None = None,
    resolver: str = "min_conflicts",
) -> Resolution:
    """Remove every clash from ``placed`` (and place courses it lacks), or name what cannot be placed."""
    if resolver not in RESOLVERS:
        raise ValueError(f"unknown resolver '{resolver}' (known: {', '.join(RESOLVERS)})")
    t0 = time.perf_counter()
    lay = lay or layout(instance)
    board = board_from(lay, placed)
    bad = conflicted(board)
    out = Resolution(placed=placed, conflicted_before=len(bad))
    if not bad:
        return out
    if resolver == "qlearn":
        out.min_conflicts_moves = q_repair(board, QTable.load(), max_moves=max_moves, seed=seed,
                                            deadline=t0 + time_limit / 3)
    else:
        out.min_conflicts_moves = min_conflicts(board, max_moves=max_moves, seed=seed,
                                                deadline=t0 + time_limit / 3)
    bad = conflicted(board)
    courses = {lay.course_ids[lay.session_course[i]] for i in bad}
    for round_no in range(2):
        if not bad or is_cancelled(cancel):
            break
        out.cpsat_rounds += 1
        hood = set(courses)
        for _ in range(round_no + 1):
            hood |= linked_courses(instance, hood)
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
        result = solve_part("neighbourhood", sub, tuple(sorted(hood)), left, seed, threads, cancel)
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

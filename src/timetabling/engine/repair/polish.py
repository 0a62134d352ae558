"""Re-generated courses placed afresh by the annealing optimiser, every other session fixed where it is.

A department re-generated with the rest of the university locked is a small search inside a large timetable.
Its courses and the courses sharing people with them make a sub-instance (the pipeline's ``sub_instance``:
the others pinned, each in a room of its own, and the real rooms closed where the others hold them); the
annealing optimiser (``improve/anneal``) starts from where the department's sessions are now and lowers
the soft cost, the pinned sessions frozen. The caller keeps the answer only when the checker finds it
clash-free and cheaper.
"""

from __future__ import annotations

import time
from collections import defaultdict

from timetabling.engine.model import Instance
from timetabling.engine.pipeline.parts import sub_instance
from timetabling.engine.timetable.placed import Placed, from_solution, to_solution

MIN_ANNEAL_S = 0.3  # less than this left once the sub-instance is built: not worth starting


def anneal_courses(instance: Instance, placed: Placed, courses: set[str], deadline: float,
                   seed: int = 0) -> Placed | None:
    """New places for the sessions of ``courses`` (``placed``: every course's sessions now, clash-free), the
    other courses where they are, found by ``deadline`` (``time.perf_counter``); None when nothing better."""
    kept = {c: seats for c, seats in placed.items() if c not in courses}
    room_busy: dict[str, set[int]] = defaultdict(set)
    for cid, seats in kept.items():
        length = instance.course_by_id[cid].session_length
        for t, r in seats:
            if r is not None:
                room_busy[r].update(range(t, t + length))
    sub = sub_instance(instance, courses, kept, [r.id for r in instance.rooms], room_busy)
    start = {c.id: placed.get(c.id, []) if c.id in courses else [(t, f"held:{c.id}") for t, _r in placed[c.id]]
             for c in sub.courses}
    left = deadline - time.perf_counter()
    if left < MIN_ANNEAL_S:
        return None
    # imported here: the annealing loads numba (slow to import), which a repair that never gets here (and
    # whatever imports the repair package) need not pay for
    from timetabling.engine.improve.anneal import anneal

    result = anneal(sub, to_solution(sub, start), left, seed=seed)
    if result.solution is None or result.cost >= result.first_cost:
        return None
    found = from_solution(sub, result.solution)
    return {c: found[c] for c in courses if c in found}

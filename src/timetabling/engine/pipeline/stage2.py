"""Stage 2: the parts of stage 1 solved one wave after another, the parts of a wave side by side.

Why the merged timetable is clash-free by construction:
- parts of one wave share no faculty, batch or student (waves are a colouring of the part graph whose links
  are people in common), so they cannot clash on people;
- rooms are split among the parts of a wave (each room goes to one part), so they cannot clash on rooms;
- a part sees what earlier waves placed: every placed course linked to it by people comes in pinned at its
  slots (in a room of its own, so it takes no real room), and every real room is closed where it is taken.

A part that finds no timetable with its share of rooms is tried again after its wave with every free room;
a part that still fails leaves its courses unplaced, with the reason, for stage 3.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from timetabling.engine.control import CancelToken, is_cancelled
from timetabling.engine.model import Instance
from timetabling.engine.pipeline.clustering import Clustering, Part
from timetabling.engine.pipeline.part_jobs import MapParts, PartJob, WaveState
from timetabling.engine.pipeline.parts import PartOutcome
from timetabling.engine.pipeline.pool import PartPool, can_fork_parts
from timetabling.engine.pipeline.waves import allot_rooms, waves_of
from timetabling.engine.timetable.placed import Placed

MIN_PART_LIMIT = 5.0  # seconds: no part gets less, whatever the budget
PART_SHARE = 0.5  # of the budget left: the most one part may take
MAX_PART_OPTIMISE = 10.0  # seconds of soft-score improvement per part, at most
MIN_PART_OPTIMISE = 0.3  # below this share a part only looks for its first timetable


@dataclass
class Decomposition:
    """The merged timetable of stage 2 and what happened to each part."""

    placed: Placed
    unplaced: dict[str, str]  # course id -> why it has no slots
    parts: list[dict[str, object]] = field(default_factory=list)
    waves: int = 0


class Stage2:
    """The state of stage 2 between waves: what is placed, which rooms are taken when, what each part did.

    ``jobs(w)`` turns wave ``w`` into part jobs (rooms allotted, sub-instances built, limits set from the
    budget left), ``merge(job, outcome)`` takes a part's placements in, ``retry(part, w)`` is the job of a part
    that failed with its share of rooms (alone, every free room), ``result()`` the merged timetable.
    ``side_by_side``: how many parts run at once (it sizes each part's share of the optimisation time)."""

    def __init__(self, instance: Instance, clustering: Clustering, *, budget: float, seed: int = 0,
                 optimise: float = 0.0, side_by_side: int = 1,
                 progress: Callable[[float, str], None] | None = None) -> None:
        self.t0 = time.perf_counter()
        self.instance = instance
        self.clustering = clustering
        self.budget = budget
        self.seed = seed
        self.optimise = optimise
        self.side_by_side = max(1, side_by_side)
        self.progress = progress
        self.waves = waves_of(clustering)
        self.total = max(1, sum(p.sessions for w in self.waves for p in w))
        self.placed: Placed = {}
        self.room_busy: dict[str, set[int]] = defaultdict(set)
        self.unplaced: dict[str, str] = {}
        self.report: list[dict[str, object]] = []
        self.done_sessions = 0
        self.overheads: list[float] = []  # seconds a part took beyond its optimisation time
        self.parts_left = max(1, sum(len(w) for w in self.waves))

    def optimise_for(self) -> float:
        """A part's share of what is left of the budget, less the usual overhead of a part."""
        if self.optimise <= 0:
            return 0.0
        left = self.budget - (time.perf_counter() - self.t0)
        overhead = sum(self.overheads) / len(self.overheads) if self.overheads else 1.0
        share = self.optimise * left * self.side_by_side / max(1, self.parts_left) - overhead
        # behind schedule: hard rules only, so that the budget holds
        return 0.0 if share < MIN_PART_OPTIMISE else min(MAX_PART_OPTIMISE, share)

    def limit(self) -> float:
        # a cap, not a plan: a part stops at its first timetable, and most take a fraction of a second
        left = self.budget - (time.perf_counter() - self.t0)
        return max(MIN_PART_LIMIT, PART_SHARE * left)

    def allot(self, wave: list[Part]) -> dict[str, list[str]]:
        return allot_rooms(self.instance, wave, self.room_busy)

    def job(self, part: Part, w: int, rooms: list[str], optimise_s: float, threads: int,
            lazy: bool = False) -> PartJob:
        """The part's job; its sub-instance built now, or (``lazy``) when first asked for."""
        job = PartJob(part.name, w, part.courses, tuple(rooms), self.limit(), self.seed, threads, optimise_s,
                      state=WaveState(self.instance, self.placed, self.room_busy))
        if not lazy:
            job.sub  # noqa: B018  (built now, from the state as it is now)
        return job

    def jobs(self, w: int, threads: int, lazy: bool = False) -> Iterator[PartJob]:
        """Every part of wave ``w`` (one optimisation share for the wave), each made when it is taken; with
        ``lazy``, their sub-instances are built only when asked for (an executor that sends the wave's state
        once and builds the sub-instances where the parts are solved never builds them here)."""
        wave = self.waves[w]
        allotted = self.allot(wave)
        opt = self.optimise_for()
        return (self.job(part, w, allotted[part.name], opt, threads, lazy) for part in wave)

    def retry(self, part: Part, w: int, threads: int) -> PartJob:
        self.parts_left += 1  # it was counted when it failed
        return self.job(part, w, [r.id for r in self.instance.rooms], 0.0, threads)

    def part(self, w: int, name: str) -> Part:
        return next(p for p in self.waves[w] if p.name == name)

    def merge(self, part: Part, outcome: PartOutcome, wave: int, optimise_s: float) -> bool:
        """Take the part's placements in; False when it found no timetable."""
        self.parts_left -= 1
        self.overheads.append(max(0.0, outcome.seconds - optimise_s))
        ok = outcome.status in ("optimal", "feasible")
        self.report.append({"part": part.name, "wave": wave, "sessions": part.sessions, "status": outcome.status,
                            "seconds": round(outcome.seconds, 2)})
        if not ok:
            return False
        for cid, items in outcome.placements.items():
            self.placed[cid] = items
            c = self.instance.course_by_id[cid]
            for t, room in items:
                if room is not None:
                    self.room_busy[room].update(range(t, t + c.session_length))
        self.done_sessions += part.sessions
        if self.progress:
            self.progress(self.done_sessions / self.total, f"{part.name}: placed ({outcome.status})")
        return True

    def give_up(self, part: Part, outcome: PartOutcome | None) -> None:
        why = "cancelled before its part was scheduled" if outcome is None else \
            (outcome.message or f"no timetable for this part ({outcome.status})")
        self.unplaced.update({c: why for c in part.courses})

    def result(self) -> Decomposition:
        for p in self.clustering.parts:
            for c in p.courses:
                if c not in self.placed and c not in self.unplaced:
                    self.unplaced[c] = "cancelled before its part was scheduled"
        return Decomposition(self.placed, self.unplaced, self.report, len(self.waves))


def decompose(
    instance: Instance,
    clustering: Clustering,
    *,
    budget: float,
    processes: int,
    seed: int = 0,
    cancel: CancelToken | None = None,
    progress: Callable[[float, str], None] | None = None,
    optimise: float = 0.0,
    map_parts: MapParts | None = None,
    side_by_side: int | None = None,
) -> Decomposition:
    """Place every part, wave by wave; ``progress(fraction, message)`` after each part. ``optimise``: the
    share of ``budget`` spent improving the parts' soft score (split over the parts, in parallel).

    ``map_parts`` None: the parts of a wave run side by side in a local pool of ``processes`` (one at a time
    in this process, with ``processes`` CP-SAT threads, when there is one process, one part, or this is a
    daemonic process). Given, every part job (single-part waves and retries included) goes through it, e.g. to
    Celery tasks; ``side_by_side`` then says how many parts it runs at once (default ``processes``) and each job
    gets ``processes`` CP-SAT threads."""
    state = Stage2(instance, clustering, budget=budget, seed=seed, optimise=optimise, progress=progress)
    pool = None
    if map_parts is None and processes > 1 and any(len(w) > 1 for w in state.waves) and can_fork_parts():
        pool = PartPool(processes)
    if side_by_side is None:
        side_by_side = processes if (pool is not None or map_parts is not None) else 1
    state.side_by_side = max(1, side_by_side)

    def cancelled() -> bool:
        return is_cancelled(cancel)

    def run_one(job: PartJob) -> PartOutcome | None:
        if map_parts is None:
            return job.run(cancel)
        return next((o for _j, o in map_parts([job])), None)

    try:
        for w, wave in enumerate(state.waves):
            if cancelled():
                break
            failed: list[Part] = []
            if map_parts is None and (pool is None or len(wave) == 1):
                allotted = state.allot(wave)
                for part in wave:
                    if cancelled():
                        break
                    opt = state.optimise_for()
                    outcome = state.job(part, w, allotted[part.name], opt, processes).run(cancel)
                    if not state.merge(part, outcome, w, opt):
                        failed.append(part)
            else:
                if pool is not None and cancelled():
                    pool.cancel()
                jobs = state.jobs(w, 1 if map_parts is None else processes, lazy=map_parts is not None)
                if map_parts is not None:
                    runs = map_parts(jobs)
                else:
                    assert pool is not None
                    runs = pool.map_parts(cancelled)(jobs)  # each part submitted as soon as it is built
                for job, outcome in runs:
                    part = state.part(w, job.name)
                    if not state.merge(part, outcome, w, job.optimise_s):
                        failed.append(part)
            for part in failed:  # again, alone, with every room that is still free
                if cancelled():
                    break
                retry = run_one(state.retry(part, w, processes))
                if retry is None or not state.merge(part, retry, w, 0.0):
                    if retry is None:
                        state.parts_left -= 1
                    state.give_up(part, retry)
    finally:
        if pool is not None:
            pool.close(cancelled())
    return state.result()

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

import multiprocessing as mp
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

import networkx as nx

from timetabling.engine.model import Assignment, Course, Instance, Room, Slot, Solution
from timetabling.engine.pipeline.clustering import Clustering, Part
from timetabling.engine.solver.domains import room_fits

Placed = dict[str, list[tuple[int, str | None]]]  # course id -> (flat start slot, room) per session
MIN_PART_LIMIT = 5.0  # seconds: no part gets less, whatever the budget
PART_SHARE = 0.5  # of the budget left: the most one part may take
PART_ROOMS = "decomposed"  # rooms of a part: chosen per day once its times are fixed
MAX_PART_OPTIMISE = 10.0  # seconds of soft-score improvement per part, at most
MIN_PART_OPTIMISE = 0.3  # below this share a part only looks for its first timetable


@dataclass
class PartOutcome:
    name: str
    status: str  # the solver's status: optimal/feasible mean placed
    placements: Placed
    seconds: float
    message: str = ""


@dataclass
class Decomposition:
    """The merged timetable of stage 2 and what happened to each part."""

    placed: Placed
    unplaced: dict[str, str]  # course id -> why it has no slots
    parts: list[dict[str, object]] = field(default_factory=list)
    waves: int = 0


# ------------------------------------------------------------------------------------------ waves


def waves_of(clustering: Clustering) -> list[list[Part]]:
    """Part 0 (open electives) alone first when present, then colour classes of the other parts so that
    no two parts of one wave share people."""
    parts = list(clustering.parts)
    first: list[list[Part]] = []
    if parts and parts[0].name == "open electives":
        first, parts = [[parts[0]]], parts[1:]
    owner = {c: i for i, p in enumerate(parts) for c in p.courses}
    g = nx.Graph()
    g.add_nodes_from(range(len(parts)))
    for a, b in clustering.people_links:
        i, j = owner.get(a), owner.get(b)
        if i is not None and j is not None and i != j:
            g.add_edge(i, j)
    colours = nx.greedy_color(g, strategy="largest_first") if len(parts) else {}
    by_colour: dict[int, list[Part]] = defaultdict(list)
    for i in sorted(colours, key=lambda i: (-parts[i].sessions, i)):
        by_colour[colours[i]].append(parts[i])
    return first + [by_colour[k] for k in sorted(by_colour)]


def allot_rooms(instance: Instance, parts: list[Part], room_busy: dict[str, set[int]]) -> dict[str, list[str]]:
    """Each room to one part of the wave: the part whose demand for rooms like it is least served so far."""
    if len(parts) <= 1:
        return {p.name: [r.id for r in instance.rooms] for p in parts}
    n_slots = instance.grid.n_slots
    sizes = instance.course_size
    courses = {p.name: [instance.course_by_id[c] for c in p.courses] for p in parts}
    served: dict[tuple[str, str], float] = defaultdict(float)  # (part, room type) -> room-periods given
    out: dict[str, list[str]] = {p.name: [] for p in parts}
    # a part's demand for a room depends only on what ``room_fits`` reads of the room: computed once per kind
    demand: dict[tuple[object, ...], list[int]] = {}
    for room in sorted(instance.rooms, key=lambda r: (-r.capacity, r.id)):
        free = n_slots - len(room.unavailable) - len(room_busy.get(room.id, ()))
        kind = (room.type, room.features, room.department, room.shared, room.capacity)
        if kind not in demand:
            demand[kind] = [sum(c.periods_per_week for c in courses[p.name]
                                if room_fits(instance, c, room, sizes[c.id])) for p in parts]
        best, best_need = None, 0.0
        for p, need in zip(parts, demand[kind], strict=True):
            if need <= 0:
                continue
            ratio = need / (1.0 + served[p.name, room.type])
            if ratio > best_need:
                best, best_need = p.name, ratio
        if best is not None:
            out[best].append(room.id)
            served[best, room.type] += free
    return out


# ---------------------------------------------------------------------------------- sub-instances


def _linked_courses(instance: Instance, part: set[str]) -> set[str]:
    """Courses that share a faculty member, a batch or a student with a course of ``part``."""
    student_by_id = {s.id: s for s in instance.students}
    choices_of_batch: dict[str, set[str]] = defaultdict(set)  # what the batch's students chose on their own
    for s in instance.students:
        if s.batch and s.courses:
            choices_of_batch[s.batch].update(s.courses)
    linked: set[str] = set()
    for cid in part:
        c = instance.course_by_id[cid]
        for f in c.faculty:
            linked.update(instance.courses_of_faculty.get(f, ()))
        for b in c.batches:
            linked.update(instance.courses_of_batch.get(b, ()))
            linked.update(choices_of_batch.get(b, ()))
        for sid in instance.individual_students.get(cid, ()):
            linked.update(instance.student_courses(student_by_id[sid]))
    return linked - part


def sub_instance(instance: Instance, part: set[str], placed: Placed, rooms: list[str],
                 room_busy: dict[str, set[int]]) -> Instance:
    """The courses of ``part`` plus every placed course linked to them, pinned in a room of its own;
    ``rooms`` closed where earlier parts hold them."""
    grid = instance.grid
    linked = {c for c in _linked_courses(instance, part) if c in placed}
    all_slots = frozenset(Slot(*grid.slot_of(t)) for t in range(grid.n_slots))
    sizes = instance.course_size
    courses: list[Course] = []
    held_rooms: list[Room] = []
    for cid in sorted(part):
        courses.append(instance.course_by_id[cid].model_copy(update={"size": sizes[cid]}))
    for cid in sorted(linked):
        c = instance.course_by_id[cid]
        held = f"held:{cid}"
        starts = tuple(Slot(*grid.slot_of(t)) for t, _room in placed[cid])
        courses.append(c.model_copy(update={
            "size": sizes[cid], "fixed": starts, "unavailable": all_slots, "room_type": held,
            "room_features": frozenset(), "sessions_per_week": len(starts), "min_days": min(c.min_days, len(starts)),
        }))
        held_rooms.append(Room(id=held, capacity=max(1, sizes[cid]), type=held))
    keep = {c.id for c in courses}
    students = []
    for s in instance.students:
        chosen = tuple(c for c in s.courses if c in keep)
        if chosen:
            students.append(s.model_copy(update={"courses": chosen}))
    room_list = []
    for rid in rooms:
        r = instance.room_by_id[rid]
        busy = room_busy.get(rid)
        room_list.append(r.model_copy(update={"unavailable": r.unavailable | {grid.slot_of(t) for t in busy}})
                         if busy else r)
    return rebuild(instance, name=f"{instance.name}-part", courses=tuple(courses), students=tuple(students),
                   rooms=tuple(room_list) + tuple(held_rooms))


def rebuild(instance: Instance, **update: object) -> Instance:
    """A new instance with some fields replaced. Not ``model_copy``: that would carry the cached lookups
    (``room_by_id``, ``course_size``...) of the old instance over."""
    fields = {name: getattr(instance, name) for name in Instance.model_fields}
    fields.update(update)
    return Instance(**fields)


# ------------------------------------------------------------------------------------------ solve


class _ProcessCancel:
    """A pool worker's view of the run's cancel flag (a multiprocessing event)."""

    event = None

    @property
    def cancelled(self) -> bool:
        return bool(self.event is not None and self.event.is_set())


def _init_worker(event) -> None:
    _ProcessCancel.event = event


def solve_part(name: str, sub: Instance, part: tuple[str, ...], time_limit: float, seed: int, workers: int,
               cancel: object | None = None, optimise_s: float = 0.0) -> PartOutcome:
    """CP-SAT on one sub-instance: for ``optimise_s`` seconds minimising the instance's own soft score, else
    (or when that finds nothing) the first timetable keeping the hard rules; returns the slots and rooms of
    the part's own courses."""
    from timetabling.engine.solver import SolveOptions, solve

    t0 = time.perf_counter()
    cancel = cancel if cancel is not None else _ProcessCancel()
    solution = None
    if optimise_s > 0:  # straight to the soft score; the plain first timetable only when this finds none
        solution = optimise_with_cpsat(sub, SolveOptions(time_limit=optimise_s, workers=workers, seed=seed,
                                                         rooms=PART_ROOMS, cancel=cancel))
    status, explanation = ("feasible", []) if solution is not None else ("unknown", [])
    if solution is None and not getattr(cancel, "cancelled", False):
        # rooms per day after the times: measured on the open electives of ``medium``, 0.8 s against 21 s
        # with rooms inside the model
        result = solve(sub, SolveOptions(time_limit=time_limit, workers=workers, seed=seed, optimize=False,
                                         rooms=PART_ROOMS, cancel=cancel))
        status, solution, explanation = result.status, result.solution, result.explanation
    placements: Placed = defaultdict(list)
    if solution is not None:
        own = set(part)
        grid = sub.grid
        for a in solution.assignments:
            if a.course in own:
                placements[a.course].append((grid.slot_index(a.slot), a.room))
    message = "; ".join(explanation)
    return PartOutcome(name, status, dict(placements), time.perf_counter() - t0, message)


def optimise_with_cpsat(instance: Instance, options: object) -> Solution | None:
    """CP-SAT improving a hinted timetable; None when it has nothing (or fails: the hint stands)."""
    from timetabling.engine.solver import solve

    try:
        return solve(instance, options).solution  # type: ignore[arg-type]
    except RuntimeError:  # an optimisation that crashes must not cost the timetable we already have
        return None


def _run_part(args: tuple) -> PartOutcome:
    return solve_part(*args)


# ------------------------------------------------------------------------------------- part jobs


@dataclass
class WaveState:
    """What the sub-instances of a wave are built from: the instance, what earlier waves placed and when
    each room is taken. ``to_json``/``from_json`` carry it to another machine once per wave, so that the part
    jobs themselves travel as references (``PartJob.to_json(with_sub=False)``)."""

    instance: Instance
    placed: Placed
    room_busy: dict[str, set[int]]

    def placements_json(self) -> dict[str, object]:
        """The wave's placements and busy rooms as JSON (the instance travels apart, once per job)."""
        return {"placed": {c: [[t, room] for t, room in items] for c, items in self.placed.items()},
                "room_busy": {r: sorted(ts) for r, ts in self.room_busy.items() if ts}}

    @classmethod
    def from_json(cls, instance: Instance, data: dict) -> WaveState:
        placed = {c: [(int(t), room) for t, room in items] for c, items in data["placed"].items()}
        busy: dict[str, set[int]] = defaultdict(set, {r: set(ts) for r, ts in data["room_busy"].items()})
        return cls(instance, placed, busy)


@dataclass
class PartJob:
    """One part of a wave, ready to solve anywhere: its sub-instance (what earlier waves placed comes in
    pinned, its share of ``rooms`` closed where taken) and its limits. ``to_json``/``from_json`` carry it
    across processes and machines (a Celery task), with its sub-instance or, lighter, without: the receiver
    then builds it from the wave's ``WaveState``. ``run`` solves it."""

    name: str
    wave: int
    courses: tuple[str, ...]
    rooms: tuple[str, ...]  # the part's share of the rooms
    time_limit: float
    seed: int
    workers: int  # CP-SAT workers for this part
    optimise_s: float  # seconds of soft-score improvement (0: the first timetable only)
    state: WaveState | None = field(default=None, repr=False, compare=False)
    built: Instance | None = field(default=None, repr=False)

    @property
    def sub(self) -> Instance:
        """The part's sub-instance, built from the wave's state when first asked for."""
        if self.built is None:
            if self.state is None:
                raise ValueError(f"part job '{self.name}' has neither a sub-instance nor its wave's state")
            st = self.state
            self.built = sub_instance(st.instance, set(self.courses), st.placed, list(self.rooms), st.room_busy)
        return self.built

    def run(self, cancel: object | None = None) -> PartOutcome:
        return solve_part(self.name, self.sub, self.courses, self.time_limit, self.seed, self.workers, cancel,
                          self.optimise_s)

    def to_json(self, with_sub: bool = True) -> dict[str, object]:
        data: dict[str, object] = {
            "name": self.name, "wave": self.wave, "courses": list(self.courses), "rooms": list(self.rooms),
            "time_limit": self.time_limit, "seed": self.seed, "workers": self.workers, "optimise_s": self.optimise_s}
        if with_sub:
            data["sub"] = self.sub.model_dump(mode="json")
        return data

    @classmethod
    def from_json(cls, data: dict, state: WaveState | None = None) -> PartJob:
        """``state``: the wave's, for a job sent without its sub-instance."""
        sub = Instance.model_validate(data["sub"]) if "sub" in data else None
        return cls(name=data["name"], wave=int(data["wave"]), courses=tuple(data["courses"]),
                   rooms=tuple(data["rooms"]), time_limit=float(data["time_limit"]), seed=int(data["seed"]),
                   workers=int(data["workers"]), optimise_s=float(data["optimise_s"]), state=state, built=sub)


def outcome_to_json(outcome: PartOutcome) -> dict[str, object]:
    return {"name": outcome.name, "status": outcome.status, "seconds": outcome.seconds, "message": outcome.message,
            "placements": {c: [[t, room] for t, room in items] for c, items in outcome.placements.items()}}


def outcome_from_json(data: dict) -> PartOutcome:
    placements = {c: [(int(t), room) for t, room in items] for c, items in data["placements"].items()}
    return PartOutcome(data["name"], data["status"], placements, float(data["seconds"]), data.get("message", ""))


# ``map_parts(jobs)``: solve the parts of one wave (they are independent) wherever, and yield
# ``(job, outcome)`` as each finishes, in any order; stop yielding once the run is cancelled. ``jobs`` is lazy:
# take them all before yielding the first outcome (the wave's state changes with each merge). Each job's
# ``state`` is the wave's ``WaveState``; its sub-instance is built when ``job.sub`` is first read.
MapParts = Callable[[Iterable[PartJob]], Iterable[tuple[PartJob, PartOutcome]]]


def _pool_map(executor: ProcessPoolExecutor, cancelled: Callable[[], bool]) -> MapParts:
    """The default for a wave of several parts: a local process pool."""

    def map_parts(jobs: Iterable[PartJob]) -> Iterator[tuple[PartJob, PartOutcome]]:
        futures = {}
        for job in jobs:
            args = (job.name, job.sub, job.courses, job.time_limit, job.seed, job.workers, None, job.optimise_s)
            futures[executor.submit(_run_part, args)] = job
        pending = set(futures)
        while pending and not cancelled():
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for f in done:
                yield futures[f], f.result()

    return map_parts


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

    def job(self, part: Part, w: int, rooms: list[str], optimise_s: float, workers: int,
            lazy: bool = False) -> PartJob:
        """The part's job; its sub-instance built now, or (``lazy``) when first asked for."""
        job = PartJob(part.name, w, part.courses, tuple(rooms), self.limit(), self.seed, workers, optimise_s,
                      state=WaveState(self.instance, self.placed, self.room_busy))
        if not lazy:
            job.sub  # noqa: B018  (built now, from the state as it is now)
        return job

    def jobs(self, w: int, workers: int, lazy: bool = False) -> Iterator[PartJob]:
        """Every part of wave ``w`` (one optimisation share for the wave), each made when it is taken; with
        ``lazy``, their sub-instances are built only when asked for (an executor that sends the wave's state
        once and builds the sub-instances where the parts are solved never builds them here)."""
        wave = self.waves[w]
        allotted = self.allot(wave)
        opt = self.optimise_for()
        return (self.job(part, w, allotted[part.name], opt, workers, lazy) for part in wave)

    def retry(self, part: Part, w: int, workers: int) -> PartJob:
        self.parts_left += 1  # it was counted when it failed
        return self.job(part, w, [r.id for r in self.instance.rooms], 0.0, workers)

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
    pool_workers: int,
    seed: int = 0,
    cancel: object | None = None,
    progress: Callable[[float, str], None] | None = None,
    optimise: float = 0.0,
    map_parts: MapParts | None = None,
    side_by_side: int | None = None,
) -> Decomposition:
    """Place every part, wave by wave; ``progress(fraction, message)`` after each part. ``optimise``: the
    share of ``budget`` spent improving the parts' soft score (split over the parts, in parallel).

    ``map_parts`` None: the parts of a wave run side by side in a local process pool of ``pool_workers``
    (one at a time in this process when there is one worker, one part, or this is a daemonic process).
    Given, every part job (single-part waves and retries included) goes through it, e.g. to Celery tasks;
    ``side_by_side`` then says how many parts it runs at once (default ``pool_workers``) and each job gets
    ``pool_workers`` CP-SAT workers."""
    state = Stage2(instance, clustering, budget=budget, seed=seed, optimise=optimise, progress=progress)
    executor = None
    event = None
    # a daemonic process (a service job) may not start children: its parts run here, one after another
    if map_parts is None and pool_workers > 1 and any(len(w) > 1 for w in state.waves) \
            and not mp.current_process().daemon:
        ctx = mp.get_context("spawn")
        event = ctx.Event()
        executor = ProcessPoolExecutor(max_workers=pool_workers, mp_context=ctx, initializer=_init_worker,
                                       initargs=(event,))
    if side_by_side is None:
        side_by_side = pool_workers if (executor is not None or map_parts is not None) else 1
    state.side_by_side = max(1, side_by_side)

    def cancelled() -> bool:
        return bool(getattr(cancel, "cancelled", False))

    def run_one(job: PartJob) -> PartOutcome | None:
        if map_parts is None:
            return job.run(cancel)
        return next((o for _j, o in map_parts([job])), None)

    try:
        for w, wave in enumerate(state.waves):
            if cancelled():
                break
            failed: list[Part] = []
            if map_parts is None and (executor is None or len(wave) == 1):
                allotted = state.allot(wave)
                for part in wave:
                    if cancelled():
                        break
                    opt = state.optimise_for()
                    outcome = state.job(part, w, allotted[part.name], opt, pool_workers).run(cancel)
                    if not state.merge(part, outcome, w, opt):
                        failed.append(part)
            else:
                if executor is not None and cancel is not None and event is not None:
                    _mirror(cancel, event)
                jobs = state.jobs(w, 1 if map_parts is None else pool_workers, lazy=map_parts is not None)
                assert executor is not None or map_parts is not None
                runs = map_parts(jobs) if map_parts is not None else _pool_map(executor, cancelled)(list(jobs))
                for job, outcome in runs:
                    part = state.part(w, job.name)
                    if not state.merge(part, outcome, w, job.optimise_s):
                        failed.append(part)
            for part in failed:  # again, alone, with every room that is still free
                if cancelled():
                    break
                retry = run_one(state.retry(part, w, pool_workers))
                if retry is None or not state.merge(part, retry, w, 0.0):
                    if retry is None:
                        state.parts_left -= 1
                    state.give_up(part, retry)
    finally:
        if executor is not None:
            if event is not None:
                event.set()  # stop anything still running
            if cancelled():
                # a part may be building its model or assigning rooms, which no flag interrupts: end it
                for proc in list(getattr(executor, "_processes", {}).values()):
                    proc.terminate()
            executor.shutdown(wait=not cancelled(), cancel_futures=True)
    return state.result()


def _mirror(cancel: object, event) -> None:
    if getattr(cancel, "cancelled", False):
        event.set()


def to_solution(instance: Instance, placed: Placed, meta: dict[str, object] | None = None) -> Solution:
    grid = instance.grid
    assignments = []
    for cid in sorted(placed):
        for k, (t, room) in enumerate(sorted(placed[cid], key=lambda x: x[0])):
            slot = grid.slot_of(t)
            assignments.append(Assignment(course=cid, session=k, day=slot.day, period=slot.period, room=room))
    return Solution(instance=instance.name, assignments=tuple(assignments), meta=dict(meta or {}))


def from_solution(instance: Instance, solution: Solution) -> Placed:
    grid = instance.grid
    placed: Placed = defaultdict(list)
    for a in solution.assignments:
        placed[a.course].append((grid.slot_index(a.slot), a.room))
    return dict(placed)

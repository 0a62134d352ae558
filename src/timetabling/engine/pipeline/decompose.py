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
from collections.abc import Callable
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
    for room in sorted(instance.rooms, key=lambda r: (-r.capacity, r.id)):
        free = n_slots - len(room.unavailable) - len(room_busy.get(room.id, ()))
        best, best_need = None, 0.0
        for p in parts:
            need = sum(c.periods_per_week for c in courses[p.name] if room_fits(instance, c, room, sizes[c.id]))
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
) -> Decomposition:
    """Place every part, wave by wave; ``progress(fraction, message)`` after each part. ``optimise``: the
    share of ``budget`` spent improving the parts' soft score (split over the parts, in parallel)."""
    t0 = time.perf_counter()
    waves = waves_of(clustering)
    total = max(1, sum(p.sessions for w in waves for p in w))
    placed: Placed = {}
    room_busy: dict[str, set[int]] = defaultdict(set)
    unplaced: dict[str, str] = {}
    report: list[dict[str, object]] = []
    done_sessions = 0
    executor = None
    event = None
    # a daemonic process (a service job) may not start children: its parts run here, one after another
    if pool_workers > 1 and any(len(w) > 1 for w in waves) and not mp.current_process().daemon:
        ctx = mp.get_context("spawn")
        event = ctx.Event()
        executor = ProcessPoolExecutor(max_workers=pool_workers, mp_context=ctx, initializer=_init_worker,
                                       initargs=(event,))

    def cancelled() -> bool:
        return bool(getattr(cancel, "cancelled", False))

    n_parts = max(1, sum(len(w) for w in waves))
    side_by_side = pool_workers if executor is not None else 1
    overheads: list[float] = []  # seconds a part took beyond its optimisation time
    parts_left = n_parts

    def optimise_for(parts_left: int) -> float:
        """This part's share of what is left of the budget, less the usual overhead of a part."""
        if optimise <= 0:
            return 0.0
        left = budget - (time.perf_counter() - t0)
        overhead = sum(overheads) / len(overheads) if overheads else 1.0
        share = optimise * left * side_by_side / max(1, parts_left) - overhead
        # behind schedule: hard rules only, so that the budget holds
        return 0.0 if share < MIN_PART_OPTIMISE else min(MAX_PART_OPTIMISE, share)

    def limit_for(part: Part) -> float:
        # a cap, not a plan: a part stops at its first timetable, and most take a fraction of a second
        left = budget - (time.perf_counter() - t0)
        return max(MIN_PART_LIMIT, PART_SHARE * left)

    def merge(part: Part, outcome: PartOutcome, wave: int, optimise_s: float) -> bool:
        nonlocal done_sessions, parts_left
        parts_left -= 1
        overheads.append(max(0.0, outcome.seconds - optimise_s))
        ok = outcome.status in ("optimal", "feasible")
        report.append({"part": part.name, "wave": wave, "sessions": part.sessions, "status": outcome.status,
                       "seconds": round(outcome.seconds, 2)})
        if not ok:
            return False
        for cid, items in outcome.placements.items():
            placed[cid] = items
            c = instance.course_by_id[cid]
            for t, room in items:
                if room is not None:
                    room_busy[room].update(range(t, t + c.session_length))
        done_sessions += part.sessions
        if progress:
            progress(done_sessions / total, f"{part.name}: placed ({outcome.status})")
        return True

    def run_here(part: Part, rooms: list[str], opt: float) -> PartOutcome:
        sub = sub_instance(instance, set(part.courses), placed, rooms, room_busy)
        return solve_part(part.name, sub, part.courses, limit_for(part), seed, pool_workers, cancel, opt)

    try:
        for w, wave in enumerate(waves):
            if cancelled():
                break
            allotted = allot_rooms(instance, wave, room_busy)
            failed: list[Part] = []
            if executor is None or len(wave) == 1:
                for part in wave:
                    if cancelled():
                        break
                    opt = optimise_for(parts_left)
                    if not merge(part, run_here(part, allotted[part.name], opt), w, opt):
                        failed.append(part)
            else:
                if cancel is not None and event is not None:
                    _mirror(cancel, event)
                futures = {}
                opt = optimise_for(parts_left)
                for part in wave:
                    sub = sub_instance(instance, set(part.courses), placed, allotted[part.name], room_busy)
                    args = (part.name, sub, part.courses, limit_for(part), seed, 1, None, opt)
                    futures[executor.submit(_run_part, args)] = part
                pending = set(futures)
                while pending and not cancelled():
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    for f in done:
                        if not merge(futures[f], f.result(), w, opt):
                            failed.append(futures[f])
            for part in failed:  # again, alone, with every room that is still free
                if cancelled():
                    break
                all_rooms = [r.id for r in instance.rooms]
                outcome = run_here(part, all_rooms, 0.0)
                parts_left += 1  # it was counted when it failed
                if not merge(part, outcome, w, 0.0):
                    why = outcome.message or f"no timetable for this part ({outcome.status})"
                    unplaced.update({c: why for c in part.courses})
    finally:
        if executor is not None:
            if event is not None:
                event.set()  # stop anything still running
            if cancelled():
                # a part may be building its model or assigning rooms, which no flag interrupts: end it
                for proc in list(getattr(executor, "_processes", {}).values()):
                    proc.terminate()
            executor.shutdown(wait=not cancelled(), cancel_futures=True)
    for p in clustering.parts:
        for c in p.courses:
            if c not in placed and c not in unplaced:
                unplaced[c] = "cancelled before its part was scheduled"
    return Decomposition(placed, unplaced, report, len(waves))


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

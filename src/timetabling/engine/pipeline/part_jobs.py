"""Stage 2's parts as jobs that run anywhere, and their JSON: the one seam to a distributed runner (Celery).

A ``PartJob`` is one part of a wave with its limits; ``WaveState`` is what its sub-instance is built from (the
instance, what earlier waves placed, when each room is taken), sent once per wave so that the jobs themselves
travel as references. ``Handoff`` is what stages 1-2 leave for stage 3 and the variants when those run in
another process. Everything here turns into JSON and back without loss.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from timetabling.engine.control import CancelToken
from timetabling.engine.model import Instance
from timetabling.engine.pipeline.parts import PartOutcome, solve_part, sub_instance
from timetabling.engine.timetable.placed import Placed


def placed_to_json(placed: Placed) -> dict[str, list[list[Any]]]:
    return {c: [[t, room] for t, room in items] for c, items in placed.items()}


def placed_from_json(data: dict[str, Any]) -> Placed:
    return {c: [(int(t), room) for t, room in items] for c, items in data.items()}


@dataclass
class WaveState:
    """What the sub-instances of a wave are built from: the instance, what earlier waves placed and when
    each room is taken. ``placements_json``/``from_json`` carry it to another machine once per wave, so that the
    part jobs themselves travel as references (``PartJob.to_json(with_sub=False)``)."""

    instance: Instance
    placed: Placed
    room_busy: dict[str, set[int]]

    def placements_json(self) -> dict[str, object]:
        """The wave's placements and busy rooms as JSON (the instance travels apart, once per job)."""
        return {"placed": placed_to_json(self.placed),
                "room_busy": {r: sorted(ts) for r, ts in self.room_busy.items() if ts}}

    @classmethod
    def from_json(cls, instance: Instance, data: dict) -> WaveState:
        busy: dict[str, set[int]] = defaultdict(set, {r: set(ts) for r, ts in data["room_busy"].items()})
        return cls(instance, placed_from_json(data["placed"]), busy)


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
    threads: int  # CP-SAT search workers for this part (0: every core of the machine that solves it)
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

    def run(self, cancel: CancelToken | None = None) -> PartOutcome:
        return solve_part(self.name, self.sub, self.courses, self.time_limit, self.seed, self.threads, cancel,
                          self.optimise_s)

    def to_json(self, with_sub: bool = True) -> dict[str, object]:
        data: dict[str, object] = {
            "name": self.name, "wave": self.wave, "courses": list(self.courses), "rooms": list(self.rooms),
            "time_limit": self.time_limit, "seed": self.seed, "threads": self.threads, "optimise_s": self.optimise_s}
        if with_sub:
            data["sub"] = self.sub.model_dump(mode="json")
        return data

    @classmethod
    def from_json(cls, data: dict, state: WaveState | None = None) -> PartJob:
        """``state``: the wave's, for a job sent without its sub-instance."""
        sub = Instance.model_validate(data["sub"]) if "sub" in data else None
        return cls(name=data["name"], wave=int(data["wave"]), courses=tuple(data["courses"]),
                   rooms=tuple(data["rooms"]), time_limit=float(data["time_limit"]), seed=int(data["seed"]),
                   threads=int(data["threads"]), optimise_s=float(data["optimise_s"]), state=state, built=sub)


def outcome_to_json(outcome: PartOutcome) -> dict[str, object]:
    return {"name": outcome.name, "status": outcome.status, "seconds": outcome.seconds, "message": outcome.message,
            "placements": placed_to_json(outcome.placements)}


def outcome_from_json(data: dict) -> PartOutcome:
    return PartOutcome(data["name"], data["status"], placed_from_json(data["placements"]), float(data["seconds"]),
                       data.get("message", ""))


@dataclass
class Handoff:
    """What stages 1-2 leave for stage 3 and the variants (``pipeline.run.resume``) when those run in another
    process or on another machine: the merged placements, the courses left unplaced with the reason, the run's
    stats so far, its elapsed seconds and progress percent."""

    placed: Placed
    unplaced: dict[str, str]
    stats: dict[str, Any]
    elapsed_s: float
    percent: float

    def to_json(self) -> dict[str, Any]:
        return {"placed": placed_to_json(self.placed), "unplaced": dict(self.unplaced), "stats": self.stats,
                "elapsed_s": self.elapsed_s, "percent": self.percent}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Handoff:
        return cls(placed_from_json(data["placed"]), dict(data["unplaced"]), dict(data["stats"]),
                   float(data["elapsed_s"]), float(data["percent"]))


# ``map_parts(jobs)``: solve the parts of one wave (they are independent) wherever, and yield
# ``(job, outcome)`` as each finishes, in any order; stop yielding once the run is cancelled. ``jobs`` is lazy:
# take them all before yielding the first outcome (the wave's state changes with each merge). Each job's
# ``state`` is the wave's ``WaveState``; its sub-instance is built when ``job.sub`` is first read.
MapParts = Callable[[Iterable[PartJob]], Iterable[tuple[PartJob, PartOutcome]]]

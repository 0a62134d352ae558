"""How long a job spent in each phase, and when its first clash-free timetable existed: kept in the job's
metadata from the progress events, for the analytics page.

``metadata["stages"]``: ``[[phase, seconds at its start], ...]`` in order, one entry per change of phase, at
most ``STAGE_ENTRIES``. ``metadata["first_timetable_s"]``: the seconds of the first event that carried a soft
cost. The engine reports one only once stage 3 has merged the parts and removed the last clashes (sessions
it cannot place are left out, never placed on a clash), so that event marks the first clash-free timetable.
"""

from __future__ import annotations

from typing import Any

from timetabling.engine.pipeline.run import PHASES

STAGE_ENTRIES = 40  # five stages and a phase per variant: a job's metadata stays small


def note_phase(metadata: dict[str, Any], phase: str, seconds: float, objective: float | None) -> dict[str, Any]:
    """The metadata with this event's phase start and first soft cost noted; ``seconds``: since the run began."""
    stages = list(metadata.get("stages") or [])
    updated = dict(metadata)
    if phase and (not stages or stages[-1][0] != phase) and len(stages) < STAGE_ENTRIES:
        updated["stages"] = [*stages, [phase, round(max(0.0, seconds), 2)]]
    if objective is not None and "first_timetable_s" not in metadata:
        updated["first_timetable_s"] = round(max(0.0, seconds), 2)
    return updated


def stage_group(phase: str) -> str:
    """The stage a plain phase belongs to, for a chart's legend: every variant's "improving variant X" is one
    stage, and so is "placing core courses of 37 departments" whatever its counts."""
    if phase.startswith("improving variant"):
        return PHASES["optimise"]
    if phase.startswith("placing "):
        return PHASES["parts"]
    return phase


def stage_seconds(metadata: dict[str, Any]) -> dict[str, float]:
    """Seconds per stage (``stage_group``) of a job: from each phase's start to the next one's, the last until
    the generation time (a job still running or without one has no end, and its last phase is left out);
    the final "finished" takes no time worth a bar."""
    stages = metadata.get("stages") or []
    end = metadata.get("generation_time")
    ends = [start for _, start in stages[1:]] + ([float(end)] if end is not None else [])
    seconds: dict[str, float] = {}
    for (phase, start), stop in zip(stages, ends, strict=False):
        group = stage_group(phase)
        if group == PHASES["done"]:
            continue
        seconds[group] = round(seconds.get(group, 0.0) + max(0.0, stop - start), 2)
    return seconds

"""The one contract between the web backend and the engine service: what crosses the wire, as pydantic models.

- ``JobRequest``: the web backend asks for a generation (``POST /api/generate_variants``).
- ``ProgressMessage``: the engine reports a job's progress (the progress bus, the WebSocket, the callback).
- ``JobOutcome``: a finished job (the final callback, ``GET /api/variants/{job_id}``).
- The time limit: its default and bounds (defined once in ``limits``, which Django's settings import
  without the engine; re-exported here), used by the CLI, the web form and API, and the engine service.
- The lower bound on the soft cost and the one sentence that shows it (CLI, status page, result).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, computed_field, field_validator

from timetabling.engine.pipeline import DEFAULT_VARIANTS, VARIANT_PROFILES
from timetabling.engine.priorities import SoftWeights, check_profile_name
from timetabling.service.limits import (
    DEFAULT_MAX_TIME_LIMIT_S,
    DEFAULT_TIME_LIMIT_S,
    MIN_TIME_LIMIT_S,
    TIME_LIMIT_CEILING_S,
    TimeLimit,
    default_time_limit,
    max_time_limit,
    time_limit_problem,
)

__all__ = [
    "DEFAULT_MAX_TIME_LIMIT_S",
    "DEFAULT_TIME_LIMIT_S",
    "MIN_TIME_LIMIT_S",
    "TIME_LIMIT_CEILING_S",
    "Callback",
    "CancelAccepted",
    "JobAccepted",
    "JobOutcome",
    "JobRequest",
    "LowerBound",
    "ProgressMessage",
    "TimeLimit",
    "VariantOutcome",
    "VariantSummary",
    "VariantsAnswer",
    "bound_text",
    "default_time_limit",
    "estimated_seconds",
    "event_json",
    "gap_percent",
    "lower_bound_of",
    "max_time_limit",
    "progress_of",
    "time_limit_problem",
]


def estimated_seconds(time_limit: float) -> int:
    """What a client should expect: the solver's budget plus start-up and storing."""
    return int(time_limit + 5)


# ------------------------------------------------------------------------------------------ lower bound


class LowerBound(BaseModel):
    """A lower bound on a timetable's soft cost: no timetable of the instance costs less than ``value``.

    ``known``: False when no bound is known (``value`` is then 0, which bounds any cost); ``basis``: how it
    was found, in words; ``by_rule``: each soft rule's share of it."""

    value: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    known: bool = False
    basis: str = ""
    by_rule: dict[str, float] = Field(default_factory=dict)


def lower_bound_of(bound: Any) -> LowerBound | None:
    """The contract's form of the engine's bound: a number, a mapping, or an object with ``value`` (and
    perhaps ``known``, ``basis``, ``by_rule``) such as ``engine.bounds.Bound``; None when there is none."""
    if bound is None:
        return None
    if isinstance(bound, LowerBound):
        return bound
    if isinstance(bound, numbers.Real):  # a solver's proved bound (numpy's numbers too); 0 proves nothing
        value = float(bound)
        return LowerBound(value=value, known=value > 0) if math.isfinite(value) and value >= 0 else None
    data = dict(bound) if isinstance(bound, Mapping) else {
        name: getattr(bound, name) for name in ("value", "known", "basis", "by_rule") if hasattr(bound, name)}
    by_rule = data.get("by_rule") or {}
    data["by_rule"] = {str(getattr(rule, "value", rule)): float(v) for rule, v in dict(by_rule).items()}
    data.setdefault("known", float(data.get("value") or 0) > 0)
    return LowerBound.model_validate(data)


def gap_percent(cost: float, bound: float) -> float:
    """How far ``cost`` may be above the best possible, as a share of ``cost`` (0 at the bound)."""
    if cost <= 0:
        return 0.0
    return max(0.0, (cost - bound) / cost * 100)


def bound_text(cost: float | None, bound: LowerBound | float | None) -> str:
    """The sentence every surface shows: "soft cost X, lower bound B (gap G %)" or "... no lower bound known"."""
    lower = lower_bound_of(bound)
    if cost is None:
        return f"lower bound {lower.value:g}" if lower is not None and lower.known else "no lower bound known"
    if lower is None or not lower.known:
        return f"soft cost {cost:g}, no lower bound known"
    return f"soft cost {cost:g}, lower bound {lower.value:g} (gap {gap_percent(cost, lower.value):.1f} %)"


# ------------------------------------------------------------------------------------------ the request


class JobRequest(BaseModel):
    """What the web backend sends the engine service to start a generation."""

    job_id: str = Field(min_length=1, max_length=100)
    organization_id: int | str | None = None
    department_id: int | str | None = None
    batch_ids: list[int | str] = Field(default_factory=list)
    semester: int | None = None
    academic_year: str | None = None
    instance: dict[str, Any] = Field(description="the engine instance in the native JSON format")
    custom_weights: dict[str, SoftWeights] = Field(  # type: ignore[valid-type]  (before variants: they name it)
        default_factory=dict, max_length=5,
        description="chosen priorities: variant name -> the weight of each soft criterion; name them in variants")
    variants: list[str] = Field(default_factory=lambda: list(DEFAULT_VARIANTS), min_length=1, max_length=10)
    time_limit: TimeLimit = DEFAULT_TIME_LIMIT_S
    seed: int = 0

    @field_validator("custom_weights")
    @classmethod
    def _names(cls, weights: dict[str, Any]) -> dict[str, Any]:
        for name in weights:
            check_profile_name(name)
        return weights

    @field_validator("variants")
    @classmethod
    def _known(cls, names: list[str], info: ValidationInfo) -> list[str]:
        custom = info.data.get("custom_weights") or {}
        for name in names:
            if name not in VARIANT_PROFILES and name not in custom:
                raise ValueError(f"unknown variant '{name}' (known: {', '.join([*VARIANT_PROFILES, *custom])})")
        return names


class JobAccepted(BaseModel):
    job_id: str
    status: str
    message: str
    estimated_time_seconds: int


class CancelAccepted(BaseModel):
    job_id: str
    status: str
    message: str


# ------------------------------------------------------------------------------------------ progress

JobState = Literal["queued", "running", "completed", "failed", "cancelled"]
FINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})


class ProgressMessage(BaseModel):
    """One report of a job's progress; ``progress`` (0-100) never decreases within a job.

    During optimisation: ``objective`` is the soft cost of the best timetable of ``variant`` so far,
    ``elapsed_s`` into the run, and ``bound`` the lower bound on any timetable's soft cost (None: unknown).
    Positional arguments follow the field order, as the dataclass it replaces."""

    model_config = ConfigDict(frozen=True)

    job_id: str
    status: str  # a JobState; "unknown" only on the WebSocket for a job the engine never had
    progress: float = Field(ge=0, le=100, allow_inf_nan=False)
    phase: str = ""
    eta_seconds: float | None = None
    message: str = ""
    objective: float | None = None
    variant: str | None = None
    elapsed_s: float | None = None
    bound: LowerBound | None = None

    def __init__(self, job_id: str | None = None, status: str | None = None, progress: float | None = None,
                 *args: Any, **fields: Any) -> None:
        names = ("phase", "eta_seconds", "message", "objective", "variant", "elapsed_s", "bound")
        fields.update(zip(names, args, strict=False))
        for name, value in (("job_id", job_id), ("status", status), ("progress", progress)):
            if value is not None:
                fields[name] = value
        super().__init__(**fields)

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cost_line(self) -> str | None:
        """"soft cost X, lower bound B (gap G %)" (or "..., no lower bound known") once there is a soft cost."""
        return None if self.objective is None else bound_text(self.objective, self.bound)


def progress_of(job_id: str, event: Mapping[str, Any]) -> ProgressMessage:
    """The one mapping from an engine progress event (its JSON form) to the contract's message. A running
    job shows at most 99 %: 100 belongs to the final message."""
    percent = float(event.get("percent") or 0.0)
    return ProgressMessage(
        job_id=job_id, status="running", progress=min(99.0, max(0.0, round(percent, 1))),
        phase=event.get("phase") or event.get("stage") or "", eta_seconds=event.get("eta_s"),
        message=event.get("message") or "", objective=event.get("objective"), variant=event.get("variant"),
        elapsed_s=event.get("elapsed_s"), bound=lower_bound_of(event.get("bound")),
    )


def event_json(event: Any) -> dict[str, Any]:
    """An engine progress event as plain JSON (it crosses processes and machines as this)."""
    fields = ("stage", "percent", "message", "eta_s", "objective", "phase", "variant", "elapsed_s")
    data = {name: getattr(event, name, None) for name in fields}
    bound = lower_bound_of(getattr(event, "bound", None))
    data["bound"] = bound.model_dump(mode="json") if bound is not None else None
    return data


# ------------------------------------------------------------------------------------------ the outcome


class VariantOutcome(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    entries: list[dict[str, Any]] = Field(default_factory=list)
    score: float | None = Field(default=None, allow_inf_nan=False)
    metrics: dict[str, Any] = Field(default_factory=dict)
    bound: LowerBound | None = Field(default=None, description="the lower bound on its soft cost, under its weights")


class JobOutcome(BaseModel):
    """A finished job as the engine reports it; extra keys (stats, tasks) pass through."""

    model_config = ConfigDict(extra="allow")

    job_id: str
    status: JobState
    variants: list[VariantOutcome] = Field(default_factory=list)
    comparison: list[dict[str, Any]] = Field(default_factory=list)
    generation_time: float | None = None
    message: str = ""


# ------------------------------------------------------------------------------------------ results


class VariantSummary(BaseModel):
    """A variant: its entries only when it was asked for by name (``?variant=NAME``)."""

    name: str
    entries: list[dict[str, Any]] | None = None
    entries_count: int = 0
    score: float
    metrics: dict[str, Any]
    bound: LowerBound | None = None


class VariantsAnswer(BaseModel):
    job_id: str
    status: str
    variants: list[VariantSummary]
    comparison: list[dict[str, Any]]
    generation_time: float | None
    message: str = ""


class Callback(BaseModel):
    """What the web backend accepts from the engine: a ``ProgressMessage`` while a job runs, its
    ``JobOutcome`` when it finished (one schema for both, as the callback URL takes both)."""

    job_id: str
    status: JobState
    progress: float = Field(default=0, ge=0, le=100)
    phase: str = ""
    eta_seconds: float | None = None
    objective: float | None = Field(default=None, ge=0, description="soft cost of the variant's best timetable so far")
    variant: str | None = Field(default=None, max_length=200)
    elapsed_s: float | None = Field(default=None, ge=0)
    bound: LowerBound | None = None
    variants: list[VariantOutcome] = Field(default_factory=list)
    comparison: list[dict[str, Any]] = Field(default_factory=list)
    generation_time: float | None = None
    message: str = ""

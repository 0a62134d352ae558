"""Request and response schemas of the engine service."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from timetabling.engine.pipeline import DEFAULT_VARIANTS, VARIANT_PROFILES
from timetabling.engine.priorities import SoftWeights, check_profile_name


class GenerateRequest(BaseModel):
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
    time_limit: float = Field(default=60.0, ge=0.5, le=3600)
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


class GenerateResponse(BaseModel):
    job_id: str
    status: str
    message: str
    estimated_time_seconds: int


class VariantOut(BaseModel):
    """A variant: its entries only when it was asked for by name (``?variant=NAME``)."""

    name: str
    entries: list[dict[str, Any]] | None = None
    entries_count: int = 0
    score: float
    metrics: dict[str, Any]


class VariantsResponse(BaseModel):
    job_id: str
    status: str
    variants: list[VariantOut]
    comparison: list[dict[str, Any]]
    generation_time: float | None
    message: str = ""


class CancelResponse(BaseModel):
    job_id: str
    status: str
    message: str

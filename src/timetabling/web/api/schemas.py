"""Request bodies and query strings of the public API and the engine callback: django-ninja validates requests
with them and describes them in the OpenAPI file."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from timetabling.engine.pipeline import VARIANT_PROFILES
from timetabling.engine.priorities import PROFILE_NAME_MAX, SoftWeights
from timetabling.service.contract import Callback, TimeLimit, VariantOutcome
from timetabling.web.api.serializers import ACADEMIC_KINDS
from timetabling.web.scheduling.models import TimetableStatus

# a database id: anything larger cannot exist and must not reach the database driver
RecordId = Annotated[int, Field(ge=1, le=2**63 - 1)]


def _whole_number(value: object) -> object:
    """A query string's id as plain ASCII digits: int() would read '٣', ' 3' and '1_0' too."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit() and len(value) <= 19):
        raise ValueError(f"'{value[:40]}' is not a record id (a whole number)")
    return value


QueryId = Annotated[int, BeforeValidator(_whole_number), Field(ge=1, le=2**63 - 1)]
OwnerKind = Literal["batch", "faculty", "room", "student"]
AcademicKind = Literal[tuple(ACADEMIC_KINDS)]  # type: ignore[valid-type]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class GenerateRequest(Body):
    academic_year: str = Field(pattern=r"^\d{4}-\d{2}(\d{2})?$", examples=["2026-27"])
    semester: int = Field(ge=1, le=12)
    university_id: RecordId = Field(description="the organization's id")
    department_ids: list[RecordId] = Field(default_factory=list, max_length=1000,
                                           description="only these departments' courses")
    batch_ids: list[RecordId] = Field(default_factory=list, max_length=5000,
                                      description="only the courses of these batches")
    variants: list[str] | None = Field(default=None, min_length=1, max_length=10)
    time_limit: TimeLimit | None = Field(default=None, description="seconds for the whole run (default: the "
                                       "deployment's, TIMETABLE_TIME_LIMIT; at most TIMETABLE_MAX_TIME_LIMIT)")
    weights: SoftWeights | None = Field(  # type: ignore[valid-type]
        default=None, description="chosen priorities: one more variant, 'Custom priorities', with these weights")
    priority_profile: str | None = Field(default=None, max_length=PROFILE_NAME_MAX,
                                         description="one more variant from the organization's saved profile")

    @field_validator("variants")
    @classmethod
    def _known_variants(cls, names: list[str] | None) -> list[str] | None:
        for name in names or ():
            if name not in VARIANT_PROFILES:
                raise ValueError(f"unknown variant '{name}' (known: {', '.join(VARIANT_PROFILES)})")
        return names


class PriorityProfileRequest(Body):
    name: str = Field(min_length=1, max_length=PROFILE_NAME_MAX, description="not a preset variant's name")
    weights: SoftWeights  # type: ignore[valid-type]
    department_id: RecordId | None = Field(default=None, description="the department it is meant for, if one")


class ApproveRequest(Body):
    action: Literal["approve", "reject"]
    comments: str = Field(default="", max_length=4000)
    timetable_id: RecordId | None = Field(default=None, description="the variant to publish; default: best score")


class LoginRequest(Body):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=200)


class EntryIn(BaseModel):
    course: str
    session: int = Field(default=0, ge=0, le=1000)
    day: int = Field(ge=0, le=1000)
    period: int = Field(ge=0, le=1000)
    room: str | None = None


class VariantIn(VariantOutcome):
    entries: list[EntryIn] = Field(default_factory=list)  # type: ignore[assignment]  (checked here, not in the engine)


class CallbackRequest(Callback):
    """What the engine service posts (``service.contract.Callback``): progress while running, the variants
    when finished; here the job id must be a UUID and each entry a slot."""

    job_id: uuid.UUID  # type: ignore[assignment]
    variants: list[VariantIn] = Field(default_factory=list)  # type: ignore[assignment]


class EditRequest(Body):
    """One edit of a draft, made on the slots version the editor last saw."""

    op: Literal["move", "swap", "room", "lock", "unlock"]
    course: str = Field(min_length=1, max_length=200, description="the session's course code")
    session: int = Field(default=0, ge=0, le=1000)
    day: int | None = Field(default=None, ge=0, le=1000, description="move: the new day (0-based)")
    period: int | None = Field(default=None, ge=0, le=1000, description="move: the new first period (0-based)")
    room: str | None = Field(default=None, max_length=200, description="move, room: the room code")
    other_course: str | None = Field(default=None, max_length=200, description="swap: the other session's course")
    other_session: int | None = Field(default=None, ge=0, le=1000)
    base_version: int = Field(ge=0, description="the draft's slots_version this edit was made on (409 if stale)")


class VersionRequest(Body):
    base_version: int | None = Field(default=None, ge=0, description="the draft's slots_version (409 if stale)")


# ------------------------------------------------------------------------------------------ query strings


class ListingQuery(BaseModel):
    search: str = Field(default="", max_length=200, description="part of a code or name")
    page: int = Field(default=1, ge=1, le=10**9, description="1-based page")
    page_size: int = Field(default=100, ge=1, le=500, description="records per page")


class TimetablesQuery(BaseModel):
    status: TimetableStatus | None = Field(default=None, description="only timetables in this status")


class OwnerQuery(BaseModel):
    timetable_id: QueryId | None = Field(default=None, description="staff: this timetable instead of the published one")


class ResultQuery(BaseModel):
    timetable_id: QueryId | None = Field(default=None, description="this variant's slots (by id)")
    variant: str | None = Field(default=None, max_length=200, description="this variant's slots (by name)")
    kind: OwnerKind | None = Field(default=None, description="with owner_id: only this owner's slots")
    owner_id: QueryId | None = Field(default=None, description="with kind: only this owner's slots")
    page: QueryId = Field(default=1, description="1-based page of slots")
    page_size: int = Field(default=500, ge=1, le=5000, description="slots per page")


class DownloadQuery(BaseModel):
    format: Literal["json", "csv"] = Field(default="json", description="json or csv")
    timetable_id: QueryId | None = Field(default=None, description="only this variant (by id)")
    variant: str | None = Field(default=None, max_length=200, description="only this variant (by name)")


class CandidatesQuery(BaseModel):
    course: str = Field(min_length=1, max_length=200, description="the session's course code")
    session: int = Field(default=0, ge=0, le=9999, description="the session number")

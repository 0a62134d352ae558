"""Chosen priorities of a generation: weights given directly or a saved profile of the organization, checked
by the engine's one schema (``engine.priorities.SoftWeights``) and stored on the job as
``metadata["priorities"] = {"name": ..., "weights": {...}}``."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from timetabling.engine.priorities import CRITERIA, CUSTOM_NAME, check_profile_name, parse_weights
from timetabling.web.academics import models as am
from timetabling.web.scheduling.errors import Refused
from timetabling.web.scheduling.models import PriorityProfile


def _weights_or_400(data: Any, field: str) -> dict[str, int]:
    try:
        return parse_weights(data).given()
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join([field, *(str(p) for p in first["loc"])])
        raise Refused(400, f"{where}: {first['msg']}", field=where) from None


def _name_or_400(name: str, field: str) -> str:
    try:
        return check_profile_name(name.strip())
    except ValueError as err:
        raise Refused(400, str(err), field=field) from None


def chosen(org: am.Organization, weights: Any = None, profile: str | None = None) -> dict[str, Any] | None:
    """The job's chosen priorities from ``weights`` (a custom variant) or ``profile`` (a saved profile's name);
    None for neither. A profile of another organization is as unknown as one that does not exist."""
    if weights is not None and profile:
        raise Refused(400, "give weights or a priority profile, not both", field="priority_profile")
    if profile:
        saved = PriorityProfile.objects.filter(organization=org, name=profile.strip()).first()
        if saved is None:
            raise Refused(400, f"unknown priority profile '{profile}'", field="priority_profile")
        return {"name": saved.name, "weights": _weights_or_400(saved.weights, "priority_profile")}
    if weights is not None:
        return {"name": CUSTOM_NAME, "weights": _weights_or_400(weights, "weights")}
    return None


def save_profile(org: am.Organization, name: str, weights: Any, user: Any = None,
                 department: am.Department | None = None) -> PriorityProfile:
    """Create or replace the organization's profile ``name``."""
    name = _name_or_400(name, "name")
    clean = _weights_or_400(weights, "weights")
    if department is not None and department.organization_id != org.pk:
        raise Refused(400, f"unknown department {department.pk}", field="department_id")
    profile, _ = PriorityProfile.objects.update_or_create(
        organization=org, name=name,
        defaults={"weights": clean, "department": department,
                  "created_by": user if getattr(user, "is_authenticated", False) else None},
    )
    return profile


def engine_fields(metadata: dict[str, Any]) -> dict[str, Any]:
    """What the engine service takes of a job's chosen priorities: its variants and ``custom_weights``."""
    variants = list(metadata["variants"])
    chosen_ = metadata.get("priorities")
    if not chosen_:
        return {"variants": variants, "custom_weights": {}}
    return {"variants": [*variants, chosen_["name"]], "custom_weights": {chosen_["name"]: chosen_["weights"]}}


def shown(metadata: dict[str, Any]) -> dict[str, Any] | None:
    """A job's chosen priorities for a page: the variant's name and each given criterion's title, weight and
    usual weight; None when the job had none."""
    chosen_ = metadata.get("priorities")
    if not chosen_:
        return None
    given = chosen_.get("weights") or {}
    rows = [{"title": c.title, "weight": given[c.rule.value], "usual": c.default} for c in CRITERIA
            if c.rule.value in given]
    return {"name": chosen_.get("name", CUSTOM_NAME), "rows": rows}

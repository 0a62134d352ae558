"""Who changed what and when: one :class:`ChangeRecord` per change of a record, ``{field: [old, new]}``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from timetabling.web.academics import models as am


def record_change(org: am.Organization, user: Any, kind: str, obj: Any, action: str,
                  changes: dict[str, list[Any]]) -> am.ChangeRecord | None:
    """Note who changed what; an update that changed nothing is not noted."""
    if action == "updated" and not changes:
        return None
    code = getattr(obj, "code", None) or getattr(obj, "username", "")
    return am.ChangeRecord.objects.create(organization=org, kind=kind, record_id=obj.pk, code=code, action=action,
                                          changes=changes, user=user if getattr(user, "pk", None) else None)


def history(org: am.Organization, kind: str, record_id: int) -> QuerySet[am.ChangeRecord]:
    return am.ChangeRecord.objects.filter(organization=org, kind=kind, record_id=record_id).select_related("user")

"""A cheap fingerprint of an organization's academic data, so that what is computed from it (the engine instance
of a draft, "what this breaks" on the dashboard) is kept until the data changes.

The fingerprint combines a counter bumped on every single save or delete of academic data (the admin, the
pages, the API: Django's signals, shared by all processes through Django's cache) with the row count and
largest id of each table (bulk imports and deletes, which send no signals)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max
from django.db.models.signals import m2m_changed, post_delete, post_save

from timetabling.web.academics import models as am

TABLES = (am.TimeGridConfig, am.School, am.Department, am.Program, am.Batch, am.Room, am.Faculty, am.Course,
          am.Student)
COUNTER = "timetabling:data-version:{}"


def fingerprint(org: am.Organization) -> str:
    """Changes whenever the organization's academic data (or its rules) changes."""
    parts: list[Any] = [cache.get(COUNTER.format(org.pk), 0), org.rules]
    for model in TABLES:
        parts.append(model.objects.filter(organization=org).aggregate(n=Count("pk"), last=Max("pk")))
    parts.append(am.ElectiveChoice.objects.filter(student__organization=org).aggregate(n=Count("pk"),
                                                                                       last=Max("pk")))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def bump(org_id: int | None) -> None:
    if org_id is None:
        return
    key = COUNTER.format(org_id)
    cache.add(key, 0, timeout=None)
    try:
        cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=None)


def _org_id(instance: Any) -> int | None:
    if isinstance(instance, am.Organization):
        return instance.pk
    if isinstance(instance, am.ElectiveChoice):
        return am.Student.objects.filter(pk=instance.student_id).values_list("organization_id", flat=True).first()
    return getattr(instance, "organization_id", None)


def _changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    if sender in TABLES or sender in (am.ElectiveChoice, am.Organization):
        bump(_org_id(instance))


def _links_changed(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    if action.startswith("post_"):
        bump(_org_id(instance))


def connect() -> None:
    post_save.connect(_changed, dispatch_uid="timetabling-data-saved")
    post_delete.connect(_changed, dispatch_uid="timetabling-data-deleted")
    for through in (am.Course.faculty.through, am.Course.batches.through):
        m2m_changed.connect(_links_changed, sender=through, dispatch_uid=f"timetabling-links-{through.__name__}")

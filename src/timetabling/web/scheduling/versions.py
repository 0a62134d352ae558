"""Versions of a timetable: drafts copied from another version, publishing within a scope, rollback.

A timetable belongs to (academic year, semester) and covers a scope of departments (``scope``: "all" or sorted
department ids). Edits go only to drafts; publishing one archives the published version of the same scope and
no other, so that a run for one department leaves every other department's published timetable in place.
Re-publishing an archived version (rollback) publishes exactly its slots."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from timetabling.web.academics import models as am
from timetabling.web.notifications import events as notify
from timetabling.web.scheduling.errors import Refused
from timetabling.web.scheduling.models import Timetable, TimetableReport, TimetableSlot, TimetableStatus

ALL = "all"
COPIED_COLUMNS = ("day", "period", "start_time", "end_time", "course_id", "session", "faculty_id", "room_id",
                  "batch_id")


def scope_key(department_ids: Iterable[Any] = (), batch_ids: Iterable[Any] = ()) -> str:
    """The canonical scope of a run: "all", "3,7" (departments), or "3;b:12" when batches were chosen too."""
    departments = ",".join(str(i) for i in sorted({int(i) for i in department_ids}))
    batches = ",".join(str(i) for i in sorted({int(i) for i in batch_ids}))
    if not departments and not batches:
        return ALL
    return departments + (f";b:{batches}" if batches else "")


def scope_label(timetable: Timetable) -> str:
    """The scope in words: "all departments" or the department codes."""
    if timetable.scope == ALL:
        return "all departments"
    ids = [int(i) for i in timetable.scope.split(";")[0].split(",") if i]
    codes = sorted(am.Department.objects.filter(pk__in=ids).values_list("code", flat=True))
    batches = ";" in timetable.scope
    return ("departments " + ", ".join(codes) if codes else "") + (" (some batches)" if batches else "")


def same_scope(timetable: Timetable) -> Q:
    return Q(organization_id=timetable.organization_id, academic_year=timetable.academic_year,
             semester=timetable.semester, scope=timetable.scope)


def archive_scope(timetable: Timetable) -> int:
    """Archive the published version of the timetable's scope (not this one); returns how many were archived."""
    return Timetable.objects.filter(same_scope(timetable), status=TimetableStatus.PUBLISHED).exclude(
        pk=timetable.pk).update(status=TimetableStatus.ARCHIVED, is_active=False)


def publish(timetable: Timetable, user: Any) -> Timetable:
    """Publish a draft, or re-publish an archived version (rollback): the scope's published one is archived.
    409 when it is already published or another publication got in first."""
    if timetable.status == TimetableStatus.PUBLISHED:
        raise Refused(409, f"timetable {timetable.pk} is already published", field="timetable_id")
    try:
        with transaction.atomic():
            am.Organization.objects.select_for_update().get(pk=timetable.organization_id)
            previous = notify.published_before(timetable)
            archive_scope(timetable)
            Timetable.objects.filter(pk=timetable.pk).update(status=TimetableStatus.PUBLISHED, is_active=True)
            notify.timetable_published(timetable, previous)  # the people whose sessions changed are told
    except IntegrityError:
        raise Refused(409, "another timetable of this scope was published at the same moment; reload and try "
                       "again", field="timetable_id") from None
    timetable.refresh_from_db()
    by = getattr(user, "username", "")
    history = list(timetable.metrics.get("published_history", []))[-20:]
    timetable.metrics = {**timetable.metrics,
                         "published_history": [*history, {"by": by, "at": timezone.now().isoformat()}]}
    timetable.save(update_fields=["metrics"])
    return timetable


def create_draft(source: Timetable, user: Any, name: str | None = None) -> Timetable:
    """A new draft version with exactly the source's slots and locks; the source is kept as it is."""
    with transaction.atomic():
        draft = Timetable.objects.create(
            organization=source.organization, name=(name or f"{source.name} (draft)")[:200],
            academic_year=source.academic_year, semester=source.semester, generation_job=source.generation_job,
            score=source.score, metrics={k: v for k, v in source.metrics.items() if k != "published_history"},
            parent=source, scope=source.scope, locks=list(source.locks),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        copy_slots(source, draft)
        report = TimetableReport.objects.filter(timetable=source).first()
        if report is not None and report.slots_version == source.slots_version:  # the same slots: the same report
            report.pk, report.timetable, report.slots_version = None, draft, draft.slots_version
            report.timetable_id = draft.pk
            report.save(force_insert=True)
    return draft


def copy_slots(source: Timetable, target: Timetable) -> None:
    """Every slot row of ``source`` into ``target``, in one statement."""
    table = connection.ops.quote_name(TimetableSlot._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in COPIED_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (timetable_id, {columns}) SELECT %s, {columns} FROM {table} "
                       f"WHERE timetable_id = %s ORDER BY id", [target.pk, source.pk])


def published_for(org: am.Organization, owner_slots: Q | None = None) -> Timetable | None:
    """The published timetable to show: with ``owner_slots`` (``owner_q``), the newest published version that
    holds the owner's sessions (each scope has its own); else, or when none does, the newest published one."""
    published = Timetable.objects.filter(organization=org, status=TimetableStatus.PUBLISHED).select_related(
        "generation_job")
    if owner_slots is not None:
        ids = list(published.values_list("pk", flat=True))
        if len(ids) > 1:
            hit = (TimetableSlot.objects.filter(owner_slots, timetable_id__in=ids)
                   .order_by("-timetable_id").values_list("timetable_id", flat=True).first())
            if hit is not None:
                return published.get(pk=hit)
    return published.first()


def diff_of(a: Timetable, b: Timetable) -> dict[str, Any]:
    """The engine's diff from version ``a`` to version ``b``: per session old -> new, and per batch, faculty
    member and student how many of their sessions changed."""
    from timetabling.engine.errors import InputError
    from timetabling.engine.repair import diff
    from timetabling.web.scheduling import reports

    try:
        instance = reports.instance_of(b)
    except (InputError, ValueError) as err:
        raise Refused(400, f"the academic data cannot be read as a timetable problem: {err}") from None
    changes = diff(instance, reports.solution_of(a), reports.solution_of(b))
    return {"from": version_json(a), "to": version_json(b), **changes.to_dict(instance)}


def version_json(t: Timetable) -> dict[str, Any]:
    return {"id": t.pk, "name": t.name, "status": t.status, "academic_year": t.academic_year,
            "semester": t.semester, "scope": t.scope, "parent_id": t.parent_id, "slots_version": t.slots_version,
            "created_at": t.created_at.isoformat(), "created_by": t.created_by.username if t.created_by else None}


def lineage(t: Timetable) -> list[Timetable]:
    """The versions of the timetable's scope in this academic year and semester, newest first."""
    return list(Timetable.objects.filter(same_scope(t)).select_related("created_by").order_by("-created_at", "-id")
                [:100])

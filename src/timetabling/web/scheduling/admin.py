"""Jobs, timetables and slots in the admin. What the workflow decides is read-only here: a job's status and
progress (the engine reports them), a timetable's status (only approval publishes, see ``services.approve``),
and a published timetable with its slots (no change, no delete), for superusers too."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey
from django.http import HttpRequest

from timetabling.web.academics.admin_base import OrgScopedAdmin, organization_of
from timetabling.web.scheduling.models import FINAL_STATUSES, GenerationJob, Timetable, TimetableSlot, TimetableStatus


@admin.register(GenerationJob)
class GenerationJobAdmin(OrgScopedAdmin):
    """View-only: a job starts from the generation page or the API; only a finished one may be deleted."""

    list_display = ("id", "academic_year", "semester", "status", "progress", "created_by", "created_at")
    list_filter = ("status",)
    search_fields = ("academic_year",)
    readonly_fields = ("created_at", "completed_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        running = obj is not None and obj.status not in FINAL_STATUSES
        return super().has_delete_permission(request, obj) and not running


def _published(timetable: Timetable | None) -> bool:
    return timetable is not None and timetable.status == TimetableStatus.PUBLISHED


@admin.register(Timetable)
class TimetableAdmin(OrgScopedAdmin):
    list_display = ("name", "academic_year", "semester", "status", "is_active", "score", "created_at")
    list_filter = ("status",)
    search_fields = ("name",)
    # the workflow's own fields: versions, scope and locks change through drafts, edits and approval
    readonly_fields = ("status", "is_active", "generation_job", "score", "metrics", "created_at", "parent",
                       "created_by", "scope", "locks", "slots_version")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and not _published(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not _published(obj)


@admin.register(TimetableSlot)
class TimetableSlotAdmin(OrgScopedAdmin):
    org_path = "timetable__organization"
    list_display = ("timetable", "day", "start_time", "end_time", "course", "faculty", "room", "batch")
    search_fields = ("course__code",)
    raw_id_fields = ("timetable", "course", "faculty", "room", "batch")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and not _published(obj and obj.timetable)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not _published(obj and obj.timetable)

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "timetable":  # no slot is added to, or moved into, a published timetable
            drafts = Timetable.objects.exclude(status=TimetableStatus.PUBLISHED)
            kwargs["queryset"] = drafts if request.user.is_superuser else drafts.filter(
                organization=organization_of(request))
            return super(OrgScopedAdmin, self).formfield_for_foreignkey(db_field, request, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

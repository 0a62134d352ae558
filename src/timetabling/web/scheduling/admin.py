from __future__ import annotations

from django.contrib import admin

from timetabling.web.academics.admin_base import OrgScopedAdmin
from timetabling.web.scheduling.models import GenerationJob, Timetable, TimetableSlot


@admin.register(GenerationJob)
class GenerationJobAdmin(OrgScopedAdmin):
    list_display = ("id", "academic_year", "semester", "status", "progress", "created_by", "created_at")
    list_filter = ("status",)
    search_fields = ("academic_year",)
    readonly_fields = ("created_at", "completed_at")


@admin.register(Timetable)
class TimetableAdmin(OrgScopedAdmin):
    list_display = ("name", "academic_year", "semester", "status", "is_active", "score", "created_at")
    list_filter = ("status",)
    search_fields = ("name",)


@admin.register(TimetableSlot)
class TimetableSlotAdmin(OrgScopedAdmin):
    org_path = "timetable__organization"
    list_display = ("timetable", "day", "start_time", "end_time", "course", "faculty", "room", "batch")
    search_fields = ("course__code",)
    raw_id_fields = ("timetable", "course", "faculty", "room", "batch")

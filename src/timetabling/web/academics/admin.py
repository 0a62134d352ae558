from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from timetabling.web.academics import models as am
from timetabling.web.academics.admin_base import OrgScopedAdmin, organization_of


@admin.register(am.Organization)
class OrganizationAdmin(OrgScopedAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = admin.ModelAdmin.get_queryset(self, request)
        return qs if request.user.is_superuser else qs.filter(pk=getattr(organization_of(request), "pk", None))

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        return ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        admin.ModelAdmin.save_model(self, request, obj, form, change)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser  # a new tenant is made by the operator

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(am.TimeGridConfig)
class TimeGridConfigAdmin(OrgScopedAdmin):
    list_display = ("organization", "periods_per_day", "start_time", "period_minutes", "lunch_after_period")
    search_fields = ()


@admin.register(am.School)
class SchoolAdmin(OrgScopedAdmin):
    list_display = ("code", "name")


@admin.register(am.Department)
class DepartmentAdmin(OrgScopedAdmin):
    list_display = ("code", "name", "school")


@admin.register(am.Program)
class ProgramAdmin(OrgScopedAdmin):
    list_display = ("code", "name", "department", "level")


@admin.register(am.Batch)
class BatchAdmin(OrgScopedAdmin):
    list_display = ("code", "name", "department", "year", "section", "size")


@admin.register(am.Room)
class RoomAdmin(OrgScopedAdmin):
    list_display = ("code", "name", "room_type", "capacity", "building")
    list_filter = ("room_type",)


@admin.register(am.Faculty)
class FacultyAdmin(OrgScopedAdmin):
    list_display = ("code", "name", "department", "max_hours_per_week")


@admin.register(am.Course)
class CourseAdmin(OrgScopedAdmin):
    list_display = ("code", "name", "department", "kind", "credits", "sessions_per_week", "session_length")
    list_filter = ("kind",)
    filter_horizontal = ("faculty", "batches")


@admin.register(am.Student)
class StudentAdmin(OrgScopedAdmin):
    list_display = ("code", "name", "batch")


@admin.register(am.ElectiveChoice)
class ElectiveChoiceAdmin(OrgScopedAdmin):
    org_path = "student__organization"
    list_display = ("student", "course", "created_at")
    search_fields = ("student__code", "course__code")

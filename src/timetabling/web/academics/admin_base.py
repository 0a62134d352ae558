"""Admin scoped to the signed-in user's organization: lists, choices and saves never cross it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey, ManyToManyField, QuerySet
from django.http import HttpRequest

from timetabling.web.accounts.models import CAN_EDIT_DATA, Membership, Role


def organization_of(request: HttpRequest) -> Any:
    membership = Membership.objects.select_related("organization").filter(user_id=request.user.pk).first()
    return membership.organization if membership else None


def _has_role(request: HttpRequest, roles: frozenset[str]) -> bool:
    if request.user.is_superuser:
        return True
    membership = Membership.objects.filter(user_id=request.user.pk).first()
    return bool(request.user.is_active and request.user.is_staff and membership and membership.role in roles)


def _may_edit(request: HttpRequest) -> bool:
    return _has_role(request, CAN_EDIT_DATA)


def is_org_admin(request: HttpRequest) -> bool:
    """A superuser, or a staff member whose role is organization admin: who may manage members and roles."""
    return _has_role(request, frozenset({Role.ORG_ADMIN}))


class OrgScopedAdmin(admin.ModelAdmin):
    """For models with an ``organization`` (or a path to one in ``org_path``)."""

    org_path = "organization"
    search_fields = ("code", "name")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        org = organization_of(request)
        return qs.filter(**{self.org_path: org}) if org else qs.none()

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        excluded = list(super().get_exclude(request, obj) or ())
        if not request.user.is_superuser and self.org_path == "organization":
            excluded.append("organization")
        return excluded

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not request.user.is_superuser and self.org_path == "organization":
            obj.organization = organization_of(request)
        super().save_model(request, obj, form, change)

    def _limit(self, db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> None:
        if request.user.is_superuser:
            return
        model = db_field.related_model
        org = organization_of(request)
        if any(f.name == "organization" for f in model._meta.fields):
            kwargs["queryset"] = model._default_manager.filter(organization=org)
        elif model._meta.label_lower == "auth.user":  # only the organization's own people, never anyone else
            kwargs["queryset"] = model._default_manager.filter(membership__organization=org)

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any) -> Any:
        self._limit(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: ManyToManyField, request: HttpRequest, **kwargs: Any) -> Any:
        self._limit(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    # permissions come from the role, not from Django's per-model permissions
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_edit(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _may_edit(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_edit(request)

"""Members, roles and API tokens: only an organization admin manages them, and only in its own organization.

A scheduler or an approver cannot open them at all (so cannot make itself organization admin); an admin cannot
change or remove its own membership (an organization keeps its admin); a new member is a new account of the
admin's organization, never someone else's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model, password_validation
from django.http import HttpRequest

from timetabling.web.academics.admin_base import OrgScopedAdmin, is_org_admin
from timetabling.web.accounts.models import CAN_EDIT_DATA, ApiToken, Membership


class NewMemberForm(forms.ModelForm):
    """An organization admin adds a member by making its account: a username, a password and a role."""

    username = forms.CharField(max_length=150)
    password1 = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput,
                                help_text=password_validation.password_validators_help_text_html())
    password2 = forms.CharField(label="Password again", strip=False, widget=forms.PasswordInput)

    class Meta:
        model = Membership
        fields = ("username", "password1", "password2", "role")

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("an account with this username exists already")
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        password = data.get("password1")
        if password and password != data.get("password2"):
            self.add_error("password2", "the two passwords differ")
        elif password:
            try:
                password_validation.validate_password(password, get_user_model()(username=data.get("username")))
            except forms.ValidationError as err:
                self.add_error("password1", err)
        return data

    def create_user(self, role: str) -> Any:
        return get_user_model().objects.create_user(
            self.cleaned_data["username"], password=self.cleaned_data["password1"], is_staff=role in CAN_EDIT_DATA
        )


class OrgAdminOnly(OrgScopedAdmin):
    """Open to organization admins (and superusers) only, whatever Django's per-model permissions say."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_org_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_org_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_org_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_org_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_org_admin(request)


@admin.register(Membership)
class MembershipAdmin(OrgAdminOnly):
    list_display = ("user", "organization", "role")
    list_filter = ("role",)
    search_fields = ("user__username",)

    def _is_own(self, request: HttpRequest, obj: Any) -> bool:
        return obj is not None and obj.user_id == request.user.pk and not request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and not self._is_own(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not self._is_own(request, obj)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None and not request.user.is_superuser:
            kwargs["form"] = NewMemberForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        # a membership moves to no other account: remove it and add the other one instead
        return (*fields, "user") if obj is not None and not request.user.is_superuser else fields

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        if isinstance(form, NewMemberForm):
            obj.user = form.create_user(obj.role)
        elif not obj.user.is_superuser and obj.user.is_staff != (obj.role in CAN_EDIT_DATA):
            obj.user.is_staff = obj.role in CAN_EDIT_DATA  # the admin follows the role
            obj.user.save(update_fields=["is_staff"])
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(OrgAdminOnly):
    """Tokens of the organization's members; the token is shown once, when it is made. Delete one to revoke it."""

    org_path = "user__membership__organization"
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "expires_at")
    search_fields = ("name", "user__username")
    readonly_fields = ("prefix", "created_at", "last_used_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, "user") if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        token = obj.assign_new_token() if not change else None
        super().save_model(request, obj, form, change)
        if token:
            messages.warning(request, f"The API token '{obj.name}' for {obj.user}: {token} — copy it now, it is "
                                      "not shown again. Send it as: Authorization: Bearer <token>")

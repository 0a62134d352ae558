from __future__ import annotations

from django.contrib import admin

from timetabling.web.academics.admin_base import OrgScopedAdmin
from timetabling.web.accounts.models import Membership


@admin.register(Membership)
class MembershipAdmin(OrgScopedAdmin):
    list_display = ("user", "organization", "role")
    list_filter = ("role",)
    search_fields = ("user__username",)

"""Queued e-mails in the admin: what was sent, what waits, how often it failed and why; "send now" retries."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone

from timetabling.web.notifications import outbox
from timetabling.web.notifications.models import ChangeNotice, MailStatus, Notification, OutgoingMail


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """Superusers only (the default permissions): the queue holds every organization's mail."""

    list_display = ("subject", "to", "status", "attempts", "next_attempt", "last_error", "created_at", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("to", "subject")
    readonly_fields = ("to", "subject", "body", "kind", "status", "attempts", "last_error", "next_attempt",
                       "created_at", "sent_at")
    actions = ("send_now",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Send the selected pending e-mails now")
    def send_now(self, request: HttpRequest, queryset: Any) -> None:
        queryset.filter(status=MailStatus.PENDING).update(next_attempt=timezone.now())
        sent, failed = outbox.send_due()
        self.message_user(request, f"{sent} sent, {failed} failed (kept for the next try)",
                          messages.SUCCESS if not failed else messages.WARNING)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "user", "kind", "created_at", "read_at")
    list_filter = ("kind",)
    search_fields = ("title", "user__username")
    raw_id_fields = ("user",)


@admin.register(ChangeNotice)
class ChangeNoticeAdmin(admin.ModelAdmin):
    list_display = ("timetable", "previous", "created_at", "done_at", "attempts", "error")
    raw_id_fields = ("timetable", "previous")

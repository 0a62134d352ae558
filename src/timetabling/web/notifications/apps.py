from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "timetabling.web.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # a web process sends the mail left queued by an earlier process (a restart, a mail server that was down)
        from django.core.signals import request_started

        from timetabling.web.notifications.outbox import RESUME_UID, resume_on_first_request

        request_started.connect(resume_on_first_request, dispatch_uid=RESUME_UID)

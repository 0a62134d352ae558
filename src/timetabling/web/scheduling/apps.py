from __future__ import annotations

from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "timetabling.web.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        # only a process that serves requests offers waiting jobs to the engine in the background; management
        # commands and imports never start the thread
        from django.core.signals import request_started

        from timetabling.web.scheduling.retry import RESUME_UID, resume_on_first_request

        request_started.connect(resume_on_first_request, dispatch_uid=RESUME_UID)

        from timetabling.web.scheduling import datachange

        datachange.connect()  # academic data changed: cached instances and "what this breaks" are recomputed

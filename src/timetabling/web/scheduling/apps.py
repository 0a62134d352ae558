from __future__ import annotations

from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "timetabling.web.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

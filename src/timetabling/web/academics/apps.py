from __future__ import annotations

from django.apps import AppConfig


class AcademicsConfig(AppConfig):
    name = "timetabling.web.academics"
    label = "academics"
    verbose_name = "Academic data"

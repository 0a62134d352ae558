"""ASGI entry point: ``timetabling.web.asgi:application`` (``timetable serve`` runs it under uvicorn)."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "timetabling.web.settings")
application = get_asgi_application()

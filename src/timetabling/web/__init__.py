"""The Django project (layer 3): academic data, users and roles, generation jobs, the public JSON API."""

from __future__ import annotations

import os

SETTINGS_MODULE = "timetabling.web.settings"


def setup(**overrides: str) -> None:
    """Configure and start Django for this project (for the CLI and scripts); env overrides first."""
    for key, value in overrides.items():
        os.environ[key] = value
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    import django

    django.setup()

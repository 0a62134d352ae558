"""Django settings. Everything a deployment changes comes from the environment:

- ``DATABASE_URL``: empty -> SQLite file ``TIMETABLE_DATA_DIR/timetable.sqlite3``; ``postgres://...`` -> PostgreSQL
- ``DJANGO_SECRET_KEY``, ``TIMETABLE_ENGINE_SECRET``: required outside development (``DJANGO_DEBUG=0``)
- ``TIMETABLE_ENGINE_URL``: the FastAPI engine service (default ``http://127.0.0.1:8001``)
- ``TIMETABLE_MAX_CONCURRENT_JOBS``: generation jobs one organization may run at once (default 2)
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from timetabling.service.signing import DEVELOPMENT_SECRET  # refused below outside development
from timetabling.web.dburl import parse_database_url


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default



DEBUG = _env_bool("DJANGO_DEBUG", True)
DATA_DIR = Path(os.environ.get("TIMETABLE_DATA_DIR", Path.cwd() / "var")).resolve()

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEVELOPMENT_SECRET)
ENGINE_SHARED_SECRET = os.environ.get("TIMETABLE_ENGINE_SECRET", DEVELOPMENT_SECRET)
if not DEBUG:
    for name, value in (("DJANGO_SECRET_KEY", SECRET_KEY), ("TIMETABLE_ENGINE_SECRET", ENGINE_SHARED_SECRET)):
        if value == DEVELOPMENT_SECRET:
            raise ImproperlyConfigured(f"{name} must be set when DJANGO_DEBUG is off")

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
                 .split(",") if h.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "timetabling.web.accounts",
    "timetabling.web.academics",
    "timetabling.web.scheduling",
    "timetabling.web.pages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "timetabling.web.api.errors.JsonErrorMiddleware",
]

ROOT_URLCONF = "timetabling.web.urls"
WSGI_APPLICATION = "timetabling.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": parse_database_url(os.environ.get("DATABASE_URL", ""), DATA_DIR / "timetable.sqlite3")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20  # the engine callback and pages write at once

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIMETABLE_TIME_ZONE", "Asia/Kolkata")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
LOGIN_URL = "/admin/login/"

# the engine service and the generation workflow
ENGINE_URL = os.environ.get("TIMETABLE_ENGINE_URL", "http://127.0.0.1:8001").rstrip("/")
ENGINE_CLIENT = os.environ.get("TIMETABLE_ENGINE_CLIENT", "timetabling.web.scheduling.engine_client.HttpEngineClient")
MAX_CONCURRENT_JOBS = _env_int("TIMETABLE_MAX_CONCURRENT_JOBS", 2)
GENERATION_TIME_LIMIT = float(os.environ.get("TIMETABLE_TIME_LIMIT", "60"))
GENERATION_VARIANTS = tuple(
    v.strip() for v in os.environ.get("TIMETABLE_VARIANTS", "Balanced,Faculty-focused,Compactness-focused").split(",")
    if v.strip()
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TIMETABLE_LOG_LEVEL", "WARNING")},
}

"""Django settings. Everything a deployment changes comes from the environment:

- ``DATABASE_URL``: empty -> SQLite file ``TIMETABLE_DATA_DIR/timetable.sqlite3``; ``postgres://...`` -> PostgreSQL
- ``DJANGO_DEBUG``: off unless ``1`` (``timetable serve --dev``); never on a machine others can reach
- ``DJANGO_SECRET_KEY``, ``TIMETABLE_ENGINE_SECRET``: unset -> a random secret made once in the data folder
  (``secret_key``, ``engine_secret``); a deployment sets both, the engine secret to the engine's value
- ``DJANGO_ALLOWED_HOSTS``: the names the site answers to (comma-separated)
- ``TIMETABLE_HTTPS=1``: served over HTTPS by a proxy that sets ``X-Forwarded-Proto``: secure cookies, HSTS,
  redirect to HTTPS (``TIMETABLE_HSTS_SECONDS``, ``TIMETABLE_HSTS_PRELOAD``)
- ``TIMETABLE_ENGINE_URL``: the FastAPI engine service (default ``http://127.0.0.1:8001``)
- ``TIMETABLE_MAX_CONCURRENT_JOBS``: generation jobs one organization may run at once (default 2)
- ``TIMETABLE_MAX_TIME_LIMIT``: the longest time limit one generation may ask for, in seconds (default 1800;
  the engine service refuses longer ones too)
- ``TIMETABLE_EMAIL_HOST``, ``_PORT`` (25), ``_USE_TLS``, ``_USER``, ``_PASSWORD``, ``_FROM``: the SMTP server that
  sends notification e-mails; no host -> the console backend (e-mails go to the web process's standard output)
- ``TIMETABLE_SITE_URL``: the site's address, for links in e-mails (e.g. ``https://timetable.example.edu``)
"""

from __future__ import annotations

import os
import warnings
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from timetabling.service.limits import default_time_limit, max_time_limit
from timetabling.service.secret_file import ENGINE_SECRET_FILE, SECRET_KEY_FILE, data_dir, is_loopback, stored_secret
from timetabling.service.signing import DEVELOPMENT_SECRET  # refused below outside development
from timetabling.web.dburl import parse_database_url
from timetabling.web.security import build_policy, websocket_origin


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default



DEBUG = _env_bool("DJANGO_DEBUG", False)  # on only for development: error pages show code and settings
DATA_DIR = data_dir()

# secrets: the environment's, else one made once in the data folder (never the public development value)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or stored_secret(DATA_DIR / SECRET_KEY_FILE)
ENGINE_SHARED_SECRET = os.environ.get("TIMETABLE_ENGINE_SECRET") or stored_secret(DATA_DIR / ENGINE_SECRET_FILE)
if not DEBUG:
    for name, value in (("DJANGO_SECRET_KEY", SECRET_KEY), ("TIMETABLE_ENGINE_SECRET", ENGINE_SHARED_SECRET)):
        if value == DEVELOPMENT_SECRET:
            raise ImproperlyConfigured(f"{name} is the public development value: set a secret of your own")
    _engine_host = urlsplit(os.environ.get("TIMETABLE_ENGINE_URL", "http://127.0.0.1")).hostname or ""
    if not os.environ.get("TIMETABLE_ENGINE_SECRET") and not is_loopback(_engine_host):
        # a secret of this machine's data folder cannot match the engine's on another machine
        raise ImproperlyConfigured(f"TIMETABLE_ENGINE_SECRET must be set (the engine service's value) when the "
                                   f"engine runs on another machine ({_engine_host})")

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
                 .split(",") if h.strip()]
# origins (scheme://host[:port]) a proxy serves the site from, when they differ from the Host header it passes
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

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
    "timetabling.web.notifications",
    "axes",  # login throttling (issue 13); its tables hold the failed sign-ins
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "timetabling.web.limits.BodyLimitMiddleware",  # 413 for a body over its endpoint's limit, before it is read
    "timetabling.web.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, with DEBUG off too
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "timetabling.web.api.errors.JsonErrorMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a throttled sign-in into the 429 of accounts.throttling; last
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
                "timetabling.web.notifications.context.unread",
            ],
        },
    },
]

DATABASES = {"default": parse_database_url(os.environ.get("DATABASE_URL", ""), DATA_DIR / "timetable.sqlite3")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20  # the engine callback and pages write at once
elif _env_int("TIMETABLE_DB_POOL_SIZE", 0) > 0:
    # PostgreSQL connections from a pool (psycopg_pool) instead of one per request. Not CONN_MAX_AGE: under
    # ASGI every request runs in a thread of its own, and persistent connections would pile up until the
    # server refuses more (seen in timetabling.bench.load: 706 of 1,067 requests answered 500)
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1, "max_size": _env_int("TIMETABLE_DB_POOL_SIZE", 0), "timeout": 10}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in ("UserAttributeSimilarityValidator", "MinimumLengthValidator", "CommonPasswordValidator",
                 "NumericPasswordValidator")
]

# login throttling (django-axes): per account and per address, on every sign-in that goes through
# ``authenticate(request=...)`` (the API, the pages and the admin). The failures are kept in the database,
# not in the cache: the default cache is per process, and a server with several workers (or a restart)
# would otherwise multiply the allowance. See accounts/throttling.py for the message.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a throttled sign-in before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one: an account, or an address, is throttled
AXES_FAILURE_LIMIT = _env_int("TIMETABLE_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(seconds=_env_int("TIMETABLE_LOGIN_COOLOFF_SECONDS", 600))
AXES_LOCKOUT_CALLABLE = "timetabling.web.accounts.throttling.too_many_failures"
AXES_DISABLE_ACCESS_LOG = True  # only the failures are recorded, not every sign-in
AXES_RESET_ON_SUCCESS = False  # one good sign-in from an address must not wipe the failures against others

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIMETABLE_TIME_ZONE", "Asia/Kolkata")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"  # for collectstatic; without it the files are served from the apps
WHITENOISE_USE_FINDERS = True
warnings.filterwarnings("ignore", message="No directory at: ")  # WhiteNoise, before any collectstatic: fine
# WhiteNoise hands Django file iterators; under ASGI Django reads them in a thread, which is what it warns about
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous iterators")
LOGIN_URL = "/signin/"  # the pages' sign-in; the Django admin keeps its own

# the engine service and the generation workflow
ENGINE_URL = os.environ.get("TIMETABLE_ENGINE_URL", "http://127.0.0.1:8001").rstrip("/")
ENGINE_CLIENT = os.environ.get("TIMETABLE_ENGINE_CLIENT", "timetabling.web.scheduling.engine_client.HttpEngineClient")
MAX_CONCURRENT_JOBS = _env_int("TIMETABLE_MAX_CONCURRENT_JOBS", 2)
GENERATION_TIME_LIMIT = default_time_limit()  # TIMETABLE_TIME_LIMIT (service.limits: one definition everywhere)
MAX_TIME_LIMIT = max_time_limit()  # TIMETABLE_MAX_TIME_LIMIT
GENERATION_VARIANTS = tuple(
    v.strip() for v in os.environ.get("TIMETABLE_VARIANTS", "Balanced,Faculty-focused,Compactness-focused").split(",")
    if v.strip()
)

# notification e-mails: queued and sent by a worker (notifications.outbox), never inside a request or a job
EMAIL_HOST = os.environ.get("TIMETABLE_EMAIL_HOST", "").strip()
EMAIL_BACKEND = ("django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
                 else "django.core.mail.backends.console.EmailBackend")
EMAIL_PORT = _env_int("TIMETABLE_EMAIL_PORT", 25)
EMAIL_USE_TLS = _env_bool("TIMETABLE_EMAIL_USE_TLS", False)
EMAIL_HOST_USER = os.environ.get("TIMETABLE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("TIMETABLE_EMAIL_PASSWORD", "")
EMAIL_TIMEOUT = 20  # a mail server that hangs holds the worker this long, then the e-mail waits for its next try
DEFAULT_FROM_EMAIL = os.environ.get("TIMETABLE_EMAIL_FROM", "timetable@localhost")
SITE_URL = os.environ.get("TIMETABLE_SITE_URL", "").rstrip("/")

# security headers; over HTTPS (TLS ends at a proxy that sets X-Forwarded-Proto) secure cookies and HSTS
HTTPS = _env_bool("TIMETABLE_HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^api/health/$", r"^api/academics/timetable/fastapi_callback/$"]  # machines, not people
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = _env_int("TIMETABLE_HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS and _env_bool("TIMETABLE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]  # joining the preload list is the
# operator's choice (hard to undo): preload only with TIMETABLE_HSTS_PRELOAD=1
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
_engine_websocket = websocket_origin(os.environ.get("TIMETABLE_ENGINE_PUBLIC_URL", ENGINE_URL))
CONTENT_SECURITY_POLICY = build_policy([_engine_websocket] if _engine_websocket else [])  # the status page's

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_traceback": {"()": "timetabling.web.security.DropTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"},
                 "short": {"class": "logging.StreamHandler", "filters": ["no_traceback"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("TIMETABLE_LOG_LEVEL", "WARNING")},
    "loggers": {  # a scanner's bad Host header is one line in the log, not a traceback
        "django.security.DisallowedHost": {"handlers": ["short"], "level": "WARNING", "propagate": False},
    },
}

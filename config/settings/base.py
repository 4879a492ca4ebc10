"""Settings shared by every environment.

All configuration is read from the environment here, in one place (ARCHITECTURE house style 14);
`local`, `test` and `production` only adjust. Every variable read below is listed in `.env.example`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A developer's `.env` is honoured; the process environment always wins over it.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-dev-key-change-me-in-production")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "accounts",
    "places",
    "water",
    "patrols",
    "reuse",
    "quality",
    "notify",
    "oversight",
    "reports",
    "ogc",
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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

# --- Database ---------------------------------------------------------------------------------
# DATABASE_URL: spatialite:///abs/path.sqlite3 (embedded default) or postgis://user:pass@host:port/db.
DEFAULT_DATABASE_URL = f"spatialite:///{BASE_DIR / 'var' / 'hezhang.sqlite3'}"
DATABASES = {"default": env.db_url("DATABASE_URL", default=DEFAULT_DATABASE_URL)}
DB_ENGINE = DATABASES["default"]["ENGINE"]
IS_SPATIALITE = DB_ENGINE.endswith("spatialite")

if IS_SPATIALITE:
    if not hasattr(sqlite3.Connection, "enable_load_extension"):
        # stack-notes trap 1: a pyenv-built Python has no extension loading, so SpatiaLite cannot load.
        raise ImproperlyConfigured(
            "This Python's sqlite3 cannot load extensions, so SpatiaLite cannot work. "
            "Build .venv from Debian's /usr/bin/python3 (make run does), or use DATABASE_URL=postgis://…"
        )
    # WAL + synchronous=NORMAL + IMMEDIATE transactions: measured at 1,763 vs 239 POST/s (stack-notes).
    # NORMAL may lose the last commits on power loss; production runs PostGIS, not this file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    )
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

SPATIALITE_LIBRARY_PATH = env("SPATIALITE_LIBRARY_PATH", default="mod_spatialite")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Lifetime of tokens issued by POST /api/v1/auth/token/ (phones work offline for days, so weeks not hours).
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)
# Seconds a checked token is remembered per process (accounts.authentication._TokenCache): a revoked
# token or disabled account may work that long in other processes. 0 turns the cache off.
API_TOKEN_CACHE_SECONDS = env.int("API_TOKEN_CACHE_SECONDS", default=30)

# --- I18N and time ---------------------------------------------------------------------------
# domain.md §6: reports and RTU clocks use Beijing time. Asia/Urumqi is UTC+6 in current tzdata, so
# it must not be used here. Storage is UTC (USE_TZ).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "var" / "static"))
MEDIA_ROOT = env("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Request bodies: Django's 2.5 MB default refuses ~80,000 readings in one batch (stack-notes). Raised on
# purpose; a larger body gets 413 with the error shape.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("API_MAX_BODY_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Cache ------------------------------------------------------------------------------------------
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://hezhang")}

# --- REST framework --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.RolePermission"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"login": env("LOGIN_THROTTLE_RATE", default="20/min")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
    # `?format=` is the API's own parameter (exports: csv|xlsx, reports: json|xlsx|pdf), not DRF's
    # renderer override, which would answer 404 for a format that has no renderer.
    "URL_FORMAT_OVERRIDE": None,
    # How many reverse proxies sit in front (their X-Forwarded-For entries are trusted for throttling);
    # 0 = none, so a client cannot dodge the login throttle by sending its own X-Forwarded-For.
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Hezhang (河长) API",
    "DESCRIPTION": "Water resources, river-chief patrols, reclaimed water, water quality and reports.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Two choice sets share the field name "protocol": a meter's reporting protocol and the codec
    # family a telemetry station was read with.
    "ENUM_NAME_OVERRIDES": {
        "MeterProtocolEnum": "water.choices.Protocol",
        "TelemetryProtocolEnum": "water.choices.TelemetryProtocol",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.add_error_responses",
    ],
}

# --- OGC API – Features (/ogc/) ---------------------------------------------------------------------
# Most features one items page returns; a larger `limit` is served as this many (OGC API – Features lets
# a server clamp). Default 1000, as the REST API's page_size.
OGC_MAX_LIMIT = env.int("OGC_MAX_LIMIT", default=1000)

# --- Console map (一张图) --------------------------------------------------------------------------
# The map's base is the project's own geography, so it works with no internet. A raster tile layer is
# optional: an intranet tile server or 天地图 with the bureau's key, as a Leaflet URL template
# ({z}/{x}/{y}, {s}). Default: none. Tiles must be WGS84 or CGCS2000 (they differ by well under a
# metre at map scale); GCJ-02 tiles (Gaode, Tencent) are offset by hundreds of metres and are
# refused rather than mixed silently with WGS84 features.
CONSOLE_MAP_TILE_URL = env("CONSOLE_MAP_TILE_URL", default="")
CONSOLE_MAP_TILE_ATTRIBUTION = env("CONSOLE_MAP_TILE_ATTRIBUTION", default="")
CONSOLE_MAP_TILE_DATUM = env("CONSOLE_MAP_TILE_DATUM", default="wgs84").lower()
if CONSOLE_MAP_TILE_DATUM not in ("wgs84", "cgcs2000"):
    raise ImproperlyConfigured(
        f"CONSOLE_MAP_TILE_DATUM={CONSOLE_MAP_TILE_DATUM!r}: the map draws WGS84 features, so only wgs84 or "
        "cgcs2000 tiles can be shown under them (GCJ-02 tiles would be offset by hundreds of metres)."
    )

# --- Idempotency --------------------------------------------------------------------------------
# How long a stored first response is replayed for a repeated Idempotency-Key.
IDEMPOTENCY_TTL_HOURS = env.int("IDEMPOTENCY_TTL_HOURS", default=72)

# --- Celery ---------------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="")
# Embedded default: no broker configured → tasks run in-process (eager), so `make run` needs no Redis.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=540)
CELERY_TIMEZONE = TIME_ZONE

# --- Domain rules -----------------------------------------------------------------------------------
# Each app's conf.py holds its rule settings (WATER_*, PATROL_*, REUSE_*, QUALITY_*, REPORTS_*) with their
# defaults and the reason each is a setting (recalled facts, local choices). An environment variable of
# the same name overrides one; its value is read as JSON (numbers, true/false, lists, objects) and
# otherwise as text, and the app's getter converts it (Decimal, int, …). `.env.example` lists them all.
APP_SETTING_PREFIXES = ("WATER_", "PATROL_", "REUSE_", "QUALITY_", "REPORTS_")


def _app_setting(raw: str) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


globals().update({name: _app_setting(raw) for name, raw in os.environ.items() if name.startswith(APP_SETTING_PREFIXES)})

# --- Demo data --------------------------------------------------------------------------------------
DEMO_PASSWORD = env("DEMO_PASSWORD", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

SILENCED_SYSTEM_CHECKS = [
    # gis.W001 warns that GDAL < 3.9 is deprecated; Debian 12 ships GDAL 3.6.2 (stack-notes trap 3),
    # which is what this product runs on until the base image moves to Debian 13.
    "gis.W001",
]

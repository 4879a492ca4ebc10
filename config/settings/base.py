"""Settings shared by every environment.

All configuration is read from the environment here, in one place (ARCHITECTURE house style 14);
`local`, `test` and `production` only adjust. Every variable read below is listed in `.env.example`.
"""

from __future__ import annotations

import datetime as dt
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
    "corsheaders",
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
    # Log-in lock-out by username and client address on every log-in path (issue 14; accounts/lockout.py).
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before CommonMiddleware, as django-cors-headers requires; it only acts on CORS_URLS_REGEX.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # request.htmx for the console's partial answers (filters, paging without a full reload).
    "django_htmx.middleware.HtmxMiddleware",
    # Content-Security-Policy (issue 14): core.csp, policy below.
    "core.csp.PathScopedCSPMiddleware",
    # Last, as django-axes requires: turns a locked-out log-in into the 429 of accounts.lockout.
    "axes.middleware.AxesMiddleware",
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
# django-axes first: it refuses a locked-out (username, address) pair before any password is checked.
AUTHENTICATION_BACKENDS = ["accounts.lockout.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"  # shared by every worker, visible in the admin
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.api.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # a row per failure is enough; a row per successful log-in is noise
# Client addresses (core.api.client_ip): X-Forwarded-For is believed only from a peer inside these
# networks, and only API_NUM_PROXIES hops deep. Default: loopback and the private ranges (a compose
# network, a load balancer in the same VPC).
API_TRUSTED_PROXIES = env.list(
    "API_TRUSTED_PROXIES",
    default=["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
)
API_NUM_PROXIES = env.int("API_NUM_PROXIES", default=0)
# Lifetime of tokens issued by POST /api/v1/auth/token/ (phones work offline for days, so weeks not hours).
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)
# Seconds a checked token is remembered per process (accounts.authentication._TokenCache): a revoked
# token or disabled account may work that long in other processes. 0 turns the cache off.
API_TOKEN_CACHE_SECONDS = env.int("API_TOKEN_CACHE_SECONDS", default=30)

# --- I18N and time ---------------------------------------------------------------------------
# domain.md §6: reports and RTU clocks use Beijing time. Asia/Urumqi is UTC+6 in current tzdata, so
# it must not be used here. Storage is UTC (USE_TZ).
# Chinese first (SPEC §3a): the default language of pages and API messages; LocaleMiddleware switches
# per request (the console's language cookie from set_language at /i18n/setlang/, else Accept-Language).
# Each app keeps its catalogue in <app>/locale/ (English msgids, zh_Hans from the bureau's terms).
LANGUAGE_CODE = env("DJANGO_LANGUAGE_CODE", default="zh-hans")
# Languages are named in their own language in a switcher, so these names are not translated.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"DJANGO_LANGUAGE_CODE must be one of {', '.join(dict(LANGUAGES))}")
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Console (the web pages at /) -------------------------------------------------------------
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "console:login"
# The dashboard's figures (console/dashboard.py): at a year of 500 intakes a build takes about a second and
# the page must answer in under 300 ms, so builds are kept and rebuilt behind the page. Figures older than
# CONSOLE_DASHBOARD_CACHE_SECONDS are shown and rebuilt by a worker (by the view itself without a broker;
# 0 builds on every view); a build is kept CONSOLE_DASHBOARD_KEEP_SECONDS; the beat job rebuilds every
# CONSOLE_DASHBOARD_WARM_MINUTES the periods users open (at most CONSOLE_DASHBOARD_WARM_MAX viewed ones).
# The page says when its figures were built.
CONSOLE_DASHBOARD_CACHE_SECONDS = env.int("CONSOLE_DASHBOARD_CACHE_SECONDS", default=300)
CONSOLE_DASHBOARD_KEEP_SECONDS = env.int("CONSOLE_DASHBOARD_KEEP_SECONDS", default=86_400)
CONSOLE_DASHBOARD_WARM_MINUTES = env.int("CONSOLE_DASHBOARD_WARM_MINUTES", default=5)
CONSOLE_DASHBOARD_WARM_MAX = env.int("CONSOLE_DASHBOARD_WARM_MAX", default=50)
# Seconds the menu's 待办 counts (console/todo.py) are kept per user: an action shows in them within this time.
# 0 counts on every page.
CONSOLE_TODO_CACHE_SECONDS = env.int("CONSOLE_TODO_CACHE_SECONDS", default=60)

STATIC_URL = "/static/"
# The console's own JS/CSS sources are served as they are (no bundler) under /static/console/; the
# third-party parts come from npm into console/static/vendor/ (make vendor).
STATICFILES_DIRS = [("console", str(BASE_DIR / "console" / "static_src"))]
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
    # After the role check, a GET naming a query parameter its view does not know is a 400 (core.api.query).
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.RolePermission", "core.api.query.KnownQueryParams"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.api.autoschema.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"login": env("LOGIN_THROTTLE_RATE", default="20/min")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
    # `?format=` is the API's own parameter (exports: csv|xlsx, reports: json|xlsx|pdf), not DRF's
    # renderer override, which would answer 404 for a format that has no renderer.
    "URL_FORMAT_OVERRIDE": None,
    # How many reverse proxies sit in front; core.api.client_ip reads it (with API_TRUSTED_PROXIES), and
    # the throttles ask that function, not DRF's own X-Forwarded-For reading.
    "NUM_PROXIES": API_NUM_PROXIES,
}

# --- Content-Security-Policy (django-csp; core.csp) -------------------------------------------------
# Strict, for a server-rendered console with no inline scripts or styles. Relaxed only on the paths of
# third-party UIs that need it (core.csp explains each).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
CSP_PATH_RELAXATIONS = {
    # GIS admin map widget: an inline start-up script, OpenLayers and tiles from their CDN (staff only).
    "/admin/": {
        "script-src": ["'unsafe-inline'", "https:"],
        "style-src": ["'unsafe-inline'", "https:"],
        "img-src": ["https:"],
        "connect-src": ["https:"],
    },
    # Swagger UI (split view: its start-up script is a file) and Redoc inject style blocks.
    "/api/docs/": {"style-src": ["'unsafe-inline'"]},
    "/api/redoc/": {"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]},
}
# The schema and the API docs need a log-in (issue 14: they map every endpoint for an attacker);
# API_DOCS_PUBLIC=true opens them, e.g. on an integrator's test instance.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=False)

# --- CORS (a web or phone client served from another origin) ----------------------------------------------
# None by default: the console is served by the project itself and phones are not browsers. A web client on
# another origin is named here exactly (scheme, host, port); the API authenticates with tokens, not cookies,
# so credentials are never allowed cross-origin.
CORS_ALLOWED_ORIGINS: list[str] = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/(api|ogc)/.*$"
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = ("accept", "accept-language", "authorization", "content-type", "idempotency-key")

SPECTACULAR_SETTINGS = {
    "TITLE": "Hezhang (河长) API",
    "DESCRIPTION": "Water resources, river-chief patrols, reclaimed water, water quality and reports.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": (
        ["rest_framework.permissions.AllowAny"] if API_DOCS_PUBLIC else ["rest_framework.permissions.IsAuthenticated"]
    ),
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Two choice sets share the field name "protocol": a meter's reporting protocol and the codec
    # family a telemetry station was read with.
    "ENUM_NAME_OVERRIDES": {
        # notify's rule mode (immediate/digest) shares the field name "mode" with the patrol mode.
        "NotifyModeEnum": "notify.choices.Mode",
        "PatrolModeEnum": "patrols.choices.PatrolMode",
        "MeterProtocolEnum": "water.choices.Protocol",
        "TelemetryProtocolEnum": "water.choices.TelemetryProtocol",
        "StationCommandKindEnum": "water.choices.CommandKind",
        "StationCommandStateEnum": "water.choices.CommandState",
        "StationCommandSourceEnum": "water.choices.CommandSource",
        "SourceEnum": "quality.choices.SampleSource",  # keeps its name beside the commands' source
        # oversight's choice sets share field names (kind, category, status, outcome) with other apps'.
        "CaseCategoryEnum": "patrols.choices.CaseCategory",
        "RoundKindEnum": "oversight.choices.RoundKind",
        "MilestoneKindEnum": "oversight.choices.MilestoneKind",
        "FindingCategoryEnum": "oversight.choices.FindingCategory",
        "PetitionCategoryEnum": "oversight.choices.PetitionCategory",
        "OversightTaskStatusEnum": "oversight.choices.TaskStatus",
        "MilestoneStatusEnum": "oversight.choices.MilestoneStatus",
        "PetitionStatusEnum": "oversight.choices.PetitionStatus",
        "CircularStatusEnum": "oversight.choices.CircularStatus",
        "RecheckItemEnum": "oversight.choices.RecheckItem",
        "OversightRecheckOutcomeEnum": "oversight.choices.RecheckOutcome",
    },
    # drf-spectacular's generator under a lock (its lazy extension loading is not thread-safe).
    "DEFAULT_GENERATOR_CLASS": "core.api.schema.SchemaGenerator",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.add_error_responses",
        "core.api.schema.add_idempotency_header",
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
# Embedded default: no broker configured → tasks run in-process (eager), so `make run` needs no Redis.
# Celery is then given its in-memory transport rather than an empty URL: kombu would read "" as an AMQP
# URL without a host and warn ("No hostname was supplied") each time a task is queued by name.
CELERY_BROKER_CONFIGURED = bool(env("CELERY_BROKER_URL", default=""))
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or "memory://localhost/"
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_CONFIGURED
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=540)
CELERY_TIMEZONE = TIME_ZONE

# --- E-mail (notify's e-mail channel) ----------------------------------------------------------------
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="hezhang@localhost")

# --- Domain rules -----------------------------------------------------------------------------------
# Each app's conf.py holds its rule settings (WATER_*, PATROL_*, REUSE_*, QUALITY_*, REPORTS_*) with their
# defaults and the reason each is a setting (recalled facts, local choices). An environment variable of
# the same name overrides one; its value is read as JSON (numbers, true/false, lists, objects) and
# otherwise as text, and the app's getter converts it (Decimal, int, …). `.env.example` lists them all.
APP_SETTING_PREFIXES = ("WATER_", "PATROL_", "REUSE_", "QUALITY_", "REPORTS_", "OVERSIGHT_", "NOTIFY_")


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

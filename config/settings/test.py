"""Test settings: the same stack, faster password hashing, eager Celery unless a broker is given."""

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, MIDDLEWARE, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
# A file, not SQLite's in-memory default: shared-cache memory databases lock whole tables and ignore
# the busy timeout, so concurrent-writer tests would fail there while they pass on the real file.
if DATABASES["default"]["ENGINE"].endswith("spatialite"):
    DATABASES["default"]["TEST"] = {
        "NAME": env("TEST_SPATIALITE_NAME", default=str(BASE_DIR / "var" / "test-spatialite.sqlite3"))
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# WhiteNoise serves collectstatic's output in production; here runserver (DEBUG) serves static files.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]

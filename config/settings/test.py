"""Test settings: the same stack, faster password hashing, eager Celery unless a broker is given."""

from .base import *  # noqa: F403
from .base import DATABASES, env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
# A test run must not reuse a developer's database file.
if DATABASES["default"]["ENGINE"].endswith("spatialite"):
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_SPATIALITE_NAME", default=None)}

"""Production: PostGIS + Redis + Celery workers. Only hardening on top of base."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CELERY_BROKER_URL, IS_SPATIALITE, SECRET_KEY, env

DEBUG = False
if SECRET_KEY.startswith("insecure-"):
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production")
if IS_SPATIALITE and not env.bool("ALLOW_SPATIALITE_IN_PRODUCTION", default=False):
    raise ImproperlyConfigured("Production runs on PostGIS: set DATABASE_URL=postgis://…")
if not CELERY_BROKER_URL:
    raise ImproperlyConfigured("Production needs CELERY_BROKER_URL (Redis)")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0)
X_FRAME_OPTIONS = "DENY"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

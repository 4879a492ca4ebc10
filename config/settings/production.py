"""Production: PostGIS + Redis + Celery workers. Only hardening on top of base."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CACHES, CELERY_BROKER_CONFIGURED, IS_SPATIALITE, SECRET_KEY, env

DEBUG = False
if SECRET_KEY.startswith("insecure-") or len(SECRET_KEY) < 40:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production, at least 40 random characters")
if IS_SPATIALITE and not env.bool("ALLOW_SPATIALITE_IN_PRODUCTION", default=False):
    raise ImproperlyConfigured("Production runs on PostGIS: set DATABASE_URL=postgis://…")
if not CELERY_BROKER_CONFIGURED:
    raise ImproperlyConfigured("Production needs CELERY_BROKER_URL (Redis)")
if CACHES["default"]["BACKEND"].endswith("LocMemCache"):
    # A per-process cache would give every gunicorn worker its own login-throttle counters.
    raise ImproperlyConfigured("Production needs a shared CACHE_URL (e.g. rediscache://redis:6379/1)")

# X-Forwarded-Proto tells Django a request came over HTTPS; it is believed only when the deployment says
# a proxy that overwrites it sits in front (docker-compose.yml's nginx does). Off by default: a client
# talking to gunicorn directly must not be able to claim HTTPS (issue 14).
if env.bool("DJANGO_TRUST_PROXY_HEADERS", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# HSTS on by default (one year): Django sends it only on HTTPS responses, so a plain-HTTP trial is not
# affected. 0 turns it off; DJANGO_HSTS_INCLUDE_SUBDOMAINS only when every subdomain is HTTPS too.
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=False)  # usually the proxy's job
X_FRAME_OPTIONS = "DENY"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

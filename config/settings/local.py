"""Developer and `make run` settings: the embedded SpatiaLite default with the browsable API."""

from .base import *  # noqa: F403
from .base import MIDDLEWARE, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# runserver serves static files from the apps; no collectstatic manifest is needed in development.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# WhiteNoise serves collectstatic's output in production; here runserver (DEBUG) serves static files.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]

"""Developer and `make run` settings: the embedded SpatiaLite default with the browsable API."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

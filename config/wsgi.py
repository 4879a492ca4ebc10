"""WSGI entry point (gunicorn config.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

# Import every view now, then move everything loaded so far out of the collector's reach: full
# collections otherwise walk ~130,000 long-lived objects (30–75 ms each, every ~20 patrol posts),
# which showed as latency spikes (benchmarks/patrols_post.py --gc-freeze).
get_resolver().url_patterns  # noqa: B018 - evaluated for its side effect (imports every URLconf and view)
gc.freeze()

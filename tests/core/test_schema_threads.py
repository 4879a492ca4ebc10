"""The OpenAPI document built by threads at once (issue 14, found by schemathesis): drf-spectacular's
extensions load their targets lazily and not thread-safely, so the first requests for /api/schema/ in
a fresh threaded worker (gunicorn --threads 4) raced and one was a 500. A fresh process is needed:
the extensions load once per process."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import threading

import django

django.setup()
from drf_spectacular.settings import spectacular_settings

errors = []
barrier = threading.Barrier(8)


def build():
    try:
        barrier.wait()
        spectacular_settings.DEFAULT_GENERATOR_CLASS().get_schema(request=None, public=True)
    except Exception as exc:
        errors.append(repr(exc))


threads = [threading.Thread(target=build) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(errors), errors[:1])
"""


def test_eight_threads_build_the_schema_at_once_in_a_fresh_process():
    for _ in range(2):  # the race lost 1 to 7 of 8 builds in each fresh process before the lock
        out = subprocess.run(  # noqa: S603
            [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=600, env=os.environ.copy()
        )
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.strip().splitlines()[-1] == "0 []", out.stdout

"""How long a token check takes (stack-notes: a password hash per request cut a peer's ingest to
4,300 rows/s; machine tokens must be checked in microseconds).

    DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL=postgis://postgres@127.0.0.1:5432/hz_bench_auth \
        .venv/bin/python benchmarks/auth_tokens.py

Creates a throwaway test database (Django's test runner machinery), issues a token, and times
BearerTokenAuthentication.authenticate() over N requests. Prints the median and p99 in microseconds.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.test.utils import get_runner  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402

N = 5000


def main() -> None:
    from django.conf import settings

    runner = get_runner(settings)(verbosity=0)
    old = runner.setup_databases()
    try:
        from accounts.authentication import BearerTokenAuthentication
        from accounts.choices import Role, TokenKind
        from accounts.models import User
        from accounts.services import token_issue

        user = User.objects.create(username="bench-device", role=Role.DEVICE)
        _, secret = token_issue(user=user, kind=TokenKind.DEVICE)
        auth = BearerTokenAuthentication()
        factory = APIRequestFactory()
        from rest_framework.request import Request

        samples = []
        for _ in range(N):
            request = Request(factory.get("/", HTTP_AUTHORIZATION=f"Token {secret}"))
            t0 = time.perf_counter()
            auth.authenticate(request)
            samples.append((time.perf_counter() - t0) * 1e6)
        samples.sort()
        print(f"backend: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
        print(
            f"token check over {N} requests: median {statistics.median(samples):.0f} µs, "
            f"p99 {samples[int(N * 0.99)]:.0f} µs"
        )
    finally:
        runner.teardown_databases(old)


if __name__ == "__main__":
    main()

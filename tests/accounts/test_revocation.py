"""Revocation across worker processes (issue 14): a deleted or revoked token, a changed password and a
deactivated account stop working at once in every process, not after the per-process cache expires.

Two real worker processes (each its own Python interpreter, its own token cache) authenticate against
the same database and the same shared cache. The shared cache is Redis when the suite has one
(TEST_CELERY_BROKER_URL, as in CI), else a file cache: both are shared between processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.choices import Role, TokenKind
from accounts.models import ApiToken, User
from accounts.services import token_issue, token_revoke

WORKER = r"""
import sys, django
django.setup()
from django.test import RequestFactory
from rest_framework.exceptions import AuthenticationFailed
from accounts.authentication import BearerTokenAuthentication
auth, rf = BearerTokenAuthentication(), RequestFactory()
print("ready", flush=True)
for line in sys.stdin:
    secret = line.strip()
    try:
        auth.authenticate(rf.get("/", HTTP_AUTHORIZATION=f"Token {secret}"))
        print("ok", flush=True)
    except AuthenticationFailed:
        print("denied", flush=True)
"""


def _database_url() -> str:
    s = connection.settings_dict
    if "spatialite" in s["ENGINE"]:
        return f"spatialite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgis://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker:
    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-c", WORKER], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self._line() == "ready"

    def _line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def check(self, secret: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(secret + "\n")
        self.proc.stdin.flush()
        return self._line()

    def stop(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=20)


@pytest.fixture
def shared_cache(settings):
    redis = os.environ.get("TEST_CELERY_BROKER_URL", "")
    tmp = tempfile.mkdtemp(prefix="hz-cache-")
    url = redis.replace("redis://", "rediscache://", 1) if redis.startswith("redis://") else f"filecache://{tmp}"
    import environ

    settings.CACHES = {"default": environ.Env.cache_url_config(url)}
    from django.core.cache import caches

    caches["default"].clear()
    yield url
    caches["default"].clear()


@pytest.mark.django_db(transaction=True)
def test_revocation_reaches_every_worker_process(shared_cache):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "CACHE_URL": shared_cache,
        "API_TOKEN_CACHE_SECONDS": "300",  # far longer than the test: only revocation can end an entry
    }
    user = User.objects.create_user(username="rev", password="pw-Test-2026", role=Role.REVIEWER, jurisdiction="650100")
    device = User.objects.create_user(username="rtu", role=Role.DEVICE)
    t1, s1 = token_issue(user=user)
    _, s2 = token_issue(user=user)
    _, s3 = token_issue(user=user)
    _, sd = token_issue(user=device, kind=TokenKind.DEVICE)
    a, b = Worker(env), Worker(env)
    try:
        for w in (a, b):  # both processes have every token in their own cache now
            assert [w.check(s) for s in (s1, s2, s3, sd)] == ["ok"] * 4

        token_revoke(token=t1, actor=user)  # revoked here (a third process)
        assert (a.check(s1), b.check(s1)) == ("denied", "denied")
        assert a.check(s2) == "ok"

        ApiToken.objects.filter(key_hash__isnull=False, user=user).exclude(pk=t1.pk).first().delete()
        deleted_and_live = sorted([a.check(s2), a.check(s3)])
        assert deleted_and_live == ["denied", "ok"]

        user.set_password("a-new-Password-2027")  # a password change revokes every login token
        user.save()
        assert (a.check(s2), a.check(s3), b.check(s3)) == ("denied", "denied", "denied")

        device.is_active = False  # a deactivated account stops at once, device tokens too
        device.save()
        assert (a.check(sd), b.check(sd)) == ("denied", "denied")
    finally:
        a.stop()
        b.stop()
    assert Path(settings.BASE_DIR).exists()

"""Log-in lock-out (issue 14): keyed on username AND client address, on every log-in path, and the
address cannot be chosen by the client with X-Forwarded-For."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory, override_settings
from rest_framework.test import APIClient

from accounts.choices import Role
from core.api.client_ip import client_ip
from tests.factories import TEST_PASSWORD

TOKEN = "/api/v1/auth/token/"
pytestmark = pytest.mark.django_db
LIMIT = 5


def _token(client: APIClient, username: str, password: str, **meta: str):
    return client.post(TOKEN, {"username": username, "password": password}, format="json", **meta)


@override_settings(AXES_FAILURE_LIMIT=LIMIT)
def test_admin_login_locks_out_after_the_limit(make_user):
    make_user(Role.ADMIN, "", username="boss", is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(LIMIT):
        r = client.post("/admin/login/", {"username": "boss", "password": "guess"}, REMOTE_ADDR="203.0.113.7")
        assert r.status_code in (200, 429)
    # Now even the right password is refused from that address…
    r = client.post("/admin/login/", {"username": "boss", "password": TEST_PASSWORD}, REMOTE_ADDR="203.0.113.7")
    assert r.status_code == 429
    # …but not from another one: the pair is locked, not the account.
    r = Client().post("/admin/login/", {"username": "boss", "password": TEST_PASSWORD}, REMOTE_ADDR="203.0.113.8")
    assert r.status_code == 302


@override_settings(AXES_FAILURE_LIMIT=LIMIT)
def test_token_endpoint_locks_out_the_pair(make_user):
    make_user(Role.REVIEWER, username="rev")
    client = APIClient()
    codes = [_token(client, "rev", "guess", REMOTE_ADDR="203.0.113.7").status_code for _ in range(LIMIT)]
    assert set(codes) <= {400, 429}
    r = _token(client, "rev", TEST_PASSWORD, REMOTE_ADDR="203.0.113.7")
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "locked_out"
    assert _token(APIClient(), "rev", TEST_PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 200


@override_settings(AXES_FAILURE_LIMIT=LIMIT, API_NUM_PROXIES=1)
def test_rotating_x_forwarded_for_does_not_evade_it(make_user):
    """gunicorn reached directly (port published) with API_NUM_PROXIES=1: the peer is not a trusted
    proxy, so each forged X-Forwarded-For is ignored and every guess counts against one address."""
    make_user(Role.REVIEWER, username="rev")
    client = APIClient()
    for i in range(LIMIT):
        _token(client, "rev", "guess", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    r = _token(client, "rev", TEST_PASSWORD, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert r.status_code == 429


@override_settings(AXES_FAILURE_LIMIT=LIMIT, API_NUM_PROXIES=1)
def test_behind_the_proxy_one_guesser_does_not_lock_out_everyone(make_user):
    """Every request comes from the proxy (172.18.0.2); the clients differ in the X-Forwarded-For the
    proxy wrote. 25 bad tries from one client neither throttle nor lock out another's correct log-in."""
    make_user(Role.REVIEWER, username="rev")
    client = APIClient()
    for _ in range(25):
        _token(client, "rev", "guess", REMOTE_ADDR="172.18.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1")
    r = _token(client, "rev", TEST_PASSWORD, REMOTE_ADDR="172.18.0.2", HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert r.status_code == 200, r.content
    # A client prepending its own entry through an appending proxy is still counted as what the proxy saw.
    forged = "198.51.100.2, 198.51.100.1"
    r = _token(client, "rev", TEST_PASSWORD, REMOTE_ADDR="172.18.0.2", HTTP_X_FORWARDED_FOR=forged)
    assert r.status_code == 429


@override_settings(AXES_FAILURE_LIMIT=LIMIT)
def test_any_view_calling_authenticate_with_a_request_is_covered(make_user):
    """The console's log-in page calls authenticate(request=…): it is covered with no code of its own."""
    make_user(Role.CHIEF, username="chief")
    rf = RequestFactory()

    def attempt(password: str):
        request = rf.post("/console/login/", REMOTE_ADDR="203.0.113.7")
        return request, authenticate(request=request, username="chief", password=password)

    for _ in range(LIMIT):
        assert attempt("guess")[1] is None
    request, user = attempt(TEST_PASSWORD)
    assert user is None
    assert request.axes_locked_out


@override_settings(API_NUM_PROXIES=1)
def test_client_ip_trusts_forwarded_for_only_from_a_trusted_proxy():
    rf = RequestFactory()
    assert client_ip(rf.get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="1.2.3.4")) == "203.0.113.7"
    assert client_ip(rf.get("/", REMOTE_ADDR="172.18.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4")) == "1.2.3.4"
    assert client_ip(rf.get("/", REMOTE_ADDR="172.18.0.2", HTTP_X_FORWARDED_FOR="9.9.9.9, 1.2.3.4")) == "1.2.3.4"
    assert client_ip(rf.get("/", REMOTE_ADDR="172.18.0.2", HTTP_X_FORWARDED_FOR="not-an-ip")) == "172.18.0.2"
    with override_settings(API_NUM_PROXIES=0):
        assert client_ip(rf.get("/", REMOTE_ADDR="172.18.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4")) == "172.18.0.2"

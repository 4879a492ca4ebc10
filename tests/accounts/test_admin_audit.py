"""accounts' services and selectors: the admin writes accounts and tokens through them, audited; a change
of what an account may see invalidates its cached tokens; token_issue is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.authentication import hash_token, token_cache
from accounts.choices import Role, TokenKind
from accounts.models import ApiToken, User
from accounts.scope import NO_SCOPE, SYSTEM_SCOPE, scope_for
from accounts.selectors import account_choices, user_list
from accounts.services import token_issue
from core.audit import changed_fields
from core.models import AuditLog
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site_admin(make_user):
    user = make_user(Role.ADMIN, "", username="site_admin", is_staff=True, is_superuser=True)
    client = Client()
    assert client.login(username="site_admin", password=TEST_PASSWORD)
    return client, user


def _change(client: Client, user: User, **changes: object) -> None:
    # A whole-second join time, as the admin form posts it back (in Beijing time, TIME_ZONE).
    User.objects.filter(pk=user.pk).update(
        date_joined=dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    )
    joined = timezone.localtime(User.objects.get(pk=user.pk).date_joined)
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_staff": "on" if user.is_staff else "",
        "is_superuser": "on" if user.is_superuser else "",
        "role": user.role,
        "jurisdiction": user.jurisdiction,
        "display_name": user.display_name,
        "phone": user.phone,
        "is_active": "on" if user.is_active else "",
        "date_joined_0": f"{joined:%Y-%m-%d}",
        "date_joined_1": f"{joined:%H:%M:%S}",
        **changes,
    }
    data = {k: v for k, v in data.items() if v not in ("", None, False)}
    resp = client.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert resp.status_code == 302, resp.content.decode()[:2000]


def test_token_issue_is_audited_without_the_secret(make_user):
    user = make_user(Role.DEVICE, "650102", username="rtu")
    token, secret = token_issue(user=user, kind=TokenKind.DEVICE, name="gw", actor="issue_token")
    log = AuditLog.objects.get(entity="accounts.apitoken", entity_id=str(token.pk))
    assert (log.action, log.actor_label, log.reason) == ("create", "issue_token", "token issued")
    assert log.after is not None
    assert "key_hash" not in log.after
    assert secret not in str(log.after)
    assert log.after["prefix"] == secret[:8]


def test_admin_role_change_is_audited_and_invalidates_tokens(site_admin, make_user):
    client, admin = site_admin
    chief = make_user(Role.CHIEF, "650102", username="chief_a")
    token, secret = token_issue(user=chief, name="phone")
    token_cache.put(hash_token(secret), token, token_cache.epoch(token.user_id))
    _change(client, chief, role=Role.REVIEWER, jurisdiction="650100")
    chief.refresh_from_db()
    assert (chief.role, chief.jurisdiction) == (Role.REVIEWER, "650100")
    log = AuditLog.objects.filter(entity="accounts.user", entity_id=str(chief.pk)).latest("id")
    assert (log.action, log.actor_id, log.reason) == ("update", admin.pk, "admin")
    assert log.before is not None
    assert log.after is not None
    assert (log.before["role"], log.after["role"]) == (Role.CHIEF, Role.REVIEWER)
    assert "password" not in log.after
    assert token_cache.get(hash_token(secret)) is None  # checked against the database again


def test_admin_save_without_changes_writes_no_audit_row(site_admin, make_user):
    client, _ = site_admin
    chief = make_user(Role.CHIEF, "650102", username="chief_b")
    token, secret = token_issue(user=chief, name="phone")
    token_cache.put(hash_token(secret), token, token_cache.epoch(token.user_id))
    before = AuditLog.objects.filter(entity="accounts.user").count()
    _change(client, chief)
    new = AuditLog.objects.filter(entity="accounts.user").order_by("id")[before:]
    assert [changed_fields(log.before, log.after) for log in new] == []
    assert token_cache.get(hash_token(secret)) is not None  # nothing that matters changed


def test_admin_token_revocation_is_audited_and_immediate(site_admin, make_user):
    client, admin = site_admin
    chief = make_user(Role.CHIEF, "650102", username="chief_c")
    token, secret = token_issue(user=chief, name="phone")
    token_cache.put(hash_token(secret), token, token_cache.epoch(token.user_id))
    resp = client.post(
        f"/admin/accounts/apitoken/{token.pk}/change/",
        {
            "user": chief.pk,
            "kind": token.kind,
            "name": "phone",
            "expires_at_0": "2030-01-01",
            "expires_at_1": "00:00:00",
            "revoked_at_0": "2026-01-01",
            "revoked_at_1": "00:00:00",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    token.refresh_from_db()
    assert token.revoked_at is not None
    log = AuditLog.objects.filter(entity="accounts.apitoken", entity_id=str(token.pk)).latest("id")
    assert (log.action, log.actor_id) == ("update", admin.pk)
    assert log.before is not None
    assert log.before["revoked_at"] is None
    assert token_cache.get(hash_token(secret)) is None
    api = Client(HTTP_AUTHORIZATION=f"Token {secret}")
    assert api.get("/api/v1/auth/me/").status_code == 401


def test_user_selectors(make_user):
    admin = make_user(Role.ADMIN, "", username="adm")
    rev = make_user(Role.REVIEWER, "650102", username="rev")
    inside = make_user(Role.CHIEF, "650102001", username="inside")
    outside = make_user(Role.CHIEF, "650103", username="outside")
    make_user(Role.CHIEF, "650104", username="gone", is_active=False)
    assert set(user_list(scope=scope_for(rev))) == {rev, inside}
    assert set(user_list(scope=SYSTEM_SCOPE)) >= {admin, rev, inside, outside}
    assert not user_list(scope=NO_SCOPE).exists()
    assert set(account_choices(role=Role.CHIEF)) == {inside, outside}
    assert ApiToken.objects.count() == 0

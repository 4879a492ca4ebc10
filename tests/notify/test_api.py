"""The notify API: each user reads and marks only their own inbox; rules are for reviewers, scoped
to their jurisdiction; bad input is a 4xx naming the field and writes nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notify.models import Notification, Rule
from tests.notify.conftest import raise_event

pytestmark = pytest.mark.django_db
INBOX = "/api/v1/notify/notifications/"
RULES = "/api/v1/notify/rules/"
PREFS = "/api/v1/notify/preferences/"


def test_each_user_reads_only_their_own_inbox(people, client_for):
    for i in range(3):
        raise_event("case_assigned", "650102", [people["chief"].pk], subject_id=f"c-{i}")
    raise_event("case_assigned", "650103", [people["chief_b"].pk], subject_id="other")
    chief = client_for(people["chief"])
    with CaptureQueriesContext(connection) as q:
        body = chief.get(INBOX).json()
    assert len(q) <= 6
    assert body["count"] == 3
    assert body["unread"] == 3
    assert {r["subject_id"] for r in body["results"]} == {"c-0", "c-1", "c-2"}
    assert body["results"][0]["title"] == "问题已交办"
    theirs = Notification.objects.get(recipient=people["chief_b"])
    assert chief.get(f"{INBOX}{theirs.pk}/").status_code == 404
    assert chief.post(f"{INBOX}{theirs.pk}/read/").status_code == 404
    # read-all with someone else's id changes nothing of theirs
    r = chief.post(f"{INBOX}read-all/", {"ids": [theirs.pk]}, format="json")
    assert r.json() == {"marked": 0, "unread": 3}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    mine = body["results"][0]["id"]
    r = chief.post(f"{INBOX}{mine}/read/")
    assert r.status_code == 200
    assert r.json()["read"] is True
    assert chief.get(f"{INBOX}unread-count/").json() == {"unread": 2}
    assert chief.get(INBOX, {"unread": "true"}).json()["count"] == 2
    assert chief.get(INBOX, {"unread": "maybe"}).status_code == 400
    assert chief.post(f"{INBOX}read-all/", {}, format="json").json() == {"marked": 2, "unread": 0}
    assert client_for(None).get(INBOX).status_code == 401
    assert client_for(people["admin"]).get(INBOX).json()["count"] == 0  # admins too see only their own


def rule_body(**kw):
    return {"event_type": "case_overdue", "division": "650102", "channels": ["inbox"], "role": "reviewer", **kw}


def test_rules_are_for_reviewers_in_their_jurisdiction(people, client_for):
    rev = client_for(people["rev_650102"])
    r = rev.post(RULES, rule_body(users=[people["chief"].pk]), format="json")
    assert r.status_code == 201, r.content
    assert r.json()["division"] == "650102"
    assert r.json()["users"] == [people["chief"].pk]
    rid = r.json()["id"]
    assert client_for(people["chief"]).get(RULES).status_code == 403
    assert client_for(people["chief"]).post(RULES, rule_body(), format="json").status_code == 403
    other = client_for(people["rev_650103"])
    assert other.get(RULES).json()["count"] == 0
    assert other.get(f"{RULES}{rid}/").status_code == 404
    assert other.patch(f"{RULES}{rid}/", {"mode": "digest"}, format="json").status_code == 404
    assert other.delete(f"{RULES}{rid}/").status_code == 404
    # The city reviewer sees the district's rule
    assert client_for(people["city_rev"]).get(RULES).json()["count"] == 1
    r = rev.patch(f"{RULES}{rid}/", {"mode": "digest", "quiet_start": "22:00", "quiet_end": "07:00"}, format="json")
    assert r.status_code == 200
    assert r.json()["mode"] == "digest"
    assert r.json()["quiet_end"] == "07:00:00"
    assert rev.delete(f"{RULES}{rid}/").status_code == 204
    assert not Rule.objects.exists()
    from core.models import AuditLog

    assert AuditLog.objects.filter(entity="notify.rule").count() == 3


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (rule_body(event_type="flood_warning"), 400, "event_type"),
        (rule_body(event_type="digest"), 400, "event_type"),
        (rule_body(division="650103"), 400, "division"),
        (rule_body(division="650199"), 400, "division"),
        (rule_body(division="65"), 400, "division"),
        (rule_body(channels=["wecom"], webhook_url="http://robot.example.cn/send?key=1"), 400, "webhook_url"),
        (rule_body(channels=["wecom"], webhook_url="ftp://robot.example.cn/x"), 400, "webhook_url"),
        (rule_body(channels=["dingtalk"]), 400, "webhook_url"),
        (rule_body(channels=["fax"]), 400, "channels"),
        (rule_body(channels=[]), 400, "channels"),
        (rule_body(template="问题{case}逾期，{colour}"), 400, "template"),
        (rule_body(template="问题{case"), 400, "template"),
        (rule_body(quiet_start="22:00"), 400, "quiet_end"),
        (rule_body(mode="weekly"), 400, "mode"),
        (rule_body(role="device"), 400, "role"),
        (rule_body(users=[999999]), 400, "users"),
        (rule_body(own_people=False, role=""), 400, "own_people"),
        (rule_body(webhook_secret="s"), 400, "webhook_secret"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(people, client_for, body, status, field):
    r = client_for(people["rev_650102"]).post(RULES, body, format="json")
    assert r.status_code == status, r.content
    assert field in r.json()["error"]["fields"], r.json()
    assert not Rule.objects.exists()


def test_a_rule_may_not_name_a_user_outside_the_jurisdiction(people, client_for):
    r = client_for(people["rev_650102"]).post(RULES, rule_body(users=[people["chief_b"].pk]), format="json")
    assert r.status_code == 400
    assert "users" in r.json()["error"]["fields"]


def test_https_and_loopback_webhooks_are_accepted(people, client_for):
    rev = client_for(people["rev_650102"])
    ok1 = rev.post(
        RULES, rule_body(channels=["wecom"], webhook_url="https://qyapi.example.cn/send?key=1"), format="json"
    )
    ok2 = rev.post(
        RULES,
        rule_body(channels=["dingtalk"], webhook_url="http://127.0.0.1:8181/robot", webhook_secret="SEC"),
        format="json",
    )
    assert (ok1.status_code, ok2.status_code) == (201, 201)
    assert ok2.json()["webhook_secret_set"] is True
    assert "webhook_secret" not in ok2.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "email", "address": "not-an-address"}, "address"),
        ({"channel": "sms", "address": "12345"}, "address"),
        ({"channel": "inbox", "enabled": False}, "channel"),
        ({"channel": "wecom"}, "channel"),
    ],
)
def test_bad_preferences_are_refused(people, client_for, body, field):
    r = client_for(people["chief"]).post(PREFS, body, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"], r.content


def test_preferences_are_ones_own(people, client_for, make_user):
    chief = client_for(people["chief"])
    r = chief.post(PREFS, {"channel": "sms", "address": "+86 138-0013-8000"}, format="json")
    assert r.json() == {"channel": "sms", "enabled": True, "address": "+8613800138000"}
    chief.post(PREFS, {"channel": "email", "enabled": False}, format="json")
    assert [p["channel"] for p in chief.get(PREFS).json()] == ["email", "sms"]
    assert client_for(people["chief_b"]).get(PREFS).json() == []
    from accounts.choices import Role

    device = make_user(Role.DEVICE, "", username="n_device")
    assert client_for(device).get(PREFS).status_code == 403
    assert client_for(device).get(INBOX).status_code == 403


def test_event_raise_refuses_bad_input(people):
    from core.exceptions import InvalidInput
    from notify import services

    with pytest.raises(InvalidInput) as e:
        services.event_raise(type="flood", division_code="650102", subject_type="patrols.case", subject_id=1)
    assert "type" in e.value.fields
    with pytest.raises(InvalidInput) as e:
        services.event_raise(type="case_closed", division_code="x", subject_type="patrols.case", subject_id=1)
    assert "division_code" in e.value.fields

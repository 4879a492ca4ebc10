"""The rule tables edited in the admin (through the services, audited; bad input is a form error), and
two identical patrol posts racing on separate connections (one row, both answered)."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from core.models import AuditLog
from patrols.models import Patrol, PatrolFrequencyRule, PatrolValidityRule
from tests.concurrency import race
from tests.patrols.conftest import patrol_body


@pytest.mark.django_db
def test_admin_saves_rules_through_the_services(client, users):
    admin = users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the suite reads English (tests/conftest.py)
    client.force_login(admin)
    resp = client.post(
        "/admin/patrols/patrolvalidityrule/add/",
        {"jurisdiction": "650102", "level": "village", "min_duration_s": 600, "min_length_m": 1000, "source": "区规定"},
    )
    assert resp.status_code == 302, resp.content[:500]
    rule = PatrolValidityRule.objects.get(jurisdiction="650102", level="village")
    assert AuditLog.objects.filter(entity="patrols.patrolvalidityrule", entity_id=str(rule.pk)).count() == 1
    # Overlapping seasons of one jurisdiction and level: a form error, nothing saved.
    before = PatrolFrequencyRule.objects.count()
    overlap = client.post(
        "/admin/patrols/patrolfrequencyrule/add/",
        {
            "jurisdiction": "",
            "level": "village",
            "period": "month",
            "required_count": 1,
            "season_start_month": 6,
            "season_end_month": 7,
            "source": "",
        },
    )
    assert overlap.status_code == 200
    assert "already covered" in overlap.content.decode()
    assert PatrolFrequencyRule.objects.count() == before
    # Patrols are read-only in the admin.
    assert client.get("/admin/patrols/patrol/add/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_posts_write_once(client_for, chiefs, geography):
    body = patrol_body(geography["reach_e"], n=300)
    clients = [client_for(chiefs["township"]) for _ in range(4)]

    def post(client: Any) -> int:
        return int(client.post("/api/v1/patrols/", body, format="json").status_code)

    results = race([partial(post, c) for c in clients])
    assert sorted(results) == [200, 200, 200, 201]
    assert Patrol.objects.count() == 1

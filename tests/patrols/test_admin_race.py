"""The rule tables edited in the admin (through the services, audited; bad input is a form error), and
two identical patrol posts racing on separate connections (one row, both answered)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from core.models import AuditLog
from patrols.models import Patrol, PatrolFrequencyRule, PatrolValidityRule
from tests.patrols.conftest import patrol_body


@pytest.mark.django_db
def test_admin_saves_rules_through_the_services(client, users):
    admin = users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
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
    barrier = threading.Barrier(4)
    results: list[int] = []
    lock = threading.Lock()

    def post(c) -> None:
        try:
            barrier.wait(timeout=10)
            resp = c.post("/api/v1/patrols/", body, format="json")
            with lock:
                results.append(resp.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [200, 200, 200, 201]
    assert Patrol.objects.count() == 1

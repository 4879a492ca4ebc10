"""The admin pages of plans, red lines and locks render; red lines saved there go through the
service (validated, audited)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from accounts.choices import Role
from core.models import AuditLog
from tests.factories import TEST_PASSWORD
from tests.water.plan_fixtures import ALL, city_plan
from water import plan_services
from water.models import RedLineTarget

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_user):
    user = make_user(Role.ADMIN, "", username="site_admin", is_staff=True, is_superuser=True)
    client = Client(headers={"Accept-Language": "en"})  # the suite reads English (tests/conftest.py)
    assert client.login(username="site_admin", password=TEST_PASSWORD)
    return client, user


def test_admin_pages_render(admin_client, geography, water):
    client, _ = admin_client
    plan = city_plan(geography, water)
    lock = plan_services.ledger_lock(actor="t", scope=ALL, division=geography["city"], month=dt.date(2024, 1, 1))
    for url in [
        "/admin/water/waterplan/",
        f"/admin/water/waterplan/{plan.pk}/change/",
        "/admin/water/redlinetarget/",
        "/admin/water/redlinetarget/add/",
        "/admin/water/ledgerlock/",
        f"/admin/water/ledgerlock/{lock.pk}/change/",
    ]:
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/water/waterplan/add/").status_code == 403


def test_admin_red_lines_go_through_the_service(admin_client, geography):
    client, user = admin_client
    resp = client.post(
        "/admin/water/redlinetarget/add/",
        {
            "year": 2024,
            "division": geography["city"].pk,
            "total_use_cap_m3": "1000000",
            "gdp_10k_yuan": "500",
            "gdp_source": "统计局",
            "notes": "",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    target = RedLineTarget.objects.get()
    log = AuditLog.objects.get(entity="water.redlinetarget", entity_id=str(target.pk))
    assert log.actor == user

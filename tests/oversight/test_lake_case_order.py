"""A supervision order on an overdue case on a lake (issue 19): lake cases are found by their lake's
division, as reach cases are by their reach's."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.contrib.gis.geos import Point

from core.periods import BEIJING
from patrols.choices import CaseCategory, CaseSource, CaseStatus
from patrols.models import Case

pytestmark = pytest.mark.django_db
ORDERS = "/api/v1/oversight/orders/"


def _overdue_case(reporter: Any, **site: Any) -> Case:
    return Case.objects.create(
        id=uuid.uuid4(),
        category=CaseCategory.DUMPING,
        status=CaseStatus.ASSIGNED,
        source=CaseSource.COMPLAINT,
        location=Point(87.63, 43.71, srid=4326),
        description="test",
        reporter=reporter,
        found_at=dt.datetime(2024, 5, 1, 10, tzinfo=BEIJING),
        deadline=dt.date(2024, 5, 20),
        overdue_at=dt.datetime(2024, 5, 21, 0, 30, tzinfo=BEIJING),
        responsible_unit="t",
        **site,
    )


def test_order_on_an_overdue_lake_case(api, users, units, geography):
    case = _overdue_case(users["admin"], lake=geography["lake_e"])
    body = {
        "subject": "case",
        "item": str(case.pk),
        "text": "请限期整改",
        "reply_due": "2099-01-31",
        "unit": "unit_tianshan",
    }
    r = api["city_reviewer"].post(ORDERS, body, format="json")
    assert r.status_code == 201, r.content
    order = r.json()
    assert order["division"] == "650102"
    assert order["case"] == str(case.pk)
    # Out of the caller's jurisdiction (the lake is in Tianshan): no such item, naming it.
    r = api["reviewer_650103"].post(ORDERS, body, format="json")
    assert r.status_code == 400, r.content
    assert "item" in r.json()["error"]["fields"]


def test_order_on_an_overdue_reach_case_still_works(api, users, units, geography):
    case = _overdue_case(users["admin"], reach=geography["reach_e"])
    body = {
        "subject": "case",
        "item": str(case.pk),
        "text": "请限期整改",
        "reply_due": "2099-01-31",
        "unit": "unit_tianshan",
    }
    r = api["city_reviewer"].post(ORDERS, body, format="json")
    assert r.status_code == 201, r.content

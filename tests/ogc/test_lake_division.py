"""`division=` on the OGC collections returns the rows on lakes as well as those on reaches (issue 19):
a lake's cases and patrols carry their division on the lake, not on a reach."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.gis.geos import Point

from core.periods import BEIJING
from patrols.choices import CaseCategory, CaseSource, CaseStatus
from patrols.models import Case

pytestmark = pytest.mark.django_db


def _case(reporter, *, reach=None, lake=None) -> Case:
    return Case.objects.create(
        id=uuid.uuid4(),
        category=CaseCategory.DUMPING,
        status=CaseStatus.REPORTED,
        source=CaseSource.COMPLAINT,
        reach=reach,
        lake=lake,
        location=Point(87.63, 43.71, srid=4326),
        description="test",
        reporter=reporter,
        found_at=dt.datetime(2024, 5, 1, 10, tzinfo=BEIJING),
    )


def test_division_returns_lake_cases_and_lakes(client_for, users, geography):
    g = geography
    on_reach = _case(users["admin"], reach=g["reach_e"])
    on_lake = _case(users["admin"], lake=g["lake_e"])
    elsewhere = _case(users["admin"], lake=g["lake_w"])
    c = client_for(users["admin"])
    body = c.get("/ogc/collections/cases/items", {"division": "650102"}).json()
    ids = {f["id"] for f in body["features"]}
    assert ids == {str(on_reach.pk), str(on_lake.pk)}
    assert str(elsewhere.pk) not in ids
    west = c.get("/ogc/collections/cases/items", {"division": "650103"}).json()
    assert {f["id"] for f in west["features"]} == {str(elsewhere.pk)}
    lakes = c.get("/ogc/collections/lakes/items", {"division": "650102"}).json()
    assert [f["properties"]["code"] for f in lakes["features"]] == [g["lake_e"].code]


def test_division_returns_lake_patrols(client_for, users, geography):
    from patrols.models import Patrol
    from tests.reports.conftest import make_patrol

    chief = users["chief_650102"]
    on_reach = make_patrol(chief, geography["reach_e"], "township", dt.datetime(2024, 5, 1, 10, tzinfo=BEIJING), 100, 0)
    on_lake = make_patrol(chief, geography["reach_e"], "township", dt.datetime(2024, 5, 2, 10, tzinfo=BEIJING), 100, 0)
    Patrol.objects.filter(pk=on_lake.pk).update(reach=None, lake=geography["lake_e"])
    body = client_for(users["admin"]).get("/ogc/collections/patrol-tracks/items", {"division": "650102"}).json()
    assert {f["id"] for f in body["features"]} == {str(on_reach.pk), str(on_lake.pk)}
    assert (
        client_for(users["admin"])
        .get("/ogc/collections/patrol-tracks/items", {"division": "650103"})
        .json()["features"]
        == []
    )

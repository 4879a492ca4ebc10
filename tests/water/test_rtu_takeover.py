"""RTU takeover (issue 14): a reviewer of one district gave a new meter the RTU address of another
district's station, and the gateway stored that station's frames on it. One address per protocol family
over overlapping installation periods, except an explicit replacement, in the service and the database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from core.exceptions import InvalidInput
from water import services
from water.models import Meter
from water.telemetry.selectors import meter_directory

from .conftest import T0

METERS = "/api/v1/water/meters/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def station(water):
    services.meter_update(
        meter=water.meter_e, actor="test", changes={"protocol": "szy206", "rtu_address": "0012345678"}
    )
    water.meter_e.refresh_from_db()
    return water.meter_e


def test_another_district_cannot_take_the_address(client_for, users, water, station):
    reviewer = client_for(users["reviewer_650103"])
    body = {
        "serial": "WM-TAKE",
        "intake": water.intake_w.pk,
        "installed_at": "2024-06-01T00:00:00+08:00",
        "protocol": "sl427",
        "rtu_address": "00-1234-5678",
    }
    resp = reviewer.post(METERS, body, format="json")
    assert resp.status_code == 400, resp.content
    assert "rtu_address" in resp.json()["error"]["fields"]
    assert not Meter.objects.filter(serial="WM-TAKE").exists()
    # Nor by editing a meter it has.
    resp = reviewer.patch(
        f"{METERS}{water.meter_w.pk}/", {"protocol": "szy206", "rtu_address": "0012345678"}, format="json"
    )
    assert resp.status_code == 400, resp.content
    assert "rtu_address" in resp.json()["error"]["fields"]
    from accounts.scope import Scope

    directory, _ = meter_directory(scope=Scope(user_id=None, role="admin", everything=True))
    assert [m.id for m in directory[("szy206", "0012345678")]] == [station.pk]


def test_other_family_and_later_periods_are_free(water, station):
    services.meter_update(meter=water.meter_w, actor="test", changes={"protocol": "sl651", "rtu_address": "0012345678"})
    assert Meter.objects.get(pk=water.meter_w.pk).rtu_address == "0012345678"


def test_a_replacement_passes_the_address_on(water, station):
    new = services.meter_replace(
        meter=station,
        actor="test",
        at=T0 + dt.timedelta(days=30),
        removal_reading_m3=Decimal(1500),
        new_serial="WM-E2",
        rtu_address="0012345678",
        protocol="szy206",
    )
    assert new.rtu_address == "0012345678"
    # A meter installed after the replacement's start, again with the address, overlaps the new one.
    with pytest.raises(InvalidInput) as exc:
        services.meter_create(
            actor="test",
            intake=water.intake_w,
            serial="WM-X",
            installed_at=T0 + dt.timedelta(days=60),
            protocol="szy206",
            rtu_address="0012345678",
        )
    assert "rtu_address" in exc.value.fields


def test_the_database_refuses_an_overlap_that_skips_the_service(water, station):
    with pytest.raises(IntegrityError), transaction.atomic():
        Meter.objects.create(
            intake=water.intake_w,
            serial="WM-RAW",
            installed_at=T0 + dt.timedelta(days=3),
            protocol="sl427",
            rtu_address="00:1234:5678",
            expected_interval_s=900,
        )
    # Before the station's installation and removed when it was installed: no overlap, accepted.
    Meter.objects.create(
        intake=water.intake_w,
        serial="WM-OLD",
        installed_at=T0 - dt.timedelta(days=30),
        removed_at=T0,
        removal_reading_m3=Decimal(5),
        protocol="szy206",
        rtu_address="0012345678",
        expected_interval_s=900,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Meter.objects.filter(serial="WM-OLD").update(removed_at=T0 + dt.timedelta(hours=1))

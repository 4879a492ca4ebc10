"""GET /api/v1/water/monitoring/stations/: the gateway's per-station counters, scoped like the meters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.periods import BEIJING
from water import services
from water.models import TelemetryStation
from water.telemetry.services import StationDelta, station_counters_add

from .conftest import INSTALLED

pytestmark = pytest.mark.django_db

URL = "/api/v1/water/monitoring/stations/"
SEEN = dt.datetime(2026, 11, 1, 8, 0, tzinfo=BEIJING)


@pytest.fixture
def stations(tele, geography):
    """A station on the Tianshan intake (tele), one on a Saybagh intake, and one no meter claims."""
    intake_w = services.intake_create(
        actor="test",
        code="QSK-W2",
        name="沙依巴克遥测",
        source_type="groundwater",
        location=Point(87.5, 43.8, srid=4326),
        division=geography["saybagh"],
        main_use="industry",
    )
    meter_w = services.meter_create(
        actor="test",
        intake=intake_w,
        serial="SZY-W",
        installed_at=INSTALLED,
        protocol="szy206",
        rtu_address="6501030100",
    )
    station_counters_add(
        deltas=[
            StationDelta(
                "szy206",
                "6501020100",
                tele.szy.pk,
                frames=10,
                bad_crc=1,
                readings_stored=9,
                first_seen=SEEN,
                last_seen=SEEN,
                last_remote="10.0.0.1:5000",
            ),
            StationDelta("szy206", "6501030100", meter_w.pk, frames=3, last_seen=SEEN),
            StationDelta("sl651", "9999999999", None, frames=2, last_seen=SEEN, last_error="unknown"),
        ]
    )
    return {s.address: s for s in TelemetryStation.objects.all()}


def test_anonymous_is_refused(client_for, stations):
    assert client_for(None).get(URL).status_code == 401


def test_devices_may_not_read(client_for, users, stations):
    assert client_for(users["device"]).get(URL).status_code == 403


def test_admin_sees_every_station_including_unknown_ones(client_for, users, stations):
    resp = client_for(users["admin"]).get(URL)
    assert resp.status_code == 200
    rows = {r["address"]: r for r in resp.json()["results"]}
    assert set(rows) == {"6501020100", "6501030100", "9999999999"}
    known = rows["6501020100"]
    assert (known["frames"], known["bad_crc"], known["readings_stored"], known["meter_serial"]) == (
        10,
        1,
        9,
        "SZY-1",
    )
    assert known["intake_code"] == "QSK-T"
    assert known["bad_password"] == 0  # issue 14: SL 651 frames with another password
    assert known["last_remote"] == "10.0.0.1:5000"
    assert rows["9999999999"]["meter"] is None
    unknown = client_for(users["admin"]).get(URL, {"unknown": "true"}).json()["results"]
    assert [r["address"] for r in unknown] == ["9999999999"]


@pytest.mark.parametrize(
    ("who", "visible"),
    [
        ("city_reviewer", {"6501020100", "6501030100"}),
        ("reviewer_650103", {"6501030100"}),
        ("chief_650102", {"6501020100"}),
        ("operator", {"6501020100"}),
        ("no_jurisdiction", set()),
    ],
)
def test_scope_follows_the_meters(client_for, users, stations, who, visible):
    resp = client_for(users[who]).get(URL)
    assert resp.status_code == 200
    assert {r["address"] for r in resp.json()["results"]} == visible


def test_out_of_scope_is_404(client_for, users, stations):
    client = client_for(users["reviewer_650103"])
    assert client.get(f"{URL}{stations['6501020100'].pk}/").status_code == 404
    assert client.get(f"{URL}{stations['9999999999'].pk}/").status_code == 404
    assert client.get(f"{URL}{stations['6501030100'].pk}/").status_code == 200


def test_bad_filters_are_400_naming_the_field(client_for, users, stations):
    client = client_for(users["admin"])
    for params, field in (({"protocol": "hj212"}, "protocol"), ({"meter": "x"}, "meter"), ({"page": "0"}, "page")):
        resp = client.get(URL, params)
        assert resp.status_code == 400, params
        assert field in resp.json()["error"]["fields"]


def test_filters(client_for, users, stations, tele):
    client = client_for(users["admin"])
    assert [r["address"] for r in client.get(URL, {"protocol": "sl651"}).json()["results"]] == ["9999999999"]
    assert [r["address"] for r in client.get(URL, {"meter": tele.szy.pk}).json()["results"]] == ["6501020100"]
    assert [r["address"] for r in client.get(URL, {"address": "650102 0100"}).json()["results"]] == ["6501020100"]
    assert [r["address"] for r in client.get(URL, {"intake": tele.intake.pk}).json()["results"]] == ["6501020100"]


def test_writes_are_not_allowed(client_for, users, stations):
    assert client_for(users["admin"]).post(URL, {}, format="json").status_code == 405


def test_list_query_count_does_not_grow(client_for, users, stations, tele):
    client = client_for(users["city_reviewer"])
    client.get(URL)  # warm the token cache
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    deltas = [StationDelta("szy206", f"65010201{i:02X}", tele.szy.pk, frames=1) for i in range(1, 21)]
    station_counters_add(deltas=deltas)
    with CaptureQueriesContext(connection) as many:
        resp = client.get(URL)
    assert resp.json()["count"] == 22
    assert len(many) == len(few) <= 6


def test_counters_add_up_and_keep_the_latest_times(stations, tele):
    later = SEEN + dt.timedelta(hours=1)
    station_counters_add(
        deltas=[
            StationDelta(
                "szy206",
                "6501020100",
                tele.szy.pk,
                frames=5,
                readings_duplicate=2,
                last_seen=later,
                first_seen=later,
                last_remote="10.0.0.2:6000",
            ),
            # A delta with outcomes only (no frames) does not touch the meter link nor the remote.
            StationDelta("sl651", "9999999999", None, readings_refused=1),
        ]
    )
    row = TelemetryStation.objects.get(address="6501020100")
    assert (row.frames, row.readings_duplicate, row.bad_crc) == (15, 2, 1)
    assert row.first_seen == SEEN
    assert row.last_seen == later
    assert row.last_remote == "10.0.0.2:6000"
    unknown = TelemetryStation.objects.get(address="9999999999")
    assert (unknown.frames, unknown.readings_refused, unknown.last_error) == (2, 1, "unknown")


def test_a_deleted_meter_is_stored_as_none(tele):
    meter = services.meter_create(
        actor="test", intake=tele.intake, serial="GONE", installed_at=INSTALLED, install_reading_m3=Decimal(0)
    )
    gone = meter.pk
    services.meter_delete(meter=meter, actor="test")
    station_counters_add(deltas=[StationDelta("szy206", "6501020999", gone, frames=1)])
    assert TelemetryStation.objects.get(address="6501020999").meter_id is None


def test_clock_drift_and_missing_values_are_figures_on_the_endpoint(client_for, users, stations, tele):
    """Issue 18: drift (station send time minus arrival, s) and missing values are read on the stations endpoint."""
    station_counters_add(
        deltas=[StationDelta("szy206", "6501020100", tele.szy.pk, frames=1, missing_values=3, clock_drift_s=-42.5)]
    )
    rows = {r["address"]: r for r in client_for(users["admin"]).get(URL).json()["results"]}
    assert (rows["6501020100"]["clock_drift_s"], rows["6501020100"]["missing_values"]) == (-42.5, 3)
    assert (rows["6501030100"]["clock_drift_s"], rows["6501030100"]["missing_values"]) == (None, 0)


def test_admin_actions_queue_audited_commands_for_the_stations_meters(make_user, stations, tele):
    """Issue 18: the admin's station actions queue commands through the service (one per meter, audited);
    an unknown station (no meter) queues nothing."""
    from django.test import Client

    from accounts.choices import Role
    from core.models import AuditLog
    from tests.factories import TEST_PASSWORD
    from water.models import StationCommand

    make_user(Role.ADMIN, "", username="site_admin", is_staff=True, is_superuser=True)
    client = Client(headers={"Accept-Language": "en"})
    assert client.login(username="site_admin", password=TEST_PASSWORD)
    picked = [stations["6501020100"].pk, stations["9999999999"].pk]
    for action, kind in (("query_realtime", "realtime"), ("set_clock", "set_clock")):
        resp = client.post("/admin/water/telemetrystation/", {"action": action, "_selected_action": picked})
        assert resp.status_code == 302, resp.content.decode()[:500]
        command = StationCommand.objects.get(kind=kind)
        assert (command.meter_id, command.state) == (tele.szy.pk, "queued")
        assert AuditLog.objects.filter(entity="water.stationcommand", entity_id=str(command.pk)).exists()
    assert StationCommand.objects.count() == 2

"""Online monitoring from the database: the selector for the reports app (figures computed by hand for
a gap, late arrival, a meter installed mid-period and a replaced meter), online/offline at the 2×
boundary, and the API (permission matrix, scoping, bad input, query ceilings)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.gis.geos import Point as GeoPoint
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from accounts.scope import Scope
from core import periods
from core.exceptions import InvalidInput
from core.periods import BEIJING
from water import selectors, services
from water.ingest import Row
from water.models import DailyVolume, Meter
from water.selectors import MonitoringSummary, monitoring_summary

pytestmark = pytest.mark.django_db
ALL = Scope(user_id=None, role=Role.ADMIN, everything=True)
URL = "/api/v1/water/monitoring/"
H = dt.timedelta(hours=1)
JAN = periods.date_range(dt.date(2024, 1, 1), dt.date(2024, 1, 3))
NOW = dt.datetime(2024, 2, 1, tzinfo=BEIJING)


def t(day: int, hour: float) -> dt.datetime:
    return dt.datetime(2024, 1, day, tzinfo=BEIJING) + dt.timedelta(hours=hour)


def send(serial: str, stamps: list[dt.datetime], *, start: float = 0.0, late: frozenset = frozenset()) -> None:
    """Readings of a steadily running meter; each arrives 2 minutes after its instant, those in
    `late` two hours after."""
    rows = [
        Row(
            i,
            serial,
            s,
            Decimal(f"{start + 10 * (i + 1):.3f}"),
            None,
            received_at=s + (2 * H if s in late else dt.timedelta(minutes=2)),
        )
        for i, s in enumerate(stamps)
    ]
    services.reading_ingest_batch(rows=rows, scope=ALL, source="rtu", actor="test")


def hourly(first: dt.datetime, last: dt.datetime) -> list[dt.datetime]:
    out, s = [], first
    while s <= last:
        out.append(s)
        s += H
    return out


@pytest.fixture
def january(water, geography) -> SimpleNamespace:
    """Three January days (1–3) on three intakes:

    * WM-E1 (intake E, online metering required), installed 1 Jan 00:00: hourly reports 01:00 on
      1 Jan to 23:00 on 3 Jan, a gap 06:00–11:00 on 2 Jan, the last four reports of 3 Jan two hours late.
      Owed 72 slots (the 00:00 slot on 1 Jan holds only the installation reading), 71 − 6 = 65
      received, 65 slots, 61 timely.
    * WM-X1 (intake X), installed 2 Jan 10:30: a report at 10:45 (in a slot begun before it was
      installed), then 11:30 … 23:30 and 00:30 … 23:30 on 3 Jan. Owed 13 + 24 = 37, all received.
    * WM-W1 (intake W): hourly 01:00 on 1 Jan to 14:00 on 2 Jan, replaced at 15:00 by WM-W2, which
      reports 16:00 on 2 Jan to 23:00 on 3 Jan. W1 owes 24 + 15 = 39 and has 23 + 15 = 38; W2 owes
      9 + 24 = 33 and has 8 + 24 = 32; the intake owes 72 slots, no more.
    """
    gap = set(hourly(t(2, 6), t(2, 11)))
    late = frozenset(hourly(t(3, 20), t(3, 23)))
    send("WM-E1", [s for s in hourly(t(1, 1), t(3, 23)) if s not in gap], start=1000, late=late)
    intake_x = services.intake_create(
        actor="test",
        code="QSK-X",
        name="新装取水口",
        source_type="river",
        location=GeoPoint(87.7, 43.9, srid=4326),
        division=geography["tianshan"],
        main_use="industry",
        capacity_m3s=Decimal(1),
    )
    services.meter_create(actor="test", intake=intake_x, serial="WM-X1", installed_at=t(2, 10.5))
    send("WM-X1", [t(2, 10.75), *hourly(t(2, 11.5), t(3, 23.5))])
    send("WM-W1", hourly(t(1, 1), t(2, 14)))
    w2 = services.meter_replace(
        meter=water.meter_w, actor="test", at=t(2, 15), removal_reading_m3=Decimal(385), new_serial="WM-W2"
    )
    send("WM-W2", hourly(t(2, 16), t(3, 23)))
    return SimpleNamespace(intake_x=intake_x, w2=w2, **vars(water))


def test_summary_figures_computed_by_hand(january):
    summary = monitoring_summary(scope=ALL, period=JAN, now=NOW)
    assert isinstance(summary, MonitoringSummary)
    assert summary.period_label == "2024-01-01/2024-01-03"
    assert (summary.meters, summary.online, summary.offline) == (4, 3, 0)  # W1 was removed
    assert summary.expected_reports == 72 + 37 + 39 + 33
    assert summary.received_reports == 65 + 37 + 38 + 32
    assert summary.arrival_rate == pytest.approx(172 / 181)
    assert summary.completeness == pytest.approx(172 / 181)
    assert summary.timeliness == pytest.approx((61 + 37 + 38 + 32) / 181)
    # Coverage: only intake E must be metered online (600,000 m³ from a river); its meter reports.
    assert (summary.required_intakes, summary.monitored_intakes, summary.coverage) == (1, 1, 1.0)
    by = {i.code: i for i in summary.by_intake}
    assert (by["QSK-E"].expected_reports, by["QSK-E"].received_reports, by["QSK-E"].timely_reports) == (72, 65, 61)
    assert by["QSK-E"].arrival_rate == pytest.approx(65 / 72)
    assert (by["QSK-X"].expected_reports, by["QSK-X"].received_reports, by["QSK-X"].arrival_rate) == (37, 37, 1.0)
    assert (by["QSK-W"].expected_reports, by["QSK-W"].received_reports) == (72, 70)
    assert (by["QSK-W"].meters, by["QSK-W"].online) == (2, 1)
    data = summary.to_dict()
    assert data["arrival_rate"] == round(172 / 181, 6)
    assert data["by_intake"][0]["code"] == "QSK-E"
    import json

    json.dumps(data)  # JSON-safe as it is


def test_per_meter_figures_and_last_report(january):
    # Reports after the period count neither as received nor as the last report (but one at its end does).
    send("WM-E1", [t(4, 0), t(4, 1), t(4, 2)], start=2000)
    _, meters = selectors.monitoring_report(scope=ALL, period=JAN, now=NOW)
    by = {m.serial: m for m in meters}
    x = by["WM-X1"]
    assert (x.expected_reports, x.received_reports, x.reports, x.filled_slots) == (37, 37, 38, 37)
    assert x.last_observed_at == t(3, 23.5)
    assert x.last_received_at == t(3, 23.5) + dt.timedelta(minutes=2)
    e = by["WM-E1"]
    assert (e.expected_reports, e.received_reports, e.filled_slots, e.timely_reports) == (72, 65, 65, 61)
    assert e.state == "online"
    assert e.silent_s == 0
    assert e.last_observed_at == t(4, 0)
    assert (by["WM-W1"].expected_reports, by["WM-W1"].received_reports, by["WM-W1"].state) == (39, 38, "removed")
    assert (by["WM-W2"].expected_reports, by["WM-W2"].received_reports) == (33, 32)


def test_days_of_one_meter(january):
    figure, days = selectors.meter_monitoring_days(
        scope=ALL, meter_id=january.meter_e.pk, first=dt.date(2024, 1, 1), last=dt.date(2024, 1, 4), now=NOW
    )
    got = [(d.day.day, d.expected_reports, d.reports, d.filled_slots, d.timely_reports) for d in days]
    assert got == [(1, 24, 23, 23, 23), (2, 24, 18, 18, 18), (3, 24, 24, 24, 20), (4, 24, 0, 0, 0)]
    assert days[1].to_dict()["arrival_rate"] == 0.75
    assert figure.expected_reports == 96


def test_current_period_counts_only_up_to_now(january):
    now = t(3, 12.5)  # slots 00:00 … 12:00 of 3 January are owed by now
    _summary, meters = selectors.monitoring_report(scope=ALL, period=JAN, now=now)
    e = next(m for m in meters if m.serial == "WM-E1")
    assert e.expected_reports == 24 + 24 + 13
    assert e.last_observed_at == t(3, 12)


@pytest.mark.parametrize(("after_s", "state"), [(7200, "online"), (7201, "offline")])
def test_online_offline_at_twice_the_interval(water, after_s, state):
    send("WM-E1", hourly(t(1, 1), t(1, 5)), start=1000)
    now = t(1, 5) + dt.timedelta(seconds=after_s)
    summary, meters = selectors.monitoring_report(scope=ALL, period=periods.day(dt.date(2024, 1, 1)), now=now)
    e = next(m for m in meters if m.serial == "WM-E1")
    assert e.state == state
    assert summary.monitored_intakes == (1 if state == "online" else 0)
    assert summary.coverage == (1.0 if state == "online" else 0.0)


def test_a_late_reading_counts_but_not_as_timely(water):
    send("WM-E1", [t(1, 1), t(1, 3)], start=1000)
    # 02:00 arrives a day later (out of order: the recompute path keeps the counts too).
    rows = [Row(0, "WM-E1", t(1, 2), Decimal("1015"), None, received_at=t(2, 2))]
    services.reading_ingest_batch(rows=rows, scope=ALL, source="rtu", actor="test")
    row = DailyVolume.objects.get(meter=water.meter_e, day=dt.date(2024, 1, 1))
    assert (row.n_readings, row.n_slots, row.n_timely) == (3, 3, 2)


def test_division_filter_and_scope(january, users):
    summary = monitoring_summary(scope=ALL, period=JAN, division_code="650103", now=NOW)
    assert [i.code for i in summary.by_intake] == ["QSK-W"]
    assert summary.required_intakes == 0
    assert summary.coverage is None
    operator = Scope(user_id=users["operator"].pk, role=Role.OPERATOR)
    assert [i.code for i in monitoring_summary(scope=operator, period=JAN, now=NOW).by_intake] == ["QSK-E"]
    for bad in ("abc", "659999"):
        with pytest.raises(InvalidInput) as exc:
            monitoring_summary(scope=ALL, period=JAN, division_code=bad, now=NOW)
        assert "division" in exc.value.fields


def test_a_period_before_any_meter_expects_nothing(water):
    summary = monitoring_summary(scope=ALL, period=periods.year(2023), now=NOW)
    assert (summary.meters, summary.expected_reports, summary.arrival_rate) == (0, 0, None)
    assert summary.required_intakes == 1
    assert summary.coverage == 0.0


# ------------------------------------------------------------------------------------------- API


def test_anonymous_401_device_403(client_for, users, water):
    for url in (
        f"{URL}?start=2024-01-01&end=2024-01-03",
        f"{URL}meters/{water.meter_e.pk}/days/?start=2024-01-01&end=2024-01-03",
    ):
        assert client_for(None).get(url).status_code == 401
        assert client_for(users["device"]).get(url).status_code == 403


EXPECTED = {
    "admin": ["WM-E1", "WM-W1", "WM-W2", "WM-X1"],
    "city_reviewer": ["WM-E1", "WM-W1", "WM-W2", "WM-X1"],
    "reviewer_650103": ["WM-W1", "WM-W2"],
    "chief_650102": ["WM-E1", "WM-X1"],
    "operator": ["WM-E1"],
    "no_jurisdiction": [],
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_each_role_sees_its_scope(client_for, users, january, who):
    r = client_for(users[who]).get(URL, {"start": "2024-01-01", "end": "2024-01-03"})
    assert r.status_code == 200, r.content
    assert sorted(m["serial"] for m in r.json()["results"]) == EXPECTED[who]
    assert r.json()["summary"]["meters"] == len(EXPECTED[who])


def test_list_shape_filters_and_pages(client_for, users, january):
    client = client_for(users["admin"])
    body = client.get(URL, {"start": "2024-01-01", "end": "2024-01-03", "page_size": 2}).json()
    assert body["count"] == 4
    assert len(body["results"]) == 2
    assert body["next"]
    s = body["summary"]
    assert (s["expected_reports"], s["received_reports"], s["period_label"]) == (181, 172, "2024-01-01/2024-01-03")
    assert 0 <= s["arrival_rate"] <= 1
    body = client.get(URL, {"start": "2024-01-01", "end": "2024-01-03", "state": "removed"}).json()
    assert [m["serial"] for m in body["results"]] == ["WM-W1"]
    body = client.get(URL, {"start": "2024-01-01", "end": "2024-01-03", "intake": january.intake_x.pk}).json()
    assert [m["serial"] for m in body["results"]] == ["WM-X1"]
    assert body["summary"]["meters"] == 4  # the summary is the scope's
    body = client.get(URL, {"start": "2024-01-01", "end": "2024-01-03", "division": "650102"}).json()
    assert sorted(m["serial"] for m in body["results"]) == ["WM-E1", "WM-X1"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2024-01-05", "end": "2024-01-03"}, "end"),
        ({"end": "2024-01-03"}, "start"),
        ({"start": "2024-13-01", "end": "2024-01-03"}, "start"),
        ({"start": "2024-01-01", "end": "2024-01-03", "division": "abc"}, "division"),
        ({"start": "2024-01-01", "end": "2024-01-03", "division": "659999"}, "division"),
        ({"start": "2024-01-01", "end": "2024-01-03", "state": "asleep"}, "state"),
        ({"start": "2024-01-01", "end": "2024-01-03", "intake": "x"}, "intake"),
        ({"start": "2024-01-01", "end": "2024-01-03", "colour": "red"}, "colour"),
        ({"start": "2010-01-01", "end": "2024-01-03"}, "end"),
        ({"start": "2024-01-01", "end": "2024-01-03", "page": "0"}, "page"),
    ],
)
def test_bad_input_is_400_naming_the_field(client_for, users, water, params, field):
    r = client_for(users["admin"]).get(URL, params)
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]


def test_days_endpoint(client_for, users, january):
    url = f"{URL}meters/{january.meter_e.pk}/days/"
    r = client_for(users["operator"]).get(url, {"start": "2024-01-01", "end": "2024-01-03"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert [d["received_reports"] for d in body["days"]] == [23, 18, 24]
    assert body["days"][2]["timeliness"] == round(20 / 24, 6)
    assert body["meter"]["serial"] == "WM-E1"
    # Out of scope, unknown: 404; bad period: 400 naming the field.
    jan = {"start": "2024-01-01", "end": "2024-01-03"}
    assert client_for(users["reviewer_650103"]).get(url, jan).status_code == 404
    assert client_for(users["admin"]).get(f"{URL}meters/999999/days/", jan).status_code == 404
    r = client_for(users["admin"]).get(url, {"start": "2024-01-03", "end": "2024-01-01"})
    assert r.status_code == 400
    assert "end" in r.json()["error"]["fields"]
    r = client_for(users["admin"]).get(url, {"start": "2020-01-01", "end": "2024-01-01"})
    assert r.status_code == 400
    assert "end" in r.json()["error"]["fields"]


def _queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_meters(client_for, users, water):
    client = client_for(users["admin"])
    params = {"start": "2024-01-01", "end": "2024-01-03"}
    send("WM-E1", hourly(t(1, 1), t(1, 6)), start=1000)
    _queries(client, URL, params)  # the token is looked up once, then remembered
    few = _queries(client, URL, params)
    for n in range(6):
        meter = services.meter_create(actor="test", intake=water.intake_e, serial=f"WM-E{n + 2}", installed_at=t(1, 0))
        send(meter.serial, hourly(t(1, 1), t(1, 6)))
    many = _queries(client, URL, params)
    assert many == few <= 10
    assert Meter.objects.count() == 8

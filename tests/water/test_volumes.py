"""The volume rules through the database (rollover, replacement, gap, spike, decrease, out-of-order,
correction, review) and GET /api/v1/water/intakes/{id}/volumes/ and /water/volumes/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditLog
from tests.water.conftest import T0, day_volumes, hours, rows
from water import services
from water.models import DailyVolume, Meter, Reading

pytestmark = pytest.mark.django_db
D = Decimal
DAY1 = dt.date(2024, 1, 1)


def send(client, batch):
    resp = client.post("/api/v1/water/readings/", {"readings": batch}, format="json")
    assert resp.status_code in (200, 201), resp.content
    return resp.json()


def volumes(client, intake, start="2024-01-01", end="2024-01-31", interval="day"):
    resp = client.get(f"/api/v1/water/intakes/{intake.pk}/volumes/?start={start}&end={end}&interval={interval}")
    assert resp.status_code == 200, resp.content
    return resp.json()


def test_rollover_at_the_register_maximum(client_for, users, water):
    meter = services.meter_create(
        actor="test",
        intake=water.intake_e,
        serial="WM-R",
        installed_at=T0,
        install_reading_m3=D(9000),
        register_max_m3=D(10_000),
    )
    send(client_for(users["admin"]), rows("WM-R", T0 + hours(1), [9500, 9900, 300, 700]))
    day = DailyVolume.objects.get(meter=meter, day=DAY1)
    assert day.measured_m3 == D(1700)  # 500 + 400 + (10000 − 9900 + 300) + 400
    assert (day.n_flagged, day.held_m3) == (0, 0)


def test_replacement_keeps_every_cubic_metre(client_for, users, water):
    admin = client_for(users["admin"])
    send(admin, rows("WM-E1", T0 + hours(1), [1010, 1020, 1030]))  # until 03:00
    swap = (T0 + hours(3.5)).isoformat()
    resp = admin.post(
        f"/api/v1/water/meters/{water.meter_e.pk}/replace/",
        {"at": swap, "removal_reading_m3": "1035", "new_serial": "WM-E2", "install_reading_m3": "0"},
        format="json",
    )
    assert resp.status_code == 201, resp.content
    new = resp.json()
    assert (new["serial"], new["replaces_serial"], new["install_reading_m3"]) == ("WM-E2", "WM-E1", 0)
    # The successor inherits the RTU set-up.
    assert new["device"] == users["device"].pk
    send(admin, rows("WM-E2", T0 + hours(4), [5, 15]))
    body = volumes(admin, water.intake_e, end="2024-01-01")
    assert body["meters"] == ["WM-E1", "WM-E2"]
    assert body["total"]["volume_m3"] == 35 + 15  # old meter 1000 → 1035, new 0 → 15
    old = Meter.objects.get(pk=water.meter_e.pk)
    assert old.removed_at == T0 + hours(3.5)
    assert old.removal_reading_m3 == D(1035)
    # The old meter takes nothing after its removal; the new one nothing before its installation.
    late = send_error(admin, rows("WM-E1", T0 + hours(4), [1040]))
    assert late == (400, ["readings[0].observed_at"])
    early = send_error(admin, rows("WM-E2", T0 + hours(3), [0]))
    assert early == (400, ["readings[0].observed_at"])
    assert AuditLog.objects.filter(entity="water.meter", entity_id=str(old.pk), action="update").exists()


def send_error(client, batch):
    resp = client.post("/api/v1/water/readings/", {"readings": batch}, format="json")
    return resp.status_code, sorted(resp.json()["error"]["fields"])


def test_replacement_is_refused_before_the_last_reading(client_for, users, water):
    admin = client_for(users["admin"])
    send(admin, rows("WM-E1", T0 + hours(1), [1010, 1020, 1030]))
    resp = admin.post(
        f"/api/v1/water/meters/{water.meter_e.pk}/replace/",
        {"at": (T0 + hours(2)).isoformat(), "removal_reading_m3": "1020", "new_serial": "WM-E2"},
        format="json",
    )
    assert resp.status_code == 400
    assert "at" in resp.json()["error"]["fields"]
    assert not Meter.objects.filter(serial="WM-E2").exists()
    assert Meter.objects.get(pk=water.meter_e.pk).removed_at is None


def test_gap_is_split_across_days_as_estimated(client_for, users, water):
    admin = client_for(users["admin"])
    send(admin, rows("WM-E1", T0 + hours(1), [1010, 1020]))  # 01:00, 02:00
    send(admin, rows("WM-E1", T0 + hours(50), [1500, 1510]))  # 3 Jan 02:00, 03:00
    body = volumes(admin, water.intake_e, end="2024-01-03")
    d1, d2, d3 = body["periods"]
    # 02:00 → +48 h: 480 m³ over 48 h, 22 h on day 1, 24 h on day 2, 2 h on day 3.
    assert d1["measured_m3"] == 20
    assert d1["estimated_m3"] == 220
    assert (d2["estimated_m3"], d2["measured_m3"], d2["provenance"]) == (240, 0, "estimated")
    assert (d3["estimated_m3"], d3["measured_m3"]) == (20, 10)
    assert body["total"]["volume_m3"] == 510  # 1000 → 1510: nothing lost
    assert d2["coverage"] == 0
    assert d1["coverage"] == pytest.approx(2 / 24, abs=1e-6)
    # A late reading inside the gap turns part of it into measured days.
    send(admin, rows("WM-E1", T0 + hours(24), [1240, 1250]))
    body = volumes(admin, water.intake_e, end="2024-01-03")
    assert body["periods"][0]["estimated_m3"] == 0  # 02:00 → 24:00 is inside one day: exact
    assert body["total"]["volume_m3"] == 510


def test_spike_is_held_until_a_reviewer_rejects_it(client_for, users, water):
    admin = client_for(users["admin"])
    send(admin, rows("WM-E1", T0 + hours(1), [1010, 1020, 61_020, 1030, 1040]))
    day = DailyVolume.objects.get(meter=water.meter_e, day=DAY1)
    assert day.volume_m3 == D(30)  # 1000 → 1020 and 1030 → 1040; the spike and its way back are held
    assert day.held_m3 == D(60_000)
    assert day.n_flagged == 1
    flagged = admin.get("/api/v1/water/readings/flagged/?start=2024-01-01&end=2024-01-01").json()["results"]
    assert [(f["meter"], f["kind"], f["observed_at"]) for f in flagged] == [
        ("WM-E1", "jump", (T0 + hours(3)).isoformat())
    ]
    reviewer = client_for(users["city_reviewer"])
    resp = reviewer.post(
        "/api/v1/water/readings/review/",
        {"meter": "WM-E1", "observed_at": (T0 + hours(3)).isoformat(), "decision": "reject", "reason": "RTU glitch"},
        format="json",
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["review"] == "rejected"
    day.refresh_from_db()
    assert day.volume_m3 == D(40)
    assert day.corrected_m3 == D(10)  # 1020 → 1030 joined across the rejected reading
    assert (day.held_m3, day.n_flagged) == (0, 0)
    entry = AuditLog.objects.get(entity="water.reading", action="transition")
    assert entry.reason == "RTU glitch"
    assert entry.actor_id == users["city_reviewer"].pk
    assert Reading.objects.filter(meter=water.meter_e, review="rejected").count() == 1  # kept, not deleted


def test_decrease_is_held_until_accepted(client_for, users, water):
    admin = client_for(users["admin"])
    send(admin, rows("WM-E1", T0 + hours(1), [1010, 1020, 1015, 1030]))
    day = DailyVolume.objects.get(meter=water.meter_e, day=DAY1)
    assert (day.volume_m3, day.held_m3, day.n_flagged) == (D(20), D(15), 1)
    resp = client_for(users["city_reviewer"]).post(
        "/api/v1/water/readings/review/",
        {"meter": "WM-E1", "observed_at": (T0 + hours(3)).isoformat(), "decision": "accept", "reason": "reset"},
        format="json",
    )
    assert resp.status_code == 200
    day.refresh_from_db()
    assert day.volume_m3 == D(35)  # the decrease counts 0, 1015 → 1030 counts 15
    assert day.corrected_m3 == D(15)
    assert day.n_flagged == 0


def test_out_of_order_batches_give_the_in_order_days(client_for, users, water):
    admin = client_for(users["admin"])
    values = [1000 + 7 * h + (h % 5) for h in range(1, 61)]
    ordered = rows("WM-E1", T0 + hours(1), values)
    chunks = [ordered[40:], ordered[:10], ordered[25:40], ordered[10:25], ordered[5:30]]
    for chunk in chunks:
        send(admin, chunk)
    got = day_volumes(water.meter_e)
    services.daily_volumes_rebuild(meter_ids=[water.meter_e.pk])
    assert day_volumes(water.meter_e) == got
    assert sum(got.values()) == D(values[-1] - 1000)


def test_correction_is_audited_and_the_first_value_still_counts_as_a_resend(client_for, users, water):
    admin = client_for(users["admin"])
    send(admin, rows("WM-E1", T0 + hours(1), [1010, 1200, 1030]))  # 02:00 misread
    key = {"meter": "WM-E1", "observed_at": (T0 + hours(2)).isoformat()}
    resp = client_for(users["city_reviewer"]).post(
        "/api/v1/water/readings/correct/",
        {**key, "cumulative_m3": "1020", "reason": "photo of the dial"},
        format="json",
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["cumulative_m3"], body["original_cumulative_m3"], body["corrected"]) == (1020, 1200, True)
    day = DailyVolume.objects.get(meter=water.meter_e, day=DAY1)
    assert day.volume_m3 == D(30)
    assert day.corrected_m3 == D(20)  # both steps touching the corrected reading
    entry = AuditLog.objects.get(entity="water.reading", action="correct")
    assert entry.before["cumulative_m3"] == "1200.000"
    assert entry.after["cumulative_m3"] == "1020.000"
    # The RTU resending its buffer (the first value) is a duplicate, not a conflict…
    assert send(admin, rows("WM-E1", T0 + hours(2), [1200])) == {"created": 0, "duplicates": 1}
    # …but a third value is.
    assert send_error(admin, rows("WM-E1", T0 + hours(2), [1300]))[0] == 409


@pytest.mark.parametrize("who", ["operator", "device", "chief_650102"])
def test_only_staff_correct_and_review(client_for, users, water, who):
    send(client_for(users["admin"]), rows("WM-E1", T0 + hours(1), [1010]))
    key = {"meter": "WM-E1", "observed_at": (T0 + hours(1)).isoformat(), "reason": "x"}
    client = client_for(users[who])
    assert client.post("/api/v1/water/readings/correct/", {**key, "cumulative_m3": 1}, format="json").status_code == 403
    resp = client.post("/api/v1/water/readings/review/", {**key, "decision": "reject"}, format="json")
    assert resp.status_code == 403


def test_review_outside_jurisdiction_is_404(client_for, users, water):
    send(client_for(users["admin"]), rows("WM-E1", T0 + hours(1), [1010]))
    resp = client_for(users["reviewer_650103"]).post(
        "/api/v1/water/readings/review/",
        {"meter": "WM-E1", "observed_at": (T0 + hours(1)).isoformat(), "decision": "reject", "reason": "x"},
        format="json",
    )
    assert resp.status_code == 404
    assert Reading.objects.get(meter=water.meter_e, observed_at=T0 + hours(1)).review == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cumulative_m3": "-1"}, "cumulative_m3"),
        ({"cumulative_m3": "5", "reason": ""}, "reason"),
        ({"cumulative_m3": "5", "observed_at": "2024-01-01T01:00:00"}, "observed_at"),
        ({"cumulative_m3": "5", "extra": 1}, "extra"),
        ({"cumulative_m3": "2000000"}, "cumulative_m3"),  # at or above the register maximum
    ],
)
def test_bad_corrections_are_400_and_change_nothing(client_for, users, water, body, field):
    send(client_for(users["admin"]), rows("WM-E1", T0 + hours(1), [1010]))
    payload = {"meter": "WM-E1", "observed_at": (T0 + hours(1)).isoformat(), "reason": "x", **body}
    resp = client_for(users["admin"]).post("/api/v1/water/readings/correct/", payload, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]
    assert Reading.objects.get(meter=water.meter_e, observed_at=T0 + hours(1)).cumulative_m3 == D(1010)


def test_volumes_by_month_and_quarter(client_for, users, water):
    admin = client_for(users["admin"])
    send(admin, rows("WM-E1", dt.datetime(2024, 3, 31, 23, tzinfo=T0.tzinfo), [1100, 1110, 1130]))
    by_month = volumes(admin, water.intake_e, start="2024-01-01", end="2024-06-30", interval="month")
    assert [p["label"] for p in by_month["periods"]] == [
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
        "2024-05",
        "2024-06",
    ]
    march, april = by_month["periods"][2], by_month["periods"][3]
    # 1000 (installed 1 Jan 00:00) → 1100 (31 Mar 23:00) is one long gap: 100 m³ over 2,183 h, spread by
    # time and estimated; March holds 743 of those hours, then 23:00 → 24:00 is measured.
    assert march["estimated_m3"] == pytest.approx(100 * 743 / 2183, abs=0.001)
    assert march["measured_m3"] == 10
    assert march["provenance"] == "estimated"
    assert april == april | {"volume_m3": 20, "measured_m3": 20, "estimated_m3": 0, "provenance": "measured"}
    assert sum(p["volume_m3"] for p in by_month["periods"]) == pytest.approx(130, abs=0.002)
    assert by_month["total"]["volume_m3"] == 130
    quarters = volumes(admin, water.intake_e, start="2024-01-01", end="2024-12-31", interval="quarter")
    assert [p["label"] for p in quarters["periods"]] == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    assert [p["volume_m3"] for p in quarters["periods"]] == [110, 20, 0, 0]
    assert [p["start"] for p in quarters["periods"]] == ["2024-01-01", "2024-04-01", "2024-07-01", "2024-10-01"]
    assert quarters["periods"][0]["provenance"] == "estimated"
    assert quarters["periods"][2]["coverage"] == 0
    assert quarters["total"]["volume_m3"] == 130


def test_operator_reading_another_intake_is_404(client_for, users, water):
    client = client_for(users["operator"])
    assert (
        client.get(f"/api/v1/water/intakes/{water.intake_e.pk}/volumes/?start=2024-01-01&end=2024-01-02").status_code
        == 200
    )
    resp = client.get(f"/api/v1/water/intakes/{water.intake_w.pk}/volumes/?start=2024-01-01&end=2024-01-02")
    assert resp.status_code == 404
    assert client.get(f"/api/v1/water/intakes/{water.intake_w.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2024-02-01&end=2024-01-01", "end"),
        ("start=2024-01-01&end=2024-01-31&interval=week", "interval"),
        ("end=2024-01-31", "start"),
        ("start=2024-13-01&end=2024-12-31", "start"),
        ("start=2000-01-01&end=2024-12-31", "end"),
        ("start=2024-01-01&end=2026-12-31&interval=day", "end"),
        ("start=2024-01-01&end=2024-01-02&bogus=1", "bogus"),
    ],
)
def test_bad_volume_queries_are_400(client_for, users, water, query, field):
    resp = client_for(users["admin"]).get(f"/api/v1/water/intakes/{water.intake_e.pk}/volumes/?{query}")
    assert resp.status_code == 400
    assert field in resp.json()["error"]["fields"]


def test_volumes_permissions(client_for, users, water):
    url = f"/api/v1/water/intakes/{water.intake_e.pk}/volumes/?start=2024-01-01&end=2024-01-02"
    assert client_for(None).get(url).status_code == 401
    assert client_for(users["device"]).get(url).status_code == 403
    assert client_for(users["reviewer_650103"]).get(url).status_code == 404
    assert client_for(users["chief_650102"]).get(url).status_code == 200


def test_volumes_query_count_is_flat(client_for, users, water):
    admin = client_for(users["admin"])
    send(admin, rows("WM-E1", T0 + hours(1), [1000 + h for h in range(1, 24 * 40)]))
    url = f"/api/v1/water/intakes/{water.intake_e.pk}/volumes/?start=2024-01-01&end=2024-12-31&interval=day"
    with CaptureQueriesContext(connection) as ctx:
        assert admin.get(url).status_code == 200
    assert len(ctx.captured_queries) <= 5, [q["sql"] for q in ctx.captured_queries]


def test_every_intake_volumes_list(client_for, users, water):
    admin = client_for(users["admin"])
    send(admin, rows("WM-E1", T0 + hours(1), [1010, 1020]))
    send(admin, rows("WM-W1", T0 + hours(1), [4, 8, 12]))
    with CaptureQueriesContext(connection) as ctx:
        resp = admin.get("/api/v1/water/volumes/?start=2024-01-01&end=2024-03-31&interval=quarter")
    assert resp.status_code == 200
    assert len(ctx.captured_queries) <= 6
    by_code = {r["code"]: r["periods"] for r in resp.json()["results"]}
    assert by_code["QSK-E"][0]["volume_m3"] == 20
    assert by_code["QSK-W"][0]["volume_m3"] == 12
    # Scoped: the Saybagh reviewer sees only the Saybagh intake.
    resp = client_for(users["reviewer_650103"]).get("/api/v1/water/volumes/?start=2024-01-01&end=2024-03-31")
    assert [r["code"] for r in resp.json()["results"]] == ["QSK-W"]
    assert client_for(users["device"]).get("/api/v1/water/volumes/?start=2024-01-01&end=2024-03-31").status_code == 403


def test_rule_change_recomputes_the_days(users, water, client_for):
    send(client_for(users["admin"]), rows("WM-E1", T0 + hours(1), [1010, 1020, 6000, 6010]))
    day = DailyVolume.objects.get(meter=water.meter_e, day=DAY1)
    assert day.n_flagged == 1  # 4980 m³ in an hour is above 1 m³/s × 1.2
    services.intake_update(intake=water.intake_e, actor="test", changes={"capacity_m3s": D(2)})
    day = DailyVolume.objects.get(meter=water.meter_e, day=DAY1)  # rebuilt rows
    assert (day.n_flagged, day.volume_m3) == (0, D(5010))

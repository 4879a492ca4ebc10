"""POST /api/v1/water/readings/: the batch contract (SPEC section 3) and its refusals."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from core.models import AuditLog
from tests.water.conftest import T0, day_volumes, hours, rows
from water.models import DailyVolume, Reading

pytestmark = pytest.mark.django_db
URL = "/api/v1/water/readings/"


def post(client, body, **kw):
    return client.post(URL, body, format="json", **kw)


def stored(meter) -> int:
    return Reading.objects.filter(meter=meter).count()


def test_batch_is_created_and_a_resend_is_all_duplicates(client_for, users, water):
    client = client_for(users["admin"])
    batch = rows("WM-E1", T0 + hours(1), [1010 + 10 * i for i in range(48)])
    resp = post(client, {"readings": batch})
    assert resp.status_code == 201, resp.content
    assert resp.json() == {"created": 48, "duplicates": 0}
    days = day_volumes(water.meter_e)
    assert days[dt.date(2024, 1, 1)] == Decimal(240)  # 00:00 (install, 1000) → 24:00 (1240)
    assert days[dt.date(2024, 1, 2)] == Decimal(240)
    before = list(DailyVolume.objects.order_by("meter", "day").values_list("day", "measured_m3", "updated_at"))

    resp = post(client, {"readings": batch})
    assert resp.status_code == 200
    assert resp.json() == {"created": 0, "duplicates": 48}
    # A resend changes nothing, not even the daily rows' timestamps.
    assert list(DailyVolume.objects.order_by("meter", "day").values_list("day", "measured_m3", "updated_at")) == before
    assert stored(water.meter_e) == 49


def test_same_instant_in_another_offset_is_the_same_reading(client_for, users, water):
    client = client_for(users["admin"])
    post(client, {"readings": rows("WM-E1", T0 + hours(1), [1010])})
    utc = (T0 + hours(1)).astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    resp = post(client, {"readings": [{"meter": "WM-E1", "observed_at": utc, "cumulative_m3": 1010.0}]})
    assert resp.json() == {"created": 0, "duplicates": 1}


def test_part_new_part_resent_batch_counts_both(client_for, users, water):
    client = client_for(users["admin"])
    post(client, {"readings": rows("WM-E1", T0 + hours(1), [1010, 1020, 1030])})
    resp = post(client, {"readings": rows("WM-E1", T0 + hours(2), [1020, 1030, 1040, 1050])})
    assert resp.json() == {"created": 2, "duplicates": 2}
    assert day_volumes(water.meter_e)[dt.date(2024, 1, 1)] == Decimal(50)


def test_duplicate_rows_inside_one_batch(client_for, users, water):
    batch = rows("WM-E1", T0 + hours(1), [1010, 1020])
    resp = post(client_for(users["admin"]), {"readings": [*batch, batch[0]]})
    assert resp.json() == {"created": 2, "duplicates": 1}


def test_conflict_is_409_naming_the_rows_and_writes_nothing(client_for, users, water):
    client = client_for(users["admin"])
    post(client, {"readings": rows("WM-E1", T0 + hours(1), [1010, 1020, 1030])})
    before = stored(water.meter_e), list(DailyVolume.objects.values_list("day", "measured_m3"))
    batch = rows("WM-E1", T0 + hours(3), [1030, 1040]) + rows("WM-E1", T0 + hours(2), [1999])
    resp = post(client, {"readings": batch})
    assert resp.status_code == 409
    err = resp.json()["error"]
    assert err["code"] == "conflict"
    assert list(err["fields"]) == ["readings[2].cumulative_m3"]
    assert "1020" in err["fields"]["readings[2].cumulative_m3"][0]
    # The new row of the refused batch (04:00) was not written either.
    assert (stored(water.meter_e), list(DailyVolume.objects.values_list("day", "measured_m3"))) == before


def test_two_values_for_one_instant_in_a_batch_is_a_conflict(client_for, users, water):
    batch = rows("WM-E1", T0 + hours(1), [1010]) + rows("WM-E1", T0 + hours(1), [1011])
    resp = post(client_for(users["admin"]), {"readings": batch})
    assert resp.status_code == 409
    assert "readings[1].cumulative_m3" in resp.json()["error"]["fields"]
    assert stored(water.meter_e) == 1


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"observed_at": "2024-01-01T05:00:00"}, "observed_at"),  # naive
        ({"observed_at": "yesterday"}, "observed_at"),
        ({"observed_at": "2999-01-01T00:00:00+08:00"}, "observed_at"),  # future
        ({"observed_at": "2023-12-31T23:00:00+08:00"}, "observed_at"),  # before installation
        ({"cumulative_m3": -1}, "cumulative_m3"),
        ({"cumulative_m3": "12"}, "cumulative_m3"),
        ({"cumulative_m3": True}, "cumulative_m3"),
        ({"cumulative_m3": 1_000_000}, "cumulative_m3"),  # at the register maximum
        ({"cumulative_m3": None}, "cumulative_m3"),
        ({"flow_m3s": -0.5}, "flow_m3s"),
        ({"flow_m3s": "fast"}, "flow_m3s"),
        ({"meter": ""}, "meter"),
        ({"meter": 12}, "meter"),
        ({"cumulativ_m3": 5}, "cumulativ_m3"),  # a misspelt field is named, not ignored
    ],
)
def test_one_bad_row_refuses_the_whole_batch(client_for, users, water, bad, field):
    batch = rows("WM-E1", T0 + hours(1), [1010, 1020, 1030, 1040])
    batch[2] = {**batch[2], **bad}
    resp = post(client_for(users["admin"]), {"readings": batch})
    assert resp.status_code == 400, resp.content
    err = resp.json()["error"]
    assert f"readings[2].{field}" in err["fields"], err
    assert len(err["fields"]) in (1, 2)
    assert stored(water.meter_e) == 1  # only the installation reading
    assert not DailyVolume.objects.exists()


def test_every_bad_row_is_named(client_for, users, water):
    batch = rows("WM-E1", T0 + hours(1), [1010, 1020, 1030])
    batch[0]["observed_at"] = "2024-01-01T01:00:00"
    batch[2]["cumulative_m3"] = -5
    resp = post(client_for(users["admin"]), {"readings": batch})
    assert set(resp.json()["error"]["fields"]) == {"readings[0].observed_at", "readings[2].cumulative_m3"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "readings"),
        ({"readings": []}, "readings"),
        ({"readings": "x"}, "readings"),
        ({"readings": [1]}, "readings[0]"),
        ({"readings": [], "extra": 1}, "extra"),
        ([], "readings"),
    ],
)
def test_malformed_batches_are_400(client_for, users, water, body, field):
    resp = post(client_for(users["admin"]), body)
    assert resp.status_code == 400
    assert field in resp.json()["error"]["fields"]


@pytest.mark.parametrize("raw", [b'{"readings": [', b'{"readings": [{"meter": "WM-E1", "cumulative_m3": NaN}]}'])
def test_unparseable_json_is_400(client_for, users, water, raw):
    resp = client_for(users["admin"]).post(URL, raw, content_type="application/json")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "malformed_request"


def test_unknown_meter_is_404_and_writes_nothing(client_for, users, water):
    batch = rows("WM-E1", T0 + hours(1), [1010]) + rows("NO-SUCH", T0 + hours(1), [5])
    resp = post(client_for(users["admin"]), {"readings": batch})
    assert resp.status_code == 404
    err = resp.json()["error"]
    assert err["code"] == "unknown_meter"
    assert list(err["fields"]) == ["readings[1].meter"]
    assert stored(water.meter_e) == 1


def test_device_writes_its_own_meter(client_for, users, water):
    resp = post(client_for(users["device"]), {"readings": rows("WM-E1", T0 + hours(1), [1010])})
    assert resp.status_code == 201
    assert Reading.objects.get(meter=water.meter_e, observed_at=T0 + hours(1)).source == "api"


def test_device_writing_another_meter_is_404(client_for, users, water):
    # WM-W1 belongs to another device: answered exactly like a meter that does not exist.
    resp = post(client_for(users["device"]), {"readings": rows("WM-W1", T0 + hours(1), [10])})
    assert resp.status_code == 404
    assert resp.json()["error"]["fields"] == {"readings[0].meter": ["No such meter among those you may write."]}
    assert stored(water.meter_w) == 1


def test_operator_writes_manual_readings_for_own_intake_only(client_for, users, water):
    client = client_for(users["operator"])
    resp = post(client, {"readings": rows("WM-E1", T0 + hours(1), [1010])})
    assert resp.status_code == 201
    assert Reading.objects.get(meter=water.meter_e, observed_at=T0 + hours(1)).source == "manual"
    assert post(client, {"readings": rows("WM-W1", T0 + hours(1), [10])}).status_code == 404


def test_reviewer_writes_in_jurisdiction_only(client_for, users, water):
    client = client_for(users["reviewer_650103"])
    assert post(client, {"readings": rows("WM-W1", T0 + hours(1), [10])}).status_code == 201
    assert post(client, {"readings": rows("WM-E1", T0 + hours(1), [1010])}).status_code == 404


def test_anonymous_is_401_and_chief_is_403(client_for, users, water):
    body = {"readings": rows("WM-E1", T0 + hours(1), [1010])}
    assert post(client_for(None), body).status_code == 401
    assert post(client_for(users["chief_650102"]), body).status_code == 403
    assert stored(water.meter_e) == 1


def test_csv_body(client_for, users, water):
    text = (
        "\ufeffmeter,observed_at,cumulative_m3,flow_m3s\n"
        f"WM-E1,{(T0 + hours(1)).isoformat()},1010,0.003\n"
        f"WM-E1,{(T0 + hours(2)).isoformat()},1020.5,\n"
    )
    resp = client_for(users["admin"]).post(URL, text.encode(), content_type="text/csv")
    assert resp.status_code == 201, resp.content
    assert resp.json() == {"created": 2, "duplicates": 0}
    r = Reading.objects.get(meter=water.meter_e, observed_at=T0 + hours(1))
    assert (r.source, r.flow_m3s) == ("csv", 0.003)
    assert Reading.objects.get(meter=water.meter_e, observed_at=T0 + hours(2)).flow_m3s is None


@pytest.mark.parametrize(
    "header",
    ["meter,observed,cumulative_m3", "meter,observed_at", "meter,observed_at,cumulative_m3,cumulative_m3", ""],
)
def test_csv_with_a_bad_header_is_400(client_for, users, water, header):
    text = f"{header}\nWM-E1,{(T0 + hours(1)).isoformat()},1010\n"
    resp = client_for(users["admin"]).post(URL, text.encode(), content_type="text/csv")
    assert resp.status_code == 400
    assert "header" in resp.json()["error"]["fields"]
    assert stored(water.meter_e) == 1


def test_csv_bad_row_named_by_data_row_index(client_for, users, water):
    text = (
        "meter,observed_at,cumulative_m3\n"
        f"WM-E1,{(T0 + hours(1)).isoformat()},1010\n"
        f"WM-E1,{(T0 + hours(2)).isoformat()},lots\n"
        f"WM-E1,{(T0 + hours(3)).isoformat()}\n"
    )
    resp = client_for(users["admin"]).post(URL, text.encode(), content_type="text/csv")
    assert resp.status_code == 400
    assert set(resp.json()["error"]["fields"]) == {"readings[1].cumulative_m3", "readings[2]"}
    assert stored(water.meter_e) == 1


def test_other_content_types_are_415(client_for, users, water):
    resp = client_for(users["admin"]).post(URL, b"<readings/>", content_type="application/xml")
    assert resp.status_code == 415


def test_oversize_body_is_413(client_for, users, water, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    batch = rows("WM-E1", T0 + hours(1), [1010 + i for i in range(100)])
    resp = post(client_for(users["admin"]), {"readings": batch})
    assert resp.status_code == 413
    assert stored(water.meter_e) == 1


def test_too_many_rows_is_400(client_for, users, water, settings):
    settings.WATER_INGEST_MAX_ROWS = 10
    resp = post(client_for(users["admin"]), {"readings": rows("WM-E1", T0 + hours(1), list(range(1010, 1021)))})
    assert resp.status_code == 400
    assert "readings" in resp.json()["error"]["fields"]


def test_idempotency_key_replays_the_first_answer(client_for, users, water):
    client = client_for(users["admin"])
    body = {"readings": rows("WM-E1", T0 + hours(1), [1010])}
    first = post(client, body, HTTP_IDEMPOTENCY_KEY="batch-1")
    again = post(client, body, HTTP_IDEMPOTENCY_KEY="batch-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == {"created": 1, "duplicates": 0}
    assert again["Idempotent-Replayed"] == "true"


def test_a_batch_is_audited_once(client_for, users, water):
    client = client_for(users["device"])
    post(client, {"readings": rows("WM-E1", T0 + hours(1), [1010, 1020])})
    post(client, {"readings": rows("WM-E1", T0 + hours(1), [1010, 1020])})  # resend: nothing to audit
    entries = AuditLog.objects.filter(entity="water.readingbatch")
    assert entries.count() == 1
    entry = entries.get()
    assert entry.actor_id == users["device"].pk
    assert entry.after["created"] == 2


def test_ingest_query_count_does_not_grow_with_rows(client_for, users, water):
    client = client_for(users["device"])
    post(client, {"readings": rows("WM-E1", T0 + hours(1), [1010])})
    small = rows("WM-E1", T0 + hours(2), [1020, 1030])
    big = rows("WM-E1", T0 + hours(4), [1040 + 10 * i for i in range(500)])
    counts = []
    for batch in (small, big):
        with CaptureQueriesContext(connection) as ctx:
            assert post(client, {"readings": batch}).status_code == 201
        counts.append(len(ctx.captured_queries))
    assert counts[1] <= counts[0] + 1, counts


def test_flow_is_kept_and_a_resend_with_another_flow_is_a_duplicate(client_for, users, water):
    client = client_for(users["admin"])
    batch = rows("WM-E1", T0 + hours(1), [1010])
    batch[0]["flow_m3s"] = 0.25
    post(client, {"readings": batch})
    batch[0]["flow_m3s"] = 0.3
    assert post(client, {"readings": batch}).json() == {"created": 0, "duplicates": 1}
    assert Reading.objects.get(meter=water.meter_e, observed_at=T0 + hours(1)).flow_m3s == 0.25


def test_register_is_stored_to_the_litre(client_for, users, water):
    client = client_for(users["admin"])
    post(client, {"readings": rows("WM-E1", T0 + hours(1), [1010.12345])})
    assert Reading.objects.get(meter=water.meter_e, observed_at=T0 + hours(1)).cumulative_m3 == Decimal("1010.123")
    # A resend that differs below the register's resolution is the same reading.
    assert post(client, {"readings": rows("WM-E1", T0 + hours(1), [1010.1234])}).json()["duplicates"] == 1


def test_answer_is_json_without_an_accept_header(client_for, users, water):
    # RTU gateways often send no Accept header at all.
    resp = post(client_for(users["admin"]), {"readings": rows("WM-E1", T0 + hours(1), [1010])})
    assert "HTTP_ACCEPT" not in resp.wsgi_request.META
    assert resp["Content-Type"].startswith("application/json")
    assert json.loads(resp.content)["created"] == 1


def test_device_cannot_read(client_for, users, water):
    assert client_for(users["device"]).get(URL).status_code == 403


def test_role_matrix_for_roles_without_ingest(client_for, make_user, water):
    chief = make_user(Role.CHIEF, "650103", username="t_chief_w")
    resp = post(client_for(chief), {"readings": rows("WM-W1", T0 + hours(1), [10])})
    assert resp.status_code == 403

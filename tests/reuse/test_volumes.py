"""Monthly volumes and deliveries, as JSON and as CSV: all rows or none, bad rows named by index (and
file line, `(line 12)`, core.kernel's convention), stored months refused with 409 unless replaced
(audited), and warnings (more delivered than produced, over design capacity, no plant month) that
never refuse."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.scope import SYSTEM_SCOPE
from core.models import AuditLog, IdempotencyRecord
from reuse.choices import VolumeFlag
from reuse.models import MonthlyDelivery, MonthlyPlantVolume
from tests.reuse.conftest import month

pytestmark = pytest.mark.django_db
VOLUMES = "/api/v1/reuse/volumes/"
DELIVERIES = "/api/v1/reuse/deliveries/"


def vol(plant="P-E", m="2024-07", treated=3_000_000, produced=900_000, **kw):
    return {"plant": plant, "month": m, "treated_m3": treated, "produced_m3": produced, **kw}


@pytest.fixture
def admin(client_for, users):
    return client_for(users["admin"])


def _nothing_written(audits_before):
    assert not MonthlyPlantVolume.objects.exists()
    assert not MonthlyDelivery.objects.exists()
    assert AuditLog.objects.count() == audits_before


# --------------------------------------------------------------------------- plant months (JSON)


def test_batch_is_created_audited_and_a_resend_is_a_no_op(admin, users, ledger):
    body = {"volumes": [vol(), vol(m="2024-08"), vol(plant="P-W", treated=1_000_000, produced=100_000)]}
    resp = admin.post(VOLUMES, body, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json() == {"created": 3, "updated": 0, "unchanged": 0, "warnings": []}
    stored = MonthlyPlantVolume.objects.get(plant__code="P-E", month=month(7))
    assert stored.treated_m3 == Decimal("3000000.000")
    assert stored.source == "api"
    logs = AuditLog.objects.filter(entity="reuse.monthlyplantvolume", action="create")
    assert logs.count() == 3
    log = logs.get(entity_id=str(stored.pk))
    assert (log.actor, log.actor_label, log.reason) == (users["admin"], "t_admin", "api")
    assert log.after["treated_m3"] == "3000000.000"
    again = admin.post(VOLUMES, body, format="json")
    assert again.status_code == 200
    assert again.json()["unchanged"] == 3
    assert AuditLog.objects.filter(entity="reuse.monthlyplantvolume").count() == 3


def test_other_figures_for_a_stored_month_are_a_conflict_unless_replaced(admin, ledger):
    admin.post(VOLUMES, {"volumes": [vol()]}, format="json")
    resp = admin.post(VOLUMES, {"volumes": [vol(m="2024-09"), vol(treated=3_100_000)]}, format="json")
    assert resp.status_code == 409
    err = resp.json()["error"]
    assert err["code"] == "volume_conflict"
    assert set(err["fields"]) == {"volumes[1].treated_m3"}
    assert MonthlyPlantVolume.objects.count() == 1  # the new September row was not written either
    resp = admin.post(VOLUMES, {"volumes": [vol(treated=3_100_000)], "replace": True}, format="json")
    assert resp.status_code == 200
    assert resp.json()["updated"] == 1
    assert MonthlyPlantVolume.objects.get().treated_m3 == Decimal(3_100_000)
    log = AuditLog.objects.get(entity="reuse.monthlyplantvolume", action="correct")
    assert (log.before["treated_m3"], log.after["treated_m3"]) == ("3000000.000", "3100000.000")


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        ([vol(treated=-1)], "volumes[0].treated_m3"),
        ([vol(produced=-5)], "volumes[0].produced_m3"),
        ([vol(), vol(m="2024-08", treated=100, produced=200)], "volumes[1].produced_m3"),  # more produced than treated
        # impossible: 100,000 m³/d × 31 days × 2 = 6,200,000 m³ at most
        ([vol(treated=6_200_001, produced=0)], "volumes[0].treated_m3"),
        ([vol(plant="NOPE")], "volumes[0].plant"),
        ([vol(m="2024-13")], "volumes[0].month"),
        ([vol(m="2024-07-01")], "volumes[0].month"),
        ([vol(m="2999-01")], "volumes[0].month"),
        ([vol(), vol()], "volumes[1].month"),  # the same plant and month twice
        ([vol(flow=3)], "volumes[0].flow"),
        ([{"plant": "P-E", "month": "2024-07", "treated_m3": 1}], "volumes[0].produced_m3"),
        ([vol(treated="abc")], "volumes[0].treated_m3"),
        ([], "volumes"),
    ],
)
def test_bad_rows_are_named_and_nothing_is_written(admin, ledger, rows, field):
    audits = AuditLog.objects.count()
    resp = admin.post(VOLUMES, {"volumes": rows}, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"], resp.json()
    _nothing_written(audits)


def test_every_bad_row_is_named_at_once(admin, ledger):
    rows = [vol(), vol(plant="NOPE", m="2024-08"), vol(m="2024-09", treated=10, produced=20)]
    resp = admin.post(VOLUMES, {"volumes": rows}, format="json")
    assert resp.status_code == 400
    assert set(resp.json()["error"]["fields"]) == {"volumes[1].plant", "volumes[2].produced_m3"}
    assert not MonthlyPlantVolume.objects.exists()


def test_a_plant_outside_the_writers_jurisdiction_is_a_bad_row(client_for, users, ledger):
    resp = client_for(users["reviewer_650103"]).post(VOLUMES, {"volumes": [vol(plant="P-E")]}, format="json")
    assert resp.status_code == 400
    assert "volumes[0].plant" in resp.json()["error"]["fields"]
    ok = client_for(users["reviewer_650103"]).post(VOLUMES, {"volumes": [vol(plant="P-W", treated=10)]}, format="json")
    assert ok.status_code == 400  # produced 900,000 > treated 10
    assert "volumes[0].produced_m3" in ok.json()["error"]["fields"]


def test_too_many_rows_are_refused_before_they_are_read(admin, ledger, settings):
    settings.REUSE_MAX_BATCH_ROWS = 2
    resp = admin.post(VOLUMES, {"volumes": [vol(m=f"2024-0{i}") for i in range(1, 4)]}, format="json")
    assert resp.status_code == 400
    assert "volumes" in resp.json()["error"]["fields"]


def test_services_refuse_a_month_that_is_not_a_first_day(ledger):
    from core.exceptions import InvalidInput
    from reuse.services import plant_volumes_record

    row = {"plant": "P-E", "month": month(7).replace(day=15), "treated_m3": Decimal(1), "produced_m3": Decimal(0)}
    with pytest.raises(InvalidInput) as exc:
        plant_volumes_record(scope=SYSTEM_SCOPE, rows=[row], actor="test")
    assert set(exc.value.fields) == {"volumes[0].month"}


def test_volumes_are_rounded_to_the_litre(admin, ledger):
    resp = admin.post(VOLUMES, {"volumes": [vol(treated="1000.0005", produced="10.12345")]}, format="json")
    assert resp.status_code == 201
    stored = MonthlyPlantVolume.objects.get()
    assert (stored.treated_m3, stored.produced_m3) == (Decimal("1000.000"), Decimal("10.123"))


# --------------------------------------------------------------------------- deliveries


def test_deliveries_per_user_and_per_class(admin, ledger):
    admin.post(VOLUMES, {"volumes": [vol()]}, format="json")
    rows = [
        {"user": "U-GREEN", "month": "2024-07", "volume_m3": 600_000},  # plant from the user
        {"plant": "P-E", "month": "2024-07", "sub_use": "road_cleaning", "volume_m3": 20_000},
        {"plant": "P-E", "month": "2024-07", "use_class": "environmental", "volume_m3": 5_000},
    ]
    resp = admin.post(DELIVERIES, {"deliveries": rows}, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["created"] == 3
    assert resp.json()["warnings"] == []
    green = MonthlyDelivery.objects.get(user__code="U-GREEN")
    assert (green.plant.code, green.use_class, green.sub_use) == ("P-E", "urban", "greening")
    road = MonthlyDelivery.objects.get(sub_use="road_cleaning")
    assert (road.user, road.use_class) == (None, "urban")
    assert MonthlyDelivery.objects.get(use_class="environmental").sub_use == ""


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"user": "U-GREEN", "use_class": "industrial"}, "deliveries[0].use_class"),
        ({"user": "U-GREEN", "sub_use": "cooling"}, "deliveries[0].sub_use"),
        ({"plant": "P-E", "use_class": "spaceship"}, "deliveries[0].use_class"),
        ({"plant": "P-E", "use_class": "industrial", "sub_use": "greening"}, "deliveries[0].sub_use"),
        ({"plant": "P-E", "sub_use": "swimming"}, "deliveries[0].sub_use"),
        ({"plant": "P-E"}, "deliveries[0].use_class"),
        ({"use_class": "urban"}, "deliveries[0].plant"),
        ({"user": "NOBODY"}, "deliveries[0].user"),
        ({"user": "U-GREEN", "volume_m3": -1}, "deliveries[0].volume_m3"),
        ({"user": "U-GREEN", "volume_m3": 6_200_001}, "deliveries[0].volume_m3"),  # impossible from P-E
        ({"user": "U-GREEN", "month": "2024-7"}, "deliveries[0].month"),
    ],
)
def test_bad_delivery_rows_are_named_and_nothing_is_written(admin, ledger, row, field):
    audits = AuditLog.objects.count()
    body = {"deliveries": [{"month": "2024-07", "volume_m3": 10, **row}]}
    resp = admin.post(DELIVERIES, body, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"], resp.json()
    _nothing_written(audits)


def test_a_user_outside_the_writers_jurisdiction_is_a_bad_row(client_for, users, ledger):
    resp = client_for(users["reviewer_650103"]).post(
        DELIVERIES, {"deliveries": [{"user": "U-GREEN", "month": "2024-07", "volume_m3": 1}]}, format="json"
    )
    assert resp.status_code == 400
    assert "deliveries[0].user" in resp.json()["error"]["fields"]


def test_more_delivered_than_produced_is_a_warning_not_a_refusal(admin, ledger):
    admin.post(VOLUMES, {"volumes": [vol(produced=100_000)]}, format="json")
    resp = admin.post(
        DELIVERIES, {"deliveries": [{"user": "U-GREEN", "month": "2024-07", "volume_m3": 150_000}]}, format="json"
    )
    assert resp.status_code == 201
    (warning,) = resp.json()["warnings"]
    assert warning["flag"] == VolumeFlag.DELIVERED_EXCEEDS_PRODUCED
    assert (warning["plant"], warning["month"]) == ("P-E", "2024-07")
    assert (warning["produced_m3"], warning["delivered_m3"]) == (100_000, 150_000)
    assert MonthlyDelivery.objects.get().volume_m3 == 150_000
    listed = admin.get(f"{VOLUMES}?exceeds_produced=true").json()
    assert [r["flags"] for r in listed["results"]] == [["delivered_exceeds_produced"]]
    assert listed["results"][0]["delivered_m3"] == 150_000
    assert admin.get(f"{VOLUMES}?exceeds_produced=false").json()["count"] == 0


def test_over_design_capacity_and_missing_plant_month_are_warnings(admin, ledger):
    # 100,000 m³/d × 31 days = 3,100,000 m³: above is over capacity (and accepted, up to twice that).
    resp = admin.post(VOLUMES, {"volumes": [vol(treated=3_500_000)]}, format="json")
    assert resp.status_code == 201
    assert [w["flag"] for w in resp.json()["warnings"]] == ["over_design_capacity"]
    resp = admin.post(
        DELIVERIES, {"deliveries": [{"user": "U-COOL", "month": "2024-05", "volume_m3": 10}]}, format="json"
    )
    assert resp.status_code == 201
    assert [(w["flag"], w["plant"], w["month"]) for w in resp.json()["warnings"]] == [
        ("no_plant_volume", "P-W", "2024-05")
    ]


def test_delivery_conflict_and_replace(admin, ledger):
    row = {"user": "U-GREEN", "month": "2024-07", "volume_m3": 100}
    admin.post(DELIVERIES, {"deliveries": [row]}, format="json")
    resp = admin.post(DELIVERIES, {"deliveries": [{**row, "volume_m3": 120}]}, format="json")
    assert resp.status_code == 409
    assert "deliveries[0].volume_m3" in resp.json()["error"]["fields"]
    resp = admin.post(DELIVERIES, {"deliveries": [{**row, "volume_m3": 120}], "replace": True}, format="json")
    assert resp.status_code == 200
    assert MonthlyDelivery.objects.get().volume_m3 == 120
    assert AuditLog.objects.filter(entity="reuse.monthlydelivery", action="correct").count() == 1


def test_idempotency_key_replays_a_batch(admin, ledger):
    body = {"volumes": [vol()]}
    first = admin.post(VOLUMES, body, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    again = admin.post(VOLUMES, body, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert IdempotencyRecord.objects.count() == 1
    other = admin.post(VOLUMES, {"volumes": [vol(m="2024-08")]}, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    assert other.status_code == 409


# --------------------------------------------------------------------------- CSV


def _csv(client, url, text, *, encoding="utf-8", query="", content_type="text/csv"):
    return client.post(f"{url}{query}", text.encode(encoding), content_type=content_type)


def test_csv_import_with_export_style_headers_and_bom(admin, ledger):
    text = (
        "\ufeff水厂编码 plant,月份 month,污水处理量 treated_m3,再生水产量 produced_m3\r\n"
        "P-E,2024-06,2900000,800000\r\n"
        "\r\n"
        "P-W,2024-06,1400000,10000\r\n"
    )
    resp = _csv(admin, VOLUMES, text)
    assert resp.status_code == 201, resp.content
    assert resp.json()["created"] == 2
    assert set(MonthlyPlantVolume.objects.values_list("source", flat=True)) == {"csv"}


def test_csv_in_gbk_from_chinese_excel(admin, ledger):
    text = (
        "水厂 plant,月份 month,用户 user,类别 use_class,用途 sub_use,水量 volume_m3\n"
        "P-E,2024-06,,urban,road_cleaning,1200\n"
    )
    resp = _csv(admin, DELIVERIES, text, encoding="gbk")
    assert resp.status_code == 201, resp.content
    assert MonthlyDelivery.objects.get().sub_use == "road_cleaning"


def test_csv_bad_rows_name_their_lines_and_nothing_is_written(admin, ledger):
    audits = AuditLog.objects.count()
    text = "plant,month,treated_m3,produced_m3\nP-E,2024-06,2900000,800000\nP-E,2024-07,-3,0\n\nP-E,2024-8,1,0\n"
    resp = _csv(admin, VOLUMES, text)
    assert resp.status_code == 400
    fields = resp.json()["error"]["fields"]
    assert set(fields) == {"volumes[1].treated_m3", "volumes[2].month"}
    assert "(line 3)" in fields["volumes[1].treated_m3"][0]
    assert "(line 5)" in fields["volumes[2].month"][0]  # the blank line 4 is skipped, not counted as a row
    _nothing_written(audits)
    # Rules the rows pass field by field but break against the ledger are named by line too.
    text = "plant,month,treated_m3,produced_m3\nP-E,2024-06,2900000,800000\nNOPE,2024-07,1,0\n"
    resp = _csv(admin, VOLUMES, text)
    assert resp.status_code == 400
    assert resp.json()["error"]["fields"] == {"volumes[1].plant": ["No plant 'NOPE' in your jurisdiction (line 3)."]}
    _nothing_written(audits)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("plant,month,treated_m3\nP-E,2024-06,1\n", "header"),  # produced_m3 missing
        ("plant,month,treated_m3,produced_m3,flow\nP-E,2024-06,1,0,3\n", "header"),
        ("plant,month,treated_m3,treated_m3,produced_m3\n", "header"),
        ("", "header"),
        ("plant,month,treated_m3,produced_m3\n", "volumes"),  # a header and no rows
        ("plant,month,treated_m3,produced_m3\nP-E,2024-06,1\n", "volumes[0]"),  # a cell short
        ('plant,month,treated_m3,produced_m3\nP-E,"2024-06,1,0\n', "body"),  # unterminated quote
        ("plant,month,treated_m3,produced_m3\nP-E,June,1,0\n", "volumes[0].month"),
    ],
)
def test_bad_csv_files_are_refused_naming_the_problem(admin, ledger, text, field):
    resp = _csv(admin, VOLUMES, text)
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"], resp.json()
    assert not MonthlyPlantVolume.objects.exists()


def test_csv_replace_and_its_parameter(admin, ledger):
    text = "plant,month,treated_m3,produced_m3\nP-E,2024-06,2900000,800000\n"
    assert _csv(admin, VOLUMES, text).status_code == 201
    changed = text.replace("800000", "810000")
    assert _csv(admin, VOLUMES, changed).status_code == 409
    assert _csv(admin, VOLUMES, changed, query="?replace=maybe").status_code == 400
    resp = _csv(admin, VOLUMES, changed, query="?replace=true")
    assert resp.status_code == 200
    assert resp.json()["updated"] == 1
    assert MonthlyPlantVolume.objects.get().produced_m3 == 810_000


def test_a_body_that_is_not_text_is_refused(admin, ledger):
    resp = admin.post(VOLUMES, b"\x81\x30\xff\xfe\x00", content_type="text/csv; charset=utf-8")
    assert resp.status_code == 400
    assert "body" in resp.json()["error"]["fields"]  # the declared charset does not decode it
    assert MonthlyPlantVolume.objects.count() == 0
    assert admin.post(VOLUMES, "a=b", content_type="application/x-www-form-urlencoded").status_code == 415

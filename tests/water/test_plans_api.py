"""The plans, red-lines and ledger-lock API: permission matrix (anonymous 401, wrong role 403, out of
scope 404), bad input 400 naming the field with nothing written, scoping of lists and lines,
amendments and history, usage JSON and exports, and query-count ceilings."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from core.models import AuditLog
from tests.water.plan_fixtures import ALL, PLAN_E, PLAN_W, city_plan, lines, midnight, q1_use, send_at
from water import plan_services
from water.models import LedgerLock, PlanAllocation, PlanVersion, RedLineTarget, WaterPlan

pytestmark = pytest.mark.django_db
PLANS = "/api/v1/water/plans/"
USAGE = "/api/v1/water/plans/usage/"
REDLINES = "/api/v1/water/redlines/"
LOCKS = "/api/v1/water/ledger/locks/"


def alloc_body(intake, months):
    return [{"intake": intake.pk, "month": m + 1, "volume_m3": v} for m, v in enumerate(months)]


def new_plan(water, division="650100", **extra):
    return {
        "year": 2024,
        "division": division,
        "title": "计划",
        "allocations": alloc_body(water.intake_e, PLAN_E) + alloc_body(water.intake_w, PLAN_W),
    } | extra


@pytest.mark.parametrize(
    "url", [PLANS, USAGE + "?start=2024-01-01&end=2024-01-31", REDLINES, LOCKS, REDLINES + "summary/?year=2024"]
)
def test_anonymous_401_and_device_403(client_for, users, url):
    assert client_for(None).get(url).status_code == 401
    assert client_for(users["device"]).get(url).status_code == 403


# ------------------------------------------------------------------------------------------- plans


def test_admin_issues_a_plan(client_for, users, water):
    resp = client_for(users["admin"]).post(PLANS, new_plan(water), format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["year"], body["division"], body["version"]) == (2024, "650100", 1)
    assert PlanAllocation.objects.count() == 24
    detail = client_for(users["admin"]).get(f"{PLANS}{body['id']}/").json()
    assert detail["total"]["year"] == 38200 + 12000
    assert detail["shown_version"] == 1
    e = next(r for r in detail["intakes"] if r["code"] == "QSK-E")
    assert e["quarters"] == [11200, 9000, 9000, 9000]
    assert e["halves"] == [20200, 18000]
    assert AuditLog.objects.filter(entity="water.waterplan", action="create").count() == 1


@pytest.mark.parametrize("who", ["chief_650102", "operator"])
def test_wrong_roles_cannot_write(client_for, users, water, who):
    client = client_for(users[who])
    assert client.post(PLANS, new_plan(water), format="json").status_code == 403
    assert client.post(REDLINES, {"year": 2024, "division": "650100"}, format="json").status_code == 403
    assert client.post(LOCKS, {"division": "650100", "month": "2024-01"}, format="json").status_code == 403
    assert not WaterPlan.objects.exists()
    assert not RedLineTarget.objects.exists()
    assert not LedgerLock.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"division": "650102"}, "division"),  # not the reviewer's district
        ({"division": "65x"}, "division"),
        ({"year": 1999}, "year"),
        ({"allocations": [{"intake": 1, "month": 1}]}, "allocations[0].volume_m3"),
        ({"allocations": [{"intake": 999999, "month": 1, "volume_m3": 1}]}, "allocations[0].intake"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_plan_input_is_400_naming_the_field(client_for, users, water, change, field):
    body = {"year": 2024, "division": "650103", "title": "x", "allocations": alloc_body(water.intake_w, [1])} | change
    resp = client_for(users["reviewer_650103"]).post(PLANS, body, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]
    assert not WaterPlan.objects.exists()


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"month": 13}, "allocations[1].month"),
        ({"volume_m3": -5}, "allocations[1].volume_m3"),
        ({"month": 1}, "allocations[1].month"),
    ],  # the last duplicates line 0
)
def test_bad_lines_through_the_api(client_for, users, water, line, field):
    lines_ = [
        {"intake": water.intake_w.pk, "month": 1, "volume_m3": 10},
        {"intake": water.intake_w.pk, "month": 2, "volume_m3": 10} | line,
    ]
    body = {"year": 2024, "division": "650103", "title": "x", "allocations": lines_}
    resp = client_for(users["reviewer_650103"]).post(PLANS, body, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]
    assert not WaterPlan.objects.exists()
    assert not PlanAllocation.objects.exists()


def test_plan_for_an_intake_outside_the_reviewers_scope(client_for, users, water):
    body = {"year": 2024, "division": "650103", "title": "x", "allocations": alloc_body(water.intake_e, [1])}
    resp = client_for(users["reviewer_650103"]).post(PLANS, body, format="json")
    assert resp.status_code == 400
    assert resp.json()["error"]["fields"]["allocations[0].intake"] == ["No such intake in your jurisdiction."]
    assert not WaterPlan.objects.exists()


VISIBLE = {
    "admin": ["650100", "650103"],
    "city_reviewer": ["650100", "650103"],
    "reviewer_650103": ["650100", "650103"],
    "chief_650102": ["650100"],
    "operator": ["650100"],
    "no_jurisdiction": [],
}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_plan_lists_and_lines_are_scoped(client_for, users, geography, water, who):
    city_plan(geography, water)
    plan_services.plan_create(actor="t", scope=ALL, year=2025, division=geography["saybagh"], title="w")
    client = client_for(users[who])
    assert sorted(p["division"] for p in client.get(PLANS).json()["results"]) == VISIBLE[who]
    city = WaterPlan.objects.get(year=2024)
    resp = client.get(f"{PLANS}{city.pk}/")
    if not VISIBLE[who]:
        assert resp.status_code == 404
        return
    expected = {
        "admin": ["QSK-E", "QSK-W"],
        "city_reviewer": ["QSK-E", "QSK-W"],
        "reviewer_650103": ["QSK-W"],
        "chief_650102": ["QSK-E"],
        "operator": ["QSK-E"],
    }[who]
    assert [r["code"] for r in resp.json()["intakes"]] == expected
    lines_ = client.get(f"{PLANS}{city.pk}/allocations/").json()["results"]
    assert sorted({r["code"] for r in lines_}) == expected


def test_out_of_scope_plan_is_404(client_for, users, geography, water):
    plan = plan_services.plan_create(actor="t", scope=ALL, year=2025, division=geography["saybagh"], title="w")
    chief = client_for(users["chief_650102"])
    assert chief.get(f"{PLANS}{plan.pk}/").status_code == 404
    assert chief.get(f"{PLANS}{plan.pk}/amendments/").status_code == 404
    rev = client_for(users["reviewer_650103"])
    other = plan_services.plan_create(actor="t", scope=ALL, year=2025, division=geography["tianshan"], title="e")
    resp = rev.post(
        f"{PLANS}{other.pk}/amendments/", {"reason": "x", "allocations": alloc_body(water.intake_w, [1])}, format="json"
    )
    assert resp.status_code == 404


def test_amendments_through_the_api(client_for, users, geography, water):
    plan = city_plan(geography, water)
    issued = PlanVersion.objects.get(plan=plan).created_at
    url = f"{PLANS}{plan.pk}/amendments/"
    body = {"reason": "用水户申请增加 approved application", "allocations": alloc_body(water.intake_w, [1500])}
    # The district reviewer sees the city's plan but may not amend it.
    resp = client_for(users["reviewer_650103"]).post(url, body, format="json")
    assert resp.status_code == 403
    assert client_for(users["operator"]).post(url, body, format="json").status_code == 403
    resp = client_for(users["city_reviewer"]).post(
        url, {"reason": "", "allocations": body["allocations"]}, format="json"
    )
    assert resp.status_code == 400
    assert "reason" in resp.json()["error"]["fields"]
    resp = client_for(users["city_reviewer"]).post(url, body, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["number"] == 2
    assert resp.json()["created_by"] == "t_city_reviewer"
    history = client_for(users["admin"]).get(url).json()
    assert [v["number"] for v in history] == [1, 2]
    assert history[1]["current"] is True
    assert history[1]["changes"] == [
        {"intake": water.intake_w.pk, "code": "QSK-W", "month": 1, "use": "", "before_m3": 1000.0, "after_m3": 1500.0}
    ]
    now = client_for(users["admin"]).get(f"{PLANS}{plan.pk}/").json()
    assert now["version"] == 2
    assert now["total"]["months"][0] == 3100 + 1500
    at = (issued + dt.timedelta(microseconds=1)).isoformat()
    then = client_for(users["admin"]).get(f"{PLANS}{plan.pk}/", {"at": at}).json()
    assert then["shown_version"] == 1
    assert then["total"]["months"][0] == 3100 + 1000
    naive = client_for(users["admin"]).get(f"{PLANS}{plan.pk}/", {"at": "2024-01-01T00:00:00"})
    assert naive.status_code == 400
    assert "at" in naive.json()["error"]["fields"]


def test_patch_title_and_fixed_fields(client_for, users, geography, water):
    plan = city_plan(geography, water)
    url = f"{PLANS}{plan.pk}/"
    assert client_for(users["chief_650102"]).patch(url, {"title": "x"}, format="json").status_code == 403
    resp = client_for(users["admin"]).patch(url, {"year": 2030}, format="json")
    assert resp.status_code == 400
    assert "year" in resp.json()["error"]["fields"]
    resp = client_for(users["admin"]).patch(url, {"title": "2024年计划(修订)", "reason": "typo"}, format="json")
    assert resp.status_code == 200
    assert resp.json()["title"] == "2024年计划(修订)"


def test_plan_list_query_ceiling(client_for, users, geography, water):
    for year in range(2024, 2030):
        plan_services.plan_create(
            actor="t",
            scope=ALL,
            year=year,
            division=geography["city"],
            title=f"{year}",
            allocations=lines(water.intake_e, [1] * 12),
        )
    client = client_for(users["city_reviewer"])
    with CaptureQueriesContext(connection) as ctx:
        assert len(client.get(PLANS).json()["results"]) == 6
    assert len(ctx.captured_queries) <= 8


# ------------------------------------------------------------------------------------------- usage


def test_usage_json_and_exports(client_for, users, geography, water):
    q1_use(water)
    city_plan(geography, water)
    client = client_for(users["city_reviewer"])
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(USAGE, {"start": "2024-01-01", "end": "2024-03-31"}).json()
    assert len(ctx.captured_queries) <= 14
    assert (body["use_m3"], body["plan_m3"], body["tier"]) == (16550.0, 14200.0, "10-20")
    assert body["ratio"] == pytest.approx(16550 / 14200)
    w = client_for(users["reviewer_650103"]).get(USAGE, {"start": "2024-01-01", "end": "2024-03-31"}).json()
    assert [i["code"] for i in w["intakes"]] == ["QSK-W"]
    assert w["use_m3"] == 4550.0
    resp = client.get(USAGE + "export/", {"start": "2024-01-01", "end": "2024-03-31", "format": "csv"})
    assert resp.status_code == 200
    rows_ = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows_[0][0] == "Intake code"
    assert [r[0] for r in rows_[1:]] == ["QSK-E", "QSK-W", "total"]
    resp = client.get(
        USAGE + "export/", {"start": "2024-01-01", "end": "2024-03-31", "format": "xlsx", "division": "650103"}
    )
    sheet = load_workbook(io.BytesIO(resp.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    w_row = next(r for r in values if r[0] == "QSK-W")
    assert w_row[3] == 4550
    assert w_row[5] == 3000
    assert w_row[8] == "30+"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"end": "2024-01-31"}, "start"),
        ({"start": "2024-02-01", "end": "2024-01-31"}, "end"),
        ({"start": "2000-01-01", "end": "2024-01-31"}, "end"),
        ({"start": "2024-01-01", "end": "2024-01-31", "division": "x"}, "division"),
        ({"start": "2024-01-01", "end": "2024-01-31", "bogus": "1"}, "bogus"),
    ],
)
def test_usage_bad_queries(client_for, users, water, params, field):
    resp = client_for(users["admin"]).get(USAGE, params)
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]


def test_usage_division_outside_scope_is_404(client_for, users, water):
    resp = client_for(users["reviewer_650103"]).get(
        USAGE, {"start": "2024-01-01", "end": "2024-01-31", "division": "650102"}
    )
    assert resp.status_code == 404


# ------------------------------------------------------------------------------------------- locks


def test_lock_and_unlock_through_the_api(client_for, users, water):
    q1_use(water)
    rev = client_for(users["city_reviewer"])
    resp = rev.post(LOCKS, {"division": "650102", "month": "2024-01", "note": "审核无误"}, format="json")
    assert resp.status_code == 201, resp.content
    lock = resp.json()
    assert (lock["month"], lock["active"], lock["locked_by"]) == ("2024-01", True, "t_city_reviewer")
    again = rev.post(LOCKS, {"division": "650102", "month": "2024-01"}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_locked"
    # A correction after the lock is an amendment, and the usage shows it beside the locked figure.
    rev.post(
        "/api/v1/water/readings/correct/",
        {
            "meter": "WM-E1",
            "observed_at": midnight(dt.date(2024, 2, 1)).isoformat(),
            "cumulative_m3": 4200,
            "reason": "读数核对",
        },
        format="json",
    )
    usage = rev.get(USAGE, {"start": "2024-01-01", "end": "2024-01-31"}).json()
    e = next(i for i in usage["intakes"] if i["code"] == "QSK-E")
    assert (e["use_m3"], e["amendments_after_lock_m3"]) == (3100.0, 100.0)
    # The corrected reading itself lies in February (not locked), so it is not flagged; its effect on
    # 31 January is the amendment above.
    assert rev.get("/api/v1/water/readings/", {"after_lock": "true"}).json()["results"] == []
    url = f"{LOCKS}{lock['id']}/unlock/"
    assert rev.post(url, {"reason": "x"}, format="json").status_code == 403
    admin = client_for(users["admin"])
    resp = admin.post(url, {"reason": " "}, format="json")
    assert resp.status_code == 400
    assert "reason" in resp.json()["error"]["fields"]
    assert LedgerLock.objects.get().unlocked_at is None
    resp = admin.post(url, {"reason": "数据补录"}, format="json")
    assert resp.status_code == 200
    assert resp.json()["active"] is False
    assert resp.json()["unlock_reason"] == "数据补录"
    assert admin.post(url, {"reason": "again"}, format="json").status_code == 409


@pytest.mark.parametrize(
    ("who", "body", "status", "field"),
    [
        ("reviewer_650103", {"division": "650102", "month": "2024-01"}, 400, "division"),
        ("admin", {"division": "650102", "month": "2024-13"}, 400, "month"),
        ("admin", {"division": "650102", "month": "2999-01"}, 400, "month"),
        ("admin", {"division": "650102"}, 400, "month"),
        ("admin", {"division": "650102", "month": "2024-01", "day": 3}, 400, "day"),
    ],
)
def test_lock_bad_input(client_for, users, geography, who, body, status, field):
    resp = client_for(users[who]).post(LOCKS, body, format="json")
    assert resp.status_code == status, resp.content
    assert field in resp.json()["error"]["fields"]
    assert not LedgerLock.objects.exists()


def test_lock_list_scoped_with_a_ceiling(client_for, users, geography):
    for m in range(1, 7):
        plan_services.ledger_lock(actor="t", scope=ALL, division=geography["saybagh"], month=dt.date(2024, m, 1))
    plan_services.ledger_lock(actor="t", scope=ALL, division=geography["tianshan"], month=dt.date(2024, 1, 1))
    client = client_for(users["reviewer_650103"])
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(LOCKS).json()
    assert len(ctx.captured_queries) <= 6
    assert {r["division"] for r in body["results"]} == {"650103"}
    assert body["count"] == 6
    chief = client_for(users["chief_650102"]).get(LOCKS, {"month": "2024-01"}).json()
    assert [r["division"] for r in chief["results"]] == ["650102"]
    other = LedgerLock.objects.filter(division__code="650103").first()
    assert client_for(users["chief_650102"]).get(f"{LOCKS}{other.pk}/").status_code == 404
    assert client_for(users["admin"]).get(LOCKS, {"month": "2024-1x"}).status_code == 400


def test_late_reading_through_the_api_is_flagged(client_for, users, geography, water):
    q1_use(water)
    plan_services.ledger_lock(actor="t", scope=ALL, division=geography["city"], month=dt.date(2024, 1, 1))
    # The device resends January 15 12:00 (a reading between two stored ones): kept, flagged.
    before = send_at(water.meter_e, midnight(dt.date(2024, 1, 15)) + dt.timedelta(hours=12), 1000 + 14 * 100 + 50)
    assert before.created == 1
    flagged = client_for(users["admin"]).get("/api/v1/water/readings/", {"after_lock": "true"}).json()["results"]
    assert len(flagged) == 1
    assert flagged[0]["after_lock"] is True


def test_plan_create_is_idempotent(client_for, users, water):
    client = client_for(users["admin"])
    first = client.post(PLANS, new_plan(water), format="json", HTTP_IDEMPOTENCY_KEY="plan-2024")
    again = client.post(PLANS, new_plan(water), format="json", HTTP_IDEMPOTENCY_KEY="plan-2024")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert WaterPlan.objects.count() == 1


def test_an_intake_in_a_plan_cannot_be_deleted(client_for, users, geography, water):
    from django.contrib.gis.geos import Point

    from water import services

    bare = services.intake_create(
        actor="t",
        code="QSK-P",
        name="计划内取水口",
        source_type="river",
        location=Point(87.7, 43.9, srid=4326),
        division=geography["tianshan"],
        main_use="supply",
    )
    plan_services.plan_create(
        actor="t", scope=ALL, year=2024, division=geography["city"], title="p", allocations=lines(bare, [10])
    )
    resp = client_for(users["admin"]).delete(f"/api/v1/water/intakes/{bare.pk}/")
    assert resp.status_code == 409
    assert resp.json()["error"]["fields"] == {"id": ["In a plan."]}

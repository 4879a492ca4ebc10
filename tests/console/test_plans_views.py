"""The plan, red-line and month-lock pages (issue 15 item 4) on both backends: who may open and act
(operator 403 on every action, chief 403 on the pages, another division's rows 404), stale forms (409,
nothing written), bad input (the field's error beside it, the input kept, nothing written) and double
submits (one lock)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from console.views.plans.redlines import seen_token
from tests.water.conftest import water as water  # the fixture: intakes E (Tianshan) and W (Saybagh), a meter each
from tests.water.plan_fixtures import ALL, PLAN_E, city_plan, lines, q1_use
from water import plan_services
from water.models import LedgerLock, PlanVersion, RedLineTarget, WaterPlan

pytestmark = pytest.mark.django_db

LOCK = "/water/locks/lock/"
UNLOCK = "/water/locks/unlock/"
CAL = "/water/locks/calendar/"
REDLINES = "/water/redlines/year/"


@pytest.fixture
def plan(geography, water):
    return city_plan(geography, water)


@pytest.fixture
def used_plan(geography, water):
    q1_use(water)
    return city_plan(geography, water)


@pytest.fixture
def east_plan(geography, water):
    """A 2025 plan of Tianshan (650102): outside the Saybagh reviewer's jurisdiction."""
    return plan_services.plan_create(
        actor="t",
        scope=ALL,
        year=2025,
        division=geography["tianshan"],
        title="2025年天山区计划",
        allocations=lines(water.intake_e, PLAN_E),
    )


def amend_body(plan, **extra):
    body = {
        "version": str(plan.version),
        "reason": "春灌提前",
        "allocations[0].intake": str(plan_intake(plan)),
        "allocations[0].month": "3",
        "allocations[0].volume_m3": "3500",
    }
    body.update(extra)
    return body


def plan_intake(plan):
    return plan.versions.get(number=1).allocations.order_by("intake__code").first().intake_id


# ------------------------------------------------------------------------------------------ plan page


def test_plan_page_shows_versions_use_against_plan_and_forecast(web, users, used_plan):
    plan = used_plan
    resp = web(users["city_reviewer"]).get(f"/water/plans/{plan.pk}/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'data-testid="usage"' in html
    assert "QSK-E" in html
    assert "QSK-W" in html
    assert "38,200" in html  # intake E's plan of the year
    assert 'data-testid="act-amend"' in html  # a city reviewer may amend the city's plan
    assert "计划内" in html  # tiers in words (the page is in Chinese)
    assert "5,800" in html
    assert 'class="num over"' in html


@pytest.mark.parametrize("who", ["chief_650102", "operator"])
def test_who_may_not_open_the_pages(web, users, plan, who):
    client = web(users[who])
    for url in (f"/water/plans/{plan.pk}/", REDLINES, CAL):
        assert client.get(url).status_code == 403


def test_another_divisions_plan_is_404(web, users, east_plan):
    assert web(users["reviewer_650103"]).get(f"/water/plans/{east_plan.pk}/").status_code == 404
    assert (
        web(users["reviewer_650103"]).post(f"/water/plans/{east_plan.pk}/amend/", amend_body(east_plan)).status_code
        == 404
    )


def test_district_reviewer_reads_the_city_plan_without_the_amend_form(web, users, plan):
    client = web(users["reviewer_650103"])
    resp = client.get(f"/water/plans/{plan.pk}/")
    assert resp.status_code == 200
    assert 'data-testid="act-amend"' not in resp.content.decode()
    assert client.post(f"/water/plans/{plan.pk}/amend/", amend_body(plan)).status_code == 403
    assert PlanVersion.objects.filter(plan=plan).count() == 1


def test_operator_cannot_amend(web, users, plan):
    assert web(users["operator"]).post(f"/water/plans/{plan.pk}/amend/", amend_body(plan)).status_code == 403
    assert WaterPlan.objects.get(pk=plan.pk).version == 1


def test_amend_makes_a_new_version_with_its_reason(web, users, plan):
    client = web(users["city_reviewer"])
    resp = client.post(f"/water/plans/{plan.pk}/amend/", amend_body(plan))
    assert resp.status_code == 302
    assert WaterPlan.objects.get(pk=plan.pk).version == 2
    html = client.get(resp["Location"]).content.decode()
    assert "春灌提前" in html
    assert "3,100 → 3,500" in html
    assert "t_city_reviewer" in html


def test_stale_amend_is_409_and_writes_nothing(web, users, plan):
    client = web(users["city_reviewer"])
    stale = amend_body(plan)
    assert (
        client.post(
            f"/water/plans/{plan.pk}/amend/", amend_body(plan, **{"allocations[0].volume_m3": "4000"})
        ).status_code
        == 302
    )
    resp = client.post(f"/water/plans/{plan.pk}/amend/", stale)
    assert resp.status_code == 409
    assert "计划已被他人调整" in resp.content.decode()
    assert PlanVersion.objects.filter(plan=plan).count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"allocations[0].volume_m3": "-5"}, "allocations[0].volume_m3"),
        ({"allocations[0].month": "13"}, "allocations[0].month"),
        ({"allocations[0].month": "三月"}, "allocations[0].month"),
        ({"allocations[0].volume_m3": "lots"}, "allocations[0].volume_m3"),
    ],
)
def test_bad_amend_input_is_shown_beside_the_field(web, users, plan, change, field):
    body = amend_body(plan, **change)
    resp = web(users["city_reviewer"]).post(f"/water/plans/{plan.pk}/amend/", body)
    assert resp.status_code == 400
    html = resp.content.decode()
    assert f'data-testid="error-{field}"' in html
    assert f'value="{body["allocations[0].volume_m3"]}"' in html  # the input is kept
    assert PlanVersion.objects.filter(plan=plan).count() == 1


# ------------------------------------------------------------------------------------------ red lines


def target_body(**extra):
    body = {
        "year": "2024",
        "division": "650100",
        "total_use_cap_m3": "150000",
        "per_gdp_target": "30",
        "gdp_10k_yuan": "",
        "gdp_source": "",
    }
    body.update(extra)
    return body


def test_red_lines_set_and_shown_with_their_state(web, users, plan):
    client = web(users["city_reviewer"])
    assert client.post("/water/redlines/new/", target_body()).status_code == 302
    target = RedLineTarget.objects.get(year=2024, division__code="650100")
    assert target.total_use_cap_m3 == Decimal(150000)
    resp = client.get(REDLINES, {"year": 2024, "division": "650100"})
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "150,000" in html
    assert "达标" in html  # the year 2024 is over: met / not met, in Chinese words
    # Double submit: the second create is the service's 409, one target.
    resp = client.post("/water/redlines/new/", target_body())
    assert resp.status_code == 409
    assert RedLineTarget.objects.count() == 1


def test_bad_red_line_input_is_shown_beside_the_field(web, users, plan):
    client = web(users["city_reviewer"])
    resp = client.post("/water/redlines/new/", target_body(total_use_cap_m3="-1"))
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'data-testid="error-total_use_cap_m3"' in html
    assert 'value="-1"' in html
    resp = client.post("/water/redlines/new/", target_body(gdp_10k_yuan="1000"))  # an entered value without source
    assert resp.status_code == 400
    assert 'data-testid="error-gdp_source"' in resp.content.decode()
    assert not RedLineTarget.objects.exists()


def test_red_line_edit_stale_is_409(web, users, plan, geography):
    target = plan_services.redline_create(
        actor="t", scope=ALL, year=2024, division=geography["city"], total_use_cap_m3=Decimal(100000)
    )
    client = web(users["city_reviewer"])
    seen = seen_token(target)
    plan_services.redline_update(target=target, actor="t", scope=ALL, changes={"per_gdp_target": Decimal(20)})
    resp = client.post(f"/water/redlines/{target.pk}/edit/", {"seen": seen, "total_use_cap_m3": "120000"})
    assert resp.status_code == 409
    assert RedLineTarget.objects.get(pk=target.pk).total_use_cap_m3 == Decimal(100000)
    fresh = seen_token(RedLineTarget.objects.get(pk=target.pk))
    body = {"seen": fresh, "total_use_cap_m3": "120000", "per_gdp_target": "20", "reason": "新指标"}
    resp = client.post(f"/water/redlines/{target.pk}/edit/", body)
    assert resp.status_code == 302
    assert RedLineTarget.objects.get(pk=target.pk).total_use_cap_m3 == Decimal(120000)


def test_operator_and_other_division_cannot_write_red_lines(web, users, plan, geography):
    assert web(users["operator"]).post("/water/redlines/new/", target_body()).status_code == 403
    target = plan_services.redline_create(
        actor="t", scope=ALL, year=2024, division=geography["tianshan"], total_use_cap_m3=Decimal(100000)
    )
    body = {"seen": seen_token(target), "total_use_cap_m3": "1"}
    assert web(users["reviewer_650103"]).post(f"/water/redlines/{target.pk}/edit/", body).status_code == 404
    assert web(users["reviewer_650103"]).get(REDLINES, {"division": "650102"}).status_code == 404
    assert not RedLineTarget.objects.filter(total_use_cap_m3=1).exists()


# ------------------------------------------------------------------------------------------ locks


def lock_body(**extra):
    body = {"division": "650100", "year": "2024", "month": "2024-01", "note": "一月审核无误"}
    body.update(extra)
    return body


def test_reviewer_locks_a_month_and_double_submit_is_one_lock(web, users, plan):
    client = web(users["city_reviewer"])
    resp = client.post(LOCK, lock_body())
    assert resp.status_code == 302
    again = client.post(LOCK, lock_body())
    assert again.status_code == 409
    assert 'data-testid="action-error"' in again.content.decode()
    assert LedgerLock.objects.count() == 1
    html = client.get(resp["Location"]).content.decode()
    assert 'data-testid="month-2024-01" data-state="locked"' in html
    assert "一月审核无误" in html


def test_stale_lock_form_is_409_nothing_written(web, users, plan, geography):
    client = web(users["city_reviewer"])
    page = client.get(CAL, {"year": 2024, "division": "650100"}).content.decode()
    assert 'value="2024-01"' in page  # the form offers January
    plan_services.ledger_lock(actor="t", scope=ALL, division=geography["city"], month=dt.date(2024, 1, 1))
    resp = client.post(LOCK, lock_body())
    assert resp.status_code == 409
    assert 'data-testid="action-error"' in resp.content.decode()
    assert LedgerLock.objects.count() == 1


@pytest.mark.parametrize("month", ["2024-13", "January", "", "2024-1"])
def test_month_not_a_month_is_a_field_error(web, users, plan, month):
    resp = web(users["city_reviewer"]).post(LOCK, lock_body(month=month, note="备注保留"))
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'data-testid="error-month"' in html
    assert "备注保留" in html
    assert not LedgerLock.objects.exists()


def test_a_month_not_over_cannot_be_locked(web, users, plan):
    resp = web(users["city_reviewer"]).post(LOCK, lock_body(month="2099-01"))
    assert resp.status_code == 400
    assert 'data-testid="error-month"' in resp.content.decode()


def test_operator_cannot_lock_and_other_division_is_404(web, users, plan):
    assert web(users["operator"]).post(LOCK, lock_body()).status_code == 403
    assert web(users["reviewer_650103"]).post(LOCK, lock_body(division="650102")).status_code == 404
    assert web(users["reviewer_650103"]).get(CAL, {"division": "650102"}).status_code == 404
    assert not LedgerLock.objects.exists()


def test_unlock_needs_an_admin_and_a_reason(web, users, plan, geography):
    lock = plan_services.ledger_lock(actor="t", scope=ALL, division=geography["tianshan"], month=dt.date(2024, 1, 1))
    body = {"division": "650102", "year": "2024", "lock": str(lock.pk), "reason": "读数补录"}
    assert web(users["city_reviewer"]).post(UNLOCK, body).status_code == 403
    assert web(users["reviewer_650103"]).post(UNLOCK, body).status_code == 404
    admin = web(users["admin"])
    page = admin.get(CAL, {"year": 2024, "division": "650102"}).content.decode()
    assert 'data-testid="act-unlock"' in page
    resp = admin.post(UNLOCK, {**body, "reason": ""})
    assert resp.status_code == 400
    assert 'data-testid="error-reason"' in resp.content.decode()
    assert LedgerLock.objects.get(pk=lock.pk).unlocked_at is None
    assert admin.post(UNLOCK, body).status_code == 302
    assert LedgerLock.objects.get(pk=lock.pk).unlock_reason == "读数补录"
    again = admin.post(UNLOCK, body)  # a second submit: the lock is already lifted
    assert again.status_code == 409


def test_reviewer_sees_no_unlock_form(web, users, plan, geography):
    plan_services.ledger_lock(actor="t", scope=ALL, division=geography["city"], month=dt.date(2024, 1, 1))
    html = web(users["city_reviewer"]).get(CAL, {"year": 2024, "division": "650100"}).content.decode()
    assert 'data-testid="act-unlock"' not in html
    assert 'data-testid="act-lock"' in html

"""plan_summary and redline_summary (the figures the reports read), with hand-computed values: use
against plan per intake and in total, tiers at each bound, partial months prorated by days, the
forecast, amendments and their history, scope."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from accounts.scope import scope_for
from core import periods
from core.exceptions import Conflict, InvalidInput, NotFound
from core.models import AuditLog
from tests.water.plan_fixtures import ALL, PLAN_E, city_plan, lines, q1_use
from water import plan_services
from water.models import PlanAllocation, WaterPlan
from water.plan_selectors import forecast_year, over_tier, plan_allocations, plan_months, prorated_plan
from water.selectors import plan_summary

pytestmark = pytest.mark.django_db
D = Decimal
Q1 = periods.quarter(2024, 1)
APR1 = dt.date(2024, 4, 1)


@pytest.fixture
def q1(geography, water):
    q1_use(water)
    return city_plan(geography, water)


def by_code(summary):
    return {i.code: i for i in summary.intakes}


def test_q1_use_against_plan_per_intake_and_total(q1, water):
    s = plan_summary(scope=ALL, period=Q1, today=APR1)
    e, w = by_code(s)["QSK-E"], by_code(s)["QSK-W"]
    # E: 31×100 + 29×200 + 31×100 against 3100 + 5000 + 3100: 800 over, 7.1 % → 5–10 %.
    assert (e.use_m3, e.plan_m3, e.over_m3, e.tier) == (D(12000), D(11200), D(800), "5-10")
    assert e.ratio == pytest.approx(12000 / 11200)
    # W: 91×50 against 3 × 1000: 51.7 % over.
    assert (w.use_m3, w.plan_m3, w.over_m3, w.tier) == (D(4550), D(3000), D(1550), "30+")
    # Total: 16,550 against 14,200: 2,350 over, 16.5 % → 10–20 %.
    assert (s.use_m3, s.plan_m3, s.over_m3, s.tier) == (D(16550), D(14200), D(2350), "10-20")
    assert (s.estimated_m3, s.held_m3, s.amendments_after_lock_m3) == (0, 0, 0)
    assert s.period_label == "2024-Q1"
    assert s.year == 2024
    assert s.as_of == dt.date(2024, 3, 31)
    assert s.year_plan_m3 == D(38200 + 12000)


def test_forecast_follows_the_plans_seasonal_profile(q1):
    s = plan_summary(scope=ALL, period=Q1, today=APR1)
    e, w = by_code(s)["QSK-E"], by_code(s)["QSK-W"]
    # use so far × plan of the year ÷ plan so far
    assert e.forecast_m3 == D("40928.571")  # 12000 × 38200 / 11200
    assert w.forecast_m3 == D(18200)  # 4550 × 12000 / 3000
    assert s.forecast_m3 == D("59128.571")


def test_forecast_uses_data_up_to_yesterday_only(q1):
    # On 1 February only January is in: E 3100 × 38200 / 3100.
    s = plan_summary(scope=ALL, period=Q1, today=dt.date(2024, 2, 1))
    assert by_code(s)["QSK-E"].forecast_m3 == D(38200)
    assert by_code(s)["QSK-E"].use_m3 == D(12000)  # the period's use is what is stored
    assert s.as_of == dt.date(2024, 1, 31)
    # Before the year began there is nothing to forecast from.
    early = plan_summary(scope=ALL, period=Q1, today=dt.date(2024, 1, 1))
    assert early.forecast_m3 is None
    assert early.as_of is None


def test_forecast_without_a_plan_is_the_flat_rate(geography, water):
    q1_use(water)
    plan_services.plan_create(
        actor="test",
        scope=ALL,
        year=2024,
        division=geography["city"],
        title="E only",
        allocations=lines(water.intake_e, PLAN_E),
    )
    s = plan_summary(scope=ALL, period=Q1, today=dt.date(2024, 2, 1))
    w = by_code(s)["QSK-W"]
    assert (w.plan_m3, w.ratio, w.tier, w.over_m3) == (None, None, "within", 0)
    assert w.forecast_m3 == D(18300)  # 1550 × 366 / 31
    assert s.plan_m3 == D(11200)  # E's only


def test_forecast_year_methods():
    assert forecast_year(D(310), None, None, 31, 366) == D(3660)
    assert forecast_year(D(310), D(0), D(1000), 31, 366) == D(3660)  # nothing planned so far: flat
    assert forecast_year(D(300), D(100), D(1000), 31, 366) == D(3000)
    assert forecast_year(D(5), D(100), D(1000), 366, 366) == D(5)  # the year is over
    assert forecast_year(D(5), D(100), D(1000), 0, 366) is None


def test_partial_months_are_prorated_by_days(q1):
    s = plan_summary(scope=ALL, period=periods.date_range(dt.date(2024, 1, 15), dt.date(2024, 2, 10)), today=APR1)
    e, w = by_code(s)["QSK-E"], by_code(s)["QSK-W"]
    assert e.use_m3 == D(3700)  # 17 × 100 + 10 × 200
    assert e.plan_m3 == D("3424.138")  # 3100 × 17/31 + 5000 × 10/29 = 1700 + 1724.1379…
    assert w.use_m3 == D(1350)
    assert w.plan_m3 == D("893.215")  # 1000 × 17/31 + 1000 × 10/29
    assert s.plan_m3 == D("4317.353")


def test_prorated_plan_edges():
    alloc = {(2024, 2): D(2900), (2024, 3): D(3100)}
    assert prorated_plan(alloc, dt.date(2024, 2, 1), dt.date(2024, 2, 29)) == D(2900)
    assert prorated_plan(alloc, dt.date(2024, 2, 29), dt.date(2024, 3, 1)) == D(200)  # 100 + 100
    assert prorated_plan(alloc, dt.date(2024, 4, 1), dt.date(2024, 4, 30)) == 0
    assert prorated_plan(None, dt.date(2024, 4, 1), dt.date(2024, 4, 30)) is None


@pytest.mark.parametrize(
    ("use", "tier"),
    [
        ("1000", "within"),
        ("1049.999", "within"),
        ("1050", "5-10"),
        ("1099.999", "5-10"),
        ("1100", "10-20"),
        ("1199.999", "10-20"),
        ("1200", "20-30"),
        ("1299.999", "20-30"),
        ("1300", "30+"),
        ("5000", "30+"),
        ("0", "within"),
    ],
)
def test_tiers_at_each_bound(use, tier):
    assert over_tier(D(use), D(1000)) == tier


def test_tiers_without_a_plan_or_with_a_zero_plan():
    assert over_tier(D(5), None) == "within"
    assert over_tier(D(5), D(0)) == "30+"
    assert over_tier(D(0), D(0)) == "within"


def test_tier_bounds_are_a_setting(settings):
    settings.WATER_PLAN_TIERS = (("minor", D("0.02")), ("major", D("0.5")))
    assert over_tier(D(1020), D(1000)) == "minor"
    assert over_tier(D(1500), D(1000)) == "major"
    assert over_tier(D(1019), D(1000)) == "within"


def test_tier_bound_through_the_database(geography, water):
    q1_use(water)  # E takes 3100 in January
    plan_services.plan_create(
        actor="test",
        scope=ALL,
        year=2024,
        division=geography["city"],
        title="t",
        allocations=lines(water.intake_e, [2818.19]),
    )
    jan = periods.month(2024, 1)
    # 2818.19 × 1.1 = 3100.009 > 3100: just under 10 % over.
    assert by_code(plan_summary(scope=ALL, period=jan, today=APR1))["QSK-E"].tier == "5-10"
    plan = WaterPlan.objects.get()
    plan_services.plan_amend(
        plan=plan,
        actor="test",
        scope=ALL,
        reason="exactly 10 % over",
        allocations=lines(water.intake_e, [D("2818.18")]),
    )
    # 2818.18 × 1.1 = 3099.998 ≤ 3100
    assert by_code(plan_summary(scope=ALL, period=jan, today=APR1))["QSK-E"].tier == "10-20"


def test_scope_and_division(q1, users, water):
    rev = plan_summary(scope=scope_for(users["reviewer_650103"]), period=Q1, today=APR1)
    assert [i.code for i in rev.intakes] == ["QSK-W"]
    assert rev.use_m3 == D(4550)
    assert rev.plan_m3 == D(3000)
    chief = plan_summary(scope=scope_for(users["chief_650102"]), period=Q1, today=APR1)
    assert [i.code for i in chief.intakes] == ["QSK-E"]
    op = plan_summary(scope=scope_for(users["operator"]), period=Q1, today=APR1)
    assert [i.code for i in op.intakes] == ["QSK-E"]
    admin = plan_summary(scope=ALL, period=Q1, division_code="650103", today=APR1)
    assert [i.code for i in admin.intakes] == ["QSK-W"]
    assert admin.division_code == "650103"
    with pytest.raises(NotFound):
        plan_summary(scope=scope_for(users["reviewer_650103"]), period=Q1, division_code="650102")
    # The city contains the district: allowed, narrowed to the district.
    city = plan_summary(scope=scope_for(users["reviewer_650103"]), period=Q1, division_code="650100", today=APR1)
    assert [i.code for i in city.intakes] == ["QSK-W"]
    with pytest.raises(InvalidInput):
        plan_summary(scope=ALL, period=Q1, division_code="65x")
    nobody = plan_summary(scope=scope_for(users["no_jurisdiction"]), period=Q1, today=APR1)
    assert nobody.intakes == []
    assert nobody.use_m3 == 0
    assert nobody.plan_m3 is None


def test_to_dict_is_json_safe_with_ratios_as_fractions(q1):
    data = plan_summary(scope=ALL, period=Q1, today=APR1).to_dict()
    json.dumps(data)
    assert data["use_m3"] == 16550.0
    assert data["plan_m3"] == 14200.0
    assert data["ratio"] == pytest.approx(16550 / 14200)
    assert data["tier"] == "10-20"
    assert data["as_of"] == "2024-03-31"
    assert {i["code"]: i["tier"] for i in data["intakes"]} == {"QSK-E": "5-10", "QSK-W": "30+"}


def test_query_count_does_not_grow_with_intakes(q1, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        plan_summary(scope=ALL, period=Q1, today=APR1)


# ------------------------------------------------------------------------------------- amendments


def test_amendment_is_a_new_version_and_history_is_kept(q1, water, users):
    plan = q1
    before = dt.datetime.now(tz=dt.UTC)
    version = plan_services.plan_amend(
        plan=plan,
        actor=users["city_reviewer"],
        scope=scope_for(users["city_reviewer"]),
        reason="扩建工程投产 new works",
        allocations=[plan_services.AllocationLine(water.intake_e, 2, D(6000))],
    )
    plan.refresh_from_db()
    assert (plan.version, version.number, version.created_by, version.reason) == (
        2,
        2,
        users["city_reviewer"],
        "扩建工程投产 new works",
    )
    s = plan_summary(scope=ALL, period=Q1, today=APR1)
    assert by_code(s)["QSK-E"].plan_m3 == D(12200)
    assert by_code(s)["QSK-E"].tier == "within"
    # The plan as it stood before the amendment, and by version number.
    old = plan_months(plan_allocations(scope=ALL, plan=plan, at=before))
    new = plan_months(plan_allocations(scope=ALL, plan=plan))
    v1 = plan_months(plan_allocations(scope=ALL, plan=plan, version=1))
    assert old["intakes"][0]["months"][1] == D(5000) == v1["intakes"][0]["months"][1]
    assert new["intakes"][0]["months"][1] == D(6000)
    assert new["intakes"][0]["quarters"][0] == D(12200)
    assert new["total"]["year"] == D(38200 + 1000 + 12000)
    assert new["intakes"][0]["halves"] == [D(3100 + 6000 + 3100 + 9000), D(18000)]
    # Every line is copied into the new version; the first stays whole.
    assert PlanAllocation.objects.filter(version__number=1).count() == 24
    assert PlanAllocation.objects.filter(version__number=2).count() == 24
    audit = AuditLog.objects.filter(entity="water.waterplan", entity_id=str(plan.pk)).order_by("id")
    assert [a.action for a in audit] == ["create", "update"]
    assert audit[1].reason == "扩建工程投产 new works"
    assert audit[1].before["version"] == 1


def test_amendment_refusals(q1, water, geography):
    plan = q1
    with pytest.raises(InvalidInput) as err:
        plan_services.plan_amend(plan=plan, actor="t", scope=ALL, reason=" ", allocations=lines(water.intake_e, [1]))
    assert "reason" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        plan_services.plan_amend(
            plan=plan, actor="t", scope=ALL, reason="same", allocations=lines(water.intake_e, [3100])
        )
    assert "allocations" in err.value.fields
    assert WaterPlan.objects.get().version == 1


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"month": 13}, "allocations[1].month"),
        ({"month": 0}, "allocations[1].month"),
        ({"volume_m3": D(-1)}, "allocations[1].volume_m3"),
        ({"volume_m3": D("1.001")}, "allocations[1].volume_m3"),
        ({"use": "bathing"}, "allocations[1].use"),
        ({"month": 1}, "allocations[1].month"),  # duplicates line 0
    ],
)
def test_bad_lines_are_named_and_nothing_is_written(geography, water, line, field):
    args = {"intake": water.intake_e, "month": 2, "volume_m3": D(10), "use": ""} | line
    bad = [plan_services.AllocationLine(water.intake_e, 1, D(10)), plan_services.AllocationLine(**args)]
    with pytest.raises(InvalidInput) as err:
        plan_services.plan_create(
            actor="t", scope=ALL, year=2024, division=geography["city"], title="x", allocations=bad
        )
    assert field in err.value.fields
    assert not WaterPlan.objects.exists()
    assert not PlanAllocation.objects.exists()


def test_the_same_intake_month_for_two_uses_is_two_lines(geography, water):
    plan = plan_services.plan_create(
        actor="t",
        scope=ALL,
        year=2024,
        division=geography["city"],
        title="x",
        allocations=[*lines(water.intake_e, [100], "supply"), *lines(water.intake_e, [50], "industry")],
    )
    assert plan_months(plan_allocations(scope=ALL, plan=plan))["total"]["months"][0] == D(150)


def test_intake_outside_the_plans_division(geography, water):
    with pytest.raises(InvalidInput) as err:
        plan_services.plan_create(
            actor="t",
            scope=ALL,
            year=2024,
            division=geography["tianshan"],
            title="x",
            allocations=lines(water.intake_w, [1]),
        )
    assert "allocations[0].intake" in err.value.fields


def test_an_intake_is_in_one_plan_a_year(q1, geography, water):
    with pytest.raises(Conflict) as err:
        plan_services.plan_create(
            actor="t",
            scope=ALL,
            year=2024,
            division=geography["tianshan"],
            title="x",
            allocations=lines(water.intake_e, [1]),
        )
    assert "allocations[0].intake" in err.value.fields
    with pytest.raises(Conflict):
        plan_services.plan_create(actor="t", scope=ALL, year=2024, division=geography["city"], title="again")
    # Another year is another plan.
    plan_services.plan_create(
        actor="t",
        scope=ALL,
        year=2025,
        division=geography["tianshan"],
        title="2025",
        allocations=lines(water.intake_e, [1]),
    )
    assert WaterPlan.objects.count() == 2

"""The reuse rate: used ÷ treated by use class and in total, with and without ecological replenishment,
by division and scope, prorated for partial months, against the target; and its API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.scope import SYSTEM_SCOPE, scope_for
from core.periods import date_range, month, quarter, year
from reuse import services
from reuse.selectors import reuse_rate

pytestmark = pytest.mark.django_db
URL = "/api/v1/reuse/rate/"
ACTOR = "test"


@pytest.fixture
def volumes(ledger):
    """July and August 2024: the east plant (650102) greening, ecological replenishment and unmetered
    road cleaning; the west plant (650103) industrial cooling."""
    services.plant_volumes_record(
        scope=SYSTEM_SCOPE,
        actor=ACTOR,
        rows=[
            {
                "plant": "P-E",
                "month": month(2024, 7).first_date,
                "treated_m3": Decimal(3_000_000),
                "produced_m3": Decimal(1_000_000),
            },
            {
                "plant": "P-E",
                "month": month(2024, 8).first_date,
                "treated_m3": Decimal(3_000_000),
                "produced_m3": Decimal(900_000),
            },
            {
                "plant": "P-W",
                "month": month(2024, 7).first_date,
                "treated_m3": Decimal(1_000_000),
                "produced_m3": Decimal(300_000),
            },
        ],
    )
    jul, aug = month(2024, 7).first_date, month(2024, 8).first_date
    services.deliveries_record(
        scope=SYSTEM_SCOPE,
        actor=ACTOR,
        rows=[
            {"user": "U-GREEN", "month": jul, "volume_m3": Decimal(600_000)},
            {"user": "U-GREEN", "month": aug, "volume_m3": Decimal(500_000)},
            {"user": "U-ECO", "month": jul, "volume_m3": Decimal(200_000)},
            {"plant": "P-E", "sub_use": "road_cleaning", "month": jul, "volume_m3": Decimal(50_000)},
            {"user": "U-COOL", "month": jul, "volume_m3": Decimal(250_000)},
        ],
    )
    return ledger


def _admin_scope(users):
    return scope_for(users["admin"])


SUMMER = date_range(month(2024, 7).first_date, month(2024, 8).last_date)


def test_rate_counts_ecological_replenishment_by_default(users, volumes):
    r = reuse_rate(scope=_admin_scope(users), period=SUMMER)
    assert r.treated_m3 == Decimal(7_000_000)
    assert r.produced_m3 == Decimal(2_200_000)
    assert r.used_m3 == r.delivered_m3 == Decimal(1_600_000)
    assert r.rate == pytest.approx(1_600_000 / 7_000_000)
    assert r.ecological_counted is True
    assert r.ecological_m3 == Decimal(200_000)
    assert r.by_class["urban"].used_m3 == Decimal(1_150_000)
    assert r.by_class["urban"].deliveries == 3
    assert r.by_class["urban"].users == 1  # road cleaning is not metered
    assert r.by_class["environmental"].used_m3 == Decimal(200_000)
    assert r.by_class["environmental"].excluded_m3 == 0
    assert r.by_class["industrial"].rate == pytest.approx(250_000 / 7_000_000)
    assert r.by_class["agriculture"].used_m3 == 0
    assert set(r.by_class) == {"agriculture", "urban", "industrial", "environmental", "source_replenishment"}
    assert r.counts == {
        "plants": 2,
        "plant_months": 3,
        "deliveries": 5,
        "users": 3,
        "unmetered_rows": 1,
        "deliveries_without_plant_volume": 0,
    }
    assert sum(c.used_m3 for c in r.by_class.values()) == r.used_m3


def test_rate_without_ecological_replenishment(users, volumes):
    r = reuse_rate(scope=_admin_scope(users), period=SUMMER, count_ecological=False)
    assert r.used_m3 == Decimal(1_400_000)
    assert r.delivered_m3 == Decimal(1_600_000)
    assert r.rate == pytest.approx(0.2)
    assert r.ecological_counted is False
    assert r.by_class["environmental"].used_m3 == 0
    assert r.by_class["environmental"].excluded_m3 == Decimal(200_000)


def test_the_ecological_choice_is_a_setting(users, volumes, settings):
    settings.REUSE_RATE_COUNT_ECOLOGICAL = False
    assert reuse_rate(scope=_admin_scope(users), period=SUMMER).rate == pytest.approx(0.2)
    # …and which sub-uses are "ecological" is one too: here also the unmetered road cleaning (absurd, but
    # it shows the set is read from the setting).
    settings.REUSE_ECOLOGICAL_SUB_USES = ("ecological_replenishment", "road_cleaning")
    assert reuse_rate(scope=_admin_scope(users), period=SUMMER).used_m3 == Decimal(1_350_000)


def test_rate_by_division_and_scope(users, volumes):
    east = reuse_rate(scope=_admin_scope(users), period=SUMMER, division_code="650102")
    assert (east.treated_m3, east.used_m3) == (Decimal(6_000_000), Decimal(1_350_000))
    assert east.counts["plants"] == 1
    west = reuse_rate(scope=scope_for(users["reviewer_650103"]), period=SUMMER)
    assert (west.treated_m3, west.used_m3) == (Decimal(1_000_000), Decimal(250_000))
    # Exactly on the 25 % target: met, compared in decimals rather than through a rounded float.
    assert west.meets_target is True
    assert west.progress == pytest.approx(1.0)
    assert west.gap_m3 == 0
    # A scope narrows whatever division is asked for.
    narrowed = reuse_rate(scope=scope_for(users["reviewer_650103"]), period=SUMMER, division_code="650100")
    assert narrowed.treated_m3 == Decimal(1_000_000)
    nothing = reuse_rate(scope=scope_for(users["no_jurisdiction"]), period=SUMMER)
    assert (nothing.treated_m3, nothing.rate, nothing.meets_target, nothing.progress) == (0, None, None, None)


def test_target_and_gap(users, volumes, settings):
    settings.REUSE_RATE_TARGET = Decimal("0.35")
    r = reuse_rate(scope=_admin_scope(users), period=SUMMER)
    assert r.target == Decimal("0.35")
    assert r.meets_target is False
    assert r.progress == pytest.approx((1_600_000 / 7_000_000) / 0.35)
    assert r.gap_m3 == Decimal(7_000_000) * Decimal("0.35") - Decimal(1_600_000)


def test_industrial_park_plants_can_be_left_out(users, volumes, settings):
    services.plant_update(
        scope=SYSTEM_SCOPE, plant=volumes["plant_w"], actor=ACTOR, changes={"kind": "industrial_park"}
    )
    assert reuse_rate(scope=_admin_scope(users), period=SUMMER).treated_m3 == Decimal(7_000_000)
    settings.REUSE_RATE_COUNT_INDUSTRIAL_PARK_PLANTS = False
    r = reuse_rate(scope=_admin_scope(users), period=SUMMER)
    assert (r.treated_m3, r.used_m3) == (Decimal(6_000_000), Decimal(1_350_000))
    assert r.industrial_park_plants_counted is False


def test_partial_months_are_prorated_by_days(users, volumes):
    # 16 July to 31 August: 16 of July's 31 days, all of August.
    r = reuse_rate(
        scope=_admin_scope(users),
        period=date_range(month(2024, 7).first_date.replace(day=16), month(2024, 8).last_date),
    )
    share = Decimal(16) / Decimal(31)
    assert r.prorated_months == ["2024-07"]
    assert r.treated_m3 == (Decimal(4_000_000) * share + Decimal(3_000_000)).quantize(Decimal("0.001"))
    assert r.used_m3 == (Decimal(1_100_000) * share + Decimal(500_000)).quantize(Decimal("0.001"))
    full = reuse_rate(scope=_admin_scope(users), period=quarter(2024, 3))
    assert full.prorated_months == []
    assert full.treated_m3 == Decimal(7_000_000)


def test_series_by_month_and_quarter(users, volumes):
    r = reuse_rate(scope=_admin_scope(users), period=SUMMER, interval="month")
    assert [(p.label, p.treated_m3, p.used_m3) for p in r.series] == [
        ("2024-07", Decimal(4_000_000), Decimal(1_100_000)),
        ("2024-08", Decimal(3_000_000), Decimal(500_000)),
    ]
    q = reuse_rate(scope=_admin_scope(users), period=year(2024), interval="quarter")
    assert [p.label for p in q.series] == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    assert q.series[2].rate == pytest.approx(q.rate)
    assert q.series[0].rate is None  # nothing treated in Q1


def test_deliveries_without_their_plant_month_are_counted(users, volumes):
    services.deliveries_record(
        scope=SYSTEM_SCOPE,
        actor=ACTOR,
        rows=[{"user": "U-GREEN", "month": month(2024, 9).first_date, "volume_m3": Decimal(10)}],
    )
    r = reuse_rate(scope=_admin_scope(users), period=quarter(2024, 3))
    assert r.counts["deliveries_without_plant_volume"] == 1


def test_rate_query_count_does_not_grow_with_the_period(users, volumes):
    with CaptureQueriesContext(connection) as short:
        reuse_rate(scope=_admin_scope(users), period=SUMMER)
    with CaptureQueriesContext(connection) as long:
        reuse_rate(scope=_admin_scope(users), period=date_range(year(2015).first_date, year(2024).last_date))
    assert len(short.captured_queries) == len(long.captured_queries) <= 6


# --------------------------------------------------------------------------- the API


def test_rate_api(client_for, users, volumes):
    resp = client_for(users["city_reviewer"]).get(f"{URL}?start=2024-07-01&end=2024-08-31&interval=month")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["period"] == {"start": "2024-07-01", "end": "2024-08-31", "label": "2024-07-01/2024-08-31"}
    assert body["division"] is None
    assert (body["treated_m3"], body["used_m3"]) == (7_000_000, 1_600_000)
    assert body["rate"] == pytest.approx(1_600_000 / 7_000_000)
    assert body["ecological_replenishment"] == {"counted": True, "volume_m3": 200_000}
    assert body["by_class"]["urban"]["users"] == 1
    assert body["counts"]["plant_months"] == 3
    assert body["target"]["rate"] == 0.25
    assert body["target"]["met"] is False
    assert [p["label"] for p in body["series"]] == ["2024-07", "2024-08"]
    excluded = client_for(users["city_reviewer"]).get(f"{URL}?start=2024-07-01&end=2024-08-31&ecological=excluded")
    assert excluded.json()["rate"] == pytest.approx(0.2)
    assert excluded.json()["by_class"]["environmental"]["excluded_m3"] == 200_000
    east = client_for(users["chief_650102"]).get(f"{URL}?start=2024-07-01&end=2024-08-31&division=650102")
    assert east.json()["treated_m3"] == 6_000_000


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("end=2024-08-31", 400, "start"),
        ("start=2024-07-01", 400, "end"),
        ("start=2024-08-01&end=2024-07-01", 400, "end"),
        ("start=2000-01-01&end=2024-12-31", 400, "end"),  # more than 20 years
        ("start=2024-07-01&end=2024-08-31&division=65", 400, "division"),
        ("start=2024-07-01&end=2024-08-31&ecological=maybe", 400, "ecological"),
        ("start=2024-07-01&end=2024-08-31&interval=week", 400, "interval"),
        ("start=2024-07-01&end=2024-08-31&divison=650102", 400, "divison"),  # misspelt: refused, not ignored
        ("start=2024-07-32&end=2024-08-31", 400, "start"),
    ],
)
def test_rate_bad_parameters(client_for, users, volumes, query, status, field):
    resp = client_for(users["admin"]).get(f"{URL}?{query}")
    assert resp.status_code == status, resp.content
    assert field in resp.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("device", 403), ("chief_650102", 404), ("reviewer_650103", 404), ("city_reviewer", 200)],
)
def test_rate_of_a_division_outside_the_jurisdiction_is_404(client_for, users, volumes, who, status):
    client = client_for(users[who] if who else None)
    resp = client.get(f"{URL}?start=2024-07-01&end=2024-08-31&division=650100")
    assert resp.status_code == status
    if status == 404:
        assert resp.json()["error"]["code"] == "not_found"


def test_rate_api_query_ceiling(client_for, users, volumes):
    client = client_for(users["city_reviewer"])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"{URL}?start=2024-01-01&end=2024-12-31&interval=quarter").status_code == 200
    # token lookup (+ last-used stamp) + the rate's six queries
    assert len(ctx.captured_queries) <= 8, [q["sql"] for q in ctx.captured_queries]

"""Red-line targets and redline_summary: targets and entered actuals (each with its source), the
system's measured total use, intensities, whether met, scope; and the red-lines API."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from accounts.scope import scope_for
from core.exceptions import Conflict, InvalidInput, NotFound
from core.models import AuditLog
from tests.water.plan_fixtures import ALL, city_plan, q1_use
from water import plan_services
from water.models import RedLineTarget
from water.selectors import redline_summary

pytestmark = pytest.mark.django_db
D = Decimal
REDLINES = "/api/v1/water/redlines/"


@pytest.fixture
def q1(geography, water):
    q1_use(water)
    return city_plan(geography, water)


def _targets(geography, **extra):
    values = {
        "total_use_cap_m3": D(20000),
        "per_gdp_target": D("0.5"),
        "per_iva_target": D("0.3"),
        "irrigation_target": D("0.58"),
        "zone_compliance_target": D("0.8"),
        "gdp_10k_yuan": D(30000),
        "gdp_source": "市统计局 2024 公报",
        "iva_10k_yuan": D(5000),
        "iva_source": "市统计局",
        "irrigation_coefficient": D("0.6"),
        "irrigation_source": "样点灌区测算",
        "zone_compliance": D("0.75"),
        "zone_compliance_source": "生态环境局, 双指标, 频次法",
    } | extra
    return plan_services.redline_create(actor="test", scope=ALL, year=2024, division=geography["city"], **values)


def test_redline_indicators_with_system_and_entered_actuals(q1, geography):
    target = _targets(geography)
    s = redline_summary(scope=ALL, year=2024)
    got = {i.key: (i.target, i.actual, i.source, i.met) for i in s.indicators}
    assert s.division_code == "650100"
    assert s.target_id == target.pk
    assert got["total_use"] == (D(20000), D(16550), "system", True)
    assert got["per_gdp"] == (D("0.5"), D("0.5517"), "entered", False)  # 16550 / 30000
    assert got["per_iva"] == (D("0.3"), D("0.91"), "entered", False)  # W is industrial: 4550 / 5000
    assert got["irrigation"] == (D("0.58"), D("0.6"), "entered", True)
    assert got["zone_compliance"] == (D("0.8"), D("0.75"), "entered", False)
    data = s.to_dict()
    json.dumps(data)
    assert [i["key"] for i in data["indicators"]] == [
        "total_use",
        "per_gdp",
        "per_iva",
        "irrigation",
        "zone_compliance",
    ]


def test_redlines_missing_and_scoped(q1, geography, users):
    _targets(geography, gdp_10k_yuan=None, gdp_source="", zone_compliance=None, zone_compliance_source="")
    got = {i.key: (i.actual, i.source, i.met) for i in redline_summary(scope=ALL, year=2024).indicators}
    assert got["per_gdp"] == (None, "missing", None)
    assert got["zone_compliance"] == (None, "missing", None)
    # A district reviewer: their own district by default (no targets there), measured in scope.
    rev = scope_for(users["reviewer_650103"])
    own = {i.key: i for i in redline_summary(scope=rev, year=2024).indicators}
    assert (own["total_use"].target, own["total_use"].actual) == (None, D(4550))
    # The city's targets are visible to them, but the city's use is not theirs to measure.
    city = {i.key: i for i in redline_summary(scope=rev, year=2024, division_code="650100").indicators}
    assert (city["total_use"].target, city["total_use"].source) == (D(20000), "missing")
    with pytest.raises(NotFound):
        redline_summary(scope=scope_for(users["chief_650102"]), year=2024, division_code="650103")
    op = redline_summary(scope=scope_for(users["operator"]), year=2024)
    assert {i.source for i in op.indicators} == {"missing"}
    with pytest.raises(InvalidInput):
        redline_summary(scope=ALL, year=1900)
    # No targets at all that year: everything but the measured use is missing.
    other = {i.key: i for i in redline_summary(scope=ALL, year=2023).indicators}
    assert other["total_use"].actual == 0
    assert other["total_use"].met is None


def test_redline_entered_values_need_a_source(geography):
    with pytest.raises(InvalidInput) as err:
        _targets(geography, gdp_source="")
    assert "gdp_source" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        _targets(geography, zone_compliance=D("1.5"))
    assert "zone_compliance" in err.value.fields
    target = _targets(geography)
    with pytest.raises(Conflict):
        _targets(geography)
    plan_services.redline_update(
        target=target, actor="test", scope=ALL, changes={"gdp_10k_yuan": D(33000)}, reason="statistics bureau revision"
    )
    log = AuditLog.objects.filter(entity="water.redlinetarget").order_by("id").last()
    assert log is not None
    assert D(log.before["gdp_10k_yuan"]) == 30000
    assert D(log.after["gdp_10k_yuan"]) == 33000


TARGETS = {
    "year": 2024,
    "division": "650100",
    "total_use_cap_m3": "20000",
    "per_gdp_target": "0.5",
    "gdp_10k_yuan": "30000",
    "gdp_source": "市统计局",
    "irrigation_target": "0.58",
    "irrigation_coefficient": "0.6",
    "irrigation_source": "样点灌区",
    "zone_compliance_target": "0.8",
    "zone_compliance": "0.75",
    "zone_compliance_source": "生态环境局 双指标 频次法",
}


def test_redlines_write_read_and_summary(client_for, users, water):
    q1_use(water)
    admin = client_for(users["admin"])
    resp = admin.post(REDLINES, TARGETS, format="json")
    assert resp.status_code == 201, resp.content
    assert admin.post(REDLINES, TARGETS, format="json").status_code == 409
    summary = client_for(users["city_reviewer"]).get(REDLINES + "summary/", {"year": 2024}).json()
    got = {i["key"]: (i["actual"], i["source"], i["met"]) for i in summary["indicators"]}
    assert got["total_use"] == (16550.0, "system", True)
    assert got["per_gdp"] == (pytest.approx(0.5517), "entered", False)
    assert got["per_iva"] == (None, "missing", None)
    target_id = resp.json()["id"]
    body = {"zone_compliance": "0.85", "reason": "复核"}
    resp = client_for(users["city_reviewer"]).patch(f"{REDLINES}{target_id}/", body, format="json")
    assert resp.status_code == 200
    assert resp.json()["zone_compliance"] == 0.85
    # The district reviewer reads the city's targets but may not change them.
    rev = client_for(users["reviewer_650103"])
    assert [t["division"] for t in rev.get(REDLINES).json()["results"]] == ["650100"]
    assert rev.patch(f"{REDLINES}{target_id}/", {"notes": "x"}, format="json").status_code == 403
    assert client_for(users["no_jurisdiction"]).get(f"{REDLINES}{target_id}/").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"gdp_source": ""}, "gdp_source"),
        ({"zone_compliance": "1.5"}, "zone_compliance"),
        ({"gdp_10k_yuan": "-1"}, "gdp_10k_yuan"),
        ({"division": "650102"}, "division"),
        ({"year": "x"}, "year"),
    ],
)
def test_redline_bad_input(client_for, users, water, change, field):
    body = TARGETS | {"division": "650103"} | change
    resp = client_for(users["reviewer_650103"]).post(REDLINES, body, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]
    assert not RedLineTarget.objects.exists()


def test_redline_summary_bad_query(client_for, users):
    resp = client_for(users["admin"]).get(REDLINES + "summary/")
    assert resp.status_code == 400
    assert "year" in resp.json()["error"]["fields"]


def test_redline_list_query_ceiling(client_for, users, geography):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for year in range(2020, 2026):
        plan_services.redline_create(actor="t", scope=ALL, year=year, division=geography["city"])
    client = client_for(users["chief_650102"])
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(REDLINES).json()
    assert body["count"] == 6
    assert len(ctx.captured_queries) <= 5


# --------------------------------------------------------------- a period's red lines (issue 19)


@pytest.fixture
def q1_and_april(q1, water):
    """q1_use, and intake E takes 1,000 m³ a day on 1–10 April (10,000 m³ outside Q1)."""
    import datetime as dt

    from tests.water.plan_fixtures import send_daily

    send_daily(water.meter_e, dt.date(2024, 4, 1), [1000] * 10, 1000 + 12000)
    return q1


def _by_key(summary):
    return {i.key: i for i in summary.indicators}


def test_before_the_year_is_over_red_lines_are_year_to_date_with_a_forecast_and_a_state(q1_and_april, geography):
    import datetime as dt

    _targets(geography)  # total use cap 20,000 m³
    s = redline_summary(scope=ALL, year=2024, as_of=dt.date(2024, 3, 31))
    assert (s.as_of, s.year_over) == (dt.date(2024, 3, 31), False)
    got = _by_key(s)
    total = got["total_use"]
    assert total.actual == D(16550)  # January–March only: April's 10,000 m³ are not in it
    # Forecast on the plan's monthly profile: E 12,000 × 38,200 / 11,200 = 40,928.571; W 4,550 × 12,000 /
    # 3,000 = 18,200.
    assert total.forecast == D("59128.571")
    assert (total.met, total.state) == (None, "at_risk")  # under the cap so far, over it by December
    assert (got["per_gdp"].actual, got["per_gdp"].forecast, got["per_gdp"].state) == (None, D("1.9710"), "at_risk")
    assert (got["irrigation"].met, got["irrigation"].state) == (None, "on_track")  # 0.6 ≥ 0.58
    assert got["zone_compliance"].state == "at_risk"  # 0.75 < 0.8
    assert s.to_dict()["indicators"][0]["state_zh"] == "有超标风险"


def test_a_cap_passed_before_the_year_ends_is_exceeded_and_met_only_at_the_end(q1_and_april, geography):
    import datetime as dt

    _targets(geography, total_use_cap_m3=D(16000))
    early = _by_key(redline_summary(scope=ALL, year=2024, as_of=dt.date(2024, 3, 31)))["total_use"]
    assert (early.actual, early.met, early.state) == (D(16550), None, "exceeded")
    RedLineTarget.objects.update(total_use_cap_m3=D(100000))
    assert _by_key(redline_summary(scope=ALL, year=2024, as_of=dt.date(2024, 3, 31)))["total_use"].state == "on_track"
    year = redline_summary(scope=ALL, year=2024)  # 2024 is over: the whole year, met or not
    total = _by_key(year)["total_use"]
    assert (year.year_over, total.actual, total.forecast, total.met, total.state) == (True, D(26550), None, True, "met")


def test_the_q1_report_counts_nothing_of_april(q1_and_april, geography):
    """The Q1 2024 report with April's readings stored: every water figure stops on 31 March, and the
    red line is a year-to-date figure with its forecast and state, never "met"."""
    from core.periods import quarter
    from reports.builders import build_report

    _targets(geography)
    report = build_report(scope=ALL, period=quarter(2024, 1))
    w = report["water"]
    assert w["use_m3"] == 16550.0
    red = {i["key"]: i for i in w["redlines"]["indicators"]}
    assert (w["redlines"]["as_of"], w["redlines"]["year_over"]) == ("2024-03-31", False)
    assert (red["total_use"]["actual"], red["total_use"]["met"], red["total_use"]["state"]) == (
        16550.0,
        None,
        "at_risk",
    )
    assert red["total_use"]["forecast"] == 59128.571
    q2 = build_report(scope=ALL, period=quarter(2024, 2))["water"]
    assert q2["use_m3"] == 10000.0  # April's, in the quarter it belongs to


def test_the_summary_endpoint_takes_as_of(q1_and_april, geography, client_for, users):
    _targets(geography)
    api = client_for(users["admin"])
    body = api.get(f"{REDLINES}summary/", {"year": 2024, "as_of": "2024-03-31"}).json()
    assert (body["as_of"], body["year_over"]) == ("2024-03-31", False)
    total = next(i for i in body["indicators"] if i["key"] == "total_use")
    assert (total["actual"], total["state"], total["met"]) == (16550, "at_risk", None)
    whole = api.get(f"{REDLINES}summary/", {"year": 2024}).json()
    assert (whole["as_of"], whole["year_over"]) == ("2024-12-31", True)
    for bad in ({"year": 2024, "as_of": "2023-12-31"}, {"year": 2024, "as_of": "March"}):
        resp = api.get(f"{REDLINES}summary/", bad)
        assert resp.status_code == 400
        assert "as_of" in resp.json()["error"]["fields"]

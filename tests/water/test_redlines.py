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
        "total_use_cap_m3": D(20000), "per_gdp_target": D("0.5"), "per_iva_target": D("0.3"),
        "irrigation_target": D("0.58"), "zone_compliance_target": D("0.8"),
        "gdp_10k_yuan": D(30000), "gdp_source": "市统计局 2024 公报", "iva_10k_yuan": D(5000),
        "iva_source": "市统计局", "irrigation_coefficient": D("0.6"), "irrigation_source": "样点灌区测算",
        "zone_compliance": D("0.75"), "zone_compliance_source": "生态环境局, 双指标, 频次法",
    } | extra  # fmt: skip
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
    assert [i["key"] for i in data["indicators"]] == ["total_use", "per_gdp", "per_iva", "irrigation",
                                                      "zone_compliance"]  # fmt: skip


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
    plan_services.redline_update(target=target, actor="test", scope=ALL, changes={"gdp_10k_yuan": D(33000)},
                                 reason="statistics bureau revision")  # fmt: skip
    log = AuditLog.objects.filter(entity="water.redlinetarget").order_by("id").last()
    assert log is not None
    assert D(log.before["gdp_10k_yuan"]) == 30000
    assert D(log.after["gdp_10k_yuan"]) == 33000


TARGETS = {
    "year": 2024, "division": "650100", "total_use_cap_m3": "20000", "per_gdp_target": "0.5",
    "gdp_10k_yuan": "30000", "gdp_source": "市统计局", "irrigation_target": "0.58", "irrigation_coefficient": "0.6",
    "irrigation_source": "样点灌区", "zone_compliance_target": "0.8", "zone_compliance": "0.75",
    "zone_compliance_source": "生态环境局 双指标 频次法",
}  # fmt: skip


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
    [({"gdp_source": ""}, "gdp_source"), ({"zone_compliance": "1.5"}, "zone_compliance"),
     ({"gdp_10k_yuan": "-1"}, "gdp_10k_yuan"), ({"division": "650102"}, "division"), ({"year": "x"}, "year")],
)  # fmt: skip
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

"""Period evaluation and the good-water shares: the selector the reports module reads, and
GET /api/v1/quality/summary/."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.scope import scope_for
from core.exceptions import NotFound
from core.periods import date_range, half_year, month
from quality.selectors import quality_summary
from quality.services import section_create
from tests.quality.conftest import beijing

pytestmark = pytest.mark.django_db
URL = "/api/v1/quality/summary/"

GOOD_RIVER = {"NH3-N": 0.8, "COD": 18, "TP": 0.15, "DO": 6.5}  # class III
IV_RIVER = {"NH3-N": 1.3, "COD": 18, "TP": 0.15, "DO": 6.5}  # class IV (NH3-N)
GOOD_LAKE = {"NH3-N": 0.3, "COD": 14, "TP": 0.045, "TN": 2.5}  # III on the lake column; TN not counted
BAD_LAKE = {"NH3-N": 0.3, "COD": 14, "TP": 0.25}  # 劣Ⅴ on the lake column (II on a river)
SOURCE = {"NH3-N": 0.2, "COD": 12, "TP": 0.02, "sulfate": 80, "iron": {"value": 0.1, "unit": "mg/L"}}


@pytest.fixture
def year_of_samples(sections, record):
    for m in range(1, 13):
        record(sections["river_e"], beijing(2024, m), GOOD_RIVER)
        record(sections["river_w"], beijing(2024, m), IV_RIVER)
        record(sections["lake_e"], beijing(2024, m), GOOD_LAKE)
        record(sections["lake_w"], beijing(2024, m), BAD_LAKE)
        record(sections["source_e"], beijing(2024, m), SOURCE)
    return sections


class TestSelector:
    def test_shares_per_category(self, users, year_of_samples):
        s = quality_summary(scope=scope_for(users["admin"]), period=half_year(2024, 1))
        assert (s.rivers.good, s.rivers.evaluated, s.rivers.good_fraction) == (1, 2, Fraction(1, 2))
        assert s.rivers.good_ratio == D("0.5")
        assert s.rivers.shares.groups == {"I_III": 1, "IV_V": 1, "worse_than_V": 0}
        assert (s.lakes.good, s.lakes.evaluated) == (1, 2)
        assert s.lakes.shares.groups == {"I_III": 1, "IV_V": 0, "worse_than_V": 1}
        assert (s.drinking_sources.good, s.drinking_sources.evaluated) == (1, 1)
        assert s.drinking_sources.good_ratio == D(1)
        by_code = {e.section.code: e for e in s.lakes.sections}
        assert by_code["QS-W-L"].cls == 6
        assert [r.item.key for r in by_code["QS-W-L"].classification.main_pollutants] == ["TP"]
        assert by_code["QS-E-L"].cls == 3
        assert s.rivers.status_method == "mean_concentration"  # fewer than five sections

    def test_scope_and_division(self, users, year_of_samples):
        chief = quality_summary(scope=scope_for(users["chief_650102"]), period=half_year(2024, 1))
        assert [e.section.code for e in chief.rivers.sections] == ["QS-E-R"]
        assert chief.rivers.good_ratio == D(1)
        west = quality_summary(scope=scope_for(users["admin"]), period=half_year(2024, 1), division_code="650103")
        assert (west.rivers.good, west.rivers.evaluated) == (0, 1)
        assert west.drinking_sources.evaluated == 0
        assert west.drinking_sources.good_ratio is None
        with pytest.raises(NotFound):
            quality_summary(scope=scope_for(users["chief_650102"]), period=half_year(2024, 1), division_code="650103")
        with pytest.raises(NotFound):
            quality_summary(scope=scope_for(users["admin"]), period=half_year(2024, 1), division_code="650199")

    def test_sections_without_results_are_not_evaluated_and_flagged_sections_not_counted(
        self, users, year_of_samples, geography, record
    ):
        section_create(
            code="QS-E-R2",
            name="空断面",
            category="river",
            reach=geography["reach_e"],
            location=Point(87.7, 43.9),
            target_class=3,
            actor="test",
        )
        research = section_create(
            code="QS-E-R3",
            name="研究断面",
            category="river",
            reach=geography["reach_e"],
            location=Point(87.72, 43.92),
            target_class=3,
            actor="test",
            counts_in_statistics=False,
        )
        record(research, beijing(2024, 2), IV_RIVER)
        s = quality_summary(scope=scope_for(users["admin"]), period=half_year(2024, 1))
        assert s.rivers.evaluated == 2
        assert [x.code for x in s.rivers.not_evaluated] == ["QS-E-R2"]
        assert "QS-E-R3" not in {e.section.code for e in s.rivers.sections}

    def test_period_edges_are_beijing_midnights(self, users, sections, record):
        record(sections["river_e"], beijing(2024, 6, 30, 23), IV_RIVER)
        record(sections["river_e"], beijing(2024, 7, 1, 0), GOOD_RIVER)
        h1 = quality_summary(scope=scope_for(users["admin"]), period=half_year(2024, 1))
        h2 = quality_summary(scope=scope_for(users["admin"]), period=half_year(2024, 2))
        assert [e.cls for e in h1.rivers.sections] == [4]
        assert [e.cls for e in h2.rivers.sections] == [3]

    def test_a_bad_month_in_a_good_half_year(self, users, sections, record):
        # NH3-N 0.9 for five months and 1.5 in June: the monthly values average to 1.0 → class III for
        # the half year, although June alone is class IV.
        for m in range(1, 6):
            record(sections["river_e"], beijing(2024, m), {"NH3-N": 0.9})
        record(sections["river_e"], beijing(2024, 6), {"NH3-N": 1.5})
        h1 = quality_summary(scope=scope_for(users["admin"]), period=half_year(2024, 1))
        assert h1.rivers.sections[0].means.values["w21003"] == D("1.0")
        assert h1.rivers.sections[0].cls == 3
        june = quality_summary(scope=scope_for(users["admin"]), period=month(2024, 6))
        assert june.rivers.sections[0].cls == 4

    def test_database_means_are_exact_at_a_half_even_tie(self, users, sections, record):
        # Monthly means from the database aggregate: 1.005 must stay 1.005 (→ 1.00, class III) and
        # 1.015 stay 1.015 (→ 1.02, class IV) on both backends, not drift through binary floats.
        for day, east, west in ((5, "1.00", "1.01"), (20, "1.01", "1.02")):
            record(sections["river_e"], beijing(2024, 3, day), {"NH3-N": east})
            record(sections["river_w"], beijing(2024, 3, day), {"NH3-N": west})
        record(
            sections["lake_e"],
            beijing(2024, 3, 5),
            {"Hg": {"below_detection_limit": True, "detection_limit": "0.00000003", "unit": "mg/L"}},
        )
        s = quality_summary(scope=scope_for(users["admin"]), period=month(2024, 3))
        by_code = {e.section.code: e for e in s.rivers.sections}
        assert by_code["QS-E-R"].means.values["w21003"] == D("1.005")
        assert by_code["QS-E-R"].cls == 3
        assert by_code["QS-W-R"].means.values["w21003"] == D("1.015")
        assert by_code["QS-W-R"].cls == 4
        assert s.lakes.sections[0].means.values["w20111"] == D("0.000000015")

    def test_drinking_source_fails_on_a_table_2_item(self, users, sections, record):
        record(sections["source_e"], beijing(2024, 3), {**SOURCE, "manganese": {"value": 150, "unit": "ug/L"}})
        s = quality_summary(scope=scope_for(users["admin"]), period=month(2024, 3))
        source = s.drinking_sources.sections[0]
        assert source.cls == 2
        assert source.good is False
        assert s.drinking_sources.good_ratio == D(0)

    def test_four_queries_whatever_the_number_of_sections(self, users, year_of_samples, geography, record):
        def count() -> int:
            with CaptureQueriesContext(connection) as ctx:
                quality_summary(scope=scope_for(users["admin"]), period=half_year(2024, 1))
            return len(ctx.captured_queries)

        before = count()
        for n in range(6):
            extra = section_create(
                code=f"QS-X-{n}",
                name=f"x{n}",
                category="river",
                reach=geography["reach_e"],
                location=Point(87.7, 43.9),
                target_class=3,
                actor="test",
            )
            record(extra, beijing(2024, 3), GOOD_RIVER)
        assert count() == before <= 4  # sections, results, samples, exclusions


class TestApi:
    def test_permissions(self, client_for, users, year_of_samples):
        q = "?start=2024-01-01&end=2024-06-30"
        assert client_for(None).get(URL + q).status_code == 401
        assert client_for(users["device"]).get(URL + q).status_code == 403
        assert client_for(users["operator"]).get(URL + q).status_code == 200
        other = client_for(users["chief_650102"]).get(URL + q + "&division=650103")
        assert other.status_code == 404

    def test_body(self, client_for, users, year_of_samples):
        resp = client_for(users["city_reviewer"]).get(URL + "?start=2024-01-01&end=2024-06-30&division=650100")
        assert resp.status_code == 200
        data = resp.json()
        assert data["period"] == {"start": "2024-01-01", "end": "2024-06-30", "label": "2024-01-01/2024-06-30"}
        assert data["division"] == "650100"
        rivers = data["rivers"]
        assert rivers["good_ratio"] == 0.5
        assert rivers["good_percent"] == "50.00"
        assert rivers["counts"] == {"I_III": 1, "IV_V": 1, "worse_than_V": 0}
        assert rivers["by_class"]["IV"] == 1
        assert {x["code"]: x["class"] for x in rivers["sections"]} == {"QS-E-R": 3, "QS-W-R": 4}
        west = next(x for x in rivers["sections"] if x["code"] == "QS-W-R")
        assert west["main_pollutants"][0]["key"] == "NH3-N"
        assert west["compliant"] is False
        assert data["drinking_sources"]["good_percent"] == "100.00"
        assert data["lakes"]["percents"]["worse_than_V"] == "50.00"

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("", "start"),
            ("?start=2024-01-01", "end"),
            ("?start=2024-13-01&end=2024-12-31", "start"),
            ("?start=2024-06-01&end=2024-01-01", "end"),
            ("?start=2000-01-01&end=2024-12-31", "end"),
            ("?start=2024-01-01&end=2024-06-30&division=65", "division"),
            ("?start=2024-01-01&end=9999-12-31", "end"),
        ],
    )
    def test_bad_parameters(self, client_for, users, sections, query, field):
        resp = client_for(users["admin"]).get(URL + query)
        assert resp.status_code == 400
        assert field in resp.json()["error"]["fields"]

    def test_query_count_ceiling(self, client_for, users, year_of_samples):
        c = client_for(users["admin"])
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(URL + "?start=2024-01-01&end=2024-12-31").status_code == 200
        # auth (token, last-use) + sections + results + samples + exclusions
        assert len(ctx.captured_queries) <= 6, [q["sql"] for q in ctx.captured_queries]

    def test_an_arbitrary_range(self, client_for, users, year_of_samples):
        resp = client_for(users["admin"]).get(URL + "?start=2024-03-15&end=2024-03-20")
        assert resp.json()["rivers"]["evaluated"] == 0  # samples are on the 10th
        s = quality_summary(scope=scope_for(users["admin"]), period=date_range(*[beijing(2024, 3).date()] * 2))
        assert s.rivers.evaluated == 2

"""The demo city's published figures come out of the demo samples by the national method:
rivers 87.5 % (7/8), lakes and reservoirs 77.78 % (7/9), drinking-water sources 100 %."""

from __future__ import annotations

import io
from fractions import Fraction

import pytest

from accounts.models import User
from accounts.scope import scope_for
from core.demo import demo_loaders
from core.models import AuditLog
from core.periods import half_year, month, quarter, year
from quality.models import Measurement, Sample, Section
from quality.selectors import quality_summary

pytestmark = pytest.mark.django_db


def load() -> None:
    # What `manage.py load_demo --only accounts places quality` runs (the command itself also reads
    # the settings module's name, which override_settings does not provide).
    for name, loader in demo_loaders():
        if name in {"accounts", "places", "quality"}:
            loader(password="demo-pass-for-tests", password_generated=False, stdout=io.StringIO())


@pytest.fixture
def demo():
    load()
    return scope_for(User.objects.get(username="reviewer"))


def test_first_half_of_2024(demo):
    s = quality_summary(scope=demo, period=half_year(2024, 1))
    assert (s.rivers.good, s.rivers.evaluated, s.rivers.good_percent) == (7, 8, "87.50")
    assert (s.lakes.good, s.lakes.evaluated, s.lakes.good_percent) == (7, 9, "77.78")
    assert (s.drinking_sources.good, s.drinking_sources.evaluated, s.drinking_sources.good_percent) == (3, 3, "100.00")
    assert s.lakes.good_fraction == Fraction(7, 9)
    assert s.rivers.status == "good"  # 75 % ≤ 87.5 % < 90 %, section share method (8 ≥ 5 sections)
    assert s.rivers.status_method == "section_share"


def test_any_period_of_2024(demo):
    periods = [year(2024), half_year(2024, 2), *(quarter(2024, q) for q in range(1, 5))]
    periods += [month(2024, m) for m in range(1, 13)]
    for period in periods:
        s = quality_summary(scope=demo, period=period)
        got = [(c.good, c.evaluated) for c in (s.rivers, s.lakes, s.drinking_sources)]
        assert got == [(7, 8), (7, 9), (3, 3)], period.label


def test_what_a_lab_sees_in_the_demo(demo):
    s = quality_summary(scope=demo, period=half_year(2024, 1))
    rivers = {e.section.code: e for e in s.rivers.sections}
    polluted = rivers["QS-HL01-03"]
    assert polluted.cls == 4
    assert [r.item.key for r in polluted.classification.main_pollutants][:2] == ["NH3-N", "COD"]
    assert polluted.compliant is False
    # The automatic station's values stand in for the lab's for the 2020-rule items.
    station = rivers["QS-HL01-02"].means.items
    assert station["w21003"].sources == ("automatic",)
    assert station["w01018"].sources == ("manual",)
    lakes = {e.section.code: e for e in s.lakes.sections}
    assert lakes["QS-HK03-01"].cls == 5
    assert lakes["QS-HK03-01"].classification.main_pollutants[0].item.key == "COD"
    # Mercury is never detected: half the detection limit enters.
    hg = lakes["QS-HK01-01"].means.items["w20111"]
    assert hg.non_detects == hg.results == 6
    # The research section is sampled but not counted.
    assert Section.objects.filter(counts_in_statistics=False).count() == 1
    assert "QS-HL03-90" not in rivers


def test_demo_load_is_idempotent(demo):
    def counts():
        audit = AuditLog.objects.filter(entity__startswith="quality.").count()
        return (Section.objects.count(), Sample.objects.count(), Measurement.objects.count(), audit)

    before = counts()
    load()
    assert counts() == before
    assert before[0] == 21
    assert before[1] == 21 * 12 * 2 + 365 + 366  # monthly lab samples and the daily station, 2023 and 2024


def test_demo_function_zones(demo):
    """12 demo zones: 10 judged from their sections (柴窝堡湖's two points, classes V and IV, fail its
    class III), 2 on declared figures (one compliant): 10/12 in 2023 and 2024 alike."""
    from quality.zone_selectors import zone_compliance

    for period in (year(2024), quarter(2024, 1), year(2023)):
        z = zone_compliance(scope=demo, period=period)
        assert (z.complying, z.judged, z.from_sections, z.declared) == (10, 12, 10, 2), period.label
        failing = {r.zone.code: r.source for r in z.zones if r.compliant is False}
        assert failing == {"SGN-HK03-01": "sections", "SGN-HL07-01": "declared"}

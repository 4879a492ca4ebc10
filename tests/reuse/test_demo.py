"""The 2024 demo ledger: the seed report's two tail-water reuse plants, the 20,000 t/d pump station and
the 24 km pipeline (24 km ± 1 % by an independent geodesic computation), users in every GB/T 18919
class, twelve months with greening in summer, and a second load that changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.demo import load_accounts_demo
from accounts.scope import Scope
from core.models import AuditLog
from core.periods import quarter, year
from places.demo import load_places_demo
from reuse.choices import ProjectKind, ProjectStatus, UseClass
from reuse.demo import load_reuse_demo
from reuse.models import MonthlyDelivery, MonthlyPlantVolume, Plant, Project, WaterUser
from reuse.selectors import plant_volume_list, reuse_rate, volume_flags
from tests.reuse.test_geodesy import polyline_m

pytestmark = pytest.mark.django_db
EVERYTHING = Scope(user_id=None, role="admin", everything=True)


@pytest.fixture
def demo():
    load_accounts_demo(password="demo-Pass-2024", stdout=None)
    load_places_demo()
    load_reuse_demo()


def test_the_seed_reports_items_are_there(demo):
    tail = Project.objects.filter(kind=ProjectKind.TAIL_WATER_REUSE, status=ProjectStatus.OPERATING)
    assert sorted(p.plant.name for p in tail) == ["城北新区污水处理厂", "河西污水处理厂"]
    station = Project.objects.get(kind=ProjectKind.PUMP_STATION)
    assert station.capacity_m3d == Decimal(20_000)  # 2 万吨/日, 1 t ≡ 1 m³
    assert station.division.code == "650109"
    pipeline = Project.objects.get(kind=ProjectKind.PIPELINE)
    assert pipeline.length_m == pytest.approx(24_000, rel=0.01)
    independent = sum(polyline_m(list(part.coords)) for part in pipeline.route)
    assert independent == pytest.approx(24_000, rel=0.01)
    assert pipeline.length_m == pytest.approx(independent, abs=1e-3)
    assert {u.use_class for u in WaterUser.objects.all()} == set(UseClass.values)


def test_the_midong_station_and_pipeline_are_finished_when_the_seed_report_says_so(demo):
    """The seed report was published on 2024-08-21 with its figures as of the end of June 2024, and calls
    the Midong pump station and pipeline built: the demo must not complete them later."""
    import datetime as dt

    for kind in (ProjectKind.PUMP_STATION, ProjectKind.PIPELINE):
        project = Project.objects.get(kind=kind, division__code="650109")
        assert project.completed_on <= dt.date(2024, 6, 30), project
        assert project.operating_since <= dt.date(2024, 8, 21), project


def test_positions_lie_in_their_divisions(demo):
    for obj in [
        *Plant.objects.all(),
        *Project.objects.exclude(location=None),
        *WaterUser.objects.exclude(location=None),
    ]:
        assert obj.division.boundary.contains(obj.location), obj
    pipeline = Project.objects.get(kind=ProjectKind.PIPELINE)
    assert pipeline.division.boundary.contains(pipeline.route)


def test_a_year_of_months_with_greening_in_summer(demo):
    assert MonthlyPlantVolume.objects.filter(month__year=2024).count() == 36
    greening = {
        m: sum(d.volume_m3 for d in MonthlyDelivery.objects.filter(month__month=m, sub_use="greening"))
        for m in range(1, 13)
    }
    assert greening[1] == greening[12] == 0
    assert greening[7] > greening[4] > 0
    assert all(not volume_flags(v, v.delivered_m3) for v in plant_volume_list(scope=EVERYTHING))
    # The park's network delivers from September 2024, when the pump station began operating.
    park = MonthlyDelivery.objects.filter(plant__kind="industrial_park")
    assert min(d.month.month for d in park) == 9


def test_the_demo_rate_straddles_the_target_on_the_ecological_choice(demo):
    counted = reuse_rate(scope=EVERYTHING, period=year(2024))
    excluded = reuse_rate(scope=EVERYTHING, period=year(2024), count_ecological=False)
    assert counted.rate == pytest.approx(0.2517, abs=1e-4)
    assert counted.meets_target is True
    assert excluded.rate == pytest.approx(0.2207, abs=1e-4)
    assert excluded.meets_target is False
    assert counted.counts["plants"] == 3
    assert counted.counts["users"] == 9
    assert all(c.used_m3 > 0 for c in counted.by_class.values())
    # Summer greening makes the third quarter the best one.
    q3, q1 = (
        reuse_rate(scope=EVERYTHING, period=quarter(2024, 3)),
        reuse_rate(scope=EVERYTHING, period=quarter(2024, 1)),
    )
    assert q3.rate > 0.4 > 0.05 > q1.rate


def test_loading_twice_changes_nothing(demo):
    counts = [m.objects.count() for m in (Plant, Project, WaterUser, MonthlyPlantVolume, MonthlyDelivery)]
    audits = AuditLog.objects.filter(entity__startswith="reuse.").count()
    load_reuse_demo()
    assert [m.objects.count() for m in (Plant, Project, WaterUser, MonthlyPlantVolume, MonthlyDelivery)] == counts
    assert AuditLog.objects.filter(entity__startswith="reuse.").count() == audits
    # Twelve plant months a year for three plants, 2023 and 2024; 68 deliveries in 2024 and 58 in 2023,
    # when the Midong park network (10 deliveries in September–December 2024) did not exist yet.
    assert counts == [3, 4, 10, 72, 68 + 58]
    assert not MonthlyDelivery.objects.filter(month__year=2023, plant__code="WWTP-650109-02").exists()


def test_without_the_places_demo_it_says_so(db):
    class Out:
        text = ""

        def write(self, s):
            self.text += s

    out = Out()
    load_reuse_demo(stdout=out)
    assert "places demo" in out.text
    assert not Plant.objects.exists()

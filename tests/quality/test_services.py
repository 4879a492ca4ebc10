"""Writes of the quality app against the database: sections, samples, resends, conflicts, audit and
the database constraints that back the services up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.contrib.gis.geos import LineString, Point
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.exceptions import Conflict, InvalidInput
from core.models import AuditLog
from quality import gb3838
from quality.models import Measurement, Sample, Section
from quality.services import SampleInput, sample_delete, samples_record, section_create, section_update
from tests.quality.conftest import beijing

pytestmark = pytest.mark.django_db


def _inputs(section, when, values, source="manual", path=""):
    measurements, errors = gb3838.parse_values(values)
    assert not errors
    return SampleInput(section, when, source, tuple(measurements.values()), path=path)


class TestSections:
    def test_division_and_water_body_follow_the_reach_or_lake(self, sections, geography):
        assert sections["river_e"].division == geography["tianshan"]
        assert sections["river_e"].water_body == "river"
        assert sections["lake_w"].division == geography["saybagh"]
        assert sections["lake_w"].water_body == "lake"
        assert sections["source_e"].water_body == "lake"
        log = AuditLog.objects.get(entity="quality.section", entity_id=str(sections["river_e"].pk))
        assert log.action == "create"
        assert log.after["code"] == "QS-E-R"

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"category": "river", "lake": "lake_e"}, "reach"),
            ({"category": "lake", "reach": "reach_e"}, "lake"),
            ({"category": "drinking_source"}, "reach"),
            ({"category": "river", "reach": "reach_e", "lake": "lake_e"}, "reach"),
            ({"category": "sea", "reach": "reach_e"}, "category"),
            ({"category": "river", "reach": "reach_e", "target_class": 6}, "target_class"),
            ({"category": "river", "reach": "reach_e", "location": LineString((87, 43), (88, 44))}, "location"),
        ],
    )
    def test_refusals_write_nothing(self, geography, kwargs, field):
        args = {"code": "X-1", "name": "x", "location": Point(87.6, 43.8), "target_class": 3, "actor": "test"}
        for key in ("reach", "lake"):
            if key in kwargs:
                kwargs = {**kwargs, key: geography[kwargs[key]]}
        with pytest.raises(InvalidInput) as exc:
            section_create(**{**args, **kwargs})
        assert field in exc.value.fields
        assert not Section.objects.exists()
        assert not AuditLog.objects.filter(entity="quality.section").exists()

    def test_codes_are_unique(self, sections, geography):
        with pytest.raises(Conflict):
            section_create(
                code="QS-E-R",
                name="again",
                category="river",
                reach=geography["reach_e"],
                location=Point(87.6, 43.8),
                target_class=3,
                actor="test",
            )

    def test_update_is_audited_and_a_no_op_writes_nothing(self, sections):
        s = section_update(section=sections["river_e"], actor="test", target_class=2, name="新名")
        assert (s.target_class, s.name) == (2, "新名")
        log = AuditLog.objects.filter(entity="quality.section", action="update").get()
        assert log.before["target_class"] == 3
        assert log.after["target_class"] == 2
        section_update(section=s, actor="test", target_class=2)
        assert AuditLog.objects.filter(entity="quality.section", action="update").count() == 1

    def test_code_and_water_body_cannot_change(self, sections):
        with pytest.raises(InvalidInput) as exc:
            section_update(section=sections["river_e"], actor="test", category="lake")
        assert "category" in exc.value.fields


class TestSamples:
    def test_recorded_in_canonical_units_with_audit(self, sections):
        s = sections["river_e"]
        values = {"NH3-N": 0.52, "Hg": {"value": 0.04, "unit": "µg/L"}, "TP": "<0.01"}
        result = samples_record(samples=[_inputs(s, beijing(2024, 3), values)], actor="test")
        sample = result.created[0]
        stored = {m.item: m for m in sample.measurements.all()}
        assert stored["w21003"].value == D("0.52")
        assert stored["w20111"].value == D("0.00004")
        assert stored["w20111"].reported_unit == "µg/L"
        assert stored["w21011"].below_detection_limit
        assert stored["w21011"].value is None
        assert stored["w21011"].detection_limit == D("0.01")
        log = AuditLog.objects.get(entity="quality.sample", entity_id=str(sample.pk))
        assert log.action == "create"
        assert {m["item"] for m in log.after["measurements"]} == {"w21003", "w20111", "w21011"}

    def test_a_resend_is_a_duplicate_and_another_value_a_conflict(self, sections):
        s = sections["river_e"]
        samples_record(samples=[_inputs(s, beijing(2024, 3), {"COD": 18})], actor="test")
        again = samples_record(samples=[_inputs(s, beijing(2024, 3), {"COD": "18.0"})], actor="test")
        assert again.created == []
        assert len(again.duplicates) == 1
        with pytest.raises(Conflict) as exc:
            samples_record(samples=[_inputs(s, beijing(2024, 3), {"COD": 19, "TP": 0.1})], actor="test")
        assert exc.value.code == "sample_conflict"
        assert list(exc.value.fields) == ["values.COD"]
        assert Sample.objects.count() == 1
        assert Measurement.objects.get().value == D(18)
        # New items for the same sampling are added; the stored ones are never overwritten.
        added = samples_record(samples=[_inputs(s, beijing(2024, 3), {"COD": 18, "TP": 0.1})], actor="test")
        assert (added.created, len(added.amended), added.measurements_created) == ([], 1, 1)
        assert Measurement.objects.count() == 2
        # The same time from an automatic station is another sample.
        samples_record(samples=[_inputs(s, beijing(2024, 3), {"COD": 19}, source="automatic")], actor="test")
        assert Sample.objects.count() == 2

    def test_a_batch_is_all_or_nothing(self, sections):
        s = sections["river_e"]
        future = timezone.now() + dt.timedelta(hours=1)
        batch = [
            _inputs(s, beijing(2024, 1), {"COD": 10}, path="rows[2]"),
            _inputs(s, future, {"COD": 11}, path="rows[3]"),
        ]
        with pytest.raises(InvalidInput) as exc:
            samples_record(samples=batch, actor="test")
        assert exc.value.fields == {"rows[3].sampled_at": ["In the future."]}
        assert not Sample.objects.exists()
        assert not AuditLog.objects.filter(entity="quality.sample").exists()

    def test_a_few_minutes_of_clock_skew_are_tolerated(self, sections):
        soon = timezone.now() + dt.timedelta(minutes=2)
        samples_record(samples=[_inputs(sections["river_e"], soon, {"COD": 10})], actor="test")
        assert Sample.objects.count() == 1

    def test_naive_times_are_refused(self, sections):
        with pytest.raises(InvalidInput):
            samples_record(
                samples=[_inputs(sections["river_e"], dt.datetime(2024, 1, 1), {"COD": 10})],  # noqa: DTZ001
                actor="test",
            )

    def test_the_same_key_twice_in_a_batch_with_other_values_is_refused(self, sections):
        s = sections["river_e"]
        batch = [
            _inputs(s, beijing(2024, 1), {"COD": 10}, path="rows[2]"),
            _inputs(s, beijing(2024, 1), {"COD": 12}, path="rows[5]"),
        ]
        with pytest.raises(InvalidInput) as exc:
            samples_record(samples=batch, actor="test")
        assert "rows[5].sampled_at" in exc.value.fields
        assert not Sample.objects.exists()

    def test_delete_is_audited_with_the_results(self, sections, record):
        sample = record(sections["river_e"], beijing(2024, 2), {"COD": 10, "NH3-N": 0.2})
        pk = sample.pk
        sample_delete(sample=sample, actor="test", reason="wrong bottle")
        assert not Sample.objects.filter(pk=pk).exists()
        assert not Measurement.objects.exists()
        log = AuditLog.objects.get(entity="quality.sample", entity_id=str(pk), action="delete")
        assert len(log.before["measurements"]) == 2
        assert log.reason == "wrong bottle"


class TestDatabaseConstraints:
    """The database refuses what the services refuse, should anything bypass them."""

    @pytest.mark.parametrize(
        "fields",
        [
            {"item": "w21003", "value": D("-0.1")},
            {"item": "w01001", "value": D("14.5")},
            {"item": "w99999", "value": D("1")},
            {"item": "w21003", "value": None},
            {"item": "w21003", "value": D("1"), "below_detection_limit": True, "detection_limit": D("0.1")},
            {"item": "w21003", "value": None, "below_detection_limit": True, "detection_limit": D("0")},
        ],
    )
    def test_measurement_constraints(self, sections, record, fields):
        sample = record(sections["river_e"], beijing(2024, 2), {"COD": 10})
        with pytest.raises(IntegrityError), transaction.atomic():
            Measurement.objects.create(sample=sample, **fields)

    def test_a_river_section_must_lie_on_a_reach(self, sections, geography):
        with pytest.raises(IntegrityError), transaction.atomic():
            Section.objects.filter(pk=sections["river_e"].pk).update(reach=None, lake=geography["lake_e"])

    def test_one_sample_per_section_time_and_source(self, sections, record):
        record(sections["river_e"], beijing(2024, 2), {"COD": 10})
        with pytest.raises(IntegrityError), transaction.atomic():
            Sample.objects.create(section=sections["river_e"], sampled_at=beijing(2024, 2), source="manual")

"""The daily rows the ingest keeps (append increments and windowed recomputes) must equal what the
volume engine computes from all the readings at once, whatever the batches, their order, resends,
reviews and corrections, and with concurrent writers."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from functools import partial

import pytest

from accounts.choices import Role
from accounts.scope import Scope
from tests.concurrency import race
from tests.water.conftest import T0
from water import rollups, services
from water.choices import NOT_REPORTS
from water.ingest import Row
from water.models import DailyVolume, Reading
from water.volume_engine import Point, daily_totals, to_us

D = Decimal
ALL = Scope(user_id=None, role=Role.ADMIN, everything=True)
FIELDS = ("measured_m3", "estimated_m3", "corrected_m3", "held_m3", "covered_s", "n_readings", "n_flagged")


def expected_days(meter) -> dict:
    points = [
        Point(at, value, review, corrected, source not in NOT_REPORTS, None, to_us(received))
        for at, value, review, corrected, source, received in Reading.objects.filter(meter=meter)
        .order_by("observed_at")
        .values_list("observed_at", "cumulative_m3", "review", "corrected", "source", "received_at")
    ]
    rules = rollups.rules_for([meter.pk])[meter.pk]
    return dict(daily_totals(points, rules))


def assert_rows_match(meter) -> None:
    want = expected_days(meter)
    got = {row.day: row for row in DailyVolume.objects.filter(meter=meter)}
    assert set(got) == set(want), sorted(set(got) ^ set(want))[:5]
    for day, t in want.items():
        row = got[day]
        for name, value in zip(FIELDS, (t.measured, t.estimated, t.corrected, t.held), strict=False):
            assert getattr(row, name) == pytest.approx(value, abs=D("0.000003")), (day, name)
        assert row.covered_s == pytest.approx(t.covered_s, abs=1e-6), day
        assert (row.n_readings, row.n_flagged) == (t.n_readings, t.n_flagged), day
        # Online monitoring's counts (report slots filled, timely reports) are kept the same way.
        assert (row.n_slots, row.n_timely) == (t.n_slots, t.n_timely), day


def random_readings(rng: random.Random, n: int) -> list[tuple[dt.datetime, float]]:
    t, v, out = T0, 0.0, []
    for _ in range(n):
        t += dt.timedelta(minutes=rng.choice([60, 60, 60, 60, 20, 90, 200, 1500, 3000]))
        v += rng.randint(0, 3000) / 10
        r = rng.random()
        value = v + 40_000 if r < 0.03 else (max(0.0, v - rng.randint(1, 80)) if r < 0.06 else v)
        out.append((t, round(value % 20_000, 3)))
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(6))
def test_any_batching_and_order_gives_the_same_days(water, seed):
    rng = random.Random(seed)
    meter = services.meter_create(
        actor="test",
        intake=water.intake_e,
        serial=f"RND-{seed}",
        installed_at=T0,
        register_max_m3=D(20_000),
    )
    readings = random_readings(rng, 400)
    chunks, i = [], 0
    while i < len(readings):
        size = rng.randint(1, 40)
        chunks.append(readings[i : i + size])
        i += size
    # Mostly in order (the append path), some late and out of order (the recompute path), some resent.
    order = list(range(len(chunks)))
    for _ in range(len(order) // 4):
        a, b = rng.randrange(len(order)), rng.randrange(len(order))
        order[a], order[b] = order[b], order[a]
    order += rng.sample(range(len(chunks)), 3)
    for k in order:
        batch = [Row(j, meter.serial, at, D(f"{value:.3f}"), None) for j, (at, value) in enumerate(chunks[k])]
        # Arrival a little after the batch's last reading: its later readings are timely, earlier ones not.
        arrived = chunks[k][-1][0] + dt.timedelta(minutes=rng.randint(0, 20))
        services.reading_ingest_batch(rows=batch, scope=ALL, source="api", actor="test", received_at=arrived)
    assert_rows_match(meter)
    # Reviews and corrections recompute the days they touch.
    stored = list(Reading.objects.filter(meter=meter).exclude(source="install").order_by("observed_at"))
    for reading in rng.sample(stored, 8):
        decision = rng.choice(["accepted", "rejected"])
        services.reading_review(reading=reading, decision=decision, reason="test", actor="test")
    for reading in rng.sample(stored, 4):
        new_value = D(str(round(float(reading.cumulative_m3) * rng.uniform(0.9, 1.1) % 19_999, 3)))
        services.reading_correct(reading=reading, cumulative_m3=new_value, reason="test", actor="test")
    assert_rows_match(meter)
    # Appending after a rejected last reading joins across it.
    last = Reading.objects.filter(meter=meter).order_by("-observed_at").first()
    services.reading_review(reading=last, decision="rejected", reason="test", actor="test")
    batch = [Row(0, meter.serial, last.observed_at + dt.timedelta(hours=1), last.cumulative_m3 + 1, None)]
    services.reading_ingest_batch(rows=batch, scope=ALL, source="api", actor="test")
    assert_rows_match(meter)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_one_meter_lose_nothing(geography, users):
    """Four writers send interleaved hours of the same meter at once; the meter lock serialises
    them, so every reading is stored once and the days equal a full recompute."""
    from django.contrib.gis.geos import Point as GeoPoint

    intake = services.intake_create(
        actor="test",
        code="QSK-C",
        name="并发",
        source_type="river",
        location=GeoPoint(87.7, 43.9, srid=4326),
        division=geography["tianshan"],
        main_use="supply",
        capacity_m3s=D(1),
    )
    meter = services.meter_create(actor="test", intake=intake, serial="CONC-1", installed_at=T0)
    hours = list(range(1, 401))
    random.Random(3).shuffle(hours)
    parts = [sorted(hours[i::4]) for i in range(4)]

    def write(part: list[int]) -> None:
        for k in range(0, len(part), 10):
            batch = [
                Row(j, "CONC-1", T0 + dt.timedelta(hours=h), D(h * 10), None) for j, h in enumerate(part[k : k + 10])
            ]
            services.reading_ingest_batch(rows=batch, scope=ALL, source="api", actor="test")

    race([partial(write, p) for p in parts])
    assert Reading.objects.filter(meter=meter).count() == 401
    assert_rows_match(meter)
    assert sum(r.volume_m3 for r in DailyVolume.objects.filter(meter=meter)) == D(4000)

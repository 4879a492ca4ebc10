"""How long the water-quality summary and a CSV import take at a city's scale and beyond.

    DJANGO_SETTINGS_MODULE=config.settings.test DATABASE_URL=postgis://postgres@127.0.0.1:5432/hz_quality \
        .venv/bin/python benchmarks/quality_summary.py [SECTIONS] [STATIONS]

Creates a throwaway test database, a division with SECTIONS sections (default 100: 60 river sections,
40 lake points), a year of monthly lab samples with 24 items each, and STATIONS automatic stations
(default 10) reporting 6 items every 4 hours. Then times quality_summary() for the year (the selector
the API and the reports module call: two queries, evaluation in Decimal) and the CSV import of
10,000 result lines. Prints medians.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.test.utils import get_runner  # noqa: E402


def main() -> None:
    from django.conf import settings

    n_sections = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    n_stations = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    runner = get_runner(settings)(verbosity=0)
    old = runner.setup_databases()
    try:
        run(n_sections, n_stations, settings)
    finally:
        runner.teardown_databases(old)


def run(n_sections: int, n_stations: int, settings: object) -> None:
    import datetime as dt
    import random

    from django.contrib.gis.geos import LineString, MultiLineString, MultiPolygon, Point, Polygon

    from accounts.scope import Scope
    from core.geo import WGS84_SRID
    from core.periods import BEIJING, year
    from places.services import division_upsert, lake_upsert, reach_upsert, river_upsert
    from quality import gb3838
    from quality.csv_samples import samples_import_csv
    from quality.demo import PROFILES, _measurements
    from quality.models import Section
    from quality.selectors import quality_summary
    from quality.services import SampleInput, samples_record, section_create

    actor = "benchmark"
    box = MultiPolygon(Polygon.from_bbox((87.4, 43.6, 87.8, 44.0)), srid=WGS84_SRID)
    division_upsert(code="650100", name="city", boundary=box, actor=actor)
    line = MultiLineString(LineString((87.45, 43.65), (87.75, 43.95)), srid=WGS84_SRID)
    river_upsert(code="R", name="river", division_code="650100", geometry=line, actor=actor)
    reach, _ = reach_upsert(
        code="R-1", name="reach", river_code="R", division_code="650100", geometry=line, actor=actor
    )
    lake, _ = lake_upsert(
        code="L",
        name="lake",
        kind="lake",
        division_code="650100",
        geometry=MultiPolygon(Polygon.from_bbox((87.6, 43.7, 87.62, 43.72)), srid=WGS84_SRID),
        actor=actor,
    )
    rng = random.Random(7)
    sections = []
    for n in range(n_sections):
        is_river = n < n_sections * 6 // 10
        sections.append(
            section_create(
                code=f"B-{n:04d}",
                name=f"s{n}",
                category="river" if is_river else "lake",
                reach=reach if is_river else None,
                lake=None if is_river else lake,
                location=Point(87.6, 43.8),
                target_class=3,
                actor=actor,
            )
        )
    t0 = time.perf_counter()
    samples = []
    for i, section in enumerate(sections):
        profile = PROFILES["urban" if section.water_body == "river" else "reservoir"]
        for month in range(1, 13):
            at = dt.datetime(2024, month, 10, 10, tzinfo=BEIJING)
            samples.append(SampleInput(section, at, "manual", _measurements(rng, profile, at.timetuple().tm_yday)))
        if i < n_stations:
            at = dt.datetime(2024, 1, 1, tzinfo=BEIJING)
            while at.year == 2024:
                ms = _measurements(
                    rng, profile, at.timetuple().tm_yday, ("w01001", "w01009", "w01019", "w21003", "w21011", "w21001")
                )
                samples.append(SampleInput(section, at, "automatic", ms))
                at += dt.timedelta(hours=4)
    result = samples_record(samples=samples, actor=actor)
    load_s = time.perf_counter() - t0
    values = sum(len(s.measurements) for s in samples)
    backend = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]  # type: ignore[attr-defined]
    print(f"backend: {backend}")
    print(
        f"stored {len(result.created)} samples / {values} results in {load_s:.1f} s "
        f"({values / load_s:,.0f} results/s through samples_record)"
    )

    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a bulk load; stale estimates pick a disk sort
    scope = Scope(user_id=None, role="admin", everything=True)
    timings = []
    for _ in range(5):
        t0 = time.perf_counter()
        summary = quality_summary(scope=scope, period=year(2024))
        timings.append(time.perf_counter() - t0)
    rivers, lakes = summary.rivers, summary.lakes
    print(
        f"quality_summary for 2024 over {n_sections} sections ({values} results): "
        f"median {statistics.median(timings) * 1000:.0f} ms; rivers {rivers.good}/{rivers.evaluated}, "
        f"lakes {lakes.good}/{lakes.evaluated}"
    )

    lines = ["section,sampled_at,source,item,value,unit"]
    codes = [item.code for item in gb3838.ITEMS if item.role == gb3838.Role.BASIC and not item.unit_required]
    day = dt.datetime(2023, 1, 1, 9, tzinfo=BEIJING)
    while len(lines) <= 10_000:
        for section in sections[:50]:
            for code in codes:
                lines.append(f"{section.code},{day.isoformat()},manual,{code},{rng.uniform(0.1, 5):.2f},")
        day += dt.timedelta(days=1)
    text = "\n".join(lines[:10_001]) + "\n"
    t0 = time.perf_counter()
    imported = samples_import_csv(data=text, sections=Section.objects.all(), actor=actor)
    import_s = time.perf_counter() - t0
    print(
        f"CSV import of 10,000 result lines ({len(imported.created)} samples): {import_s:.2f} s "
        f"({10_000 / import_s:,.0f} lines/s)"
    )


if __name__ == "__main__":
    main()

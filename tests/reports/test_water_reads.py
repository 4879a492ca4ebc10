"""The water section reads the daily rows once per table and year: the quarter, its year to date,
the red-line year and the 同比 quarter all derive from the same meter × month sums (and the figures
are those of test_builders.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.periods import BEIJING, quarter, same_period_last_year
from reports.builders import water

pytestmark = pytest.mark.django_db
Q2 = quarter(2024, 2)


def test_the_water_section_reads_each_year_of_daily_rows_once(dataset, plan):
    now = dt.datetime(2025, 1, 1, tzinfo=BEIJING)
    with CaptureQueriesContext(connection) as ctx:
        w, _ = water.build(
            scope=dataset.scope, period=Q2, previous=same_period_last_year(Q2), division_code=None, now=now
        )
    sums = [
        q["sql"]
        for q in ctx.captured_queries
        if '"water_dailyvolume"' in q["sql"] and 'SUM("water_dailyvolume"."measured_m3")' in q["sql"]
    ]
    # 2024 January–June (the quarter, its year to date and the red lines, which stop at the period's
    # end), 2023 January–June (the 同比 quarter and its year to date): nothing read twice, nothing after
    # the period.
    assert len(sums) == 2
    for start in ("2024-01-01", "2023-01-01"):
        assert sum(f"'{start}'" in sql for sql in sums) == 1
    assert not any("'2024-07-01'" in sql for sql in sums)
    assert (w["use_m3"], w["plan_m3"], w["measured_m3"], w["corrected_m3"]) == (21_840.0, 30_000.0, 21_840.0, 0.0)
    total_use = next(i for i in w["redlines"]["indicators"] if i["key"] == "total_use")
    assert total_use["actual"] == 21_840.0  # the year to date's rows are Q2's
    assert total_use["met"] is None  # the year is not over at the period's end

"""Tests for core.periods: Beijing-time reporting periods."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core import periods
from core.periods import (
    BEIJING,
    Period,
    date_range,
    day,
    ensure_aware,
    half_year,
    month,
    period_containing,
    previous_quarter,
    quarter,
    same_period_last_year,
    split,
    ten_day,
    to_beijing,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING)  # type: ignore[misc]


def test_beijing_is_shanghai_utc_plus_8() -> None:
    assert ZoneInfo("Asia/Shanghai") == BEIJING
    assert bj(2024, 7, 1).utcoffset() == timedelta(hours=8)


# --------------------------------------------------------------------------- constructors


def test_quarter_bounds_in_beijing_time() -> None:
    q1 = quarter(2024, 1)
    assert q1.start == utc(2023, 12, 31, 16)
    assert q1.end == utc(2024, 3, 31, 16)
    assert q1.start.tzinfo == BEIJING
    assert q1.start.isoformat() == "2024-01-01T00:00:00+08:00"
    assert q1.label == "2024-Q1"
    assert q1.kind == "quarter"
    assert q1.days == 91  # leap year
    assert quarter(2023, 1).days == 90
    assert quarter(2024, 4).end == bj(2025, 1, 1)
    assert str(quarter(2024, 4)) == "2024-Q4"


def test_half_open_bounds() -> None:
    q1 = quarter(2024, 1)
    assert q1.contains(utc(2023, 12, 31, 16))
    assert not q1.contains(utc(2023, 12, 31, 15, 59, 59, 999999))
    assert q1.contains(utc(2024, 3, 31, 15, 59, 59, 999999))
    assert not q1.contains(utc(2024, 3, 31, 16))


def test_month_labels_and_leap_february() -> None:
    feb = month(2024, 2)
    assert feb.label == "2024-02"
    assert feb.days == 29
    assert feb.end == bj(2024, 3, 1)
    assert month(2023, 2).days == 28
    assert month(1900, 2).days == 28  # divisible by 100, not a leap year
    assert month(2000, 2).days == 29
    assert month(2024, 12).end == bj(2025, 1, 1)


def test_ten_day_periods() -> None:
    assert (ten_day(2024, 2, 1).start, ten_day(2024, 2, 1).end) == (bj(2024, 2, 1), bj(2024, 2, 11))
    assert (ten_day(2024, 2, 2).start, ten_day(2024, 2, 2).end) == (bj(2024, 2, 11), bj(2024, 2, 21))
    third = ten_day(2024, 2, 3)
    assert (third.first_date, third.last_date) == (date(2024, 2, 21), date(2024, 2, 29))
    assert third.days == 9
    assert third.label == "2024-02-D3"
    assert ten_day(2023, 2, 3).days == 8
    assert ten_day(2024, 1, 3).days == 11
    assert ten_day(2024, 12, 3).end == bj(2025, 1, 1)


def test_half_years_and_year() -> None:
    h1, h2 = half_year(2024, 1), half_year(2024, 2)
    assert (h1.start, h1.end, h1.label, h1.days) == (bj(2024, 1, 1), bj(2024, 7, 1), "2024-H1", 182)
    assert (h2.start, h2.end, h2.label, h2.days) == (bj(2024, 7, 1), bj(2025, 1, 1), "2024-H2", 184)
    y = periods.year(2024)
    assert (y.start, y.end, y.label, y.days, y.kind) == (bj(2024, 1, 1), bj(2025, 1, 1), "2024", 366, "year")


def test_day_and_date_range() -> None:
    d = day(date(2024, 3, 5))
    assert (d.start, d.end, d.label, d.days) == (bj(2024, 3, 5), bj(2024, 3, 6), "2024-03-05", 1)
    r = date_range(date(2024, 1, 5), date(2024, 2, 10))
    assert r.start == bj(2024, 1, 5)
    assert r.end == bj(2024, 2, 11)  # inclusive end date becomes an exclusive bound
    assert r.days == 37
    assert r.label == "2024-01-05/2024-02-10"
    assert date_range(date(2024, 1, 5), date(2024, 1, 5)).days == 1
    with pytest.raises(ValueError, match="before its start"):
        date_range(date(2024, 1, 5), date(2024, 1, 4))
    with pytest.raises(TypeError):
        day(bj(2024, 3, 5))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: quarter(2024, 0), "quarter"),
        (lambda: quarter(2024, 5), "quarter"),
        (lambda: month(2024, 13), "month"),
        (lambda: month(2024, 0), "month"),
        (lambda: ten_day(2024, 2, 4), "ten-day"),
        (lambda: half_year(2024, 3), "half"),
        (lambda: quarter(2024, True), "quarter"),
        (lambda: periods.year(0), "year"),
    ],
)
def test_ranges_are_validated(make: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()  # type: ignore[operator]


def test_period_validation() -> None:
    with pytest.raises(ValueError, match="naive"):
        Period(datetime(2024, 1, 1), bj(2024, 1, 2), "day", "x")  # noqa: DTZ001
    with pytest.raises(ValueError, match="not before"):
        Period(bj(2024, 1, 2), bj(2024, 1, 2), "day", "x")
    with pytest.raises(ValueError, match="kind"):
        Period(bj(2024, 1, 1), bj(2024, 1, 2), "week", "x")
    # Aware datetimes in another zone are normalised to Beijing time.
    p = Period(utc(2023, 12, 31, 16), utc(2024, 1, 1, 16), "day", "2024-01-01")
    assert p.start.tzinfo == BEIJING
    assert p.first_date == date(2024, 1, 1)
    assert p == day(date(2024, 1, 1))


# --------------------------------------------------------------------------- period_containing


def test_period_containing_uses_beijing_date() -> None:
    # 2024-03-31 16:30 UTC is already 1 April 00:30 in Beijing.
    instant = utc(2024, 3, 31, 16, 30)
    assert period_containing(instant, "day") == day(date(2024, 4, 1))
    assert period_containing(instant, "month") == month(2024, 4)
    assert period_containing(instant, "quarter") == quarter(2024, 2)
    assert period_containing(instant, "half") == half_year(2024, 1)
    assert period_containing(instant, "year") == periods.year(2024)
    # And at 2023-12-31 16:00 UTC the year has turned.
    assert period_containing(utc(2023, 12, 31, 16), "year") == periods.year(2024)
    assert period_containing(utc(2023, 12, 31, 15, 59), "year") == periods.year(2023)


def test_period_containing_ten_day() -> None:
    assert period_containing(bj(2024, 2, 10, 23, 59), "ten_day") == ten_day(2024, 2, 1)
    assert period_containing(bj(2024, 2, 11), "ten_day") == ten_day(2024, 2, 2)
    assert period_containing(bj(2024, 1, 31, 12), "ten_day") == ten_day(2024, 1, 3)


def test_period_containing_refuses_naive_and_unknown_kind() -> None:
    with pytest.raises(ValueError, match="naive"):
        period_containing(datetime(2024, 1, 1, 12), "day")  # noqa: DTZ001
    with pytest.raises(ValueError, match="unsupported period kind"):
        period_containing(bj(2024, 1, 1), "week")


# --------------------------------------------------------------------------- split


def test_split_quarter_into_months_and_days() -> None:
    q1 = quarter(2024, 1)
    months = list(split(q1, "month"))
    assert [m.label for m in months] == ["2024-01", "2024-02", "2024-03"]
    assert months == [month(2024, 1), month(2024, 2), month(2024, 3)]
    days = list(split(q1, "day"))
    assert len(days) == 91
    assert days[0] == day(date(2024, 1, 1))
    assert days[-1] == day(date(2024, 3, 31))
    assert all(a.end == b.start for a, b in itertools.pairwise(days))


def test_split_year_into_quarters() -> None:
    assert [q.label for q in split(periods.year(2024), "quarter")] == [
        "2024-Q1",
        "2024-Q2",
        "2024-Q3",
        "2024-Q4",
    ]


def test_split_clips_to_the_period() -> None:
    r = date_range(date(2024, 1, 15), date(2024, 3, 10))
    parts = list(split(r, "month"))
    assert [p.label for p in parts] == ["2024-01", "2024-02", "2024-03"]
    assert parts[0].start == bj(2024, 1, 15)
    assert parts[-1].end == bj(2024, 3, 11)
    assert sum(p.days for p in parts) == r.days
    # A single-month range yields one clipped month.
    (only,) = split(date_range(date(2024, 5, 3), date(2024, 5, 4)), "month")
    assert (only.start, only.end, only.kind) == (bj(2024, 5, 3), bj(2024, 5, 5), "month")


def test_split_refuses_unknown_interval() -> None:
    with pytest.raises(ValueError, match="interval"):
        list(split(quarter(2024, 1), "week"))


# --------------------------------------------------------------------------- previous, year-on-year


def test_previous_quarter_across_year_end() -> None:
    # The beat job runs just after midnight Beijing time on 1 January = 31 December UTC.
    assert previous_quarter(utc(2023, 12, 31, 16, 5)) == quarter(2023, 4)
    assert previous_quarter(bj(2024, 1, 1)) == quarter(2023, 4)
    # One minute earlier it is still Q4 in Beijing.
    assert previous_quarter(utc(2023, 12, 31, 15, 59)) == quarter(2023, 3)
    assert previous_quarter(bj(2024, 7, 1, 0, 10)) == quarter(2024, 2)


def test_same_period_last_year() -> None:
    assert same_period_last_year(quarter(2024, 1)) == quarter(2023, 1)
    assert same_period_last_year(month(2024, 2)) == month(2023, 2)
    assert same_period_last_year(ten_day(2024, 2, 3)) == ten_day(2023, 2, 3)
    assert same_period_last_year(half_year(2024, 2)) == half_year(2023, 2)
    assert same_period_last_year(periods.year(2024)) == periods.year(2023)
    assert same_period_last_year(day(date(2024, 2, 29))) == day(date(2023, 2, 28))
    assert same_period_last_year(day(date(2024, 3, 1))) == day(date(2023, 3, 1))
    shifted = same_period_last_year(date_range(date(2024, 2, 1), date(2024, 2, 29)))
    assert shifted == date_range(date(2023, 2, 1), date(2023, 2, 28))
    assert same_period_last_year(date_range(date(2024, 2, 29), date(2024, 3, 5))) == date_range(
        date(2023, 2, 28), date(2023, 3, 5)
    )


def test_same_period_last_year_of_a_clipped_split_part_keeps_its_dates() -> None:
    part = next(split(date_range(date(2024, 1, 15), date(2024, 3, 10)), "month"))
    assert same_period_last_year(part) == date_range(date(2023, 1, 15), date(2023, 1, 31))


# --------------------------------------------------------------------------- helpers


def test_naive_datetimes_refused() -> None:
    naive = datetime(2024, 1, 1, 12)  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        ensure_aware(naive)
    with pytest.raises(ValueError, match="naive"):
        to_beijing(naive)
    with pytest.raises(ValueError, match="naive"):
        quarter(2024, 1).contains(naive)


def test_to_beijing() -> None:
    converted = to_beijing(utc(2024, 3, 31, 16, 30))
    assert converted == utc(2024, 3, 31, 16, 30)
    assert converted.tzinfo == BEIJING
    assert (converted.date(), converted.hour) == (date(2024, 4, 1), 0)
    assert ensure_aware(converted) is converted

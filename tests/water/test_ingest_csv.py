"""The readings CSV's row checks (water.ingest.check_csv_rows): its fast path for the common, valid
row gives exactly what check_row gives, and every other row is named as check_row names it, with the
file line. No database: the checks run before any."""

from __future__ import annotations

import datetime as dt

import pytest

from core.exceptions import InvalidInput
from water import ingest

NOW = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
LATEST = NOW + dt.timedelta(seconds=300)

CASES = [
    ("WM-1", "2024-03-01T08:00:00+08:00", "12.3455", "0.5"),  # register rounded half up to the litre
    (" WM-2 ", " 2024-03-01T00:00:00Z ", " 7 ", " "),  # cells stripped; a blank flow is no flow
    ("WM-3", "2024-03-01 08:00:00+08:00", "1e3", "1E-2"),  # time not in COPY form: text None
    ("WM-4", "2024-03-01T08:00:00.123456+05:45", "0", "100000"),
    ("WM-5", "2024-03-01T08:00:00", "1", ""),  # no UTC offset
    ("WM-6", "2026-12-07T08:04:59+08:00", "1", ""),  # within the 5 minutes of tolerance
    ("WM-6", "2026-12-07T00:05:01Z", "1", ""),  # beyond it: the future
    ("WM-7", "1999-12-31T23:59:59+08:00", "1", ""),  # before 2000
    ("WM-8", "2024-03-01T08:00:00+08:00", "abc", ""),
    ("WM-8", "2024-03-01T08:00:00+08:00", "NaN", ""),
    ("WM-8", "2024-03-01T08:00:00+08:00", "-Infinity", ""),
    ("WM-8", "2024-03-01T08:00:00+08:00", "-0.001", ""),
    ("WM-8", "2024-03-01T08:00:00+08:00", "1e20", ""),
    ("WM-8", "2024-03-01T08:00:00+08:00", "", ""),
    ("WM-9", "2024-03-01T08:00:00+08:00", "1", "sNaN"),
    ("WM-9", "2024-03-01T08:00:00+08:00", "1", "NaN"),
    ("WM-9", "2024-03-01T08:00:00+08:00", "1", "Infinity"),
    ("WM-9", "2024-03-01T08:00:00+08:00", "1", "100000.01"),
    ("WM-9", "2024-03-01T08:00:00+08:00", "1", "-0.1"),
    ("WM-9", "2024-03-01T08:00:00+08:00", "1", "fast"),
    ("", "2024-03-01T08:00:00+08:00", "1", ""),
    ("M" * 65, "2024-03-01T08:00:00+08:00", "1", ""),
    ("M" * 64, "not a time", "x", "y"),  # a 64-character serial is fine; every bad cell named
]


def _by_check_row(cases: list[tuple[str, str, str, str]]) -> tuple[list[str], dict[str, list[str]]]:
    errors = ingest.row_errors()
    rows = []
    for i, (serial, ts, value, flow) in enumerate(cases):
        flow_value = ingest._csv_number(flow) if flow.strip() else None
        row = ingest.check_row(
            i, serial.strip(), ts.strip(), ingest._csv_number(value), flow_value, LATEST, errors, i + 2
        )
        rows.append(repr(row))
    return rows, errors.fields


def _by_csv(cases: list[tuple[str, str, str, str]]) -> tuple[list[str], dict[str, list[str]]]:
    text = "meter,observed_at,cumulative_m3,flow_m3s\n" + "".join(f"{','.join(c)}\n" for c in cases)
    header, records = ingest.csv_rows(text.encode())
    errors = ingest.row_errors()
    got = list(ingest.check_csv_rows(header, records, LATEST, errors))
    assert [(index, line) for index, line, __ in got] == [(i, i + 2) for i in range(len(cases))]
    return [repr(row) for __, __, row in got], errors.fields


def test_csv_rows_are_checked_as_check_row_checks_them() -> None:
    rows, errors = _by_csv(CASES)
    assert (rows, errors) == _by_check_row(CASES)
    assert rows[0].startswith("Row(pos=0, serial='WM-1'")
    assert "value=Decimal('12.346')" in rows[0]
    assert "text='2024-03-01T00:00:00Z'" in rows[1]
    assert "flow=None" in rows[1]
    assert "text=None" in rows[2]
    assert "flow=0.01" in rows[2]
    assert rows[5] != "None"
    assert rows[6] == "None"
    assert errors["readings[6].observed_at"] == ["This time is in the future. (line 8)"]
    assert {k for k in errors if k.startswith("readings[22]")} == {
        "readings[22].observed_at",
        "readings[22].cumulative_m3",
        "readings[22].flow_m3s",
    }


@pytest.mark.parametrize("header", ["observed_at,cumulative_m3,meter", "cumulative_m3,flow_m3s,meter,observed_at"])
def test_columns_are_found_by_their_header_position(header: str) -> None:
    values = {"meter": "WM-1", "observed_at": "2024-03-01T08:00:00+08:00", "cumulative_m3": "5", "flow_m3s": "2"}
    line = ",".join(values[k] for k in header.split(","))
    rows = ingest.parse_csv_batch(f"{header}\n{line}\n".encode(), now=NOW, future_tolerance_s=0, max_rows=10)
    assert [(r.serial, str(r.value), r.flow) for r in rows] == [
        ("WM-1", "5.000", 2.0 if "flow_m3s" in header else None)
    ]


def test_a_row_of_the_wrong_width_is_named_with_its_line() -> None:
    text = (
        b"meter,observed_at,cumulative_m3\n\nWM-1,2024-03-01T08:00:00+08:00\n , ,\nWM-1,2024-03-01T08:00:00+08:00,1,9\n"
    )
    with pytest.raises(InvalidInput) as exc:
        ingest.parse_csv_batch(text, now=NOW, future_tolerance_s=0, max_rows=10)
    assert exc.value.fields == {
        "readings[0]": ["Expected 3 cells, found 2. (line 3)"],
        "readings[1]": ["Expected 3 cells, found 4. (line 5)"],
    }


def test_a_gb18030_body_is_read() -> None:
    text = "meter,observed_at,cumulative_m3\n水表一,2024-03-01T08:00:00+08:00,1\n".encode("gb18030")
    rows = ingest.parse_csv_batch(text, now=NOW, future_tolerance_s=0, max_rows=10)
    assert [r.serial for r in rows] == ["水表一"]


@pytest.mark.parametrize("body", [b"", b" \r\n\n"])
def test_an_empty_body_is_refused_on_header(body: bytes) -> None:
    with pytest.raises(InvalidInput) as exc:
        ingest.parse_csv_batch(body, now=NOW, future_tolerance_s=0, max_rows=10)
    assert exc.value.fields == {"header": ["Missing."]}

"""Parsing and validation of reading batches (JSON rows or CSV text), before any database work.

This is the hot path of the batch endpoint (60,000 readings/s is the target), so it is one tight loop
over plain dicts or CSV rows: `datetime.fromisoformat`, type and range checks, no serializer per row
(stack-notes trap 4: a ModelSerializer costs 270–620 µs per row, a plain dict check under 1 µs). Every
bad row is named by its index and field ("readings[3].observed_at"), all of them in one answer.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from core import csvread
from core.csvread import CsvRecord
from core.exceptions import InvalidInput
from core.kernel import Errors
from core.textio import decode_text

ROW_FIELDS = ("meter", "observed_at", "cumulative_m3", "flow_m3s")
REQUIRED_FIELDS = frozenset({"meter", "observed_at", "cumulative_m3"})
_REQUIRED_ORDER = ("meter", "observed_at", "cumulative_m3")
_ALLOWED = frozenset(ROW_FIELDS)
MAX_REGISTER = Decimal("999999999999.999")  # numeric(15, 3)
MAX_FLOW = 100_000.0  # m³/s; the largest rivers carry tens of thousands
REGISTER_QUANTUM = Decimal("0.001")  # 1 L, the register resolution stored
_ZERO = Decimal(0)
MAX_SERIAL = 64
MAX_ERRORS = 1000  # a batch with more bad rows than this is answered with the first ones

# Beijing time has been UTC+8 without daylight saving since 1991 (water.volume_engine relies on it);
# nothing before 2000 is a plausible reading of this system.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))

_fromiso = dt.datetime.fromisoformat
_isfinite = math.isfinite
# Times in this form are handed to PostgreSQL's COPY as they came (it reads them exactly as Python
# did); any other form fromisoformat accepts is written out again with isoformat().
_COPYABLE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)")


class Row(NamedTuple):
    """A well-formed reading: position in the batch, meter serial, aware instant, register (m³, to the
    litre, rounded half away from zero as PostgreSQL rounds), flow, the time as sent when it can be
    passed on to the database unchanged, and the instant in microseconds since 1970 (cheap to compare
    and hash; the volume engine takes it as it is). `received_at`: when the reading reached the system,
    for trusted callers that know it (the telemetry gateway's frame arrival, load_demo); never taken
    from a client, and the service's own clock when None. `raw`: the telemetry frame the reading came
    in (stored with the row, in the same write)."""

    pos: int
    serial: str
    at: dt.datetime
    value: Decimal
    flow: float | None
    text: str | None = None
    us: int = 0
    received_at: dt.datetime | None = None
    raw: bytes | None = None


@dataclass(frozen=True, slots=True)
class Accepted:
    """A row the batch ingest accepted for a meter: the meter's id, the row, and its instant in
    microseconds since 1970."""

    meter_id: int
    row: Row
    us: int

    @property
    def value(self) -> Decimal:
        return self.row.value


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)


def to_us(at: dt.datetime) -> int:
    return (at - _EPOCH) // _MICRO


def register_value(value: Any) -> Decimal | None:
    """A JSON or CSV number as a register value (Decimal to 0.001 m³), or None when it is not a
    finite number. JSON bodies are parsed with Decimal floats (no binary round trip)."""
    kind = type(value)
    if kind is Decimal:
        if not value.is_finite():
            return None
        if not _ZERO <= value <= MAX_REGISTER:
            return value  # out of range: the caller names it
        return value.quantize(REGISTER_QUANTUM, ROUND_HALF_UP)
    if kind is int:
        return Decimal(value)
    if kind is float:
        return register_value(Decimal(repr(value))) if _isfinite(value) else None
    return None


REFUSED = "The batch was refused, nothing was written:"


def row_errors() -> Errors:
    """The batch's collector (core.kernel.Errors): keys `readings[i].field`, the first MAX_ERRORS
    listed; refused with `errors.raise_if_any(REFUSED)`."""
    return Errors(limit=MAX_ERRORS)


def _flow(value: Any) -> float | None:
    kind = type(value)
    if kind is float:
        return value if _isfinite(value) else None
    if kind is int or (kind is Decimal and value.is_finite()):
        return float(value)
    return None


def check_row(
    index: int,
    serial: Any,
    observed_at: Any,
    value: Any,
    flow: Any,
    latest: dt.datetime,
    errors: Errors,
    line: int | None = None,
) -> Row | None:
    """Validate one row's values (JSON types, or CSV cells already converted), naming what is wrong
    (a CSV row's messages also name its file line)."""
    ok = True
    if type(serial) is not str or not serial or len(serial) > MAX_SERIAL:
        errors.row(
            index,
            "meter",
            _("Give the meter's serial (1 to %(max_serial)s characters).") % {"max_serial": MAX_SERIAL},
            path="readings",
            line=line,
        )
        ok = False
    at = None
    if type(observed_at) is not str:
        errors.row(index, "observed_at", _("Give an ISO 8601 time with its UTC offset."), path="readings", line=line)
        ok = False
    else:
        try:
            at = _fromiso(observed_at)
        except ValueError:
            errors.row(
                index,
                "observed_at",
                _("Not an ISO 8601 time, e.g. 2024-03-01T08:00:00+08:00."),
                path="readings",
                line=line,
            )
            ok = False
        else:
            if at.tzinfo is None:
                # A device that omits the offset may be on UTC, Beijing or Xinjiang time (domain.md §6).
                errors.row(
                    index,
                    "observed_at",
                    _("Give the time with its UTC offset, e.g. 2024-03-01T08:00:00+08:00."),
                    path="readings",
                    line=line,
                )
                ok = False
            elif at > latest:
                errors.row(index, "observed_at", _("This time is in the future."), path="readings", line=line)
                ok = False
            elif at < EARLIEST:
                errors.row(
                    index, "observed_at", _("Before 2000: not a plausible reading time."), path="readings", line=line
                )
                ok = False
    number = register_value(value)
    if number is None:
        errors.row(index, "cumulative_m3", _("Give the register as a number (m³)."), path="readings", line=line)
        ok = False
    elif not _ZERO <= number <= MAX_REGISTER:
        errors.row(
            index,
            "cumulative_m3",
            _("Must lie between 0 and %(max_register)s m³.") % {"max_register": format(MAX_REGISTER, ",")},
            path="readings",
            line=line,
        )
        ok = False
    flow_number = None
    if flow is not None:
        flow_number = _flow(flow)
        if flow_number is None:
            errors.row(
                index, "flow_m3s", _("Give the flow as a number (m³/s) or leave it out."), path="readings", line=line
            )
            ok = False
        elif not 0 <= flow_number <= MAX_FLOW:
            errors.row(
                index,
                "flow_m3s",
                _("Must lie between 0 and %(max_flow)s m³/s.") % {"max_flow": format(MAX_FLOW, ",.0f")},
                path="readings",
                line=line,
            )
            ok = False
    if not ok:
        return None
    text = observed_at if _COPYABLE_TIME.fullmatch(observed_at) else None
    return Row(index, serial, at, number, flow_number, text, to_us(at))  # type: ignore[arg-type]


def parse_json_batch(data: Any, *, now: dt.datetime, future_tolerance_s: int, max_rows: int) -> list[Row]:
    """`{"readings": [{"meter", "observed_at", "cumulative_m3", "flow_m3s"?}, …]}` → rows, or
    InvalidInput naming every bad row."""
    if type(data) is not dict:
        raise InvalidInput(_("The body must be an object with a readings list."), fields={"readings": [_("Required.")]})
    unknown = sorted(set(data) - {"readings"})
    if unknown:
        raise InvalidInput(_("Unknown fields."), fields={name: [_("Unknown field.")] for name in unknown})
    rows_in = data.get("readings")
    if type(rows_in) is not list or not rows_in:
        raise InvalidInput(
            _("Give a non-empty readings list."), fields={"readings": [_("A non-empty list is required.")]}
        )
    if len(rows_in) > max_rows:
        raise InvalidInput(
            _("At most %(max_rows)s readings per batch.") % {"max_rows": max_rows},
            fields={"readings": [_("At most %(max_rows)s readings.") % {"max_rows": max_rows}]},
        )
    latest = now + dt.timedelta(seconds=future_tolerance_s)
    earliest_us, latest_us = to_us(EARLIEST), to_us(latest)
    epoch, micro = _EPOCH, _MICRO
    errors = row_errors()
    rows: list[Row] = []
    append = rows.append
    allowed = _ALLOWED
    fromiso, copyable = _fromiso, _COPYABLE_TIME.fullmatch
    zero, max_register, quantum, half_up = _ZERO, MAX_REGISTER, REGISTER_QUANTUM, ROUND_HALF_UP
    for i, item in enumerate(rows_in):
        if type(item) is not dict:
            errors.row(i, None, _("Each reading is an object."), path="readings")
            continue
        if not allowed.issuperset(item):
            for name in sorted(set(item) - allowed):
                errors.row(i, name, _("Unknown field."), path="readings")
            continue
        # The common, valid row in as few operations as possible; anything unusual goes through
        # check_row, which names what is wrong.
        serial: Any = item.get("meter")
        ts: Any = item.get("observed_at")
        value: Any = item.get("cumulative_m3")
        flow: Any = item.get("flow_m3s")
        if (
            type(serial) is str
            and 0 < len(serial) <= MAX_SERIAL
            and type(ts) is str
            and ((vt := type(value)) is Decimal or vt is int)
            and zero <= value <= max_register
        ):
            try:
                at = fromiso(ts)
            except ValueError:
                at = None
            us = (at - epoch) // micro if at is not None and at.tzinfo is not None else -1
            if at is not None and earliest_us <= us <= latest_us:
                ft = type(flow)
                if flow is None:
                    f = None
                elif (ft is Decimal and flow.is_finite()) or ft is int:
                    f = float(flow)
                    if not 0 <= f <= MAX_FLOW:
                        f = -1.0
                else:
                    f = -1.0
                if f is None or f >= 0:
                    v = value.quantize(quantum, half_up) if vt is Decimal else Decimal(value)
                    append(Row(i, serial, at, v, f, ts if copyable(ts) else None, us))
                    continue
        row = check_row(
            i,
            item.get("meter"),
            item.get("observed_at"),
            item.get("cumulative_m3"),
            item.get("flow_m3s"),
            latest,
            errors,
        )
        if row is not None:
            append(row)
    errors.raise_if_any(REFUSED)
    return rows


def _csv_number(text: str) -> Decimal | str | None:
    """A CSV cell as a number; the original text when it is not one (check_row then names it)."""
    text = text.strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return text


def csv_rows(data: bytes | str | Iterable[str], *, charset: str | None = None) -> tuple[list[str], Iterator[CsvRecord]]:
    """The header and data rows of a readings CSV (`meter,observed_at,cumulative_m3[,flow_m3s]`), read
    by the kernel's CSV reader (core.csvread: charset, row index and file line) as raw records
    `(index, line, cells)`. An empty file, or a header that is not this layout, is an error on
    `header`; an unreadable file on `csv`."""
    if isinstance(data, bytes):
        data = decode_text(data, charset, field="csv")
    if isinstance(data, str) and (not data or data.isspace()):
        raise InvalidInput(_("The CSV is empty."), code="invalid_header", fields={"header": [_("Missing.")]})
    return csvread.read_csv_records(data, columns=ROW_FIELDS, required=_REQUIRED_ORDER, field="csv")


def check_csv_rows(
    header: list[str], records: Iterable[CsvRecord], latest: dt.datetime, errors: Errors
) -> Iterator[tuple[int, int, Row | None]]:
    """(data row index, file line, row or None when bad) for each record of `csv_rows`; a bad row is
    named `readings[i]`, its message naming the file line.

    The common, valid row is checked in as few operations as possible, by column position (this is
    the hot path of the CSV batch); anything unusual goes through check_row, which names what is
    wrong. Both give the same Row for a valid row."""
    width = len(header)
    p_meter, p_at, p_value = header.index("meter"), header.index("observed_at"), header.index("cumulative_m3")
    p_flow = header.index("flow_m3s") if "flow_m3s" in header else None
    earliest_us, latest_us = to_us(EARLIEST), to_us(latest)
    epoch, micro = _EPOCH, _MICRO
    fromiso, copyable, decimal = _fromiso, _COPYABLE_TIME.fullmatch, Decimal
    zero, max_register, quantum, half_up = _ZERO, MAX_REGISTER, REGISTER_QUANTUM, ROUND_HALF_UP
    for index, line, cells in records:
        if len(cells) != width:
            errors.row(
                index,
                None,
                _("Expected %(columns)s cells, found %(cells)s.") % {"columns": width, "cells": len(cells)},
                path="readings",
                line=line,
            )
            yield index, line, None
            continue
        serial = cells[p_meter].strip()
        ts = cells[p_at].strip()
        value_text = cells[p_value].strip()
        flow_text = cells[p_flow].strip() if p_flow is not None else ""
        if 0 < len(serial) <= MAX_SERIAL:
            try:
                at = fromiso(ts)
                value = decimal(value_text)
                flow = float(decimal(flow_text)) if flow_text else None
            except (ValueError, ArithmeticError):
                pass
            else:
                if (
                    at.tzinfo is not None
                    and value.is_finite()
                    and zero <= value <= max_register
                    and (flow is None or 0 <= flow <= MAX_FLOW)
                    and earliest_us <= (us := (at - epoch) // micro) <= latest_us
                ):
                    text = ts if copyable(ts) else None
                    yield index, line, Row(index, serial, at, value.quantize(quantum, half_up), flow, text, us)
                    continue
        row = check_row(
            index,
            serial,
            ts,
            _csv_number(value_text),
            _csv_number(flow_text) if p_flow is not None else None,
            latest,
            errors,
            line,
        )
        yield index, line, row


def parse_csv_batch(
    data: bytes | str, *, now: dt.datetime, future_tolerance_s: int, max_rows: int, charset: str | None = None
) -> list[Row]:
    """A CSV body with a header `meter,observed_at,cumulative_m3[,flow_m3s]` → rows. Row indexes count
    data rows from 0 (the header is not a row), as in the JSON form; messages name the file line."""
    latest = now + dt.timedelta(seconds=future_tolerance_s)
    errors = row_errors()
    rows: list[Row] = []
    header, records = csv_rows(data, charset=charset)
    count = 0
    append = rows.append
    for index, __, row in check_csv_rows(header, records, latest, errors):
        count = index + 1
        if count > max_rows:
            raise InvalidInput(
                _("At most %(max_rows)s readings per batch.") % {"max_rows": max_rows},
                fields={"readings": [_("At most %(max_rows)s readings.") % {"max_rows": max_rows}]},
            )
        if row is not None:
            append(row)
    if count == 0:
        raise InvalidInput(_("The CSV has no readings."), fields={"readings": [_("A non-empty list is required.")]})
    errors.raise_if_any(REFUSED)
    return rows

"""Ledger exports as CSV or Excel, one implementation for every app.

A ledger export is a list of columns (key, Chinese header, English header, kind) and rows (dicts).
CSV is UTF-8 with a BOM, which Excel needs to show Chinese; Excel files have a two-line header
(Chinese, English), frozen, numbers stored as numbers with a number format, dates as dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from core.exceptions import InvalidInput
from core.periods import BEIJING

FORMATS = ("csv", "xlsx")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    zh: str
    en: str
    # "text", "int", "number" (2 dp shown, full precision stored), "number3", "date", "datetime", "bool"
    kind: str = "text"
    width: int = 14


_NUMBER_FORMATS = {"int": "#,##0", "number": "#,##0.00", "number3": "#,##0.000", "date": "yyyy-mm-dd",
                   "datetime": "yyyy-mm-dd hh:mm"}  # fmt: skip


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        # Excel has no time zones: show Beijing time, the time of every report (domain.md §6).
        return value.astimezone(BEIJING).replace(tzinfo=None) if value.tzinfo else value
    if kind == "bool":
        return "是 yes" if value else "否 no"
    return value


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(BEIJING).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else value


def check_format(fmt: str | None) -> str:
    fmt = (fmt or "csv").lower()
    if fmt not in FORMATS:
        raise InvalidInput(
            _("Unknown export format %(fmt)s.") % {"fmt": repr(fmt)},
            fields={"format": [_("One of %(values)s.") % {"values": ", ".join(FORMATS)}]},
        )
    return fmt


def write_csv(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]]) -> bytes:
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf)
    writer.writerow([f"{c.zh} {c.en}" for c in columns])
    for row in rows:
        writer.writerow([_csv_value(row.get(c.key)) for c in columns])
    return buf.getvalue().encode("utf-8")


def write_xlsx(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], *, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101 - a new workbook always has an active sheet
    ws.title = title[:31]
    ws.append([c.zh for c in columns])
    ws.append([c.en for c in columns])
    for cell in (*ws[1], *ws[2]):
        cell.font = Font(bold=True)
    ws.freeze_panes = "A3"
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    for row in rows:
        ws.append([_cell(row.get(c.key), c.kind) for c in columns])
        r = ws.max_row
        for i, col in enumerate(columns, start=1):
            fmt = _NUMBER_FORMATS.get(col.kind)
            if fmt:
                ws.cell(row=r, column=i).number_format = fmt
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export_response(
    *, fmt: str, filename: str, columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], title: str
) -> HttpResponse:
    """An attachment of the ledger in `fmt` ("csv" or "xlsx")."""
    fmt = check_format(fmt)
    if fmt == "csv":
        body, mime = write_csv(columns, rows), "text/csv; charset=utf-8"
    else:
        body, mime = write_xlsx(columns, rows, title=title), XLSX_MIME
    response = HttpResponse(body, content_type=mime)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response

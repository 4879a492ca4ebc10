"""Ledger exports as CSV or Excel, one implementation for every app.

A ledger export is a list of columns (key, header, kind) and rows (dicts). Headers, yes/no and choice
labels are in the request's language (Chinese unless the client asks for English). CSV is UTF-8 with
a BOM, which Excel needs to show Chinese, and one header line; Excel files have a two-line header (the
header, then the column's key, which stays the same in every language), frozen, numbers stored as
numbers with a number format, dates as dates.

Formula injection (CWE-1236): text typed by users (a litter note, a case description, an intake name)
must never reach a reviewer's spreadsheet as a live formula. A spreadsheet reads a cell that starts with
`=`, `+`, `-`, `@`, a tab or a carriage return as a formula (OWASP "CSV Injection"), so:
- in CSV such a text value gets a leading `'` (Excel and LibreOffice then show it as text);
- in Excel every text cell is written as a string cell (openpyxl would otherwise make any string that
  starts with `=` a formula) with Excel's "quote prefix" style, so it stays text even when edited, and its
  value is kept exactly.
Every writer of a spreadsheet in the project goes through `safe_text` / `set_cell` below.
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
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from core.exceptions import InvalidInput
from core.periods import BEIJING

FORMATS = ("csv", "xlsx")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


_KINDS = frozenset({"text", "int", "number", "number3", "date", "datetime", "bool"})


@dataclass(frozen=True, slots=True, init=False)
class Column:
    key: str
    label: str | Promise  # gettext_lazy: English msgid, Chinese in the app's catalogue
    # "text", "int", "number" (2 dp shown, full precision stored), "number3", "date", "datetime", "bool"
    kind: str
    width: int

    def __init__(self, key: str, label: str | Promise, *args: Any, kind: str = "text", width: int = 14) -> None:
        # The older form Column(key, "中文", "English", kind, width) still works (the Chinese header is
        # kept) until its app moves to Column(key, gettext_lazy("English"), ...).
        if args and args[0] not in _KINDS:
            args = args[1:]
        if args:
            kind = args[0]
        if len(args) > 1:
            width = args[1]
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "width", width)


_NUMBER_FORMATS = {
    "int": "#,##0",
    "number": "#,##0.00",
    "number3": "#,##0.000",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}


# The first characters a spreadsheet takes as the start of a formula (OWASP "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def safe_text(value: Any) -> Any:
    """A CSV field value that no spreadsheet evaluates: formula-like text gets a leading `'`."""
    return f"'{value}" if is_formula_like(value) else value


def set_cell(ws: Any, *, row: int, column: int, value: Any) -> Any:
    """Write one Excel cell; text is always a string cell (never a formula), quote-prefixed when it looks
    like one. Returns the cell."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True
    return cell


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        # Excel has no time zones: show Beijing time, the time of every report (domain.md §6).
        return value.astimezone(BEIJING).replace(tzinfo=None) if value.tzinfo else value
    if kind == "bool":
        return _("yes") if value else _("no")
    return value


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(BEIJING).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else safe_text(value)


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
    writer.writerow([str(c.label) for c in columns])
    for row in rows:
        writer.writerow([_csv_value(row.get(c.key)) for c in columns])
    return buf.getvalue().encode("utf-8")


def write_xlsx(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], *, title: str | Promise) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101 - a new workbook always has an active sheet
    ws.title = str(title)[:31]
    ws.append([str(c.label) for c in columns])
    ws.append([c.key for c in columns])
    for cell in (*ws[1], *ws[2]):
        cell.font = Font(bold=True)
    ws.freeze_panes = "A3"
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    r = 2
    for row in rows:
        r += 1
        for i, col in enumerate(columns, start=1):
            cell = set_cell(ws, row=r, column=i, value=_cell(row.get(col.key), col.kind))
            fmt = _NUMBER_FORMATS.get(col.kind)
            if fmt:
                cell.number_format = fmt
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export_response(
    *, fmt: str, filename: str, columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], title: str | Promise
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

"""The one CSV reader of the kernel (core/README.md): an uploaded or local file's bytes → rows with
their numbers, in one convention.

- Charset: the declared one, else UTF-8 (with or without the BOM Excel writes), else GB 18030 (the
  code page Chinese Excel saves "CSV" in) — `core.textio.decode_text`.
- Header: the first non-blank row names the columns by key (`plant,month,treated_m3`), as an export
  writes them ("水厂编码 plant": the last word is the key), or by an alias the app declares (a lab's
  "断面编码" for `section`), case-insensitively, so an exported sheet can be edited and sent back.
  Unknown, repeated or missing columns are refused, on `header` (a misspelt optional column would
  otherwise drop its values without a word).
- Rows: blank lines are skipped; each row keeps `index` (data rows from 0: the key `rows[3].field`,
  as in a JSON body) and `line` (the physical line it ends on, as a spreadsheet or editor numbers
  it: the message says `line 12`). A row with more cells than columns is an error on that row.
- Two views of the same rows: `read_csv` gives `CsvRow`s (cells by column key, stripped), and
  `read_csv_records` the csv module's own lists, `(index, line, cells)`, for a hot path that reads
  tens of thousands of rows per request (the readings import) and looks its columns up by position
  in the header: no dict or object is built per row, no cell it does not read is stripped.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from core.exceptions import InvalidInput
from core.textio import decode_text

__all__ = ["CsvRecord", "CsvRow", "column_key", "decode_text", "read_csv", "read_csv_records"]

# A data row as the csv module reads it: (index among data rows from 0, file line, cells as in the
# file, not stripped; a row may have fewer or more cells than the header has columns).
CsvRecord = tuple[int, int, list[str]]


@dataclass(slots=True)
class CsvRow:
    """One data row: its index among data rows (from 0), its file line, and its cells by column key
    (stripped; a column the row does not reach is absent). Not frozen: the readings endpoint reads
    tens of thousands of rows per request, and a frozen dataclass costs several times more to build."""

    index: int
    line: int
    cells: dict[str, str]
    width: int


def column_key(cell: str, columns: Collection[str], aliases: Mapping[str, str] | None = None) -> str | None:
    """The column key a header cell names: the key itself, an alias of it, or the last word of "label key"."""
    cell = cell.strip().lstrip("\ufeff").strip()
    if aliases and (cell in aliases or cell.lower() in aliases):
        return aliases.get(cell) or aliases[cell.lower()]
    if cell in columns:
        return cell
    lowered = cell.lower()
    if lowered in columns:
        return lowered
    words = cell.split()
    last = words[-1] if words else ""
    if last in columns:
        return last
    return last.lower() if last.lower() in columns else None


def _lines(data: bytes | str | Iterable[str], charset: str | None, field: str) -> Iterable[str]:
    if isinstance(data, bytes):
        data = decode_text(data, charset, field=field)
    if isinstance(data, str):
        return io.StringIO(data.lstrip("\ufeff"), newline="")
    return data  # a text stream (a file opened with newline=""); a BOM is stripped from the header cell


def read_csv(
    data: bytes | str | Iterable[str],
    *,
    columns: Sequence[str],
    required: Collection[str] = (),
    aliases: Mapping[str, str] | None = None,
    charset: str | None = None,
    field: str = "file",
    max_rows: int | None = None,
) -> tuple[list[str], Iterator[CsvRow]]:
    """The header (column keys, in file order) and an iterator over the data rows of a CSV file: its
    bytes (decoded by `charset`, else UTF-8, else GB 18030), its text, or a text stream (a file of
    gigabytes is read as it is iterated). `aliases` maps other header names (lower case) to keys.

    InvalidInput on `field` when the file is not text, is empty or is not CSV (naming the line; code
    `malformed_csv`), or has more than `max_rows` rows; on `header` when the header names unknown,
    repeated or missing columns (every problem listed). Rows are yielded lazily, so a caller can stop
    at its batch size."""
    header, records = read_csv_records(
        data, columns=columns, required=required, aliases=aliases, charset=charset, field=field, max_rows=max_rows
    )
    return header, _rows(records, header)


def read_csv_records(
    data: bytes | str | Iterable[str],
    *,
    columns: Sequence[str],
    required: Collection[str] = (),
    aliases: Mapping[str, str] | None = None,
    charset: str | None = None,
    field: str = "file",
    max_rows: int | None = None,
) -> tuple[list[str], Iterator[CsvRecord]]:
    """As `read_csv` (same charsets, header, blank lines, numbering and errors), but each data row is
    the tuple `(index, line, cells)` with the cells as the csv module read them (a list, not stripped,
    in header order: `cells[header.index("meter")]`). For a caller that reads many rows and builds its
    own value per row; `read_csv` builds its `CsvRow`s from these."""
    reader = csv.reader(_lines(data, charset, field), strict=True)
    header: list[str] | None = None
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                header = _header(record, columns, required, aliases)
                break
    except csv.Error as exc:
        raise _unreadable(exc, reader.line_num, field) from None
    if header is None:
        raise InvalidInput(_("The CSV file is empty."), fields={field: [_("No header row.")]})
    return header, _records(reader, field=field, max_rows=max_rows)


def _unreadable(exc: csv.Error, line_num: int, field: str) -> InvalidInput:
    return InvalidInput(
        _("Unreadable CSV at line %(line_num)s: %(exc)s") % {"line_num": line_num, "exc": exc},
        code="malformed_csv",
        fields={field: [_("Line %(line_num)s: %(exc)s") % {"line_num": line_num, "exc": exc}]},
    )


def _header(
    record: list[str], columns: Sequence[str], required: Collection[str], aliases: Mapping[str, str] | None
) -> list[str]:
    keys = [column_key(cell, columns, aliases) for cell in record]
    unknown = [cell.strip() for cell, key in zip(record, keys, strict=True) if key is None and cell.strip()]
    repeated = sorted({k for k in keys if k is not None and keys.count(k) > 1})
    missing = [c for c in required if c not in keys]
    problems = []
    if unknown:
        problems.append(
            _("Unknown column(s) %(values)s; expected %(values2)s.")
            % {"values": ", ".join(map(repr, unknown)), "values2": ", ".join(columns)}
        )
    if repeated:
        problems.append(_("Repeated column(s) %(values)s.") % {"values": ", ".join(repeated)})
    if missing:
        problems.append(_("Missing column(s) %(values)s.") % {"values": ", ".join(missing)})
    if problems:
        raise InvalidInput(
            _("Bad CSV header: %(problems)s") % {"problems": problems[0]},
            code="invalid_header",
            fields={"header": problems},
        )
    return [k or "" for k in keys]


def _records(reader: Any, *, field: str, max_rows: int | None) -> Iterator[CsvRecord]:
    index = 0
    limit = sys.maxsize if max_rows is None else max_rows
    strip = str.strip
    try:
        for record in reader:
            # Blank: no cells (an empty line) or only blank ones; a first cell with text settles it.
            if not record or (not strip(record[0]) and not any(map(strip, record))):
                continue
            if index >= limit:
                raise InvalidInput(
                    _("More than %(max_rows)s rows; split the file.") % {"max_rows": max_rows},
                    fields={field: [_("Too many rows.")]},
                )
            yield index, reader.line_num, record
            index += 1
    except csv.Error as exc:
        raise _unreadable(exc, reader.line_num, field) from None


def _rows(records: Iterator[CsvRecord], header: list[str]) -> Iterator[CsvRow]:
    strip = str.strip
    if all(header):  # the usual case: the dict is built in C
        for index, line, record in records:
            yield CsvRow(index, line, dict(zip(header, map(strip, record), strict=False)), len(record))
    else:
        for index, line, record in records:
            cells = {k: v.strip() for k, v in zip(header, record, strict=False) if k}
            yield CsvRow(index, line, cells, len(record))

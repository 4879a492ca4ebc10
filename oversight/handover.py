"""Reading a hand-over sheet (交办清单) into rows: the Excel workbook the inspection team sends, or the
same table as CSV (UTF-8, with or without BOM, or GB 18030). Pure: no database.

The column set (documented in README.md): a header row naming each column by its key, by its
Chinese header, or as the ledger export writes it ("受理编号 number": the last word is the key). CSV
goes through core.csvread (the project's one CSV reader); the workbook's first sheet through openpyxl.
Unknown or repeated columns are refused rather than ignored; blank rows are skipped.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from core import csvread
from core.exceptions import InvalidInput
from oversight import conf

# key -> Chinese headers accepted for it (the first is the one the export and the template write).
COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("受理编号", "编号", "信访编号"),
    "channel": ("来源渠道", "渠道", "信访方式"),
    "complaint": ("反映问题", "投诉内容", "信访内容"),
    "division": ("行政区划代码", "行政区", "所属区县"),
    "category": ("污染类型", "类别"),
    "unit": ("责任单位", "交办单位", "办理单位"),
    "deadline": ("办理时限", "期限"),
    "lon": ("经度",),
    "lat": ("纬度",),
    "reach": ("河段编码", "河段"),
    "lake": ("湖泊编码", "湖库"),
    "intake": ("取水口编码", "取水口"),
    "public": ("是否公开", "公开"),
}
REQUIRED = ("number", "channel", "complaint", "division", "category", "unit", "deadline")


def _key(cell: Any) -> str | None:
    text = str(cell if cell is not None else "").strip().lstrip("\ufeff")
    if not text:
        return None
    if text in COLUMNS:
        return text
    for key, names in COLUMNS.items():
        if text in names:
            return key
    last = text.split()[-1]
    return last if last in COLUMNS else None


def _header(cells: Sequence[Any]) -> list[str | None]:
    keys = [_key(c) for c in cells]
    unknown = [str(c) for c, k in zip(cells, keys, strict=True) if k is None and str(c or "").strip()]
    if unknown:
        raise InvalidInput(
            f"Bad header: unknown column(s) {', '.join(map(repr, unknown))}.",
            fields={"header": [f"Unknown column(s) {', '.join(map(repr, unknown))}; expected {', '.join(COLUMNS)}."]},
        )
    _check_keys(keys)
    return keys


def _check_keys(keys: Sequence[str | None]) -> None:
    problems = []
    repeated = sorted({k for k in keys if k is not None and keys.count(k) > 1})
    if repeated:
        problems.append(f"Repeated column(s) {', '.join(repeated)}.")
    missing = [c for c in REQUIRED if c not in keys]
    if missing:
        problems.append(f"Missing column(s) {', '.join(missing)}.")
    if problems:
        raise InvalidInput(f"Bad header: {problems[0]}", fields={"header": problems})


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(records: Iterable[Sequence[Any]]) -> list[dict[str, str]]:
    header: list[str | None] | None = None
    rows: list[dict[str, str]] = []
    for record in records:
        cells = [_cell_text(c) for c in record]
        if not any(cells):
            continue
        if header is None:
            header = _header(record)
            continue
        rows.append({k: v for k, v in zip(header, cells, strict=False) if k is not None and v})
    if header is None:
        raise InvalidInput("The sheet is empty.", fields={"header": ["No header row."]})
    return rows


def read_csv(raw: bytes, charset: str | None = None) -> list[dict[str, str]]:
    """The rows of a CSV sheet, read by core.csvread (UTF-8 with or without BOM, GB 18030, or the
    declared charset). Chinese headers are accepted as aliases of the keys (csvread's ``aliases``)."""
    aliases = {name: key for key, names in COLUMNS.items() for name in names}
    header, rows = csvread.read_csv(
        raw, columns=list(COLUMNS), aliases=aliases, charset=charset, max_rows=conf.import_max_rows()
    )
    _check_keys(header)
    return [{k: v for k, v in row.cells.items() if v} for row in rows]


def read_xlsx(raw: bytes) -> list[dict[str, str]]:
    """The first sheet of an .xlsx workbook."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:
        raise InvalidInput("Not an Excel workbook (.xlsx).", fields={"file": [str(exc)[:200]]}) from None
    try:
        ws = wb.worksheets[0]
        return _rows(ws.iter_rows(values_only=True))
    finally:
        wb.close()


def read_upload(raw: bytes, *, filename: str, charset: str | None = None) -> list[dict[str, str]]:
    """Rows of an uploaded sheet: .xlsx by its zip signature, anything else as CSV."""
    if raw[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        return read_xlsx(raw)
    return read_csv(raw, charset)

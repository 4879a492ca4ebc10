"""Ledger exports: CSV with a BOM and bilingual headers; Excel with numbers as numbers."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.exceptions import InvalidInput
from core.exports import Column, check_format, export_response, write_csv, write_xlsx

COLS = [
    Column("code", "编码", "Code"),
    Column("volume", "水量", "Volume (m³)", kind="number"),
    Column("count", "次数", "Count", kind="int"),
    Column("at", "时间", "Time", kind="datetime"),
    Column("online", "在线", "Online", kind="bool"),
]
ROWS = [
    {"code": "QSK-01", "volume": Decimal("1234.5"), "count": 3, "online": True,
     "at": dt.datetime(2024, 3, 31, 16, 0, tzinfo=dt.UTC)},
    {"code": "QSK-02", "volume": None, "count": 0, "online": False, "at": None},
]  # fmt: skip


def test_csv_has_bom_bilingual_header_and_beijing_times():
    text = write_csv(COLS, ROWS).decode("utf-8")
    assert text.startswith("\ufeff编码 Code,水量 Volume (m³)")
    assert "2024-04-01T00:00:00+08:00" in text  # 16:00 UTC is midnight in Beijing
    assert "QSK-02,,0,," in text


def test_xlsx_keeps_numbers_as_numbers():
    wb = load_workbook(io.BytesIO(write_xlsx(COLS, ROWS, title="取水口 intakes")))
    ws = wb.active
    assert [c.value for c in ws[1]] == ["编码", "水量", "次数", "时间", "在线"]
    assert ws[2][1].value == "Volume (m³)"
    assert ws.freeze_panes == "A3"
    assert ws["B3"].value == pytest.approx(1234.5)
    assert isinstance(ws["B3"].value, float)
    assert ws["B3"].number_format == "#,##0.00"
    assert ws["D3"].value == dt.datetime(2024, 4, 1, 0, 0)  # noqa: DTZ001 - Excel cells hold naive Beijing times
    assert ws["E4"].value == "否 no"


def test_response_and_format_check():
    resp = export_response(fmt="xlsx", filename="intakes", columns=COLS, rows=ROWS, title="t")
    assert resp["Content-Disposition"] == 'attachment; filename="intakes.xlsx"'
    assert resp.content[:2] == b"PK"
    with pytest.raises(InvalidInput) as exc:
        check_format("pdf")
    assert "format" in exc.value.fields

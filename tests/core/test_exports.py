"""Ledger exports: CSV with a BOM and headers in the active language; Excel with numbers as numbers."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from core.exceptions import InvalidInput
from core.exports import Column, check_format, export_response, write_csv, write_xlsx

# Labels the apps' catalogues translate (water's "code", "online"…), so the Chinese can be checked too.
COLS = [
    Column("code", gettext_lazy("code")),
    Column("volume", gettext_lazy("measured (m³)"), kind="number"),
    Column("count", gettext_lazy("reports"), kind="int"),
    Column("at", gettext_lazy("received at"), kind="datetime"),
    Column("online", gettext_lazy("online"), kind="bool"),
]
ROWS = [
    {
        "code": "QSK-01",
        "volume": Decimal("1234.5"),
        "count": 3,
        "online": True,
        "at": dt.datetime(2024, 3, 31, 16, 0, tzinfo=dt.UTC),
    },
    {"code": "QSK-02", "volume": None, "count": 0, "online": False, "at": None},
]


def test_csv_has_bom_header_in_the_active_language_and_beijing_times():
    text = write_csv(COLS, ROWS).decode("utf-8")
    assert text.startswith("\ufeffcode,measured (m³),reports,received at,online\r\n")
    with translation.override("zh-hans"):
        assert write_csv(COLS, ROWS).decode("utf-8").startswith("\ufeff编码,实测,报数,接收时间,在线\r\n")
    assert "2024-04-01T00:00:00+08:00" in text  # 16:00 UTC is midnight in Beijing
    assert "QSK-02,,0,," in text


def test_xlsx_keeps_numbers_as_numbers():
    with translation.override("zh-hans"):
        wb = load_workbook(io.BytesIO(write_xlsx(COLS, ROWS, title=gettext_lazy("intake ledger"))))
    ws = wb.active
    assert ws.title == "取水口台账"
    assert [c.value for c in ws[1]] == ["编码", "实测", "报数", "接收时间", "在线"]
    assert [c.value for c in ws[2]] == ["code", "volume", "count", "at", "online"]  # the keys, in every language
    assert ws.freeze_panes == "A3"
    assert ws["B3"].value == pytest.approx(1234.5)
    assert isinstance(ws["B3"].value, float)
    assert ws["B3"].number_format == "#,##0.00"
    assert ws["D3"].value == dt.datetime(2024, 4, 1, 0, 0)  # noqa: DTZ001 - Excel cells hold naive Beijing times
    assert (ws["E3"].value, ws["E4"].value) == ("是", "否")


def test_response_and_format_check():
    resp = export_response(fmt="xlsx", filename="intakes", columns=COLS, rows=ROWS, title="t")
    assert resp["Content-Disposition"] == 'attachment; filename="intakes.xlsx"'
    assert resp.content[:2] == b"PK"
    with pytest.raises(InvalidInput) as exc:
        check_format("pdf")
    assert "format" in exc.value.fields

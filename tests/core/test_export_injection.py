"""Formula injection (issue 14): text a user typed never reaches a spreadsheet as a live formula.

Every ledger export of the URL conf (and the compliance table, which exports through `?format=`) is
called for real, with its rows replaced at the writer by rows that plant `=`, `+`, `-`, `@`, tab and CR
at the start of every text column; both formats are read back. A new export that bypasses
core.exports fails `test_every_export_goes_through_the_writer`.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver
from openpyxl import load_workbook

from core import exports
from core.exports import Column, safe_text, write_csv, write_xlsx

PAYLOAD = "cmd|' /C calc'!A0"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PLANTS = [t + PAYLOAD for t in TRIGGERS] + ['=HYPERLINK("http://x","y")', "@SUM(1+1)*cmd|' /C calc'!A0"]

# Exports that are not a `…/export/` route: the compliance table exports through `?format=`.
EXTRA_EXPORTS = {"/api/v1/patrols/compliance/": {"start": "2024-04-01", "end": "2024-04-30"}}
PARAMS = {"/api/v1/water/plans/usage/export/": {"start": "2024-01-01", "end": "2024-12-31"}}


def _routes() -> list[str]:
    def walk(patterns: list[Any], prefix: str = "") -> list[str]:
        out: list[str] = []
        for p in patterns:
            if isinstance(p, URLResolver):
                out += walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                out.append(prefix + str(p.pattern))
        return out

    return [
        "/" + r.replace("^", "").replace("$", "")
        for r in walk(get_resolver().url_patterns)
        if r.rstrip("$").endswith("export/") and "<" not in r
    ]


EXPORT_URLS = {**{u: PARAMS.get(u, {}) for u in _routes()}, **EXTRA_EXPORTS}


def _planted(columns: Any) -> list[dict[str, Any]]:
    return [{c.key: plant for c in columns if c.kind == "text"} for plant in PLANTS]


@pytest.fixture
def planting(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Swap each export's rows for planted rows at the writer; remember the columns written."""
    seen: dict[str, Any] = {}
    real_csv, real_xlsx = exports.write_csv, exports.write_xlsx

    def fake_csv(columns: Any, rows: Any) -> bytes:
        seen["columns"] = columns
        return real_csv(columns, _planted(columns))

    def fake_xlsx(columns: Any, rows: Any, *, title: str) -> bytes:
        seen["columns"] = columns
        return real_xlsx(columns, _planted(columns), title=title)

    monkeypatch.setattr(exports, "write_csv", fake_csv)
    monkeypatch.setattr(exports, "write_xlsx", fake_xlsx)
    return seen


def test_twelve_exports_are_found():
    assert len(EXPORT_URLS) >= 12, sorted(EXPORT_URLS)


@pytest.mark.parametrize("url", sorted(EXPORT_URLS))
def test_every_export_goes_through_the_writer(url, planting, client_for, users):
    admin = client_for(users["admin"])
    for fmt in ("csv", "xlsx"):
        planting.clear()
        resp = admin.get(url, {**EXPORT_URLS[url], "format": fmt})
        assert resp.status_code == 200, (url, fmt, resp.content[:300])
        assert "columns" in planting, f"{url} ({fmt}) does not write through core.exports"
        columns = planting["columns"]
        text_cols = [i for i, c in enumerate(columns) if c.kind == "text"]
        assert text_cols, url
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"), newline="")))[1:]
            assert len(rows) == len(PLANTS)
            for plant, row in zip(PLANTS, rows, strict=True):
                for i in text_cols:
                    assert row[i] == "'" + plant, (url, columns[i].key, row[i])
        else:
            ws = load_workbook(io.BytesIO(resp.content)).active
            data = list(ws.iter_rows(min_row=3))
            assert len(data) == len(PLANTS)
            for plant, row in zip(PLANTS, data, strict=True):
                for i in text_cols:
                    cell = row[i]
                    assert cell.data_type == "s", (url, columns[i].key, cell.data_type)
                    assert cell.value == plant.replace("\r", "\n")  # XML reads a lone CR back as LF
                    assert cell.quotePrefix, (url, columns[i].key)


def test_writer_keeps_harmless_text_and_numbers():
    cols = [Column("a", "A"), Column("n", "N", kind="number")]
    rows = [{"a": "QSK-01", "n": -3.5}, {"a": "1-2", "n": 0}]
    text = write_csv(cols, rows).decode("utf-8-sig")
    assert "QSK-01,-3.5" in text  # a negative number is a number, not text
    assert "1-2,0" in text
    ws = load_workbook(io.BytesIO(write_xlsx(cols, rows, title="t"))).active
    assert ws["B3"].value == -3.5
    assert not ws["A3"].quotePrefix
    assert safe_text("=1") == "'=1"
    assert safe_text(5) == 5

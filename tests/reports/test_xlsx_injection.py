"""Formula injection in the report XLSX (issue 14): intake and plant names stay text."""

from __future__ import annotations

import io

from openpyxl import load_workbook


def test_report_xlsx_neutralises_names(dataset, client_for, users):
    """The report XLSX carries intake and plant names: planted formulas stay text there too."""
    from reuse.models import Plant
    from water.models import Intake

    Intake.objects.update(name="=cmd|' /C calc'!A0")
    Plant.objects.update(name="+cmd|' /C calc'!A0")
    r = client_for(users["admin"]).get("/api/v1/reports/quarterly/2024/2/", {"format": "xlsx"})
    assert r.status_code == 200, r.content[:300]
    wb = load_workbook(io.BytesIO(r.content))
    planted = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.endswith("calc'!A0"):
                    planted += 1
                    assert cell.quotePrefix
    assert planted >= 2

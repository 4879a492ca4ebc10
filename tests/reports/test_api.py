"""GET /api/v1/reports/summary/, /quarterly/{year}/{q}/ and /rows/: formats, bad input, roles, scope."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db
SUMMARY = "/api/v1/reports/summary/"
Q2 = "/api/v1/reports/quarterly/2024/2/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_summary_json_has_the_spec_fields(dataset, client_for, users):
    r = client_for(users["city_reviewer"]).get(SUMMARY, {"start": "2024-04-01", "end": "2024-06-30"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["period"]["label"] == "2024-Q2"  # a range that is a quarter is reported as one
    assert body["patrols"]["person_times"] == 6
    assert body["patrols"]["km"] == 8.75
    assert body["patrols"]["cases_cleared_on_spot"] == 1
    assert body["quality"]["rivers"]["good_ratio"] == 0.5
    assert body["reuse"]["rate"] == pytest.approx(0.15)
    assert body["water"]["use_m3"] == 21_840.0


def test_quarterly_equals_the_summary_of_the_quarter(dataset, client_for, users):
    c = client_for(users["admin"])
    a = c.get(Q2).json()
    b = c.get(SUMMARY, {"start": "2024-04-01", "end": "2024-06-30"}).json()
    assert a == b


def test_range_that_is_not_a_calendar_period(dataset, client_for, users):
    body = client_for(users["admin"]).get(SUMMARY, {"start": "2024-04-01", "end": "2024-05-31"}).json()
    assert body["period"]["label"] == "2024-04-01/2024-05-31"
    assert body["comparison_period"]["label"] == "2023-04-01/2023-05-31"
    assert body["patrols"]["person_times"] == 4  # P1 and P2


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        (SUMMARY, {"start": "2024-06-30", "end": "2024-04-01"}, "end"),
        (SUMMARY, {"start": "2024-13-01", "end": "2024-06-30"}, "start"),
        (SUMMARY, {"end": "2024-06-30"}, "start"),
        (SUMMARY, {"start": "2024-04-01", "end": "2024-06-30", "division": "65x"}, "division"),
        (SUMMARY, {"start": "2024-04-01", "end": "2024-06-30", "division": "659999"}, "division"),
        (SUMMARY, {"start": "2024-04-01", "end": "2024-06-30", "format": "docx"}, "format"),
        ("/api/v1/reports/quarterly/2024/5/", {}, "q"),
        ("/api/v1/reports/quarterly/2024/0/", {}, "q"),
        (Q2, {"format": "csv"}, "format"),
        ("/api/v1/reports/rows/", {"start": "2024-04-01", "end": "2024-06-30", "figure": "nope"}, "figure"),
    ],
)
def test_bad_input_is_400_naming_the_field(dataset, client_for, users, url, params, field):
    r = client_for(users["admin"]).get(url, params)
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]


def test_roles_and_scope(dataset, client_for, users):
    params = {"start": "2024-04-01", "end": "2024-06-30"}
    assert client_for(None).get(SUMMARY, params).status_code == 401
    assert client_for(users["operator"]).get(SUMMARY, params).status_code == 403
    assert client_for(users["device"]).get(SUMMARY, params).status_code == 403
    assert client_for(None).get(Q2).status_code == 401
    assert client_for(users["device"]).get(Q2, {"format": "pdf"}).status_code == 403
    # A Tianshan chief reads Tianshan; Saybagh is out of their scope (404, as for any row).
    chief = client_for(users["chief_650102"])
    assert chief.get(SUMMARY, {**params, "division": "650102"}).status_code == 200
    assert chief.get(SUMMARY, {**params, "division": "650103"}).status_code == 404
    reviewer = client_for(users["reviewer_650103"])
    body = reviewer.get(SUMMARY, params).json()
    assert (body["jurisdiction"], body["patrols"]["person_times"]) == ("650103", 2)
    assert reviewer.get(Q2, {"division": "650102"}).status_code == 404
    nowhere = client_for(users["no_jurisdiction"]).get(SUMMARY, params).json()
    assert (nowhere["patrols"]["patrols"], nowhere["water"]["use_m3"], nowhere["reuse"]["treated_m3"]) == (0, 0.0, 0.0)


def test_excel_reads_back_with_numbers_and_formats(dataset, client_for, users):
    from openpyxl import load_workbook

    r = client_for(users["admin"]).get(Q2, {"format": "xlsx"})
    assert r.status_code == 200
    assert r["Content-Type"] == XLSX
    assert r["Content-Disposition"] == 'attachment; filename="report-2024-Q2.xlsx"'
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == [
        "封面 Cover",
        "用水 Water",
        "再生水 Reuse",
        "巡河 Patrols",
        "水质 Quality",
        "督察整改 Oversight",
    ]
    ws = wb["巡河 Patrols"]
    assert ws.freeze_panes == "A5"
    assert (ws["A3"].value, ws["A4"].value) == ("指标", "Figure (zh)")
    rows = {row[0].value: row for row in ws.iter_rows(min_row=5) if row[0].value}
    person = rows["巡河人次"]
    assert [person[2].value, person[3].value, person[4].value] == [6, 2, 4]
    assert isinstance(person[2].value, int)
    assert person[2].number_format == "#,##0"
    assert (rows["巡河里程"][2].value, rows["巡河里程"][2].number_format) == (8.75, "#,##0.00")
    closure = rows["办结率"]
    assert (closure[2].value, closure[2].number_format) == (0.25, "0.00%")
    assert closure[4].value == 25.0  # percentage points
    assert rows["清理垃圾"][2].value == 1.75
    assert rows["立查立清"][6].value.startswith("/api/v1/patrols/cases/?closed_via=on_spot")
    q = {row[0].value: row for row in wb["水质 Quality"].iter_rows(min_row=5) if row[0].value}
    assert (q["河流水质优良比例"][2].value, q["河流水质优良比例"][2].number_format) == (0.5, "0.00%")
    assert q["河流水质优良比例"][4].value == -50.0
    r_ = {row[0].value: row for row in wb["再生水 Reuse"].iter_rows(min_row=5) if row[0].value}
    assert r_["污水处理量"][2].value == 5_000_000
    assert isinstance(r_["污水处理量"][2].value, float | int)
    w = {row[0].value: row for row in wb["用水 Water"].iter_rows(min_row=5) if row[0].value}
    assert (w["用水量"][2].value, w["用水量"][2].number_format) == (21_840, "#,##0.00")
    assert w["QSK-E"][3].value == 21_840


def test_pdf_has_the_key_figures_in_chinese(dataset, client_for, users):
    from pypdf import PdfReader

    r = client_for(users["admin"]).get(SUMMARY, {"start": "2024-04-01", "end": "2024-06-30", "format": "pdf"})
    assert r.status_code == 200
    assert r["Content-Type"] == "application/pdf"
    assert r["Content-Disposition"] == 'attachment; filename="report-2024-Q2.pdf"'
    reader = PdfReader(io.BytesIO(r.content))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)  # A4
    text = "\n".join(page.extract_text() for page in reader.pages)
    needles = [
        "河湖长制与水资源管理指标报告",
        "巡河人次",
        "21,840.00",
        "8.75",
        "1.750",
        "立查立清",
        "50.00%",
        "100.00%",
        "15.00%",
        "25.00%",
        "-50.00个百分点",
        "各取水口用水量与计划",
        "再生水按用途利用量",
        "本期发现问题按类别和状态",
        "水质优良比例（%）",
    ]
    for needle in needles:
        assert needle in text, needle
    # The CJK font is embedded: a TrueType subset with its font file in the PDF.
    cjk = [
        font.get_object()
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
        if "WenQuanYiZenHei" in str(font.get_object().get("/BaseFont"))
    ]
    assert cjk
    assert all("/FontFile2" in font["/FontDescriptor"].get_object() for font in cjk)


def test_missing_cjk_font_is_a_clear_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    from reports import pdf

    settings.REPORTS_CJK_FONT = "/nonexistent/font.ttc"
    with pytest.raises(ImproperlyConfigured, match="REPORTS_CJK_FONT"):
        pdf.register_font()


def test_rows_drill_down(dataset, client_for, users):
    c = client_for(users["admin"])
    base = {"start": "2024-04-01", "end": "2024-06-30"}
    closed = c.get("/api/v1/reports/rows/", {**base, "figure": "cases_closed"}).json()
    assert closed["count"] == 2
    assert sorted(row["category"] for row in closed["results"]) == ["dumping", "occupation"]
    overdue = c.get("/api/v1/reports/rows/", {**base, "figure": "cases_overdue"}).json()
    assert [row["category"] for row in overdue["results"]] == ["dumping"]
    flagged = c.get("/api/v1/reports/rows/", {**base, "figure": "patrols_flagged"}).json()
    assert [row["review_status"] for row in flagged["results"]] == ["pending"]
    dumping = c.get("/api/v1/reports/rows/", {**base, "figure": "cases_found", "category": "dumping"}).json()
    assert dumping["count"] == 1
    # The ledger link of a figure lists exactly the rows it counted.
    body = c.get(Q2).json()
    on_spot = c.get(body["links"]["patrols.cases_cleared_on_spot"]).json()
    assert len(on_spot["features"]) == body["patrols"]["cases_cleared_on_spot"]
    patrols = c.get(body["links"]["patrols.person_times"]).json()
    assert len(patrols["features"]) == body["patrols"]["patrols"]
    assert sum(f["properties"]["person_times"] for f in patrols["features"]) == body["patrols"]["person_times"]
    litter = c.get(body["links"]["patrols.litter_tonnes"]).json()
    assert sum(float(row["tonnes"]) for row in litter["results"]) == body["patrols"]["litter_tonnes"]
    assert c.get("/api/v1/reports/rows/", {**base, "figure": "cases_closed", "division": "650103"}).json()["count"] == 0
    assert client_for(users["operator"]).get("/api/v1/reports/rows/", {**base, "figure": "litter"}).status_code == 403


def test_rows_query_count_does_not_grow_with_rows(dataset, client_for, users):
    c = client_for(users["admin"])
    with CaptureQueriesContext(connection) as q:
        r = c.get("/api/v1/reports/rows/", {"start": "2024-01-01", "end": "2024-12-31", "figure": "cases_found"})
    assert (r.status_code, r.json()["count"]) == (200, 5)
    assert len(q) <= 6


def test_report_query_count_is_bounded(dataset, client_for, users):
    c = client_for(users["admin"])
    with CaptureQueriesContext(connection) as q:
        assert c.get(Q2).status_code == 200
    # Sections × two periods, independent of the number of rows, intakes, sections or cases.
    assert len(q) <= 90, len(q)


def test_pdf_footer_has_page_numbers_issuing_unit_and_date(dataset, client_for, users, settings):
    """Issue 19: every page names the issuing unit, 第 N 页 共 M 页 and when it was generated; units as
    the bureau writes them, intake names on the chart's axis."""
    from pypdf import PdfReader

    settings.REPORTS_ISSUING_UNIT = "乌鲁木齐市河长制办公室"
    r = client_for(users["admin"]).get(SUMMARY, {"start": "2024-04-01", "end": "2024-06-30", "format": "pdf"})
    assert r.status_code == 200
    reader = PdfReader(io.BytesIO(r.content))
    total = len(reader.pages)
    assert total >= 2
    for n, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert "乌鲁木齐市河长制办公室" in text
        assert f"第 {n} 页 共 {total} 页" in text
        assert "生成时间 20" in text
    everything = "\n".join(page.extract_text() for page in reader.pages)
    assert "10^4" not in everything
    assert "m3/" not in everything


def test_pdf_issuing_unit_defaults_to_the_divisions_bureau(dataset, client_for, users):
    from pypdf import PdfReader

    r = client_for(users["admin"]).get(
        SUMMARY, {"start": "2024-04-01", "end": "2024-06-30", "format": "pdf", "division": "650102"}
    )
    assert r.status_code == 200
    assert "天山区水务局" in PdfReader(io.BytesIO(r.content)).pages[0].extract_text()


def test_excel_prints_as_ledgers_with_live_links(dataset, client_for, users, settings):
    from openpyxl import load_workbook

    settings.REPORTS_LINK_BASE_URL = "https://hezhang.bureau.local/"
    r = client_for(users["admin"]).get(Q2, {"format": "xlsx"})
    wb = load_workbook(io.BytesIO(r.content))
    for ws in wb.worksheets:
        assert ws.page_setup.paperSize == 9  # A4
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert "&P" in ws.oddFooter.center.text
    assert wb["巡河 Patrols"].print_title_rows == "$3:$4"
    rows = {row[0].value: row for row in wb["巡河 Patrols"].iter_rows(min_row=5) if row[0].value}
    link = rows["立查立清"][6]
    assert link.value.startswith("https://hezhang.bureau.local/api/v1/patrols/cases/?closed_via=on_spot")
    assert link.hyperlink.target == link.value
    cover = {row[0].value: row[2].value for row in wb["封面 Cover"].iter_rows(min_row=3) if row[0].value}
    assert cover["发布单位"].endswith("水务局")


def test_pdf_units_are_written_as_the_bureau_writes_them_and_the_chart_names_intakes(
    dataset, client_for, users, geography
):
    """Issue 19: red-line units read m³/万元 and %, never `m3/10^4 yuan` or `ratio`; the use-against-plan
    chart's axis carries the intakes' names, not their codes."""
    from decimal import Decimal

    from pypdf import PdfReader

    from tests.water.plan_fixtures import ALL
    from water import plan_services

    plan_services.redline_create(
        actor="test",
        scope=ALL,
        year=2024,
        division=geography["city"],
        total_use_cap_m3=Decimal(900000),
        per_gdp_target=Decimal("0.5"),
        gdp_10k_yuan=Decimal(30000),
        gdp_source="市统计局",
        irrigation_target=Decimal("0.58"),
        irrigation_coefficient=Decimal("0.6"),
        irrigation_source="样点灌区测算",
    )
    r = client_for(users["admin"]).get(Q2, {"format": "pdf"})
    assert r.status_code == 200
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    assert "m³/万元" in text
    assert "%" in text
    for raw in ("m3/10^4 yuan", "10^4", "ratio", "m3/"):
        assert raw not in text, raw
    assert "天山区取水口" in text  # QSK-E by its name on the chart's axis
    assert "QSK-E" not in text

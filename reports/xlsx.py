"""The report as an Excel workbook: a cover sheet, then one sheet per section. Numbers are stored as
numbers with number formats (never text), headers are Chinese over English, header rows are frozen."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.exports import set_cell
from reports import conf
from reports.pdf import unit_label

ROMAN = ("I", "II", "III", "IV", "V", "劣V")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FORMATS = {
    "int": "#,##0",
    "m3": "#,##0.00",
    "km": "#,##0.00",
    "t": "#,##0.000",
    "pct": "0.00%",
    "pp": "+0.00;-0.00;0.00",
    "text": "@",
}


@dataclass(frozen=True, slots=True)
class Col:
    key: str
    zh: str
    en: str
    kind: str = "text"
    width: int = 16


def _headers(ws: Any, cols: Sequence[Col], row: int) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    fill = PatternFill("solid", fgColor="DDEBF7")
    for i, c in enumerate(cols, start=1):
        for r, text in ((row, c.zh), (row + 1, c.en)):
            cell = set_cell(ws, row=r, column=i, value=text)
            cell.font = Font(bold=r == row)
            cell.fill = fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[cell.column_letter].width = c.width


def _table(ws: Any, cols: Sequence[Col], rows: Sequence[dict[str, Any]], *, start_row: int) -> int:
    """Header (two rows) and rows at `start_row`; returns the next free row."""
    _headers(ws, cols, start_row)
    r = start_row + 2
    for row in rows:
        for i, c in enumerate(cols, start=1):
            value = row.get(c.key)
            if isinstance(value, bool):
                value = "是 yes" if value else "否 no"
            cell = set_cell(ws, row=r, column=i, value=value)
            if isinstance(value, int | float) and c.kind in FORMATS:
                cell.number_format = FORMATS[c.kind]
        r += 1
    return r + 1


FIGURE_COLS = [
    Col("zh", "指标", "Figure (zh)", width=28),
    Col("en", "Figure", "Figure (en)", width=34),
    Col("value", "本期", "This period", "auto", 18),
    Col("previous", "去年同期", "Same period last year", "auto", 18),
    Col("change", "同比变化", "Change", "auto", 16),
    Col("unit", "单位", "Unit", width=10),
    Col("link", "明细查询", "Drill-down", width=60),
]


def _figure_rows(ws: Any, rows: list[dict[str, Any]], start_row: int) -> int:
    """The figures table: value formats follow each row's unit (shares as %, change in points)."""
    _headers(ws, FIGURE_COLS, start_row)
    r = start_row + 2
    for row in rows:
        kind = row["kind"]
        for i, c in enumerate(FIGURE_COLS, start=1):
            value = row.get(c.key)
            if c.key == "link" and value:
                _link_cell(ws, row=r, column=i, path=str(value))
                continue
            cell = set_cell(ws, row=r, column=i, value=value)
            if isinstance(value, int | float) and not isinstance(value, bool):
                if c.key == "change" and kind == "pct":
                    cell.number_format = FORMATS["pp"]
                else:
                    cell.number_format = FORMATS[kind]
        r += 1
    return r + 1


def _link_cell(ws: Any, *, row: int, column: int, path: str) -> Any:
    """A drill-down link as a real hyperlink (an address when REPORTS_LINK_BASE_URL is set), shown as text
    through the export writer so it can never be read as a formula."""
    from openpyxl.styles import Font

    url = conf.link_url(path)
    cell = set_cell(ws, row=row, column=column, value=url)
    cell.hyperlink = url
    cell.font = Font(color="0563C1", underline="single")
    return cell


def print_setup(ws: Any, *, header_rows: str | None = None) -> None:
    """A4 landscape, fitted to the page width (any number of pages down), header rows repeated on each
    page, page numbers in the footer: each sheet prints as a ledger, not as 4 pages per screen."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    if header_rows:
        ws.print_title_rows = header_rows
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"
    ws.oddFooter.right.text = "&A"


def _fig(
    zh: str,
    en: str,
    section: dict[str, Any],
    key: str,
    kind: str,
    unit: str,
    links: dict[str, str],
    path: str,
    yoy_key: str | None = None,
) -> dict[str, Any]:
    yoy = section.get("yoy", {}).get(yoy_key or key) or {}
    return {
        "zh": zh,
        "en": en,
        "value": section.get(key),
        "previous": yoy.get("previous"),
        "change": yoy.get("change_pp") if kind == "pct" else yoy.get("change"),
        "unit": unit,
        "kind": kind,
        "link": links.get(path, ""),
    }


def render_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    links = report.get("links", {})
    wb = Workbook()
    cover = wb.active
    cover.title = "封面 Cover"
    site = report.get("site")
    title = "季度指标报告 Quota-target report"
    cover["A1"] = f"{site['name']}（{site['code']}）{title}" if site else title
    cover["A1"].font = Font(bold=True, size=14)
    p, c = report["period"], report["comparison_period"]
    div = report.get("division") or {}
    lines = [
        ("报告期", "Period", f"{p['start']} – {p['end']} ({p['label']})"),
        ("同比期", "Compared with", f"{c['start']} – {c['end']} ({c['label']})"),
        ("行政区", "Division", f"{div.get('code', '')} {div.get('name') or ''}".strip() or "全部 all in scope"),
    ]
    if site:  # a report of one reach or lake, and the figures it leaves out (issue 19)
        kind = "河段 Reach" if site["kind"] == "reach" else "湖库 Lake or reservoir"
        lines.append(("河段/湖库", "Reach / lake", f"{kind}: {site['code']} {site['name']}"))
        lines += [("未列入", "Left out", f"{x['reason_zh']} {x['reason_en']}") for x in report.get("left_out", [])]
    lines += [
        ("发布单位", "Issued by", conf.issuing_unit(div.get("name"))),
        ("说明", "Note", "比例为 0–1 小数，以百分比格式显示；同比变化中比例为百分点。"),
        ("", "", "Shares are fractions 0–1 shown as %; their year-on-year change is in percentage points."),
    ]
    for i, (zh, en, value) in enumerate(lines, start=3):
        set_cell(cover, row=i, column=1, value=zh)
        set_cell(cover, row=i, column=2, value=en)
        set_cell(cover, row=i, column=3, value=value)
    cover.column_dimensions["A"].width = 12
    cover.column_dimensions["B"].width = 16
    cover.column_dimensions["C"].width = 60

    _water_sheet(wb, report["water"], links)
    if "reuse" in report:  # left out of a reach's or lake's report
        _reuse_sheet(wb, report["reuse"], links)
    _patrols_sheet(wb, report["patrols"], links)
    _quality_sheet(wb, report["quality"], links)
    if "oversight" in report:
        _oversight_sheet(wb, report["oversight"], links)
    for ws in wb.worksheets:
        print_setup(ws, header_rows=None if ws is cover else "3:4")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _figures_sheet(wb: Any, title: str, heading: str, rows: list[dict[str, Any]]) -> tuple[Any, int]:
    from openpyxl.styles import Font

    ws = wb.create_sheet(title)
    ws["A1"] = heading
    ws["A1"].font = Font(bold=True, size=13)
    ws.freeze_panes = "A5"
    return ws, _figure_rows(ws, rows, 3)


def _water_sheet(wb: Any, w: dict[str, Any], links: dict[str, str]) -> None:
    rows = [
        _fig("用水量", "Water use", w, "use_m3", "m3", "m³", links, "water.use_m3"),
        _fig("计划用水量", "Planned use", w, "plan_m3", "m3", "m³", links, "water.plan_m3"),
        _fig("用水占计划比例", "Use ÷ plan", w, "ratio", "pct", "", links, "water.plan_m3"),
        _fig("超计划水量", "Over plan", w, "over_m3", "m3", "m³", links, "water.plan_m3"),
        _fig("预测全年用水", "Forecast use", w, "forecast_m3", "m3", "m³", links, "water.use_m3"),
        _fig("实测水量", "Measured volume", w, "measured_m3", "m3", "m³", links, "water.measured_m3"),
        _fig("估算水量", "Estimated volume", w, "estimated_m3", "m3", "m³", links, "water.estimated_m3"),
        _fig("更正水量", "Corrected volume", w, "corrected_m3", "m3", "m³", links, "water.corrected_m3"),
        _fig(
            "锁账后补报/更正",
            "After the ledger lock",
            w,
            "amendments_after_lock_m3",
            "m3",
            "m³",
            links,
            "water.amendments_after_lock_m3",
        ),
        _fig("待审核水量", "Held for review", w, "held_m3", "m3", "m³", links, "water.held_m3"),
        _fig(
            "在线监测覆盖率",
            "Online-monitoring coverage",
            w,
            "monitoring_coverage",
            "pct",
            "",
            links,
            "water.monitoring_coverage",
        ),
        _fig("到报率", "Arrival rate", w, "arrival_rate", "pct", "", links, "water.arrival_rate"),
    ]
    ws, row = _figures_sheet(wb, "用水 Water", "用水总量与计划 Water use against plan", rows)
    intake_cols = [
        Col("code", "取水口编码", "Intake code"),
        Col("name", "取水口名称", "Intake name", width=28),
        Col("division_code", "行政区", "Division"),
        Col("use_m3", "用水量(m³)", "Use (m³)", "m3"),
        Col("plan_m3", "计划(m³)", "Plan (m³)", "m3"),
        Col("ratio", "占计划比例", "Use ÷ plan", "pct"),
        Col("over_m3", "超计划(m³)", "Over plan (m³)", "m3"),
        Col("tier", "超计划档次", "Over-plan tier"),
        Col("forecast_m3", "预测(m³)", "Forecast (m³)", "m3"),
        Col("estimated_m3", "估算(m³)", "Estimated (m³)", "m3"),
        Col("held_m3", "待审核(m³)", "Held (m³)", "m3"),
    ]
    set_cell(ws, row=row, column=1, value="各取水口 By intake")
    row = _table(ws, intake_cols, w["intakes"], start_row=row + 1)
    red = w.get("redlines", {}).get("indicators", [])
    if red:
        set_cell(ws, row=row, column=1, value="三条红线 Red-line indicators")
        red_cols = [
            Col("name_zh", "指标", "Indicator (zh)", width=28),
            Col("name_en", "Indicator", "Indicator (en)", width=34),
            Col("unit", "单位", "Unit"),
            Col("target", "年度目标", "Year target", "m3"),
            Col("actual", "实际（截至期末）", "Actual (to the period's end)", "m3"),
            Col("forecast", "预测全年", "Forecast to year end", "m3"),
            Col("state_zh", "状态", "State"),
            Col("met", "是否达标（年度结束后）", "Met (once the year is over)"),
            Col("source_zh", "数据来源", "Source", width=20),
        ]
        first = row + 3  # _table: two header rows under start_row
        row = _table(ws, red_cols, [{**i, "unit": unit_label(i.get("unit"))} for i in red], start_row=row + 1)
        for n, indicator in enumerate(red):
            if indicator.get("unit") == "ratio":  # a share: shown as %, like every other share
                for column in (4, 5, 6):
                    ws.cell(row=first + n, column=column).number_format = FORMATS["pct"]
    mon = w.get("monitoring", {})
    if mon.get("available"):
        set_cell(ws, row=row, column=1, value="在线监测 Online monitoring")
        mon_cols = [
            Col("required_intakes", "应在线取水口", "Intakes required online", "int"),
            Col("monitored_intakes", "已在线取水口", "Intakes monitored online", "int"),
            Col("coverage", "覆盖率", "Coverage", "pct"),
            Col("meters", "计量设施", "Meters", "int"),
            Col("online", "在线", "Online", "int"),
            Col("offline", "离线", "Offline", "int"),
            Col("expected_reports", "应到报", "Expected reports", "int"),
            Col("received_reports", "实到报", "Received reports", "int"),
            Col("arrival_rate", "到报率", "Arrival rate", "pct"),
            Col("completeness", "完整率", "Completeness", "pct"),
            Col("timeliness", "及时率", "Timeliness", "pct"),
        ]
        _table(ws, mon_cols, [mon], start_row=row + 1)


def _reuse_sheet(wb: Any, r: dict[str, Any], links: dict[str, str]) -> None:
    rows = [
        _fig("污水处理量", "Wastewater treated", r, "treated_m3", "m3", "m³", links, "reuse.treated_m3"),
        _fig("再生水生产量", "Reclaimed water produced", r, "produced_m3", "m3", "m³", links, "reuse.produced_m3"),
        _fig("再生水利用量", "Reclaimed water used", r, "used_m3", "m3", "m³", links, "reuse.used_m3"),
        _fig("再生水利用率", "Reuse rate", r, "rate", "pct", "", links, "reuse.rate"),
        _fig("利用率目标", "Target rate", r, "target", "pct", "", links, "reuse.rate"),
    ]
    ws, row = _figures_sheet(wb, "再生水 Reuse", "再生水利用 Reclaimed water", rows)
    set_cell(ws, row=row, column=1, value="按用途 By use class")
    cols = [
        Col("use_class", "用途代码", "Use class"),
        Col("label", "用途", "Use", width=30),
        Col("used_m3", "利用量(m³)", "Used (m³)", "m3"),
        Col("excluded_m3", "未计入(m³)", "Not counted (m³)", "m3"),
        Col("share_of_treated", "占处理量比例", "Share of treated", "pct"),
        Col("deliveries", "记录数", "Rows", "int"),
        Col("users", "用户数", "Users", "int"),
    ]
    _table(ws, cols, r["by_class"], start_row=row + 1)


def _patrols_sheet(wb: Any, p: dict[str, Any], links: dict[str, str]) -> None:
    comp = p["compliance"]
    pr = {**p, "compliance_rate": comp["rate"]}
    rows = [
        _fig("巡河次数", "Patrols", pr, "patrols", "int", "次", links, "patrols.patrols"),
        _fig("巡河人次", "Person-times", pr, "person_times", "int", "人次", links, "patrols.person_times"),
        _fig("巡河里程", "Distance patrolled", pr, "km", "km", "km", links, "patrols.km"),
        _fig("有效巡河", "Valid patrols", pr, "valid", "int", "次", links, "patrols.valid"),
        _fig("疑点巡河", "Flagged patrols", pr, "flagged", "int", "次", links, "patrols.flagged"),
        _fig("巡河频次达标率", "Frequency compliance", pr, "compliance_rate", "pct", "", links, "patrols.compliance"),
        _fig("发现问题", "Cases found", pr, "cases_found", "int", "处", links, "patrols.cases_found"),
        _fig(
            "立查立清",
            "Cleared on the spot",
            pr,
            "cases_cleared_on_spot",
            "int",
            "处",
            links,
            "patrols.cases_cleared_on_spot",
        ),
        _fig("销号问题", "Cases closed", pr, "cases_closed", "int", "处", links, "patrols.cases_closed"),
        _fig("逾期问题", "Cases overdue", pr, "cases_overdue", "int", "处", links, "patrols.cases_overdue"),
        _fig("办结率", "Closure rate", pr, "closure_rate", "pct", "", links, "patrols.closure_rate"),
        _fig("清理垃圾", "Litter removed", pr, "litter_tonnes", "t", "t", links, "patrols.litter_tonnes"),
    ]
    ws, row = _figures_sheet(wb, "巡河 Patrols", "河湖长巡河与问题整改 River-chief patrols and cases", rows)
    effort = [
        Col("label", "河长级别", "Chief level", width=24),
        Col("patrols", "巡河次数", "Patrols", "int"),
        Col("person_times", "人次", "Person-times", "int"),
        Col("km", "里程(km)", "Distance (km)", "km"),
        Col("valid", "有效", "Valid", "int"),
        Col("flagged", "疑点", "Flagged", "int"),
    ]
    set_cell(ws, row=row, column=1, value="按河长级别 By level")
    row = _table(ws, effort, p["by_level"], start_row=row + 1)
    set_cell(ws, row=row, column=1, value="按行政区 By division")
    row = _table(
        ws,
        [Col("code", "行政区代码", "Division code"), Col("name", "行政区", "Division", width=24), *effort[1:]],
        p["by_division"],
        start_row=row + 1,
    )
    if p.get("by_water"):  # snapshots built before issue 19 have no split
        set_cell(ws, row=row, column=1, value="河流与湖库 Rivers and lakes")
        water = [
            Col("label", "水体", "Water body", width=24),
            *effort[1:],
            Col("cases_found", "发现问题", "Cases found", "int"),
            Col("cases_closed", "销号问题", "Cases closed", "int"),
            Col("litter_tonnes", "清理垃圾(t)", "Litter (t)", "t"),
        ]
        row = _table(ws, water, p["by_water"], start_row=row + 1)
    if comp.get("by_water"):  # river chiefs and lake chiefs apart (issue 19)
        set_cell(ws, row=row, column=1, value="巡河频次达标：河长与湖长 Frequency compliance: river and lake chiefs")
        chiefs = [
            Col("label_zh", "河湖长", "Chiefs", width=24),
            Col("chiefs", "人数", "Chiefs", "int"),
            Col("compliant_chiefs", "达标人数", "Compliant", "int"),
            Col("required", "应巡次数", "Required", "int"),
            Col("valid", "有效巡河", "Valid", "int"),
            Col("missing", "欠巡次数", "Missing", "int"),
            Col("rate", "达标率", "Rate", "pct"),
        ]
        row = _table(ws, chiefs, comp["by_water"], start_row=row + 1)
    set_cell(ws, row=row, column=1, value="问题按类别 Cases by category")
    cases = [
        Col("label", "类别", "Category", width=24),
        Col("found", "发现", "Found", "int"),
        Col("cleared_on_spot", "立查立清", "Cleared on the spot", "int"),
        Col("closed", "销号", "Closed", "int"),
        Col("overdue", "逾期", "Overdue", "int"),
        Col("closed_of_found", "本期发现已销号", "Found and closed", "int"),
    ]
    row = _table(ws, cases, p["cases_by_category"], start_row=row + 1)
    set_cell(ws, row=row, column=1, value="本期发现问题的当前状态 Present state of the cases found")
    states = [Col("label", "类别", "Category", width=24)] + [
        Col(s["state"], s["label"].split(" ")[0], s["label"].split(" ", 1)[-1], "int") for s in p["case_states"]
    ]
    _table(ws, states, p["cases_by_state"], start_row=row + 1)


def _quality_sheet(wb: Any, q: dict[str, Any], links: dict[str, str]) -> None:
    rows = []
    for key, zh, en in (
        ("rivers", "河流", "Rivers"),
        ("lakes", "湖库", "Lakes and reservoirs"),
        ("drinking_sources", "集中式饮用水源地", "Drinking-water sources"),
    ):
        c = {**q[key], "yoy": q["yoy"][key]}
        rows.append(
            _fig(
                f"{zh}水质优良比例",
                f"{en}: good-water share",
                c,
                "good_ratio",
                "pct",
                "",
                links,
                f"quality.{key}.good_ratio",
            )
        )
        rows.append(
            _fig(f"{zh}优良断面数", f"{en}: good sections", c, "good", "int", "个", links, f"quality.{key}.good_ratio")
        )
        rows.append(
            _fig(
                f"{zh}评价断面数",
                f"{en}: sections evaluated",
                c,
                "evaluated",
                "int",
                "个",
                links,
                f"quality.{key}.samples",
            )
        )
    ws, row = _figures_sheet(wb, "水质 Quality", "水质优良比例 Good-water shares", rows)
    set_cell(ws, row=row, column=1, value="断面 Sections")
    section_rows = [
        {**s, "category": zh, "class_label": None if s["class"] is None else ROMAN[s["class"] - 1]}
        for key, zh in (("rivers", "河流"), ("lakes", "湖库"), ("drinking_sources", "饮用水源地"))
        for s in q[key]["sections"]
    ]
    cols = [
        Col("category", "类别", "Category"),
        Col("code", "断面编码", "Section code"),
        Col("name", "断面名称", "Section name", width=28),
        Col("class_label", "水质类别", "Class"),
        Col("good", "优良", "Good"),
        Col("samples", "样品数", "Samples", "int"),
        Col("excluded", "不参与统计的月份", "Months left out", width=24),
    ]
    for s in section_rows:
        s["excluded"] = "、".join(s.get("excluded_months") or [])
    left_out = [
        {
            **x,
            "category": zh,
            "class_label": "不参与统计",
            "good": None,
            "samples": None,
            "excluded": "、".join(x["months"]) + "：" + "；".join(x["reasons"]),
        }
        for key, zh in (("rivers", "河流"), ("lakes", "湖库"), ("drinking_sources", "饮用水源地"))
        for x in q[key].get("excluded", [])
    ]
    _table(ws, cols, section_rows + left_out, start_row=row + 1)


OVERSIGHT_FIGURES = (
    ("tasks.total", "整改任务", "Rectification tasks", "项"),
    ("tasks.completed", "已完成", "Completed", "项"),
    ("tasks.in_progress", "正在推进", "In progress", "项"),
    ("tasks.overdue", "逾期未完成", "Overdue", "项"),
    ("tasks.signed_off", "已销号", "Signed off", "项"),
    ("tasks.completed_late", "逾期完成", "Completed late", "项"),
    ("petitions.received", "转办信访件", "Petitions received", "件"),
    ("petitions.closed", "已办结", "Closed", "件"),
    ("petitions.stage_closed", "阶段性办结", "Closed at a stage", "件"),
    ("petitions.in_progress", "正在办理", "In progress", "件"),
    ("petitions.overdue", "逾期未办结", "Overdue", "件"),
    ("petitions.substantiated", "属实或部分属实", "Substantiated (fully or partly)", "件"),
    ("rechecks.done", "回头看核查", "Look-back rechecks done", "项"),
    ("rechecks.relapses", "问题反弹", "Relapses", "项"),
)


def _oversight_sheet(wb: Any, o: dict[str, Any], links: dict[str, str]) -> None:
    flat = {f"{g}.{k}": v for g in ("tasks", "petitions", "rechecks") for k, v in o[g].items()}
    flat["yoy"] = o.get("yoy", {})
    rows = [_fig(zh, en, flat, key, "int", unit, links, f"oversight.{key}") for key, zh, en, unit in OVERSIGHT_FIGURES]
    ws, row = _figures_sheet(wb, "督察整改 Oversight", "督察整改与信访 Inspection rectification and petitions", rows)
    ws.cell(row=row, column=1, value=o.get("summary_zh", ""))
    cols = [
        Col("code", "行政区代码", "Division code"),
        Col("name", "行政区", "Division", width=24),
        Col("tasks_total", "整改任务", "Tasks", "int"),
        Col("tasks_completed", "已完成", "Completed", "int"),
        Col("petitions_received", "信访件", "Petitions", "int"),
        Col("petitions_closed", "已办结", "Closed", "int"),
        Col("link", "明细查询", "Drill-down", width=60),
    ]
    ws.cell(row=row + 2, column=1, value="按行政区 By division")
    _table(ws, cols, o["by_division"], start_row=row + 3)

"""The report as an A4 PDF in Chinese: a summary table per section with the same period last year, and
charts (use against plan per intake, arrival rate, reuse by class, cases by category and state,
good-water shares) drawn with reportlab.graphics, so chart labels are text in the embedded font.

The CJK font is embedded as a TrueType subset (REPORTS_CJK_FONT, WenQuanYi Zen Hei by default).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils import timezone

from core.periods import BEIJING
from reports import conf

FONT = "HezhangCJK"
QUALITY_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("rivers", "河流"),
    ("lakes", "湖库"),
    ("drinking_sources", "集中式饮用水源地"),
)
_registered: str | None = None


def register_font() -> str:
    """Register the CJK font with reportlab once per process (a clear error when the file is missing)."""
    global _registered
    path = str(conf.cjk_font_path())
    if _registered != path:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=conf.cjk_font_index()))
        _registered = path
    return FONT


def fmt(value: Any, kind: str) -> str:
    """A figure as the PDF shows it: shares as percentages (2 dp), volumes with thousands separators."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if kind == "pct":
        return f"{value * 100:.2f}%"
    if kind == "pp":
        return f"{value:+.2f}个百分点"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "t":
        return f"{value:,.3f}"
    if isinstance(value, int | float):
        return f"{value:,.2f}"
    return str(value)


# Units as the bureau writes them (the selectors keep SI codes; this is the presentation edge).
UNIT_LABELS = {"m3": "m³", "m3/10^4 yuan": "m³/万元", "ratio": "%", "%": "%"}


def unit_label(unit: str | None) -> str:
    return UNIT_LABELS.get(unit or "", unit or "")


def _zone_note(zones: dict[str, Any]) -> str:
    """How the zone-compliance rate was obtained: which zones were judged from their sections, which on a
    declared figure."""
    declared = [z["name"] for z in zones["zones"] if z["source"] == "declared"]
    text = (
        f"水功能区达标率：{zones['judged']}个水功能区参评，达标{zones['complying']}个；"
        f"其中{zones['from_sections']}个由所属监测断面{zones['start']}至{zones['end']}的评价结果计算"
    )
    if declared:
        text += f"，{len(declared)}个无监测断面、采用申报值（{'、'.join(declared)}）"
    return text + "。"


def _indicator_value(value: Any, unit: str | None) -> str:
    """A red-line figure in its unit: a ratio as a percentage, volumes and intensities with separators."""
    return fmt(value, "pct") if unit == "ratio" else fmt(value, "m3")


def _footer_canvas(unit: str, generated: str) -> Any:
    """A canvas class that prints, on every page, the issuing unit, 第 N 页 共 M 页 and the generation
    time: the page count is known only at the end, so pages are kept and numbered on save."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    class FooterCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(FONT, 8)
                self.setFillGray(0.35)
                width = A4[0]
                self.drawString(18 * mm, 9 * mm, unit)
                self.drawCentredString(width / 2, 9 * mm, f"第 {self._pageNumber} 页 共 {total} 页")
                self.drawRightString(width - 18 * mm, 9 * mm, f"生成时间 {generated}")
                super().showPage()
            super().save()

    return FooterCanvas


def _change(yoy: dict[str, Any] | None, kind: str) -> str:
    if not yoy:
        return "—"
    if kind == "pct":
        return fmt(yoy.get("change_pp"), "pp")
    ch = yoy.get("change")
    if ch is None:
        return "—"
    rel = yoy.get("change_ratio")
    text = ("+" if ch >= 0 else "") + fmt(ch, kind)
    return text + (f" ({rel * 100:+.1f}%)" if rel is not None else "")


_NUMERALS = "一二三四五六七八九十"


def _rows(section: dict[str, Any], spec: list[tuple[str, str, str]], yoy: dict[str, Any]) -> list[list[str]]:
    out = [["指标", "本期", "去年同期", "同比"]]
    for label, key, kind in spec:
        y = yoy.get(key) or {}
        out.append([label, fmt(section.get(key), kind), fmt(y.get("previous"), kind), _change(y, kind)])
    return out


def _bar_chart(
    categories: list[str],
    series: list[list[float]],
    names: list[str],
    *,
    title: str,
    percent: bool = False,
    stacked: bool = False,
    width: float = 460,
    height: float = 190,
) -> Any:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.charts.legends import Legend
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    palette = [colors.HexColor(c) for c in ("#4472C4", "#ED7D31", "#A5A5A5", "#FFC000", "#5B9BD5", "#70AD47")]
    d = Drawing(width, height)
    d.add(String(0, height - 12, title, fontName=FONT, fontSize=10))
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 50, 45, width - 170, height - 75
    chart.data = [[v or 0 for v in s] for s in series] if series and categories else [[0]]
    chart.categoryAxis.categoryNames = categories or ["—"]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(categories) > 4 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(categories) > 4 else "n"
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    if percent:
        chart.valueAxis.valueMax = 100
        chart.valueAxis.labelTextFormat = "%d%%"
    if stacked:
        chart.categoryAxis.style = "stacked"
    for i in range(len(chart.data)):
        chart.bars[i].fillColor = palette[i % len(palette)]
    d.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 110, height - 30
    legend.fontName = FONT
    legend.fontSize = 7
    legend.colorNamePairs = [(palette[i % len(palette)], n) for i, n in enumerate(names)]
    d.add(legend)
    return d


def render_pdf(report: dict[str, Any], *, generated_at: dt.datetime | None = None) -> bytes:
    """The report as PDF bytes; every page's footer names the issuing unit, the page (第 N 页 共 M 页)
    and the generation time in Beijing time (`generated_at`, default now)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    register_font()
    h1 = ParagraphStyle("h1", fontName=FONT, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", fontName=FONT, fontSize=12, leading=18, spaceBefore=10, spaceAfter=4)
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=13)
    table_style = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), FONT),
            ("FONTSIZE", (0, 0), (-1, -1), 8.5),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
            ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ]
    )

    def table(rows: list[list[str]], widths: list[float] | None = None) -> Table:
        t = Table(rows, colWidths=widths, repeatRows=1)
        t.setStyle(table_style)
        return t

    p, c = report["period"], report["comparison_period"]
    div = report.get("division") or {}
    where = f"{div.get('name') or ''}（{div['code']}）" if div else "全部辖区"
    site = report.get("site")
    title = "河湖长制与水资源管理指标报告"
    if site:  # a report of one reach or lake (issue 19): named in the title and the scope
        kind = "河段" if site["kind"] == "reach" else "湖库"
        title = f"{site['name']}{title}"
        where = f"{kind}{site['name']}（{site['code']}），{where}"
    story: list[Any] = [
        Paragraph(title, h1),
        Paragraph(f"报告期：{p['start']} 至 {p['end']}（{p['label']}）；同比期：{c['start']} 至 {c['end']}", body),
        Paragraph(f"范围：{where}。比例以百分比显示，同比变化中比例为百分点。", body),
    ]
    if report.get("left_out"):
        story.append(Paragraph("未列入本报告：" + "；".join(x["reason_zh"] for x in report["left_out"]) + "。", body))
    w, r, pt, q = report["water"], report.get("reuse"), report["patrols"], report["quality"]
    # Sections are numbered as shown: a reach's or lake's report leaves reuse (and oversight) out, and
    # its numbers still run 一、二、三 without a gap.
    numerals = iter(_NUMERALS)

    def numbered(heading: str) -> str:
        return f"{next(numerals)}、{heading}"

    # Water
    story.append(Paragraph(numbered("用水总量与计划、在线监测"), h2))
    spec = [
        ("用水量（m³）", "use_m3", "m3"),
        ("计划用水量（m³）", "plan_m3", "m3"),
        ("用水占计划比例", "ratio", "pct"),
        ("超计划水量（m³）", "over_m3", "m3"),
        ("估算水量（m³）", "estimated_m3", "m3"),
        ("更正水量（m³）", "corrected_m3", "m3"),
        ("待审核水量（m³）", "held_m3", "m3"),
        ("在线监测覆盖率", "monitoring_coverage", "pct"),
        ("到报率", "arrival_rate", "pct"),
    ]
    story.append(table(_rows(w, spec, w["yoy"]), [60 * mm, 38 * mm, 38 * mm, 44 * mm]))
    w_prev_arrival = w["yoy"]["arrival_rate"]["previous"]
    intakes = sorted(w["intakes"], key=lambda i: -(i.get("use_m3") or 0))[:12]
    if intakes:
        story.append(Spacer(1, 4 * mm))
        has_plan = any(i.get("plan_m3") is not None for i in intakes)
        series = [[(i.get("use_m3") or 0) / 1e4 for i in intakes]]
        names = ["用水量（万m³）"]
        if has_plan:
            series.append([(i.get("plan_m3") or 0) / 1e4 for i in intakes])
            names.append("计划（万m³）")
        story.append(
            _bar_chart([i.get("name") or i["code"] for i in intakes], series, names, title="各取水口用水量与计划")
        )
    if w["arrival_rate"] is None:
        # Never a 0 % bar for a figure that is not there (no meter installed in the period): say so.
        story.append(Paragraph("在线监测到报率：本期无在线计量设施（no meters installed in the period）。", body))
    else:
        story.append(
            _bar_chart(
                ["本期", "去年同期"],
                [[100 * w["arrival_rate"], 100 * (w_prev_arrival or 0)]],
                ["到报率（%）"],
                title="在线监测到报率",
                percent=True,
                height=150,
            )
        )
    red = w.get("redlines", {}).get("indicators", [])
    if red:
        wred = w.get("redlines", {})
        over = wred.get("year_over", True)
        story.append(Paragraph("三条红线控制指标", h2))
        if over:
            head = ["指标", "单位", "年度目标", "全年实际", "状态"]
        else:
            head = ["指标", "单位", "年度目标", f"截至{wred.get('as_of') or ''}", "预测全年", "状态"]
        rows = [head] + [
            [
                i["name_zh"],
                unit_label(i.get("unit")),
                _indicator_value(i["target"], i.get("unit")),
                _indicator_value(i["actual"], i.get("unit")),
                *([] if over else [_indicator_value(i.get("forecast"), i.get("unit"))]),
                i.get("state_zh") or "—",
            ]
            for i in red
        ]
        story.append(table(rows))
        if not over:
            story.append(
                Paragraph(
                    "年度未结束：实际为截至报告期末的累计值，预测按用水计划的月度分配推算至年底；"
                    "“达标”仅在年度结束后判定。",
                    body,
                )
            )
        zones = wred.get("zone_compliance") or {}
        if zones.get("available"):
            story.append(Paragraph(_zone_note(zones), body))

    # Reuse (left out of a reach's or lake's report)
    if r is not None:
        story.append(Paragraph(numbered("再生水利用"), h2))
        spec = [
            ("污水处理量（m³）", "treated_m3", "m3"),
            ("再生水生产量（m³）", "produced_m3", "m3"),
            ("再生水利用量（m³）", "used_m3", "m3"),
            ("再生水利用率", "rate", "pct"),
        ]
        story.append(table(_rows(r, spec, r["yoy"]), [60 * mm, 38 * mm, 38 * mm, 44 * mm]))
        classes = [c for c in r["by_class"] if c["used_m3"] or c["excluded_m3"]] or r["by_class"]
        story.append(
            _bar_chart(
                [c["label"].split(" ")[0] for c in classes],
                [[(c["used_m3"] or 0) / 1e4 for c in classes]],
                ["利用量（万m³）"],
                title="再生水按用途利用量",
            )
        )

    # Patrols
    story.append(Paragraph(numbered("河湖长巡河与问题整改"), h2))
    pr = {**pt, "compliance_rate": pt["compliance"]["rate"]}
    counts = [("巡河次数", "patrols", "int"), ("巡河人次", "person_times", "int")]
    if pt.get("headline", {}).get("figure") == "person_times":
        counts.reverse()
    spec = [
        *counts,
        ("巡河里程（km）", "km", "km"),
        ("疑点巡河", "flagged", "int"),
        ("巡河频次达标率", "compliance_rate", "pct"),
        ("发现问题（处）", "cases_found", "int"),
        ("立查立清（处）", "cases_cleared_on_spot", "int"),
        ("销号问题（处）", "cases_closed", "int"),
        ("逾期问题（处）", "cases_overdue", "int"),
        ("办结率", "closure_rate", "pct"),
        ("清理河道垃圾（吨）", "litter_tonnes", "t"),
    ]
    story.append(table(_rows(pr, spec, pt["yoy"]), [60 * mm, 38 * mm, 38 * mm, 44 * mm]))
    defs = pt.get("count_definitions") or {}
    if defs:
        story.append(Paragraph("；".join(f"{d['name_zh']}：{d['definition_zh']}" for d in defs.values()), body))
    rows = [["河长级别", "巡河次数", "人次", "里程（km）"]] + [
        [lv["label"].split(" ")[0], fmt(lv["patrols"], "int"), fmt(lv["person_times"], "int"), fmt(lv["km"], "km")]
        for lv in pt["by_level"]
        if lv["patrols"]
    ]
    story.append(Spacer(1, 3 * mm))
    story.append(table(rows))
    if pt.get("by_water"):  # snapshots built before issue 19 have no split
        water = [["水体", "巡河次数", "人次", "里程（km）", "发现问题（处）", "清理垃圾（吨）"]] + [
            [
                w["label"].split(" ")[0],
                fmt(w["patrols"], "int"),
                fmt(w["person_times"], "int"),
                fmt(w["km"], "km"),
                fmt(w["cases_found"], "int"),
                fmt(w["litter_tonnes"], "t"),
            ]
            for w in pt["by_water"]
        ]
        story.append(Spacer(1, 3 * mm))
        story.append(table(water))
    if pt["compliance"].get("by_water"):  # river chiefs and lake chiefs apart (issue 19)
        chiefs = [["巡河频次达标", "人数", "达标人数", "应巡次数", "欠巡次数", "达标率"]] + [
            [
                x["label_zh"],
                fmt(x["chiefs"], "int"),
                fmt(x["compliant_chiefs"], "int"),
                fmt(x["required"], "int"),
                fmt(x["missing"], "int"),
                fmt(x["rate"], "pct"),
            ]
            for x in pt["compliance"]["by_water"]
        ]
        story.append(Spacer(1, 3 * mm))
        story.append(table(chiefs))
    states = pt["case_states"]
    cats = pt["cases_by_state"]
    story.append(
        _bar_chart(
            [c["label"].split(" ")[0] for c in cats],
            [[c[s["state"]] for c in cats] for s in states],
            [s["label"].split(" ")[0] for s in states],
            title="本期发现问题按类别和状态",
            stacked=True,
        )
    )

    # Quality
    story.append(Paragraph(numbered("水质优良比例"), h2))
    rows = [["类别", "优良比例", "优良/评价断面", "去年同期", "同比"]]
    categories: tuple[tuple[str, str], ...] = (
        ("rivers", "河流"),
        ("lakes", "湖库"),
        ("drinking_sources", "集中式饮用水源地"),
    )
    for key, zh in categories:
        cat, y = q[key], q["yoy"][key]["good_ratio"]
        rows.append(
            [
                zh,
                fmt(cat["good_ratio"], "pct"),
                f"{cat['good']}/{cat['evaluated']}",
                fmt(y["previous"], "pct"),
                fmt(y["change_pp"], "pp"),
            ]
        )
    story.append(table(rows))
    story.append(
        _bar_chart(
            [zh for _, zh in categories],
            [
                [100 * (q[k]["good_ratio"] or 0) for k, _ in categories],
                [100 * (q["yoy"][k]["good_ratio"]["previous"] or 0) for k, _ in categories],
            ],
            ["本期", "去年同期"],
            title="水质优良比例（%）",
            percent=True,
        )
    )
    notes = [
        f"{x['name']}（{x['code']}）{'、'.join(x['months'])}{kind}，原因：{'；'.join(x['reasons'])}"
        for k, _ in categories
        for kind, key in (("不参与本期统计", "excluded"), ("不参与统计（其余月份参与）", "partly_excluded"))
        for x in q[k].get(key, [])
    ]
    if notes:
        story.append(Paragraph("说明：" + "。".join(notes) + "。", body))

    o = report.get("oversight")
    if o is not None:
        story.append(Paragraph(numbered("督察整改与信访"), h2))
        story.append(Paragraph(o.get("summary_zh", ""), body))
        flat = {f"{g}.{k}": v for g in ("tasks", "petitions", "rechecks") for k, v in o[g].items()}
        spec = [
            ("整改任务（项）", "tasks.total", "int"),
            ("已完成（项）", "tasks.completed", "int"),
            ("正在推进（项）", "tasks.in_progress", "int"),
            ("逾期未完成（项）", "tasks.overdue", "int"),
            ("已销号（项）", "tasks.signed_off", "int"),
            ("转办信访件（件）", "petitions.received", "int"),
            ("已办结（件）", "petitions.closed", "int"),
            ("正在办理（件）", "petitions.in_progress", "int"),
            ("属实或部分属实（件）", "petitions.substantiated", "int"),
            ("回头看核查（项）", "rechecks.done", "int"),
            ("问题反弹（项）", "rechecks.relapses", "int"),
        ]
        story.append(table(_rows(flat, spec, o.get("yoy", {})), [60 * mm, 38 * mm, 38 * mm, 44 * mm]))

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"指标报告 {p['label']}",
        author=conf.issuing_unit(div.get("name")),
    )
    when = timezone.localtime(generated_at or timezone.now(), BEIJING)
    issuer = conf.issuing_unit((report.get("division") or {}).get("name"))
    doc.build(story, canvasmaker=_footer_canvas(issuer, when.strftime("%Y-%m-%d %H:%M")))
    return buf.getvalue()

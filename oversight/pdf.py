"""A circular (通报) as an A4 PDF in Chinese: the overdue items by unit for a period.

The CJK font is the one the reports use (REPORTS_CJK_FONT / REPORTS_CJK_FONT_INDEX, read from Django
settings: oversight sits below reports and may not import reports.conf; the default is the same
WenQuanYi Zen Hei TrueType collection).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FONT = "HezhangOversightCJK"
_DEFAULT_FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
_registered: str | None = None


def _register_font() -> str:
    global _registered
    path = Path(getattr(settings, "REPORTS_CJK_FONT", _DEFAULT_FONT))
    if not path.is_file():
        raise ImproperlyConfigured(f"REPORTS_CJK_FONT={path} does not exist: circulars need a TrueType CJK font.")
    if _registered != str(path):
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        index = int(getattr(settings, "REPORTS_CJK_FONT_INDEX", 0))
        pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=index))
        _registered = str(path)
    return FONT


def render_circular(content: dict[str, Any]) -> bytes:
    """`content`: number, title, first_date, last_date, division, units[] (oversight.selectors.overdue_by_unit)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = _register_font()
    h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=22, spaceAfter=6, alignment=1)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=11, leading=16, spaceBefore=8, spaceAfter=3)
    body = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14)
    cell = ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11)
    style = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), font),
            ("FONTSIZE", (0, 0), (-1, -1), 8.5),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    units = content["units"]
    story: list[Any] = [
        Paragraph(content["title"], h1),
        Paragraph(
            f"编号：{content['number']}　　期间：{content['first_date']} 至 {content['last_date']}"
            f"　　范围：{content.get('division') or '全部'}",
            body,
        ),
        Spacer(1, 4 * mm),
        Paragraph(
            f"截至{content['last_date']}，共有{len(units)}个成员单位存在逾期事项"
            f"（整改任务{sum(len(u['tasks']) for u in units)}项、阶段节点{sum(len(u['milestones']) for u in units)}个、"
            f"信访件{sum(len(u['petitions']) for u in units)}件），现予通报，请相关单位立即整改并按期反馈。",
            body,
        ),
        Paragraph("一、逾期事项汇总", h2),
    ]
    rows = [["成员单位", "逾期整改任务", "逾期节点", "逾期信访件", "合计"]] + [
        [Paragraph(u["name"], cell), len(u["tasks"]), len(u["milestones"]), len(u["petitions"]), u["total"]]
        for u in units
    ]
    table = Table(rows, colWidths=[60 * mm, 28 * mm, 24 * mm, 28 * mm, 20 * mm], repeatRows=1)
    table.setStyle(style)
    story += [table, Paragraph("二、逾期事项明细", h2)]
    detail = [["成员单位", "事项", "时限"]]
    for u in units:
        for t in u["tasks"]:
            detail.append(
                [Paragraph(u["name"], cell), Paragraph(f"整改任务 {t['code']} {t['title']}", cell), t["deadline"]]
            )
        for m in u["milestones"]:
            detail.append([Paragraph(u["name"], cell), Paragraph(f"节点 {m['task']} {m['title']}", cell), m["due_on"]])
        for p in u["petitions"]:
            detail.append([Paragraph(u["name"], cell), Paragraph(f"信访件 {p['number']}", cell), p["deadline"]])
    if len(detail) > 1:
        table = Table(detail, colWidths=[50 * mm, 95 * mm, 25 * mm], repeatRows=1)
        table.setStyle(style)
        story.append(table)
    else:
        story.append(Paragraph("本期无逾期事项。", body))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=content["title"],
        author="Hezhang",
        invariant=True,
    )
    doc.build(story)
    return buf.getvalue()

# ruff: noqa: E501
"""Fills console/locale/zh_Hans/LC_MESSAGES/django.po from the table below (run after makemessages:
`python console/locale/translate_zh.py`). The console's own texts only; the catalogue is the source of
truth once filled, this table is how it was first written."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ZH = {
    "yes": "是",
    "no": "否",
    "division: %(code)s is outside your jurisdiction.": "行政区：%(code)s 不在您的管辖范围内。",
    "sort: not a sortable column: %(value)s": "排序：不能按此列排序：%(value)s",
    "page: no such page.": "页码：没有这一页。",
    "Division code": "行政区划代码",
    "From": "起",
    "To": "止",
    "Intakes": "取水口",
    "Code": "编码",
    "Name": "名称",
    "Division": "行政区",
    "Source type": "水源类型",
    "Main use": "主要用途",
    "Permit number": "取水许可证号",
    "Permitted per year (m³)": "年许可水量（m³）",
    "Meters": "计量设施",
    "Online metering required": "须在线计量",
    "Serial": "编号",
    "Intake": "取水口",
    "Protocol": "通信协议",
    "Meter type": "计量类型",
    "Installed": "安装时间",
    "Removed": "拆除时间",
    "Reporting interval (s)": "上报间隔（秒）",
    "Intake code": "取水口编码",
    "In service": "在用",
    "Readings": "读数",
    "Meter": "计量设施",
    "Observed (Beijing)": "观测时间（北京时间）",
    "Register (m³)": "累计读数（m³）",
    "Flow (m³/s)": "瞬时流量（m³/s）",
    "Source": "来源",
    "Review": "审核",
    "Corrected": "已更正",
    "After month lock": "锁定后到达",
    "Received (Beijing)": "接收时间（北京时间）",
    "Meter serial": "计量设施编号",
    "Telemetry stations": "遥测站",
    "Address": "地址",
    "unclaimed": "未认领",
    "Frames": "报文数",
    "Readings stored": "入库读数",
    "Bad CRC": "校验错误",
    "Last seen (Beijing)": "最近通信（北京时间）",
    "Last error": "最近错误",
    "Unclaimed": "未认领",
    "Alerts": "告警",
    "Kind": "类型",
    "Raised (Beijing)": "产生时间（北京时间）",
    "Resolved (Beijing)": "解除时间（北京时间）",
    "Acknowledged (Beijing)": "确认时间（北京时间）",
    "State": "状态",
    "Acknowledged": "已确认",
    "Water plans": "用水计划",
    "Year": "年度",
    "Title": "标题",
    "Version": "版本",
    "Red lines": "三条红线",
    "Total use cap (10k m³)": "用水总量控制指标（万m³）",
    "Use per 10k yuan GDP target (m³)": "万元GDP用水量目标（m³）",
    "Use per 10k yuan IVA target (m³)": "万元工业增加值用水量目标（m³）",
    "Irrigation coefficient target": "农田灌溉水有效利用系数目标",
    "Zone compliance target": "水功能区达标率目标",
    "Month locks": "台账锁定",
    "Month": "月份",
    "Locked by": "锁定人",
    "Locked (Beijing)": "锁定时间（北京时间）",
    "Unlocked (Beijing)": "解锁时间（北京时间）",
    "Note": "备注",
    "Month (YYYY-MM)": "月份（年-月）",
    "In force": "生效中",
    "Patrols": "巡河",
    "Started (Beijing)": "开始时间（北京时间）",
    "Chief": "河湖长",
    "Reach": "河段",
    "Level": "层级",
    "Mode": "方式",
    "Person-times": "人次",
    "Distance (km)": "里程（km）",
    "Valid": "有效",
    "Flags": "疑点",
    "Flag": "疑点",
    "Cases": "问题",
    "Found (Beijing)": "发现时间（北京时间）",
    "Category": "类别",
    "Status": "状态",
    "Reporter": "上报人",
    "Responsible unit": "责任单位",
    "Deadline": "整改期限",
    "Closed (Beijing)": "销号时间（北京时间）",
    "Overdue": "逾期",
    "Litter removal": "垃圾清理",
    "Removed on": "清理日期",
    "Tonnes (t)": "清理量（t）",
    "Recorded by": "记录人",
    "Reclaimed-water plants": "再生水厂",
    "Design capacity (m³/d)": "设计规模（m³/d）",
    "Effluent standard": "出水标准",
    "Operator": "运营单位",
    "Plant": "水厂",
    "Capacity (m³/d)": "规模（m³/d）",
    "Length (km)": "长度（km）",
    "Completed": "建成日期",
    "Reclaimed-water projects": "再生水工程",
    "Reclaimed-water pipelines": "再生水管网",
    "Water-quality sections": "水质断面",
    "Water body": "水体",
    "Target class": "目标水质类别",
    "Counts in statistics": "参与统计",
    "Administrator": "管理员",
    "Reviewer": "审核员",
    "River chief": "河湖长",
    "Intake operator": "取水户",
    "Device": "设备",
    "Overview": "总览",
    "Home": "首页",
    "One map": "一张图",
    "Water resources": "水资源",
    "River and lake chiefs": "河湖长制",
    "Reclaimed water": "再生水",
    "Plants": "再生水厂",
    "Projects": "再生水工程",
    "Pipelines": "管网",
    "Water quality": "水质",
    "Sections": "水质断面",
    "System": "系统",
    "Administration": "系统管理",
    "month, quarter, half, year or range": "月、季度、半年、年或时间段",
    "Dates as 2024-01-31.": "日期格式如 2024-01-31。",
    "The end is before the start.": "结束日期早于开始日期。",
    "A year such as 2024.": "年份，如 2024。",
    "No such month, quarter or half.": "没有这个月、季度或半年。",
    "%(year)s-%(month)s (month)": "%(year)s年%(month)s月",
    "Q%(q)s %(year)s": "%(year)s年第%(q)s季度",
    "first half of %(year)s": "%(year)s年上半年",
    "second half of %(year)s": "%(year)s年下半年",
    "year %(year)s": "%(year)s年",
    "Not for your role": "无此权限",
    "This page is not for your role": "您的角色不能使用此页面",
    "Back to your home page": "返回首页",
    "Not found": "未找到",
    "There is no such page, or it is outside your jurisdiction.": "没有这个页面，或不在您的管辖范围内。",
    "Nothing waiting.": "暂无待办。",
    "Hezhang console": "河长制管理平台",
    "River Chief and Water Resources System": "河湖长制与水资源管理平台",
    "Sign out": "退出",
    "printed": "打印于",
    "Main menu": "主菜单",
    "Period": "统计期",
    "No.": "第几",
    "Show": "查看",
    "Report (Excel)": "报表（Excel）",
    "Report (PDF)": "报表（PDF）",
    "Print": "打印",
    "Use against plan per intake (top 15)": "各取水口用水与计划（前15）",
    "Monthly use": "逐月用水量",
    "Cases by category and state": "问题分类与状态",
    "Overdue cases": "逾期问题",
    "Flagged patrols to review": "待审核的疑点巡河",
    "Open alerts": "未解除告警",
    "Map": "地图",
    "Position (longitude, latitude)": "位置（经度，纬度）",
    "The patrol that found it": "发现该问题的巡河",
    "Location": "位置",
    "Photos": "照片",
    "No photos.": "无照片。",
    "Workflow": "办理流程",
    "When (Beijing)": "时间（北京时间）",
    "Who": "操作人",
    "No steps yet.": "暂无流转。",
    "Full history (audit log)": "完整记录（审计日志）",
    "Action": "操作",
    "Fields changed": "变更字段",
    "Reason": "原因",
    "No audit rows.": "无审计记录。",
    "Operators": "取水户账号",
    "Monthly use against plan, %(year)s": "%(year)s年逐月用水与计划",
    "Measured (m³)": "实测（m³）",
    "Estimated (m³)": "估算（m³）",
    "Corrected (m³)": "更正（m³）",
    "Total (m³)": "合计（m³）",
    "Plan (m³)": "计划（m³）",
    "Coverage": "数据覆盖率",
    "No meters.": "无计量设施。",
    "Latest readings and their provenance": "最新读数及来源",
    "No readings.": "无读数。",
    "All readings": "全部读数",
    "Track points kept / received": "轨迹点 保留/接收",
    "Track over its reach": "巡河轨迹与河段",
    "No flags: nothing asks for a reviewer's eye.": "无疑点，无需审核。",
    "Validity": "有效性",
    "Meets every validity rule.": "符合全部有效性规则。",
    "Review note": "审核意见",
    "Cases found on this patrol": "本次巡河发现的问题",
    "None.": "无。",
    "Class by month, %(year)s": "%(year)s年逐月水质类别",
    "Why this class: each item's class over the year": "定类依据：全年各项目类别",
    "Item": "项目",
    "Mean": "均值",
    "Unit": "单位",
    "Class": "类别",
    "Counts for the class": "参与定类",
    "Times the class III limit": "超Ⅲ类标准倍数",
    "No samples in this year.": "本年无监测数据。",
    "Reaches assigned to me": "我负责的河段",
    "Length": "长度",
    "No reach is assigned to you today.": "目前没有分配给您的河段。",
    "My open cases": "我的未销号问题",
    "None open.": "无未销号问题。",
    "All cases": "全部问题",
    "My latest patrols": "我最近的巡河",
    "Distance": "里程",
    "No patrols yet.": "暂无巡河记录。",
    "All patrols": "全部巡河",
    "Use against plan in %(year)s.": "%(year)s年用水计划执行情况。",
    "Use": "用水量",
    "Plan": "计划",
    "Use against plan": "计划执行率",
    "Forecast to year end": "全年预测",
    "No intake is assigned to your account.": "您的账号没有关联取水口。",
    "No rows.": "没有记录。",
    "page %(n)s": "第%(n)s页",
    "previous": "上一页",
    "next": "下一页",
    "all": "全部",
    "Filter": "筛选",
    "Clear": "清除",
    "Export": "导出",
    "Sign in": "登录",
    "The user name or password is wrong.": "用户名或密码错误。",
    "A telemetry device account cannot sign in to the console.": "遥测设备账号不能登录管理平台。",
    "User name": "用户名",
    "Password": "密码",
    "Two points of the track are further apart than a person can travel in the time between them.": "轨迹中相邻两点的距离超出该时间内人能行进的距离。",
    "The track hardly moves: the phone stayed in one place.": "轨迹几乎没有移动：手机一直停留在原地。",
    "Most of the track lies outside the reach it was recorded for.": "大部分轨迹不在所记录的河段范围内。",
    "Its time overlaps another patrol of the same chief.": "与同一河湖长的另一次巡河时间重叠。",
    "The phone never ended it; the system closed it at its last point.": "手机端未结束巡河，系统在最后一个点处结束。",
    "The phone never ended it and its points make no track.": "手机端未结束巡河，且轨迹点不足以成线。",
    "year: a year such as 2024.": "年度：请填写年份，如 2024。",
    "Use (m³)": "用水量（m³）",
    "Permitted per year": "年许可水量",
    "Use in %(year)s": "%(year)s年用水量",
    "Plan in %(year)s": "%(year)s年计划",
    "no plan": "无计划",
    "Ended (Beijing)": "结束时间（北京时间）",
    "Coverage of the reach": "河段覆盖率",
    "Share inside the reach": "河段内轨迹占比",
    "Track": "轨迹",
    "Patrol of %(reach)s on %(day)s": "%(day)s %(reach)s巡河",
    "Case": "问题",
    "Case: %(category)s on %(reach)s": "问题：%(reach)s %(category)s",
    "Class in %(year)s": "%(year)s年水质类别",
    "Main pollutants": "主要污染物",
    "Class %(roman)s": "%(roman)s类",
    "YoY %(sign)s%(pp).1f pp": "同比 %(sign)s%(pp).1f 个百分点",
    "YoY %(sign)s%(pct).1f%%": "同比 %(sign)s%(pct).1f%%",
    "Water use and monitoring": "用水与在线监测",
    "Water use": "用水总量",
    "Meters online / offline": "计量设施 在线/离线",
    "Arrival rate": "数据到报率",
    "Patrol distance": "巡河里程",
    "Valid share": "有效巡河占比",
    "Frequency compliance": "巡河频次达标率",
    "Litter removed": "垃圾清理量",
    "Cases found": "发现问题",
    "Closed": "已销号",
    "Cleared on the spot": "立查立改",
    "Reclaimed water and water quality": "再生水与水质",
    "Reclaimed water used": "再生水利用量",
    "Reuse rate": "再生水利用率",
    "target %(t)s": "目标 %(t)s",
    "Good water, rivers": "河流水质优良比例",
    "Good water, lakes": "湖库水质优良比例",
    "Drinking-water sources up to standard": "集中式饮用水水源地达标率",
    "Use (10k m³)": "用水量（万m³）",
    "Plan (10k m³)": "计划（万m³）",
    "deadline %(d)s": "期限 %(d)s",
    "Quarter": "季度",
    "Half year": "半年",
    "Range": "时间段",
    "Dashboard": "工作台",
    "My intakes": "我的取水口",
    "My reaches": "我的河段",
    "10k m³": "万m³",
    "month %(n)s": "%(n)s月",
    "Sign-in": "登录",
    "%(field)s: true or false.": "%(field)s：请填写“是”或“否”（true/false）。",
}
# Words Django's own catalogues (admin) translate otherwise, so the console's carry a context.
CONTEXT = {
    ("console button", "Filter"): "筛选",
    ("audit column", "Action"): "操作",
    ("console menu", "Administration"): "系统管理",
}
PLURALS = {
    "%(n)s row": "共 %(n)s 条",
    "%(n)s open alert": "%(n)s 条未解除告警",
}


def _unquote(block: str) -> str:
    return (
        "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block))
        .encode()
        .decode("unicode_escape")
        .encode("latin-1")
        .decode("utf-8")
    )


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    entries = text.split("\n\n")
    missing = []
    out = []
    for entry in entries:
        m = re.search(r'^msgid ((?:".*"\n?)+)', entry, re.M)
        if not m or _unquote(m.group(1)) == "":
            out.append(entry)
            continue
        msgid = _unquote(m.group(1))
        entry = entry.replace("#, fuzzy\n", "")
        ctx = re.search(r'^msgctxt ((?:".*"\n?)+)', entry, re.M)
        if ctx:
            zh_ctx = CONTEXT.get((_unquote(ctx.group(1)), msgid))
            if zh_ctx is None:
                missing.append(msgid)
            else:
                entry = re.sub(
                    r'msgstr ((?:".*"\n?)+)$', lambda _m, zh=zh_ctx: f"msgstr {_quote(zh)}", entry, flags=re.S
                )
            out.append(entry)
            continue
        if "msgid_plural" in entry:
            zh = PLURALS.get(msgid)
            if zh is None:
                missing.append(msgid)
            else:
                entry = re.sub(r'msgstr\[0\] ".*"', lambda _m, zh=zh: f"msgstr[0] {_quote(zh)}", entry)
                entry = re.sub(r'\nmsgstr\[1\] ".*"', "", entry)
        else:
            zh = ZH.get(msgid)
            if zh is None:
                missing.append(msgid)
            else:
                entry = re.sub(r'msgstr ((?:".*"\n?)+)$', lambda _m, zh=zh: f"msgstr {_quote(zh)}", entry, flags=re.S)
        out.append(entry)
    text = "\n\n".join(out)
    text = text.replace(
        '"Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;\\n"', '"Plural-Forms: nplurals=1; plural=0;\\n"'
    )
    text = text.replace(
        '"Content-Type: text/plain; charset=CHARSET\\n"', '"Content-Type: text/plain; charset=UTF-8\\n"'
    )
    path.write_text(text, encoding="utf-8")
    for msgid in missing:
        print("untranslated:", msgid)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(Path(__file__).parent / "zh_Hans" / "LC_MESSAGES" / "django.po"))

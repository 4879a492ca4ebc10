"""Demo oversight ledger (load_demo). DEMO DATA, NOT RECORDS: shaped to the seed report (the city's
account of the second round of the central ecological-environment inspection, 2022-03-25 to 04-25,
feedback on 06-01): 9 rectification tasks led by the city, 6 completed and signed off by June 2024 and 3
in progress, each split into monthly and quarterly milestones with a lead unit and responsible units;
811 petitions handed over in 29 batches while the team was in the province, 808 closed and 3 still in
progress (2 closed at a stage, 1 open); a look-back recheck in May 2024; a supervision order on an
overdue task and a signed circular. Task titles, units and spreads are invented, the counts are the
seed's. Everything is written through the services (audited). Never load in production.

Idempotent: nothing is written when the round exists.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from accounts.choices import Role
from accounts.models import User
from core.periods import BEIJING
from oversight import services
from oversight.choices import FindingCategory, MilestoneKind, PetitionStatus, RecheckItem, RoundKind
from oversight.models import InspectionRound, Petition, Task
from oversight.services.common import SYSTEM
from oversight.services.notices import overdue_notify
from places.models import Division, Reach

ACTOR = "load_demo"
ROUND = "CEI-2-2022"

UNITS = [
    # username, display name
    ("unit_water", "乌鲁木齐市水务局"),
    ("unit_eco", "乌鲁木齐市生态环境局"),
    ("unit_urban", "乌鲁木齐市城市管理局"),
    ("unit_nr", "乌鲁木齐市自然资源局"),
    ("unit_650102", "天山区人民政府"),
    ("unit_650103", "沙依巴克区人民政府"),
    ("unit_650104", "新市区人民政府"),
    ("unit_650105", "水磨沟区人民政府"),
    ("unit_650106", "头屯河区人民政府"),
    ("unit_650107", "达坂城区人民政府"),
    ("unit_650109", "米东区人民政府"),
    ("unit_650121", "乌鲁木齐县人民政府"),
]

D = dt.date.fromisoformat

# code, finding text, category, division, lead, responsible, deadline, completed on (None: in progress)
TASKS: list[tuple[str, str, str, str, str, list[str], str, str | None]] = [
    (
        "ZG-01",
        "部分一级取水口未实现在线计量",
        FindingCategory.WATER_RESOURCES,
        "650100",
        "unit_water",
        ["unit_650109", "unit_650121"],
        "2023-06-30",
        "2023-05-20",
    ),
    (
        "ZG-02",
        "城北片区污水处理厂尾水未有效回用",
        FindingCategory.WATER_RESOURCES,
        "650104",
        "unit_water",
        ["unit_650104"],
        "2023-12-31",
        "2023-11-15",
    ),
    (
        "ZG-03",
        "乌鲁木齐河部分河段存在乱堆乱建问题",
        FindingCategory.RIVER_LAKE,
        "650102",
        "unit_650102",
        ["unit_water", "unit_urban"],
        "2022-12-31",
        "2022-12-20",
    ),
    (
        "ZG-04",
        "水磨河沿线生活垃圾清理不及时",
        FindingCategory.RIVER_LAKE,
        "650105",
        "unit_650105",
        ["unit_urban"],
        "2023-03-31",
        "2023-04-18",
    ),
    (
        "ZG-05",
        "米东化工园区再生水管网建设滞后",
        FindingCategory.WATER_POLLUTION,
        "650109",
        "unit_650109",
        ["unit_eco", "unit_water"],
        "2024-06-30",
        "2024-05-28",
    ),
    (
        "ZG-06",
        "头屯河沿岸部分排污口整治不到位",
        FindingCategory.WATER_POLLUTION,
        "650106",
        "unit_eco",
        ["unit_650106"],
        "2023-09-30",
        "2023-09-12",
    ),
    (
        "ZG-07",
        "饮用水水源保护区内违规设施未清理",
        FindingCategory.WATER_RESOURCES,
        "650121",
        "unit_650121",
        ["unit_water", "unit_nr"],
        "2025-12-31",
        None,
    ),
    (
        "ZG-08",
        "地下水超采区综合治理推进缓慢",
        FindingCategory.WATER_RESOURCES,
        "650100",
        "unit_water",
        ["unit_nr", "unit_650109"],
        "2025-06-30",
        None,
    ),
    (
        "ZG-09",
        "部分湖库周边违法建设问题整改不彻底",
        FindingCategory.RIVER_LAKE,
        "650103",
        "unit_650103",
        ["unit_nr", "unit_urban"],
        "2024-06-30",
        None,
    ),
]

DISTRICTS = ["650102", "650103", "650104", "650105", "650106", "650107", "650109", "650121"]
# Petitions follow population, not area: the central districts get most (invented weights).
DISTRICT_WEIGHTS = [20, 16, 18, 14, 8, 3, 14, 7]
CATEGORIES = ["air", "water", "noise", "ecology", "soil", "other"]
CATEGORY_WEIGHTS = [36, 21, 16, 14, 5, 8]
CHANNELS = ["hotline", "letter", "visit", "online"]
CHANNEL_WEIGHTS = [55, 20, 5, 20]
TOTAL, OPEN, STAGE = 811, 1, 2


def _units(password: str) -> dict[str, User]:
    out = {}
    for username, name in UNITS:
        user, created = User.objects.get_or_create(username=username, defaults={"role": Role.UNIT})
        if created or user.display_name != name:
            user.role, user.display_name = Role.UNIT, name
            user.set_password(password)
            user.save()
        out[username] = user
    return out


def _milestones(start: dt.date, deadline: dt.date) -> list[dict[str, Any]]:
    """A quarterly step at the end of each quarter of the span and a monthly step in its first three months."""
    out: list[dict[str, Any]] = []
    month_end = start
    for _ in range(3):
        nxt = (month_end.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        month_end = nxt - dt.timedelta(days=1) if nxt - dt.timedelta(days=1) >= start else nxt
        if month_end <= deadline:
            out.append({"kind": MilestoneKind.MONTH, "title": f"{month_end:%Y年%m月}完成阶段任务", "due_on": month_end})
        month_end = month_end + dt.timedelta(days=1)
    q = start
    while True:
        q_end_month = ((q.month - 1) // 3 + 1) * 3
        q_end = (dt.date(q.year + (q_end_month == 12), q_end_month % 12 + 1, 1)) - dt.timedelta(days=1)
        if q_end > deadline:
            break
        out.append(
            {
                "kind": MilestoneKind.QUARTER,
                "title": f"{q_end.year}年第{(q_end.month - 1) // 3 + 1}季度节点",
                "due_on": q_end,
            }
        )
        q = q_end + dt.timedelta(days=1)
    return out


def _tasks(rnd: InspectionRound, units: dict[str, User], reviewer: User | None) -> None:
    start = rnd.feedback_on or rnd.ended_on
    for code, text, category, division, lead, responsible, deadline, done in TASKS:
        finding = services.finding_create(
            actor=ACTOR,
            scope=SYSTEM,
            round=rnd,
            code=f"F-{code[-2:]}",
            text=text,
            category=category,
            division_code=division,
        )
        task = services.task_create(
            actor=ACTOR,
            scope=SYSTEM,
            finding=finding,
            code=code,
            title=f"整改：{text}",
            lead_unit=lead,
            responsible_units=responsible,
            measures="制定整改方案，明确责任和时限，按月调度、按季考核。",
            target="问题整改到位，长效机制建立。",
            starts_on=start,
            deadline=D(deadline),
            milestones=_milestones(start, D(deadline)),
        )
        unit = units[lead]
        services.progress_report(actor=unit, task=task, text="已制定整改方案，正在按计划推进。")
        cutoff = D(done) if done else D("2024-06-30")
        for m in task.milestones.order_by("due_on"):
            if done or m.due_on <= cutoff:
                services.milestone_complete(actor=unit, milestone=m, done_on=min(m.due_on, cutoff))
        if done:
            services.task_complete(actor=unit, task=task, completed_on=D(done))
            signed = dt.datetime.combine(D(done) + dt.timedelta(days=20), dt.time(10), tzinfo=BEIJING)
            services.task_sign_off(
                actor=reviewer or ACTOR, task=task, note="经现场验收，整改到位，予以销号。", at=signed
            )


def _petitions(rnd: InspectionRound) -> None:
    rng = random.Random(20220325)  # noqa: S311 - a reproducible demo spread
    reaches: dict[str, list[Reach]] = {}
    for reach in Reach.objects.select_related("division").order_by("code"):
        reaches.setdefault(reach.division.code[:6], []).append(reach)
    days = [rnd.started_on + dt.timedelta(days=2 + i) for i in range(29)]  # one batch a day while there
    per_batch = [TOTAL // len(days) + (1 if i < TOTAL % len(days) else 0) for i in range(len(days))]
    n = 0
    for batch_no, (day, count) in enumerate(zip(days, per_batch, strict=True), start=1):
        rows = []
        for _ in range(count):
            n += 1
            division = rng.choices(DISTRICTS, DISTRICT_WEIGHTS)[0]
            category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
            row: dict[str, Any] = {
                "number": f"D65000020220{day:%m%d}{n:04d}",
                "channel": rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0],
                "complaint": f"反映{Division.objects.get(code=division).name}某处{_COMPLAINTS[category]}",
                "division": division,
                "category": category,
                "unit": f"unit_{division}",
                "deadline": (day + dt.timedelta(days=30)).isoformat(),
                "public": "true",
            }
            near = reaches.get(division)
            if category == "water" and near:
                reach = rng.choice(near)
                part = reach.geometry[0]
                x, y = part.coords[rng.randrange(len(part.coords))]
                row.update(lon=f"{x:.6f}", lat=f"{y:.6f}")
                row["reach"] = reach.code
            rows.append(row)
        services.petition_import(
            actor=ACTOR, scope=SYSTEM, round=rnd, batch_number=batch_no, received_on=day, rows=rows
        )
    petitions = list(Petition.objects.filter(batch__round=rnd).order_by("number"))
    keep_open = set(rng.sample(range(len(petitions)), OPEN + STAGE))
    stage = sorted(keep_open)[:STAGE]
    for i, p in enumerate(petitions):
        if i in keep_open and i not in stage:
            continue  # still being investigated
        substantiated = rng.choices(["yes", "partly", "no"], [55, 25, 20])[0]
        status = PetitionStatus.STAGE_CLOSED if i in stage else PetitionStatus.CLOSED
        services.petition_submit(
            actor=ACTOR,
            petition=p,
            substantiated=substantiated,
            status=status,
            result="经现场核查，反映问题" + {"yes": "属实。", "partly": "部分属实。", "no": "不属实。"}[substantiated],
            measures="已责令整改并跟踪督办。" if substantiated != "no" else "",
            reply="已向信访人反馈办理结果。",
        )
        closed_on = min(p.received_on + dt.timedelta(days=rng.randint(5, 75)), D("2022-12-31"))
        services.petition_accept(actor=ACTOR, petition=p, closed_on=closed_on)


_COMPLAINTS = {
    "air": "企业夜间排放异味、烟尘扰民",
    "water": "河道内倾倒垃圾、污水直排",
    "noise": "工地夜间施工噪声扰民",
    "ecology": "山体违规开挖破坏植被",
    "soil": "废渣随意堆放污染土壤",
    "other": "露天焚烧垃圾",
}


def _look_back(reviewer: User | None) -> None:
    at = dt.datetime(2024, 5, 6, 10, tzinfo=BEIJING)
    actor: Any = reviewer or ACTOR
    for item, count, seed in ((RecheckItem.TASK, 3, 2024), (RecheckItem.PETITION, 40, 2024)):
        _batch, rows = services.recheck_sample(actor=actor, scope=SYSTEM, item=item, count=count, seed=seed, at=at)
        for r in rows:
            services.recheck_record(
                actor=actor, recheck=r, outcome="confirmed", checked_on=D("2024-05-20"), note="回头看：未发现问题反弹。"
            )


def _supervision(reviewer: User | None) -> None:
    if reviewer is None:
        return
    overdue = Task.objects.filter(code="ZG-09").first()
    today = timezone.localdate()
    if overdue is not None and overdue.deadline < today:
        services.order_issue(
            actor=reviewer,
            subject="task",
            item=overdue,
            reply_due=today + dt.timedelta(days=10),
            text="该任务已逾期，请于期限内书面反馈整改进展。",
        )
    try:
        c = services.circular_create(
            actor=reviewer, scope=SYSTEM, first_date=D("2024-01-01"), last_date=D("2024-06-30"), division_code="650100"
        )
    except Exception:
        return
    services.circular_sign(actor=reviewer, circular=c)


def load_oversight_demo(*, password: str = "", stdout: Any = None, **_: Any) -> None:
    def write(msg: str) -> None:
        if stdout is not None:
            stdout.write(msg)

    if InspectionRound.objects.filter(code=ROUND).exists():
        write("demo: oversight already loaded")
        return
    if not Division.objects.filter(code="650100").exists():
        write("demo: oversight skipped (no demo geography)")
        return
    units = _units(password)
    reviewer = User.objects.filter(username="reviewer").first()
    rnd = services.round_create(
        actor=ACTOR,
        code=ROUND,
        name="第二轮中央生态环境保护督察（中央第五督察组）",
        kind=RoundKind.CENTRAL,
        started_on=D("2022-03-25"),
        ended_on=D("2022-04-25"),
        feedback_on=D("2022-06-01"),
        document_no="督察反馈意见（2022年6月1日）",
    )
    _tasks(rnd, units, reviewer)
    _petitions(rnd)
    _look_back(reviewer)
    _supervision(reviewer)
    told = overdue_notify()  # the overdue items tell their units and offices (notify's inbox)
    write(f"demo: oversight — {told} overdue items told through notify")
    write("demo: oversight — 9 tasks (6 signed off, 3 in progress), 811 petitions (808 closed, 3 in progress)")

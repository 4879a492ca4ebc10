"""Demo water data (load_demo): intakes across the demo city with meters and two years (2023 and 2024,
Beijing time) of hourly readings with realistic seasonality, and the events the volume engine must
handle in 2024: one register rollover, one meter replacement, one telemetry gap and one spike. 2023
is the year-on-year (同比) base: the same generator, each intake a few per cent below or above its
2024 use, from each meter's installation on. DEMO DATA: never load it in production.

Readings go through the ingest service like any RTU batch; every value is generated from a seeded
random stream per meter, so a second run sends the same readings and they are all duplicates
(idempotent). Then the 2023 plan, the 2024 supply-and-use plan (seasonal monthly allocations, one
amendment), the 2023 and 2024 red-line targets with entered actuals, and 2023 and January–June 2024 locked by
the demo reviewer
(`load_plan_demo`, idempotent too). Online monitoring sees the March gap as missed reports, one RTU
silent from 29 December (alerted by the offline job run as of the end of the data), the spike as a
flagged-reading alert, and a few late frames.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.gis.geos import Point as GeoPoint

from accounts.choices import Role
from accounts.models import User
from accounts.scope import SYSTEM_SCOPE, scope_for
from core.periods import BEIJING
from places.models import Division, Lake, Reach
from water import plan_selectors, plan_services, services
from water.choices import ReadingSource
from water.ingest import Row
from water.models import Intake, LedgerLock, Meter, PlanAllocation, RedLineTarget, WaterPlan

ACTOR = "load_demo"
YEAR_START = dt.datetime(2024, 1, 1, tzinfo=BEIJING)
YEAR_END = dt.datetime(2025, 1, 1, tzinfo=BEIJING)
# The year before (同比): the same generator over 2023, each intake taking a few per cent less or
# more than in 2024 (PREVIOUS_YEAR_FACTOR); the 2024 events (rollover, replacement, gap, spike,
# silence) are 2024's only. Meters installed during 2023 report from their installation on.
PREVIOUS_YEAR = 2023
PREVIOUS_START = dt.datetime(PREVIOUS_YEAR, 1, 1, tzinfo=BEIJING)
PREVIOUS_YEAR_FACTOR = (0.93, 1.02)  # 2023 use ÷ 2024 use, drawn per intake

# Events the demo shows (the volume engine's rules); meters named by serial.
ROLLOVER_METER = "WM-650104-02-1"  # a 10,000,000 m³ register passes its maximum in summer
REPLACED_METER = "WM-650103-01-1"
REPLACEMENT_SERIAL = "WM-650103-01-2"
REPLACED_AT = dt.datetime(2024, 6, 15, 10, tzinfo=BEIJING)
GAP_METER = "WM-650106-01-1"
GAP = (dt.datetime(2024, 3, 10, 6, tzinfo=BEIJING), dt.datetime(2024, 3, 13, 18, tzinfo=BEIJING))  # no reports
SPIKE_METER = "WM-650109-02-1"
SPIKE_AT = dt.datetime(2024, 8, 8, 14, tzinfo=BEIJING)
SPIKE_M3 = 50_000  # a garbled frame: far above what the intake can take in an hour
# Online monitoring: this meter's RTU goes silent on 29 December (the offline alert of the demo,
# raised by the job run as of the end of the demo data); every meter's frames arrive a minute or two
# after their instant, a few of them hours late (a gateway's backlog), so timeliness is not 100 %.
SILENT_METER = "WM-650107-03-1"
SILENT_FROM = dt.datetime(2024, 12, 29, 15, tzinfo=BEIJING)
LATE_SHARE = 0.015


@dataclass(frozen=True)
class DemoIntake:
    code: str
    name: str
    division: str
    source_type: str
    body: str | None  # reach or lake code
    use: str
    capacity_m3s: str
    permitted_m3: int
    use_share: float  # of the permitted volume actually taken in 2024
    meters: int = 1


INTAKES = [
    DemoIntake(
        "QSK-650102-01",
        "红雁池水库二水厂取水口",
        "650102",
        "reservoir",
        "HK-650100-02",
        "supply",
        "1.5",
        30_000_000,
        0.9,
        2,
    ),
    DemoIntake(
        "QSK-650102-02",
        "乌鲁木齐河天山区段工业取水口",
        "650102",
        "river",
        "HL-650100-01-03",
        "industry",
        "0.3",
        3_000_000,
        0.8,
    ),
    DemoIntake("QSK-650102-03", "天山区应急水源井", "650102", "groundwater", None, "supply", "0.03", 120_000, 0.3),
    DemoIntake(
        "QSK-650103-01",
        "乌鲁木齐河沙依巴克区段取水口",
        "650103",
        "river",
        "HL-650100-01-02",
        "industry",
        "0.4",
        4_000_000,
        0.8,
    ),
    DemoIntake(
        "QSK-650103-02", "沙依巴克区热电厂水源井", "650103", "groundwater", None, "power", "0.08", 1_200_000, 0.85
    ),
    DemoIntake(
        "QSK-650104-01", "青格达湖生态补水口", "650104", "lake", "HK-650100-06", "ecology", "0.8", 5_000_000, 0.6
    ),
    DemoIntake(
        "QSK-650104-02",
        "乌鲁木齐河新市区段取水口",
        "650104",
        "river",
        "HL-650100-01-04",
        "industry",
        "0.5",
        5_000_000,
        0.75,
    ),
    DemoIntake("QSK-650104-03", "新市区工业园水源井", "650104", "groundwater", None, "industry", "0.04", 300_000, 0.8),
    DemoIntake(
        "QSK-650105-01",
        "水磨河水磨沟区段取水口",
        "650105",
        "river",
        "HL-650100-02-01",
        "ecology",
        "0.3",
        2_000_000,
        0.7,
    ),
    DemoIntake("QSK-650105-02", "水磨沟区水源井", "650105", "groundwater", None, "supply", "0.02", 45_000, 0.8),
    DemoIntake(
        "QSK-650106-01",
        "头屯河头屯河区段取水口",
        "650106",
        "river",
        "HL-650100-03-02",
        "industry",
        "0.6",
        6_000_000,
        0.8,
    ),
    DemoIntake(
        "QSK-650106-02", "头屯河区热电厂取水口", "650106", "river", "HL-650100-03-02", "power", "0.8", 8_000_000, 0.85
    ),
    DemoIntake(
        "QSK-650107-01",
        "白杨河达坂城区段灌溉取水口",
        "650107",
        "river",
        "HL-650100-05-01",
        "agriculture",
        "1.0",
        7_000_000,
        0.7,
    ),
    DemoIntake(
        "QSK-650107-02", "柴窝堡湖取水口", "650107", "lake", "HK-650100-03", "agriculture", "0.5", 3_000_000, 0.6
    ),
    DemoIntake("QSK-650107-03", "达坂城区水源井", "650107", "groundwater", None, "supply", "0.03", 200_000, 0.75),
    DemoIntake(
        "QSK-650109-01",
        "猛进水库灌溉取水口",
        "650109",
        "reservoir",
        "HK-650100-04",
        "agriculture",
        "2.0",
        18_000_000,
        0.8,
    ),
    DemoIntake(
        "QSK-650109-02",
        "乌鲁木齐河米东区段取水口",
        "650109",
        "river",
        "HL-650100-01-05",
        "industry",
        "0.6",
        6_000_000,
        0.8,
    ),
    DemoIntake(
        "QSK-650109-03",
        "水磨河米东区段取水口",
        "650109",
        "river",
        "HL-650100-02-02",
        "agriculture",
        "0.5",
        3_500_000,
        0.7,
    ),
    DemoIntake("QSK-650109-04", "米东区化工园水源井", "650109", "groundwater", None, "industry", "0.05", 350_000, 0.85),
    DemoIntake(
        "QSK-650121-01",
        "乌拉泊水库一水厂取水口",
        "650121",
        "reservoir",
        "HK-650100-01",
        "supply",
        "2.0",
        40_000_000,
        0.85,
        2,
    ),
    DemoIntake(
        "QSK-650121-02",
        "乌鲁木齐河乌鲁木齐县灌区渠首",
        "650121",
        "river",
        "HL-650100-01-01",
        "agriculture",
        "3.0",
        25_000_000,
        0.8,
    ),
    DemoIntake(
        "QSK-650121-03",
        "头屯河乌鲁木齐县段取水口",
        "650121",
        "river",
        "HL-650100-03-01",
        "agriculture",
        "1.5",
        9_000_000,
        0.75,
    ),
    DemoIntake(
        "QSK-650121-04", "大西沟水库生态取水口", "650121", "reservoir", "HK-650100-05", "ecology", "1.0", 6_000_000, 0.6
    ),
    DemoIntake("QSK-650121-05", "板房沟镇水源井", "650121", "groundwater", None, "supply", "0.05", 400_000, 0.7),
]
# The operator account is a water company with three supply intakes.
OPERATED = ("QSK-650102-01", "QSK-650121-01", "QSK-650105-02")

# Month weights by main use. Urumqi's rivers are snow- and glacier-fed and agriculture dominates:
# irrigation runs April to October with a June–July peak, ecological releases follow the spring
# melt, city supply peaks in summer, industry and power are nearly flat.
SEASON = {
    "agriculture": [0, 0, 0.1, 0.8, 1.3, 1.8, 1.9, 1.6, 1.0, 0.5, 0.05, 0],
    "ecology": [0.2, 0.2, 0.5, 1.4, 1.9, 1.7, 1.2, 0.9, 0.7, 0.5, 0.3, 0.2],
    "supply": [0.85, 0.85, 0.9, 0.95, 1.05, 1.2, 1.25, 1.2, 1.05, 0.95, 0.9, 0.85],
    "industry": [0.95, 0.9, 1, 1, 1.02, 1.05, 1.05, 1.05, 1.02, 1, 0.98, 0.95],
    "power": [1.15, 1.1, 1.0, 0.9, 0.85, 0.9, 1.0, 1.0, 0.9, 0.95, 1.1, 1.2],
}
# Hour-of-day weights: towns draw in the morning and evening, irrigation by day, industry round the clock.
DIURNAL = {
    "supply": [
        0.55,
        0.5,
        0.45,
        0.45,
        0.5,
        0.7,
        1.0,
        1.35,
        1.4,
        1.25,
        1.15,
        1.1,
        1.15,
        1.1,
        1.0,
        1.0,
        1.05,
        1.15,
        1.3,
        1.45,
        1.4,
        1.2,
        0.95,
        0.7,
    ],
    "agriculture": [0.6] * 6 + [1.0, 1.2, 1.3, 1.4, 1.4, 1.4, 1.4, 1.4, 1.4, 1.3, 1.2, 1.1, 1.0] + [0.7] * 5,
}


def _hour_weights(use: str, rng: random.Random, hours: list[dt.datetime]) -> list[float]:
    season, diurnal = SEASON[use], DIURNAL.get(use, [1.0] * 24)
    industry = use == "industry"
    return [
        season[t.month - 1] * diurnal[t.hour] * (0.9 if industry and t.weekday() >= 5 else 1.0) * rng.uniform(0.9, 1.1)
        for t in hours
    ]


def _series(
    serial: str, use: str, annual_m3: float, start_m3: float, hours: list[dt.datetime], seed: str = ""
) -> list[float]:
    """The register at each of `hours` and at the end of the last one (one more value than hours)."""
    rng = random.Random(serial + seed)  # noqa: S311 - demo data, reproducible on purpose
    weights = _hour_weights(use, rng, hours)
    scale = annual_m3 / sum(weights)
    values, v = [start_m3], start_m3
    for w in weights:
        v += w * scale
        values.append(v)
    return values


def _previous_factor(code: str) -> float:
    rng = random.Random(f"yoy:{code}")  # noqa: S311 - demo data, reproducible on purpose
    return rng.uniform(*PREVIOUS_YEAR_FACTOR)


def _previous_year(
    serial: str, use: str, annual_m3: float, installed: dt.datetime, hours: list[dt.datetime], code: str
) -> tuple[list[tuple[dt.datetime, float]], float]:
    """The 2023 readings of a meter (from its installation on) and its register on 1 January 2024.
    The register on 1 January 2023 is what it counted since its installation at the year's rate; a
    meter installed during 2023 starts from zero at its installation."""
    previous = annual_m3 * _previous_factor(code)
    since = (PREVIOUS_START - installed).total_seconds() / (365 * 86400)
    values = _series(serial, use, previous, 0.0, hours, seed=f":{PREVIOUS_YEAR}")
    if since >= 0:
        offset = round(previous * since, 3)
    else:  # installed during the year: the register reads zero at its installation
        first = next(i for i, t in enumerate(hours) if t >= installed)
        offset = -values[first]
    stamps = [(t, values[i] + offset) for i, t in enumerate(hours) if t > installed]
    return stamps, values[-1] + offset


def _location(spec: DemoIntake, division: Division, rng: random.Random) -> GeoPoint:
    if spec.body and spec.body.startswith("HL"):
        reach = Reach.objects.get(code=spec.body)
        line = reach.geometry[0]
        x, y = line[len(line) // 2]
    elif spec.body:
        x, y = Lake.objects.get(code=spec.body).geometry.point_on_surface.coords
    else:
        if division.boundary is None:
            raise ValueError(f"demo division {division.code} has no boundary")
        x, y = division.boundary.point_on_surface.coords
        x, y = x + rng.uniform(-0.01, 0.01), y + rng.uniform(-0.01, 0.01)
    return GeoPoint(round(x, 5), round(y, 5), srid=4326)


def _installed(serial: str, index: int) -> dt.datetime:
    """Meters came with the 2021–2022 metering campaign (April 2021 to November 2022, so that every
    meter reports through the 2023 base year); the first waterworks meter is older."""
    if index == 0:
        return dt.datetime(2017, 6, 1, tzinfo=BEIJING)
    rng = random.Random(f"installed:{serial}")  # noqa: S311 - demo data, reproducible on purpose
    return dt.datetime(2021, 4, 1, tzinfo=BEIJING) + dt.timedelta(days=rng.randint(0, 600))


def _ensure_intake(spec: DemoIntake, operator: User | None) -> Intake:
    intake = Intake.objects.filter(code=spec.code).first()
    if intake is not None:
        return intake
    division = Division.objects.get(code=spec.division)
    river, lake, body_name = None, None, "浅层地下水"
    if spec.body and spec.body.startswith("HL"):
        river = Reach.objects.get(code=spec.body).river
        body_name = river.name
    elif spec.body:
        lake = Lake.objects.get(code=spec.body)
        body_name = lake.name
    rng = random.Random(spec.code)  # noqa: S311 - demo data, reproducible on purpose
    return services.intake_create(
        actor=ACTOR,
        code=spec.code,
        name=spec.name,
        source_type=spec.source_type,
        location=_location(spec, division, rng),
        division=division,
        main_use=spec.use,
        river=river,
        lake=lake,
        water_body_name=body_name,
        withdrawal_mode="pumped" if spec.source_type == "groundwater" else "gravity",
        capacity_m3s=Decimal(spec.capacity_m3s),
        permitted_annual_m3=Decimal(spec.permitted_m3),
        permit_number=f"取水(乌)字[2021]第{spec.code[-6:].replace('-', '')}号",
        permit_holder=spec.name[:-3] + "管理单位",
        permit_valid_from=dt.date(2021, 1, 1),
        permit_valid_until=dt.date(2026, 12, 31),
        operators=[operator] if operator is not None and spec.code in OPERATED else [],
    )


def _arrival(rng: random.Random, at: dt.datetime) -> dt.datetime:
    """When the frame observed at `at` reached the centre: a minute or two later, a few hours late."""
    if rng.random() < LATE_SHARE:
        return at + dt.timedelta(seconds=rng.randint(3_600, 6 * 3_600))
    return at + dt.timedelta(seconds=rng.randint(20, 180))


def _send(meter: Meter, stamps: list[tuple[dt.datetime, float]], seed: str = "") -> tuple[int, int]:
    created = duplicates = 0
    rng = random.Random(f"arrival:{meter.serial}{seed}")  # noqa: S311 - demo data, reproducible on purpose
    for start in range(0, len(stamps), 744):  # about a month per batch, as an RTU gateway's backlog
        rows = [
            Row(i, meter.serial, at, Decimal(f"{v:.3f}"), None, received_at=_arrival(rng, at))
            for i, (at, v) in enumerate(stamps[start : start + 744])
        ]
        result = services.reading_ingest_batch(rows=rows, scope=SYSTEM_SCOPE, source=ReadingSource.RTU, actor=ACTOR)
        created, duplicates = created + result.created, duplicates + result.duplicates
    return created, duplicates


def _hours(start: dt.datetime = YEAR_START, end: dt.datetime = YEAR_END) -> list[dt.datetime]:
    out, t = [], start
    while t < end:
        out.append(t)
        t += dt.timedelta(hours=1)
    return out


def load_water_demo(*, stdout: Any = None, **_: Any) -> None:
    operator = User.objects.filter(username="operator", role=Role.OPERATOR).first()
    device = User.objects.filter(username="device", role=Role.DEVICE).first()
    hours = _hours()
    previous_hours = _hours(PREVIOUS_START, YEAR_START)
    created = duplicates = 0
    index = 0
    for spec in INTAKES:
        intake = _ensure_intake(spec, operator)
        for k in range(1, spec.meters + 1):
            serial = f"WM-{spec.code[4:]}-{k}"
            installed = _installed(serial, index)
            index += 1
            annual = spec.permitted_m3 * spec.use_share / spec.meters
            regmax = Decimal(10_000_000) if serial == ROLLOVER_METER else None
            # 2023 first (in time order), ending where 2024 starts: the register on 1 January 2024.
            previous, start = _previous_year(serial, spec.use, annual, installed, previous_hours, spec.code)
            if serial == ROLLOVER_METER:  # 8,000,000 on 1 January 2024, to pass its maximum in summer
                previous = [(t, v + 8_000_000.0 - start) for t, v in previous]
                start = 8_000_000.0
            meter = Meter.objects.filter(serial=serial).first() or services.meter_create(
                actor=ACTOR,
                intake=intake,
                serial=serial,
                installed_at=installed,
                install_reading_m3=Decimal(0),
                device=device,
                register_max_m3=regmax,
                protocol="szy206",
                rtu_address=f"65{index:08d}",
                meter_type="电磁流量计 electromagnetic",
                calibrated_on=dt.date(2023, 9, 1),
            )
            c, d = _send(meter, previous, seed=f":{PREVIOUS_YEAR}")
            created, duplicates = created + c, duplicates + d
            values = _series(serial, spec.use, annual, start, hours)
            stamps = [(t, values[i]) for i, t in enumerate(hours)]
            if serial == ROLLOVER_METER:
                stamps = [(t, v % 10_000_000) for t, v in stamps]
            if serial == GAP_METER:
                stamps = [(t, v) for t, v in stamps if not GAP[0] <= t < GAP[1]]
            if serial == SILENT_METER:
                stamps = [(t, v) for t, v in stamps if t < SILENT_FROM]
            if serial == SPIKE_METER:
                stamps = [(t, v + SPIKE_M3 if t == SPIKE_AT else v) for t, v in stamps]
            if serial == REPLACED_METER:
                at_swap = values[hours.index(REPLACED_AT)]
                c, d = _send(meter, [(t, v) for t, v in stamps if t < REPLACED_AT])
                created, duplicates = created + c, duplicates + d
                meter.refresh_from_db()
                successor = Meter.objects.filter(serial=REPLACEMENT_SERIAL).first()
                if successor is None and meter.removed_at is None:
                    successor = services.meter_replace(
                        meter=meter,
                        actor=ACTOR,
                        at=REPLACED_AT,
                        removal_reading_m3=Decimal(str(round(at_swap, 3))),
                        new_serial=REPLACEMENT_SERIAL,
                        install_reading_m3=Decimal(0),
                        reason="demo: meter failed calibration and was replaced",
                    )
                assert successor is not None  # noqa: S101 - created above or by an earlier run
                stamps, meter = [(t, v - at_swap) for t, v in stamps if t > REPLACED_AT], successor
            c, d = _send(meter, stamps)
            created, duplicates = created + c, duplicates + d
    # The alert jobs as of the end of the demo data (run at today's date they would find every demo
    # meter silent since 2025, which is true of a year-old data set but shows nothing).
    offline = services.alerts_check_offline(now=YEAR_END, actor=ACTOR)
    flagged = services.alerts_check_flagged(now=YEAR_END, actor=ACTOR)
    if stdout is not None:
        stdout.write(
            f"demo: water — {len(INTAKES)} intakes, {Meter.objects.count()} meters, {created} readings stored, "
            f"{duplicates} already there; alerts open: {offline.open} offline, {flagged.open} flagged readings"
        )
    load_plan_demo(stdout=stdout)


# --------------------------------------------------------------------------- plans, red lines, locks

PLAN_TITLE = "2024年乌鲁木齐市年度供用水计划 (演示 demo)"
PREVIOUS_PLAN_TITLE = "2023年乌鲁木齐市年度供用水计划 (演示 demo)"
# The plan's share of the permitted volume, against the share the demo intake actually takes
# (DemoIntake.use_share): most intakes are planned 10 % above their use (within plan); four are
# planned below it so that the usage report shows each over-plan tier.
PLAN_OVER = {
    "QSK-650102-02": Decimal("1.07"),  # 7 % over: 5–10 %
    "QSK-650106-02": Decimal("1.15"),  # 15 % over: 10–20 %
    "QSK-650104-01": Decimal("1.25"),  # 25 % over: 20–30 %
    "QSK-650109-03": Decimal("1.40"),  # 40 % over: ≥ 30 %
}
PLAN_HEADROOM = Decimal("1.10")
AMENDED_INTAKE = "QSK-650121-02"  # the irrigation head-works get more water in the dry summer
AMENDMENT_REASON = "2024年7—8月旱情追加灌溉用水 (经审批) drought: extra irrigation water approved for July–August"
LOCKED_MONTHS = range(1, 7)  # January–June 2024, reviewed and locked by the demo reviewer


def _month_shares(use: str, year: int = 2024) -> list[Decimal]:
    """Each month's share of the year for a main use: the demo's seasonal weights × days."""
    weights = [Decimal(str(w)) * calendar.monthrange(year, m + 1)[1] for m, w in enumerate(SEASON[use])]
    total = sum(weights, Decimal(0))
    return [w / total for w in weights]


def _plan_lines(intakes: dict[str, Intake], year: int = 2024) -> list[plan_services.AllocationLine]:
    """2024: most intakes planned 10 % above their use, four below it (PLAN_OVER). 2023: every
    intake planned 10 % above that year's use (the over-plan intakes are 2024's story)."""
    lines = []
    for spec in INTAKES:
        used = Decimal(spec.permitted_m3) * Decimal(str(spec.use_share))
        if year == PREVIOUS_YEAR:
            planned = used * Decimal(str(_previous_factor(spec.code))) * PLAN_HEADROOM
        else:
            planned = used * PLAN_HEADROOM if spec.code not in PLAN_OVER else used / PLAN_OVER[spec.code]
        for m, share in enumerate(_month_shares(spec.use, year)):
            volume = (planned * share).quantize(Decimal(1))
            lines.append(plan_services.AllocationLine(intakes[spec.code], m + 1, volume))
    return lines


# How a bureau sets a year's red-line targets from the five-year plan's (十四五) control figures: the
# total-use cap is the plan period's control figure, the same each year; the intensities fall by the
# yearly share of the period's 16 % reduction (万元GDP用水量 and 万元工业增加值用水量 −16 % over
# 2021–2025: 1 − 0.84^(1/5) ≈ 3.4 % a year); the irrigation coefficient rises by its yearly step
# (0.565 in 2020 to 0.58 in 2025: about 0.003 a year); the zone-compliance target holds for the period.
INTENSITY_YEARLY_FALL = Decimal("0.034")
IRRIGATION_YEARLY_STEP = Decimal("0.003")


def _redlines_2024() -> dict[str, Any]:
    expected = sum((Decimal(s.permitted_m3) * Decimal(str(s.use_share)) for s in INTAKES), Decimal(0))
    return {
        "total_use_cap_m3": (expected * Decimal("1.08")).quantize(Decimal(10_000)),
        "per_gdp_target": Decimal("5.0"),
        "per_iva_target": Decimal("4.0"),
        "irrigation_target": Decimal("0.580"),
        "zone_compliance_target": Decimal("0.80"),
        "gdp_10k_yuan": Decimal(44_000_000),
        "gdp_source": "演示数据 demo (order of the bulletin)",
        "iva_10k_yuan": Decimal(8_000_000),
        "iva_source": "演示数据 demo",
        "irrigation_coefficient": Decimal("0.571"),
        "irrigation_source": "演示数据, 样点灌区测算 demo (sample districts)",
        "zone_compliance": Decimal("0.875"),
        "zone_compliance_source": "演示数据, 双指标 频次法 demo (two-parameter)",
        "notes": "演示数据 demo data",
    }


def _previous_redlines() -> dict[str, Any]:
    """2023's targets, derived from 2024's as the bureau derives a year's from the plan period's (above),
    and 2023's entered actuals: GDP and industrial value added about 5 % below 2024's (nominal growth of
    the order of the city's bulletins), the irrigation coefficient one yearly step below 2024's."""
    later = _redlines_2024()
    back = 1 - INTENSITY_YEARLY_FALL
    return {
        "total_use_cap_m3": later["total_use_cap_m3"],
        "per_gdp_target": (later["per_gdp_target"] / back).quantize(Decimal("0.01")),
        "per_iva_target": (later["per_iva_target"] / back).quantize(Decimal("0.01")),
        "irrigation_target": later["irrigation_target"] - IRRIGATION_YEARLY_STEP,
        "zone_compliance_target": later["zone_compliance_target"],
        "gdp_10k_yuan": Decimal(41_900_000),
        "gdp_source": "演示数据 demo (order of the bulletin)",
        "iva_10k_yuan": Decimal(7_600_000),
        "iva_source": "演示数据 demo",
        "irrigation_coefficient": later["irrigation_coefficient"] - IRRIGATION_YEARLY_STEP,
        "irrigation_source": later["irrigation_source"],
        "zone_compliance": Decimal("0.850"),
        "zone_compliance_source": later["zone_compliance_source"],
        "notes": "演示数据 demo data: 2023 targets derived from 2024's (see water/README.md, demo)",
    }


def load_plan_demo(*, stdout: Any = None) -> None:
    city = Division.objects.get(code="650100")
    reviewer = User.objects.filter(username="reviewer", role=Role.REVIEWER).first()
    actor: Any = reviewer or ACTOR
    intakes = {i.code: i for i in Intake.objects.filter(code__in=[s.code for s in INTAKES]).select_related("division")}
    if not WaterPlan.objects.filter(year=PREVIOUS_YEAR, division=city).exists():
        plan_services.plan_create(
            actor=actor,
            scope=SYSTEM_SCOPE,
            year=PREVIOUS_YEAR,
            division=city,
            title=PREVIOUS_PLAN_TITLE,
            allocations=_plan_lines(intakes, PREVIOUS_YEAR),
            notes="演示数据 demo data: allocations follow each use's seasonal profile",
        )
    plan = WaterPlan.objects.filter(year=2024, division=city).first()
    if plan is None:
        plan = plan_services.plan_create(
            actor=actor,
            scope=SYSTEM_SCOPE,
            year=2024,
            division=city,
            title=PLAN_TITLE,
            allocations=_plan_lines(intakes),
            notes="演示数据 demo data: allocations follow each use's seasonal profile",
        )
    if plan.version == 1:
        current = {
            a.month: a.volume_m3
            for a in plan_selectors.plan_allocations(scope=SYSTEM_SCOPE, plan=plan).filter(intake__code=AMENDED_INTAKE)
        }
        plan_services.plan_amend(
            plan=plan,
            actor=actor,
            scope=SYSTEM_SCOPE,
            reason=AMENDMENT_REASON,
            allocations=[
                plan_services.AllocationLine(intakes[AMENDED_INTAKE], m, (current[m] * Decimal("1.1")).quantize(1))
                for m in (7, 8)
            ],
        )
    for year, values in ((PREVIOUS_YEAR, _previous_redlines()), (2024, _redlines_2024())):
        if not RedLineTarget.objects.filter(year=year, division=city).exists():
            plan_services.redline_create(actor=actor, scope=SYSTEM_SCOPE, year=year, division=city, **values)
    locked = set(
        LedgerLock.objects.filter(
            division=city, unlocked_at__isnull=True, month__year__in=(PREVIOUS_YEAR, 2024)
        ).values_list("month", flat=True)
    )
    scope = scope_for(reviewer) if reviewer is not None else SYSTEM_SCOPE
    # The whole of 2023 was reviewed and locked; 2024 up to June.
    months = [dt.date(PREVIOUS_YEAR, m, 1) for m in range(1, 13)] + [dt.date(2024, m, 1) for m in LOCKED_MONTHS]
    for month in months:
        if month not in locked:
            plan_services.ledger_lock(
                actor=actor, scope=scope, division=city, month=month, note="演示: 月度台账审核无误 reviewed"
            )
    # The plan job as of the end of the data: the over-plan intakes raise their 80 % / 100 % alerts
    # (and, through notify, land in the operators' and reviewers' inboxes).
    plan_runs = services.alerts_check_plan(now=YEAR_END - dt.timedelta(minutes=1), actor=ACTOR)
    if stdout is not None:
        stdout.write(
            f"demo: water plan alerts — {plan_runs['plan_100'].open} over plan, {plan_runs['plan_80'].open} at 80 %"
        )
        stdout.write(
            f"demo: water plans — 2023 plan, 2024 plan v{WaterPlan.objects.get(pk=plan.pk).version} with "
            f"{PlanAllocation.objects.filter(version__plan=plan).count()} lines in all versions, "
            f"2023 and 2024 red lines, 2023 and {len(LOCKED_MONTHS)} months of 2024 locked"
        )

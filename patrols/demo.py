"""Demo patrols, cases and litter for 2024 in the demo city, and 2023 as the year-on-year base
(load_demo). Demo data only, never in
production.

Everything goes through the services, so the figures are computed exactly as for real posts, and
everything is keyed so that a second load changes nothing: patrol and case ids are UUID5s of their
demo names (a resend of the same content returns the stored row), litter and rechecks are skipped
when present.

* Tianshan District reach HL-650100-01-03 gets a township chief (monthly, March–December, August
  missed) and a village chief (weekly, March–December, a few weeks missed, one short patrol), on top
  of the district chief ``chief`` from the places demo (a patrol a quarter, and four that get flagged:
  standing still, away from the river, a GPS jump, an overlap).
* Cases in every state, with a rejection, two cleared on the spot with photos, two overdue (one
  rectifying, one still assigned).
* Litter records adding up to Urumqi's 12.2 t of 2024 (the seed report), the reservoir's included.
* A reservoir chief (湖长) ``chief_lake`` on Hongyanchi Reservoir HK-650100-02 (district level,
  quarterly): patrols along its shore, one case found on a patrol and one litter record.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import uuid
from decimal import Decimal
from typing import Any

import numpy as np
import shapely
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.choices import Role
from accounts.models import User
from core.geo import WGS84_SRID
from patrols import services
from patrols.models import Case, CaseRecheck, LitterRemoval, Patrol
from patrols.track import local_reach
from places.choices import ChiefLevel
from places.models import Lake, Reach
from places.services import chief_assign

ACTOR = "load_demo"
NS = uuid.UUID("5b0c1c4e-7d0a-4c55-9a53-1f5e2a6d2024")
BJ = dt.timezone(dt.timedelta(hours=8))
REACH = "HL-650100-01-03"
NOTE = "演示数据 demo"
LAKE = "HK-650100-02"
LAKE_NOTE = "演示数据 demo（水库）"
LAKE_TONNES = Decimal("0.350")
# 2023 is the year-on-year (同比) base: the same chiefs (appointed from 1 January 2023) patrol on the
# same rhythm, a few cases are found and closed, and 11.4 t of litter are removed.
PREVIOUS_YEAR = 2023
APPOINTED = dt.date(PREVIOUS_YEAR, 1, 1)
PREVIOUS_LITTER_TONNES = Decimal("11.4")
EXTRA_CHIEFS = [
    ("chief_township", "650102010", "燕儿窝街道河长 Yan'erwo township chief", ChiefLevel.TOWNSHIP),
    ("chief_village", "650102010", "村级河长 village chief", ChiefLevel.VILLAGE),
]


def _id(name: str) -> uuid.UUID:
    return uuid.uuid5(NS, name)


def _chiefs(password: str) -> dict[str, User]:
    reach = Reach.objects.get(code=REACH)
    out = {}
    for username, jurisdiction, display, level in EXTRA_CHIEFS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"role": Role.CHIEF, "jurisdiction": jurisdiction, "display_name": display}
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        chief_assign(chief=user, level=level, reach=reach, valid_from=APPOINTED, actor=ACTOR)
        out[level.value] = user
    out["district"] = User.objects.get(username="chief")
    return out


def _track(
    reach: Reach | Lake, rng: random.Random, *, start: dt.datetime, minutes: float, length_m: float, step_s: int = 5
) -> tuple[list[list[float]], list[str]]:
    """Out and back along the reach (a lake: its shore) on a path 20 m off, with a few metres of GPS
    jitter."""
    local = local_reach(bytes(reach.geometry.wkb), buffer_m=300)
    line: Any = shapely.get_geometry(local.line, 0)
    n = int(minutes * 60 / step_s) + 1
    half = min(length_m / 2, local.length_m * 0.95)
    s0 = rng.uniform(0, max(0.0, local.length_m - half))
    frac = np.linspace(0, 2, n)
    d = s0 + half * np.where(frac <= 1, frac, 2 - frac)
    xy = shapely.get_coordinates(shapely.line_interpolate_point(line, d))
    side = np.where(frac <= 1, 20.0, -20.0)
    xy[:, 0] += side + np.array([rng.gauss(0, 3) for _ in range(n)])
    xy[:, 1] += np.array([rng.gauss(0, 3) for _ in range(n)])
    lon, lat = local.unproject(xy[:, 0], xy[:, 1])
    coords = [[round(a, 7), round(b, 7)] for a, b in zip(lon.tolist(), lat.tolist(), strict=True)]
    times = [(start + dt.timedelta(seconds=step_s * i)).isoformat() for i in range(n)]
    return coords, times


def _patrol(
    name: str,
    chief: User,
    reach: Reach,
    rng: random.Random,
    *,
    start: dt.datetime,
    minutes: float,
    length_m: float,
    companions: int = 0,
    mode: str = "foot",
    mutate: Any = None,
) -> Patrol:
    coords, times = _track(reach, rng, start=start, minutes=minutes, length_m=length_m)
    if mutate is not None:
        coords = mutate(coords)
    patrol, _created = services.patrol_submit(
        actor=chief,
        patrol_id=_id(name),
        reach_id=reach.pk,
        started_at=start,
        ended_at=start + dt.timedelta(minutes=minutes),
        companions=companions,
        mode=mode,
        crs="EPSG:4326",
        track={"type": "LineString", "coordinates": coords},
        times=times,
    )
    return patrol


def _regular(chiefs: dict[str, User], reach: Reach, rng: random.Random, year: int) -> dict[str, Patrol]:
    """The year's routine: the village chief weekly and the township chief monthly from March (a few
    weeks and one month missed), the district chief once a quarter. 2023's patrols are named with
    their year; 2024's keep the names they had before 2023 was added."""
    out: dict[str, Patrol] = {}
    prefix = "" if year == 2024 else f"{year}-"
    monday = dt.date(year, 3, 4) - dt.timedelta(days=dt.date(year, 3, 4).weekday())
    week = 0
    while monday <= dt.date(year, 12, 30):
        week += 1
        if rng.random() > 0.12:  # a few weeks missed
            day = min(monday + dt.timedelta(days=rng.randrange(0, 5)), dt.date(year, 12, 31))
            start = dt.datetime(day.year, day.month, day.day, rng.randrange(9, 16), rng.choice([0, 15, 30]), tzinfo=BJ)
            short = week == 20 and year == 2024  # one patrol too short to count
            out[f"{prefix}village-{week}"] = _patrol(
                f"{prefix}village-{week}",
                chiefs["village"],
                reach,
                rng,
                start=start,
                minutes=20 if short else rng.uniform(35, 60),
                length_m=1200 if short else rng.uniform(2300, 3200),
                companions=rng.randrange(0, 3),
            )
        monday += dt.timedelta(days=7)
    for month in range(3, 13):
        if month == (8 if year == 2024 else 11):
            continue  # the township chief missed a month
        start = dt.datetime(year, month, rng.randrange(10, 20), 10, tzinfo=BJ)
        out[f"{prefix}township-{month}"] = _patrol(
            f"{prefix}township-{month}",
            chiefs["township"],
            reach,
            rng,
            start=start,
            minutes=rng.uniform(60, 90),
            length_m=rng.uniform(3000, 4200),
            companions=rng.randrange(1, 4),
        )
    for quarter, month in enumerate((2, 5, 8, 11), start=1):
        start = dt.datetime(year, month, 6, 15, tzinfo=BJ)
        out[f"{prefix}district-q{quarter}"] = _patrol(
            f"{prefix}district-q{quarter}",
            chiefs["district"],
            reach,
            rng,
            start=start,
            minutes=70,
            length_m=3500,
            companions=3,
            mode="vehicle" if quarter == 3 else "foot",
        )
    return out


def _patrols(chiefs: dict[str, User], reach: Reach) -> dict[str, Patrol]:
    rng = random.Random(2024)  # noqa: S311 - reproducible demo data, not a secret
    out = _regular(chiefs, reach, rng, 2024)
    # Patrols a reviewer should look at.
    out["district-stationary"] = _patrol(
        "district-stationary",
        chiefs["district"],
        reach,
        rng,
        start=dt.datetime(2024, 9, 12, 10, tzinfo=BJ),
        minutes=40,
        length_m=40,
    )
    out["district-away"] = _patrol(
        "district-away",
        chiefs["district"],
        reach,
        rng,
        start=dt.datetime(2024, 10, 15, 10, tzinfo=BJ),
        minutes=45,
        length_m=3000,
        mutate=lambda c: [[lon + 0.04, lat] for lon, lat in c],
    )
    out["district-jump"] = _patrol(
        "district-jump",
        chiefs["district"],
        reach,
        rng,
        start=dt.datetime(2024, 11, 20, 10, tzinfo=BJ),
        minutes=50,
        length_m=3000,
        mutate=lambda c: c[: len(c) // 2] + [[lon + 0.05, lat + 0.03] for lon, lat in c[len(c) // 2 :]],
    )
    out["district-overlap"] = _patrol(
        "district-overlap",
        chiefs["district"],
        reach,
        rng,
        start=dt.datetime(2024, 11, 6, 15, 30, tzinfo=BJ),
        minutes=40,
        length_m=2500,
    )
    return out


def _photo(patrol: Patrol, name: str) -> SimpleUploadedFile:
    """A small JPEG whose EXIF time and position lie on the patrol."""
    exif = Image.Exif()
    taken = (patrol.started_at + dt.timedelta(minutes=10)).astimezone(BJ)
    exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    exif.get_ifd(0x8769)[0x9011] = "+08:00"
    lon, lat = patrol.raw_track.coords[len(patrol.raw_track.coords) // 4]  # type: ignore[union-attr]
    gps = exif.get_ifd(0x8825)

    def dms(v: float) -> tuple[float, float, float]:
        d = int(v)
        m = int((v - d) * 60)
        return (float(d), float(m), round((v - d - m / 60) * 3600, 3))

    gps[1], gps[2], gps[3], gps[4] = "N", dms(lat), "E", dms(lon)
    buf = io.BytesIO()
    colour = tuple(random.Random(name).randrange(256) for _ in range(3))  # noqa: S311 - a demo colour
    Image.new("RGB", (320, 240), colour).save(buf, format="JPEG", exif=exif)
    return SimpleUploadedFile(f"{name}.jpg", buf.getvalue(), content_type="image/jpeg")


def _cases(chiefs: dict[str, User], reach: Reach, patrols: dict[str, Patrol], previous: dict[str, Patrol]) -> None:
    reviewer = User.objects.get(username="reviewer")
    district = chiefs["district"]
    unit = "天山区城市管理局 Tianshan urban management bureau"

    def report(
        name: str,
        category: str,
        patrol: Patrol | None,
        description: str,
        source: str = "patrol",
        reporter: User | None = None,
    ) -> Case | None:
        if Case.objects.filter(pk=_id(f"case-{name}")).exists():
            return None  # loaded before: its workflow was played then
        at = (patrol.started_at if patrol else dt.datetime(2024, 9, 2, 9, tzinfo=BJ)) + dt.timedelta(minutes=15)
        coords: tuple[float, ...] = (87.615, 43.82)
        if patrol is not None and patrol.raw_track is not None:
            coords = patrol.raw_track.coords[len(patrol.raw_track.coords) // 3]
        case, _ = services.case_report(
            actor=reporter or district,
            case_id=_id(f"case-{name}"),
            category=category,
            source=source,
            reach=reach,
            location=Point(coords[0], coords[1], srid=WGS84_SRID),
            description=description,
            found_at=at,
            patrol=patrol,
            at=at,
        )
        return case

    def day(d: str, hour: int = 10) -> dt.datetime:
        y, m, dd = (int(x) for x in d.split("-"))
        return dt.datetime(y, m, dd, hour, tzinfo=BJ)

    # 2023: one cleared on the spot, one assigned, rectified, verified and closed within the year.
    first = min((v for k, v in previous.items() if "village" in k), key=lambda v: v.started_at)
    later = previous.get(f"{PREVIOUS_YEAR}-township-5") or first
    chief = User.objects.get(pk=first.chief_id)
    if c := report(
        f"{PREVIOUS_YEAR}-on-spot",
        "dumping",
        first,
        "岸边建筑垃圾，当场清运 rubble on the bank, removed",
        reporter=chief,
    ):
        services.case_photo_add(case=c, actor=chief, upload=_photo(first, f"{PREVIOUS_YEAR}-on-spot"))
        cleared = first.started_at + dt.timedelta(minutes=40)
        services.case_clear_on_spot(case=c, actor=chief, note="立查立清", at=cleared)
    finder = User.objects.get(pk=later.chief_id)
    if c := report(
        f"{PREVIOUS_YEAR}-closed",
        "occupation",
        later,
        "河道管理范围内堆放杂物 storage on the floodplain",
        reporter=finder,
    ):
        y = PREVIOUS_YEAR
        services.case_assign(
            case=c, actor=reviewer, responsible_unit=unit, deadline=dt.date(y, 7, 31), at=day(f"{y}-05-22")
        )
        services.case_rectify(case=c, actor=finder, at=day(f"{y}-06-02"))
        services.case_submit(case=c, actor=finder, at=day(f"{y}-06-20"))
        services.case_verify(case=c, actor=reviewer, at=day(f"{y}-06-28"))
        services.case_close(case=c, actor=reviewer, at=day(f"{y}-07-03"))
    p = patrols
    if c := report("reported", "dumping", p["district-q4"], "河岸新增生活垃圾堆 new household rubbish on the bank"):
        pass
    if c := report("assigned", "occupation", p["district-q3"], "河道内临时围堰 a temporary dyke in the channel"):
        services.case_assign(
            case=c, actor=reviewer, responsible_unit=unit, deadline=dt.date(2025, 3, 31), at=day("2024-08-08")
        )
    if c := report(
        "rectifying-overdue", "extraction", p["district-q2"], "夜间非法采砂痕迹 traces of night sand dredging"
    ):
        services.case_assign(
            case=c,
            actor=reviewer,
            responsible_unit="乌鲁木齐市水务局 city water bureau",
            deadline=dt.date(2024, 7, 31),
            at=day("2024-05-08"),
        )
        services.case_rectify(case=c, actor=district, at=day("2024-05-20"))
    if c := report(
        "submitted",
        "construction",
        p["township-9"],
        "滩地违建简易房 a shed built on the floodplain",
        reporter=chiefs["township"],
    ):
        services.case_assign(
            case=c, actor=reviewer, responsible_unit=unit, deadline=dt.date(2024, 12, 31), at=day("2024-09-20")
        )
        services.case_rectify(case=c, actor=chiefs["township"], at=day("2024-10-08"))
        services.case_submit(case=c, actor=chiefs["township"], at=day("2024-11-28"))
    if c := report("verified", "other", p["township-6"], "排污口异味 a smelly outfall", reporter=chiefs["township"]):
        services.case_assign(
            case=c,
            actor=reviewer,
            responsible_unit="天山区生态环境分局 ecology bureau",
            deadline=dt.date(2024, 8, 31),
            at=day("2024-06-20"),
        )
        services.case_rectify(case=c, actor=chiefs["township"], at=day("2024-06-25"))
        services.case_submit(case=c, actor=chiefs["township"], at=day("2024-08-10"))
        services.case_verify(case=c, actor=reviewer, at=day("2024-08-20"))
    if c := report("closed-after-rejection", "dumping", p["district-q1"], "建筑垃圾倾倒 construction spoil dumped"):
        services.case_assign(
            case=c, actor=reviewer, responsible_unit=unit, deadline=dt.date(2024, 4, 30), at=day("2024-02-08")
        )
        services.case_rectify(case=c, actor=district, at=day("2024-03-01"))
        services.case_submit(case=c, actor=district, at=day("2024-03-20"))
        services.case_reject(case=c, actor=reviewer, note="仍有残留 some spoil is left", at=day("2024-03-25"))
        services.case_submit(case=c, actor=district, at=day("2024-04-15"))
        services.case_verify(case=c, actor=reviewer, at=day("2024-04-22"))
        services.case_close(case=c, actor=reviewer, at=day("2024-04-25"))
    for name, key in (("on-spot-1", "village-10"), ("on-spot-2", "village-30")):
        patrol = p.get(key) or p["township-5"]
        chief = User.objects.get(pk=patrol.chief_id)
        if c := report(name, "dumping", patrol, "河面漂浮垃圾，当场打捞 floating rubbish, fished out", reporter=chief):
            services.case_photo_add(case=c, actor=chief, upload=_photo(patrol, name))
            services.case_clear_on_spot(
                case=c, actor=chief, note="立查立清", at=patrol.started_at + dt.timedelta(minutes=30)
            )
    if c := report(
        "complaint",
        "occupation",
        None,
        "群众举报河边私搭菜园 a complaint: vegetable plots on the bank",
        source="complaint",
        reporter=reviewer,
    ):
        services.case_assign(
            case=c, actor=reviewer, responsible_unit=unit, deadline=dt.date(2024, 10, 31), at=day("2024-09-03")
        )
    services.case_flag_overdue(now=dt.datetime(2024, 12, 31, 0, 30, tzinfo=BJ), actor=ACTOR)
    if not CaseRecheck.objects.exists():
        _batch, rechecks = services.recheck_sample(
            actor=reviewer,
            cases=Case.objects.filter(reach=reach, found_at__gte=dt.datetime(2024, 1, 1, tzinfo=BJ)),
            count=2,
            seed=2024,
            now=dt.datetime(2024, 12, 20, 10, tzinfo=BJ),
        )
        services.recheck_record(
            recheck=rechecks[0],
            actor=reviewer,
            outcome="confirmed",
            checked_on=dt.date(2024, 12, 24),
            note="整改到位 still clean",
        )


def _litter(
    chiefs: dict[str, User],
    reach: Reach,
    patrols: dict[str, Patrol],
    year: int = 2024,
    total: Decimal = Decimal("12.2"),
) -> None:
    """`total` tonnes over the year (2024: the seed report's 12.2 t), in 24 removals of varying size."""
    if LitterRemoval.objects.filter(note=NOTE, removed_on__year=year).exists():
        return
    rng = random.Random(122 if year == 2024 else year)  # noqa: S311 - reproducible demo data, not a secret
    prefix = "" if year == 2024 else f"{year}-"
    township = [p for k, p in sorted(patrols.items()) if k.startswith(f"{prefix}township-")]
    # 2024: the reservoir's record (LAKE_TONNES, _lake_demo) is part of the year's 12.2 t.
    rivers = total - LAKE_TONNES if year == 2024 else total
    weights = [rng.uniform(0.5, 1.5) for _ in range(24)]
    tonnes = [Decimal(str(round(float(rivers) * w / sum(weights), 3))) for w in weights]
    tonnes[-1] += rivers - sum(tonnes)
    for i, amount in enumerate(tonnes):
        patrol = township[i % len(township)] if i < len(township) else None
        day = patrol.started_at.astimezone(BJ).date() if patrol else dt.date(year, 3 + i % 10, 1 + (7 * i) % 27)
        actor = chiefs["township"] if patrol else chiefs["village"]
        services.litter_record(actor=actor, reach=reach, removed_on=day, tonnes=amount, patrol=patrol, note=NOTE)


def _lake_demo(password: str) -> None:
    """A reservoir chief: quarterly shore patrols in 2024, a case found on one, a litter record."""
    lake = Lake.objects.filter(code=LAKE).first()
    if lake is None:
        return
    user, created = User.objects.get_or_create(
        username="chief_lake",
        defaults={
            "role": Role.CHIEF,
            "jurisdiction": "650102",
            "display_name": "红雁池水库湖长 Hongyanchi reservoir chief",
        },
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    chief_assign(chief=user, level=ChiefLevel.DISTRICT, lake=lake, valid_from=dt.date(2024, 1, 1), actor=ACTOR)
    rng = random.Random(2402)  # noqa: S311 - reproducible demo data, not a secret
    patrols = []
    for i, day in enumerate((dt.date(2024, 2, 20), dt.date(2024, 5, 14), dt.date(2024, 8, 6), dt.date(2024, 11, 12))):
        start = dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=BJ)
        coords, times = _track(lake, rng, start=start, minutes=70, length_m=4200)
        patrol, _created = services.patrol_submit(
            actor=user,
            patrol_id=_id(f"lake-{i}"),
            reach_id=None,
            lake_id=lake.pk,
            started_at=start,
            ended_at=start + dt.timedelta(minutes=70),
            companions=1,
            mode="foot",
            crs="EPSG:4326",
            track={"type": "LineString", "coordinates": coords},
            times=times,
        )
        patrols.append(patrol)
    found = patrols[1]
    where = found.raw_track.coords[len(found.raw_track.coords) // 3] if found.raw_track else lake.geometry.centroid
    services.case_report(
        actor=user,
        case_id=_id("lake-case-dumping"),
        category="dumping",
        source="patrol",
        lake=lake,
        location=Point(where[0], where[1], srid=WGS84_SRID),
        description="库岸堆放建筑垃圾约 3 m³ Construction waste dumped on the reservoir shore",
        found_at=found.started_at + dt.timedelta(minutes=25),
        patrol=found,
    )
    if not LitterRemoval.objects.filter(note=LAKE_NOTE).exists():
        services.litter_record(
            actor=user,
            lake=lake,
            removed_on=found.started_at.astimezone(BJ).date(),
            tonnes=LAKE_TONNES,
            patrol=found,
            note=LAKE_NOTE,
        )


def load_patrols_demo(*, password: str, **_: Any) -> None:
    reach = Reach.objects.get(code=REACH)
    chiefs = _chiefs(password)
    previous = _regular(chiefs, reach, random.Random(PREVIOUS_YEAR), PREVIOUS_YEAR)  # noqa: S311 - demo data
    patrols = _patrols(chiefs, reach)
    _cases(chiefs, reach, patrols, previous)
    _litter(chiefs, reach, previous, PREVIOUS_YEAR, PREVIOUS_LITTER_TONNES)
    _litter(chiefs, reach, patrols)
    _lake_demo(password)

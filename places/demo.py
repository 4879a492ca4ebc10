"""Demo geography (load_demo): an approximate Urumqi. Demo data only, never in production."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, LineString, MultiLineString, MultiPolygon, Polygon

from accounts.models import User
from core.geo import WGS84_SRID
from places import demo_geography as geo
from places.choices import ChiefLevel
from places.models import Reach
from places.services import chief_assign, division_upsert, lake_upsert, reach_upsert, river_upsert

ACTOR = "load_demo"


def _polygon(rings: list[Any]) -> Polygon:
    return Polygon(*[tuple(tuple(p) for p in ring) for ring in rings], srid=WGS84_SRID)


def _lines(parts: list[Any]) -> MultiLineString:
    return MultiLineString(*[LineString([tuple(p) for p in part]) for part in parts], srid=WGS84_SRID)


def load_places_demo(**_: Any) -> None:
    districts = {d["code"]: _polygon([d["boundary"]]) for d in geo.DISTRICTS}
    city_boundary: GEOSGeometry = MultiPolygon(*districts.values(), srid=WGS84_SRID).unary_union
    division_upsert(
        code=geo.CITY["code"],
        name=geo.CITY["name"],
        name_en=geo.CITY["name_en"],
        boundary=city_boundary,
        actor=ACTOR,
        parent_code_="",
    )
    for d in geo.DISTRICTS:
        division_upsert(
            code=d["code"], name=d["name"], name_en=d["name_en"], boundary=districts[d["code"]], actor=ACTOR
        )
    for t in geo.TOWNSHIPS:
        division_upsert(
            code=t["code"],
            name=t["name"],
            name_en=t["name_en"],
            parent_code_=t["parent"],
            boundary=_polygon([t["boundary"]]),
            actor=ACTOR,
        )
    for r in geo.RIVERS:
        river_upsert(
            code=r["code"],
            name=r["name"],
            name_en=r["name_en"],
            division_code=r["division"],
            geometry=_lines(r["parts"]),
            actor=ACTOR,
        )
    for reach in geo.REACHES:
        reach_upsert(
            code=reach["code"],
            name=reach["name"],
            river_code=reach["river"],
            division_code=reach["division"],
            geometry=_lines(reach["parts"]),
            actor=ACTOR,
        )
    for lake in geo.LAKES:
        lake_upsert(
            code=lake["code"],
            name=lake["name"],
            name_en=lake["name_en"],
            kind=lake["kind"],
            division_code=lake["division"],
            geometry=_polygon(lake["rings"]),
            actor=ACTOR,
        )

    # The demo chief (a Tianshan District chief) is appointed to every reach in the district.
    chief = User.objects.filter(username="chief").first()
    if chief is not None:
        for reach_obj in Reach.objects.filter(division__code__startswith="650102"):
            chief_assign(
                chief=chief, level=ChiefLevel.DISTRICT, reach=reach_obj, valid_from=dt.date(2023, 1, 1), actor=ACTOR
            )

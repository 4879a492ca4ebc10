"""Lakes and reservoirs in patrols (issue 19, items 1 and 4): a lake chief (湖长) logs patrols, cases
and litter on their lake; coverage is the share of the shoreline near the track; compliance counts
lake patrols; `reach=`/`lake=` filters are scoped; reports split rivers and lakes."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
import shapely
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import IntegrityError, transaction
from pyproj import Transformer

from accounts.choices import Role
from accounts.scope import scope_for
from core.periods import quarter
from patrols import report_selectors
from patrols.models import Case, LitterRemoval, Patrol
from patrols.track import local_reach
from places.choices import ChiefLevel
from places.services import chief_assign, lake_upsert
from tests.patrols.conftest import T0, patrol_body, times_for

LON0, LAT0 = 87.70, 43.75  # the square lake's centre, inside 650102 (天山区)
HALF = 500.0  # the square's half side (m): a 1 km square, 4 km of shoreline
_TM = Transformer.from_crs(
    "EPSG:4326", f"+proj=tmerc +lat_0={LAT0} +lon_0={LON0} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m", always_xy=True
)


def _lonlat(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _TM.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float), direction="INVERSE")
    return np.asarray(lon), np.asarray(lat)


def _coords(x: Any, y: Any) -> list[list[float]]:
    lon, lat = _lonlat(x, y)
    return [[round(a, 8), round(b, 8)] for a, b in zip(lon.tolist(), lat.tolist(), strict=True)]


def _square_lake() -> MultiPolygon:
    xs, ys = [-HALF, HALF, HALF, -HALF, -HALF], [-HALF, -HALF, HALF, HALF, -HALF]
    lon, lat = _lonlat(xs, ys)
    return MultiPolygon(Polygon(list(zip(lon.tolist(), lat.tolist(), strict=True))), srid=4326)


def south_shore(n: int = 201, offset_m: float = 30.0) -> list[list[float]]:
    """The whole south shore, west to east, on a path `offset_m` outside the water."""
    return _coords(np.linspace(-HALF, HALF, n), np.full(n, -HALF - offset_m))


@pytest.fixture
def lake_chiefs(geography: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """`lake`: a square 1 km reservoir in 650102; `chief`: its district-level chief (湖长, ≥ 1 patrol
    a quarter and ≥ 30 min a patrol under the seeded rules); `other`: a chief of 650102 appointed to
    the fixture's lake_e only."""
    lake, _ = lake_upsert(
        code="HK-SQ", name="方湖水库", kind="reservoir", division_code="650102", geometry=_square_lake(), actor="t"
    )
    chief = make_user(Role.CHIEF, "650102", username="t_lake_chief", display_name="湖长")
    other = make_user(Role.CHIEF, "650102", username="t_lake_other")
    start = dt.date(2024, 1, 1)
    chief_assign(chief=chief, level=ChiefLevel.DISTRICT, lake=lake, valid_from=start, actor="t")
    chief_assign(chief=other, level=ChiefLevel.DISTRICT, lake=geography["lake_e"], valid_from=start, actor="t")
    return {"lake": lake, "chief": chief, "other": other}


def lake_body(lake: Any, coords: list[list[float]], *, step_s: float = 12.0, start: dt.datetime = T0) -> dict:
    body = patrol_body(lake, coords=coords, step_s=step_s, start=start)
    del body["reach"]
    body["lake"] = lake.pk
    return body


def assert_400(resp: Any, field: str) -> None:
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"], resp.content


# --------------------------------------------------------------------------- the track module (pure)


def test_a_lake_is_checked_on_its_shoreline():
    lake = local_reach(bytes(_square_lake().wkb), buffer_m=300)
    # The line is the shoreline: 4 km around a 1 km square (to a metre: the planes differ a little).
    assert lake.length_m == pytest.approx(4 * 2 * HALF, abs=1.0)
    # On the water and 300 m beyond the shore is "on the lake"; farther is not.
    assert shapely.contains_xy(lake.buffer, *lake.project(*_lonlat([0.0], [0.0])))[0]
    assert shapely.contains_xy(lake.buffer, *lake.project(*_lonlat([0.0], [-HALF - 290.0])))[0]
    assert not shapely.contains_xy(lake.buffer, *lake.project(*_lonlat([0.0], [-HALF - 320.0])))[0]


# --------------------------------------------------------------------------- patrols


def test_lake_patrol_coverage_of_the_shoreline_hand_checked(client_for, lake_chiefs):
    lake, chief = lake_chiefs["lake"], lake_chiefs["chief"]
    # The south shore walked 30 m out, 201 points 5 m apart, 12 s each: 40 min, 1 km.
    resp = client_for(chief).post("/api/v1/patrols/", lake_body(lake, south_shore()), format="json")
    assert resp.status_code == 201, resp.content
    out = resp.json()
    assert out["lake"] == lake.pk
    assert out["reach"] is None
    assert out["level"] == ChiefLevel.DISTRICT
    # By hand: within 200 m (PATROL_COVERAGE_BUFFER_M) of a track 30 m off the south shore lie the
    # whole south side (1,000 m) and the first 170 m of the west and east sides (170 + 30 = 200):
    # 1,340 m of 4,000 m = 0.335 (the 20 m samples give 0.34).
    assert out["coverage"] == pytest.approx(0.335, abs=0.01)
    assert out["inside_share"] == pytest.approx(1.0)
    assert out["flags"] == []
    assert out["distance_m"] == pytest.approx(1000.0, rel=0.01)
    # District chiefs need 30 minutes (the seeded rule), and get them.
    assert out["valid"] is True
    assert out["invalid_reasons"] == []
    patrol = Patrol.objects.get(pk=out["id"])
    assert patrol.lake_id == lake.pk
    assert patrol.reach_id is None

    # The ledger and the detail carry the lake, with the reach members null.
    detail = client_for(chief).get(f"/api/v1/patrols/{out['id']}/").json()["properties"]
    assert (detail["lake"], detail["lake_code"], detail["lake_name"]) == (lake.pk, "HK-SQ", "方湖水库")
    assert (detail["reach"], detail["reach_code"], detail["reach_name"]) == (None, None, None)
    assert detail["division"] == "650102"


def test_lake_patrol_invalid_and_off_the_lake(client_for, lake_chiefs):
    lake, chief = lake_chiefs["lake"], lake_chiefs["chief"]
    # Ten minutes: below the district minimum of 30.
    short = client_for(chief).post("/api/v1/patrols/", lake_body(lake, south_shore(), step_s=3.0), format="json")
    assert short.status_code == 201, short.content
    assert short.json()["valid"] is False
    assert short.json()["invalid_reasons"] == ["duration_below_minimum"]
    # A walk 1 km south of the shore: outside the lake's buffer (300 m), covering none of it.
    far = lake_body(lake, south_shore(offset_m=1000.0), start=T0 + dt.timedelta(hours=3))
    resp = client_for(chief).post("/api/v1/patrols/", far, format="json")
    assert resp.status_code == 201, resp.content
    assert "outside_reach" in resp.json()["flags"]
    assert resp.json()["inside_share"] == 0.0
    assert resp.json()["coverage"] == 0.0
    # A boat across the middle of the water is on the lake (the water surface counts).
    n = 101
    boat = lake_body(lake, _coords(np.linspace(-400, 400, n), np.zeros(n)), start=T0 + dt.timedelta(hours=6))
    boat["mode"] = "boat"
    resp = client_for(chief).post("/api/v1/patrols/", boat, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["inside_share"] == pytest.approx(1.0)
    assert "outside_reach" not in resp.json()["flags"]


def test_lake_patrol_in_parts_matches_the_one_shot_post(client_for, lake_chiefs):
    lake, chief = lake_chiefs["lake"], lake_chiefs["chief"]
    api = client_for(chief)
    coords = south_shore()
    times = times_for(len(coords), step_s=12.0)
    pid = str(uuid.uuid4())
    start = {"id": pid, "lake": lake.pk, "mode": "foot", "companions": 0, "started_at": T0.isoformat()}
    assert api.post("/api/v1/patrols/start/", start, format="json").status_code == 201
    assert api.post("/api/v1/patrols/start/", start, format="json").status_code == 200  # a resend
    resp = api.post(f"/api/v1/patrols/{pid}/points/", {"seq": 0, "coordinates": coords, "times": times}, format="json")
    assert resp.status_code == 200, resp.content
    resp = api.post(f"/api/v1/patrols/{pid}/end/", {"ended_at": times[-1]}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["lake"] == lake.pk
    assert resp.json()["reach"] is None
    assert resp.json()["coverage"] == pytest.approx(0.335, abs=0.01)
    assert resp.json()["valid"] is True


def test_both_or_neither_is_a_400_naming_the_member(client_for, lake_chiefs, geography):
    lake, chief = lake_chiefs["lake"], lake_chiefs["chief"]
    api = client_for(chief)
    both = lake_body(lake, south_shore())
    both["reach"] = geography["reach_e"].pk
    neither = lake_body(lake, south_shore())
    del neither["lake"]
    for body, field in ((both, "lake"), (neither, "reach")):
        resp = api.post("/api/v1/patrols/", body, format="json")
        assert resp.status_code == 400, resp.content
        assert field in resp.json()["error"]["fields"], resp.json()
        start = {k: body[k] for k in ("id", "mode", "started_at") if k in body} | {
            k: body[k] for k in ("reach", "lake") if k in body
        }
        resp = api.post("/api/v1/patrols/start/", start, format="json")
        assert_400(resp, field)
    case = {
        "id": str(uuid.uuid4()),
        "category": "dumping",
        "source": "complaint",
        "location": {"type": "Point", "coordinates": [LON0, LAT0]},
        "description": "库岸垃圾",
        "found_at": T0.isoformat(),
    }
    litter = {"removed_on": "2024-05-06", "tonnes": "0.2"}
    for url, body in (("/api/v1/patrols/cases/", case), ("/api/v1/patrols/litter/", litter)):
        resp = api.post(url, {**body, "reach": geography["reach_e"].pk, "lake": lake.pk}, format="json")
        assert_400(resp, "lake")
        resp = api.post(url, body, format="json")
        assert_400(resp, "reach")
    assert not Patrol.objects.exists()
    assert not Case.objects.exists()
    assert not LitterRemoval.objects.exists()


def test_the_database_refuses_both_or_neither(lake_chiefs, geography, users):
    lake = lake_chiefs["lake"]
    for reach, lk in ((geography["reach_e"], lake), (None, None)):
        with pytest.raises(IntegrityError), transaction.atomic():
            LitterRemoval.objects.create(
                reach=reach, lake=lk, removed_on=dt.date(2024, 5, 6), tonnes=Decimal(1), recorded_by=users["admin"]
            )


def test_a_chief_not_appointed_to_the_lake_is_refused(client_for, lake_chiefs, geography):
    lake, other = lake_chiefs["lake"], lake_chiefs["other"]
    api = client_for(other)
    resp = api.post("/api/v1/patrols/", lake_body(lake, south_shore()), format="json")
    assert_400(resp, "lake")
    case = {
        "id": str(uuid.uuid4()),
        "category": "dumping",
        "source": "complaint",
        "lake": lake.pk,
        "location": {"type": "Point", "coordinates": [LON0, LAT0]},
        "description": "库岸垃圾",
        "found_at": T0.isoformat(),
    }
    resp = api.post("/api/v1/patrols/cases/", case, format="json")
    assert_400(resp, "lake")
    resp = api.post(
        "/api/v1/patrols/litter/", {"lake": lake.pk, "removed_on": "2024-05-06", "tonnes": "0.2"}, format="json"
    )
    assert_400(resp, "lake")
    # A river chief cannot log on a lake either (their reach appointment is not the lake's).
    assert not Patrol.objects.exists()
    assert not Case.objects.exists()
    assert not LitterRemoval.objects.exists()


def test_case_and_litter_on_the_lake_end_to_end(client_for, lake_chiefs, geography, chiefs):
    lake, chief = lake_chiefs["lake"], lake_chiefs["chief"]
    api = client_for(chief)
    patrol = api.post("/api/v1/patrols/", lake_body(lake, south_shore()), format="json").json()
    case = {
        "id": str(uuid.uuid4()),
        "category": "dumping",
        "source": "patrol",
        "patrol": patrol["id"],
        "lake": lake.pk,
        "location": {"type": "Point", "coordinates": south_shore()[50]},
        "description": "库岸堆放建筑垃圾",
        "found_at": (T0 + dt.timedelta(minutes=10)).isoformat(),
    }
    resp = api.post("/api/v1/patrols/cases/", case, format="json")
    assert resp.status_code == 201, resp.content
    props = resp.json()["properties"]
    assert (props["lake"], props["lake_code"], props["reach"], props["division"]) == (lake.pk, "HK-SQ", None, "650102")
    assert api.post("/api/v1/patrols/cases/", case, format="json").status_code == 200  # a resend
    # The lake patrol named on a reach's case is refused.
    wrong = {**case, "id": str(uuid.uuid4()), "lake": None, "reach": geography["reach_e"].pk}
    assert client_for(chiefs["township"]).post("/api/v1/patrols/cases/", wrong, format="json").status_code == 400
    litter = {"lake": lake.pk, "removed_on": "2024-05-06", "tonnes": "0.350", "patrol": patrol["id"]}
    resp = api.post("/api/v1/patrols/litter/", litter, format="json")
    assert resp.status_code == 201, resp.content
    assert (resp.json()["lake"], resp.json()["lake_code"], resp.json()["reach"]) == (lake.pk, "HK-SQ", None)
    assert api.post("/api/v1/patrols/litter/", litter, format="json").status_code == 200  # resend by content
    assert LitterRemoval.objects.get().lake_id == lake.pk
    # The case goes through its workflow like any other (the office assigns it).
    from accounts.models import User

    admin = User.objects.get(username="t_admin")
    resp = client_for(admin).post(
        f"/api/v1/patrols/cases/{case['id']}/assign/",
        {"responsible_unit": "水库管理处", "deadline": "2024-06-30"},
        format="json",
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["properties"]["status"] == "assigned"
    # Exports name the lake.
    csv = api.get("/api/v1/patrols/export/?format=csv").content.decode("utf-8-sig")
    assert "HK-SQ" in csv


# --------------------------------------------------------------------------- compliance, filters, reports


def test_compliance_counts_lake_patrols(client_for, lake_chiefs, users):
    lake, chief = lake_chiefs["lake"], lake_chiefs["chief"]
    url = f"/api/v1/patrols/compliance/?start=2024-04-01&end=2024-09-30&chief={chief.pk}"
    rows = client_for(users["admin"]).get(url).json()["results"]
    # District level: ≥ 1 a quarter (seeded); Q2 and Q3 both missed before any patrol.
    assert [(r["level"], r["required"], r["valid"], r["missing"]) for r in rows] == [("district", 2, 0, 2)]
    assert client_for(chief).post("/api/v1/patrols/", lake_body(lake, south_shore()), format="json").status_code == 201
    rows = client_for(users["admin"]).get(url).json()["results"]
    assert [(r["required"], r["done"], r["valid"], r["missing"]) for r in rows] == [(2, 1, 1, 1)]
    # The lake filter finds the lake's chiefs; the chief sees their own row.
    rows = client_for(chief).get(url + f"&lake={lake.pk}").json()["results"]
    assert [r["chief"] for r in rows] == [chief.pk]


def test_reach_and_lake_filters_are_scoped(client_for, lake_chiefs, geography, chiefs, users):
    lake, chief = lake_chiefs["lake"], lake_chiefs["chief"]
    client_for(chief).post("/api/v1/patrols/", lake_body(lake, south_shore()), format="json")
    client_for(chiefs["township"]).post("/api/v1/patrols/", patrol_body(geography["reach_e"]), format="json")
    client_for(chief).post(
        "/api/v1/patrols/litter/", {"lake": lake.pk, "removed_on": "2024-05-06", "tonnes": "0.2"}, format="json"
    )
    reviewer = client_for(users["city_reviewer"])

    def ids(url: str) -> list[Any]:
        resp = reviewer.get(url)
        assert resp.status_code == 200, resp.content
        body = resp.json()
        rows = body.get("features", body.get("results"))
        return [(r.get("properties", r)["reach"], r.get("properties", r)["lake"]) for r in rows]

    assert ids(f"/api/v1/patrols/?lake={lake.pk}") == [(None, lake.pk)]
    assert ids(f"/api/v1/patrols/?reach={geography['reach_e'].pk}") == [(geography["reach_e"].pk, None)]
    assert sorted(ids("/api/v1/patrols/?division=650102"), key=str) == sorted(
        [(None, lake.pk), (geography["reach_e"].pk, None)], key=str
    )
    assert ids(f"/api/v1/patrols/litter/?lake={lake.pk}") == [(None, lake.pk)]
    assert ids(f"/api/v1/patrols/cases/?lake={lake.pk}") == []
    # A reviewer of 650103 may not filter on a lake or reach of 650102: 400 naming the member.
    west = client_for(users["reviewer_650103"])
    for path in ("/api/v1/patrols/", "/api/v1/patrols/cases/", "/api/v1/patrols/litter/"):
        resp = west.get(f"{path}?lake={lake.pk}")
        assert_400(resp, "lake")
        resp = west.get(f"{path}?reach={geography['reach_e'].pk}")
        assert_400(resp, "reach")
    resp = west.get(f"/api/v1/patrols/compliance/?start=2024-04-01&end=2024-06-30&lake={lake.pk}")
    assert_400(resp, "lake")
    # Their own lake is fine (and empty).
    assert west.get(f"/api/v1/patrols/?lake={geography['lake_w'].pk}").json()["features"] == []
    # The lake chief reads their lake's rows; a 650103 lake is outside their scope.
    own = client_for(chief).get(f"/api/v1/patrols/?lake={lake.pk}")
    assert own.status_code == 200
    assert len(own.json()["features"]) == 1
    assert client_for(chief).get(f"/api/v1/patrols/?lake={geography['lake_w'].pk}").status_code == 400


def test_reports_split_rivers_and_lakes(client_for, lake_chiefs, geography, chiefs, users):
    lake, chief = lake_chiefs["lake"], lake_chiefs["chief"]
    client_for(chief).post("/api/v1/patrols/", lake_body(lake, south_shore()), format="json")
    client_for(chiefs["township"]).post("/api/v1/patrols/", patrol_body(geography["reach_e"]), format="json")
    client_for(chief).post(
        "/api/v1/patrols/litter/", {"lake": lake.pk, "removed_on": "2024-05-06", "tonnes": "0.2"}, format="json"
    )
    scope = scope_for(users["city_reviewer"])
    report = report_selectors.patrol_report(scope=scope, period=quarter(2024, 2))
    assert report["patrols"] == 2
    assert report["by_water"]["lakes"]["patrols"] == 1
    assert report["by_water"]["rivers"]["patrols"] == 1
    assert report["by_water"]["lakes"]["person_times"] == 3
    assert report["by_water"]["lakes"]["km"] == pytest.approx(1.0, abs=0.01)
    assert report["by_water"]["lakes"]["litter_tonnes"] == Decimal("0.200")
    assert report["by_water"]["rivers"]["litter_tonnes"] == Decimal("0.000")
    assert [row["code"] for row in report["by_division"]] == ["650102"]
    assert report["by_division"][0]["patrols"] == 2
    only_lake = report_selectors.patrol_report(scope=scope, period=quarter(2024, 2), lake_id=lake.pk)
    assert only_lake["patrols"] == 1
    assert only_lake["by_water"]["rivers"]["patrols"] == 0
    # The report's section carries the split, and the drill-down keeps one side of it.
    resp = client_for(users["city_reviewer"]).get("/api/v1/reports/summary/?start=2024-04-01&end=2024-06-30")
    assert resp.status_code == 200, resp.content
    section = resp.json()["sections"]["patrols"] if "sections" in resp.json() else resp.json()["patrols"]
    water = {row["water"]: row for row in section["by_water"]}
    assert (water["rivers"]["patrols"], water["lakes"]["patrols"]) == (1, 1)
    # The workbook's patrol sheet has the split as a table (rivers, then lakes).
    import io

    from openpyxl import load_workbook

    xlsx = client_for(users["city_reviewer"]).get(
        "/api/v1/reports/summary/?start=2024-04-01&end=2024-06-30&format=xlsx"
    )
    assert xlsx.status_code == 200
    sheet = next(ws for ws in load_workbook(io.BytesIO(xlsx.content)).worksheets if ws.title.startswith("巡河"))
    cells = [[c.value for c in r] for r in sheet.iter_rows()]
    at = next(i for i, r in enumerate(cells) if r[0] == "河流与湖库 Rivers and lakes")
    # Below the section's title, the Chinese and the English header rows, then rivers and lakes.
    assert cells[at + 2][:2] == ["Water body", "Patrols"]
    assert [r[1] for r in cells[at + 3 : at + 5]] == [1, 1]
    assert cells[at + 3][0] in ("河流", "Rivers")
    assert cells[at + 4][0] in ("湖泊和水库", "Lakes and reservoirs")
    rows = client_for(users["city_reviewer"]).get(
        "/api/v1/reports/rows/?figure=patrols&start=2024-04-01&end=2024-06-30&water=lakes"
    )
    assert rows.status_code == 200, rows.content
    assert [(r["reach"], r["lake"]) for r in rows.json()["results"]] == [(None, "HK-SQ")]
    rows = client_for(users["reviewer_650103"]).get(
        f"/api/v1/reports/rows/?figure=patrols&start=2024-04-01&end=2024-06-30&lake={lake.pk}"
    )
    assert_400(rows, "lake")


def test_a_reach_patrol_answers_as_before_with_a_null_lake(client_for, chiefs, geography):
    resp = client_for(chiefs["township"]).post("/api/v1/patrols/", patrol_body(geography["reach_e"]), format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["reach"] == geography["reach_e"].pk
    assert resp.json()["lake"] is None

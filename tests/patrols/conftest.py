"""Fixtures of the patrols tests: chiefs appointed to the shared geography's reaches, and tracks that
walk along a reach (built in a local metric plane, like the server's own checks)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import shapely

from accounts.choices import Role
from accounts.models import User
from patrols.track import local_reach
from places.choices import ChiefLevel
from places.services import chief_assign

BJ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2024, 5, 6, 9, 0, tzinfo=BJ)  # a Monday in the March–December season


@pytest.fixture
def chiefs(users: dict[str, User], geography: dict[str, Any], make_user: Callable[..., User]) -> dict[str, User]:
    """`township`: the conftest's chief_650102, appointed as township chief of the east reach;
    `village`: a second chief of the same reach (village level); `west`: a village chief of the west
    reach (in 650103)."""
    township = users["chief_650102"]
    village = make_user(Role.CHIEF, "650102", username="t_chief_village", display_name="村级河长")
    west = make_user(Role.CHIEF, "650103", username="t_chief_west")
    start = dt.date(2024, 1, 1)
    chief_assign(chief=township, level=ChiefLevel.TOWNSHIP, reach=geography["reach_e"], valid_from=start, actor="t")
    chief_assign(chief=village, level=ChiefLevel.VILLAGE, reach=geography["reach_e"], valid_from=start, actor="t")
    chief_assign(chief=west, level=ChiefLevel.VILLAGE, reach=geography["reach_w"], valid_from=start, actor="t")
    return {"township": township, "village": village, "west": west}


def along(reach: Any, *, start_m: float, length_m: float, n: int, offset_m: float = 30.0) -> list[list[float]]:
    """`n` lon/lat positions walking `length_m` metres along `reach` from `start_m`, `offset_m` to the
    side (a path on the bank), computed in the reach's local plane."""
    local = local_reach(bytes(reach.geometry.wkb), buffer_m=300)
    distances = np.linspace(start_m, start_m + length_m, n)
    points = shapely.line_interpolate_point(shapely.get_geometry(local.line, 0), distances)
    xy = shapely.get_coordinates(points)
    # Offset perpendicular to the local direction.
    d = np.gradient(xy, axis=0)
    norm = np.hypot(d[:, 0], d[:, 1])
    norm[norm == 0] = 1
    x = xy[:, 0] - offset_m * d[:, 1] / norm
    y = xy[:, 1] + offset_m * d[:, 0] / norm
    lon, lat = local.unproject(x, y)
    return [[round(a, 8), round(b, 8)] for a, b in zip(lon.tolist(), lat.tolist(), strict=True)]


def times_for(n: int, *, start: dt.datetime = T0, step_s: float = 3.0) -> list[str]:
    return [(start + dt.timedelta(seconds=step_s * i)).isoformat() for i in range(n)]


def patrol_body(
    reach: Any,
    *,
    n: int = 1200,
    length_m: float = 3000.0,
    start: dt.datetime = T0,
    step_s: float = 3.0,
    coords: list[list[float]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A valid one-shot body: `n` points over `length_m` along the reach, `step_s` apart (default one
    hour, 3 km: valid for a township chief)."""
    coords = coords if coords is not None else along(reach, start_m=500.0, length_m=length_m, n=n)
    times = times_for(len(coords), start=start, step_s=step_s)
    body = {
        "id": str(uuid.uuid4()),
        "reach": reach.pk,
        "started_at": start.isoformat(),
        "ended_at": (start + dt.timedelta(seconds=step_s * (len(coords) - 1))).isoformat(),
        "companions": 2,
        "mode": "foot",
        "track": {"type": "LineString", "coordinates": coords},
        "times": times,
        "crs": "EPSG:4326",
    }
    body.update(extra)
    return body


@pytest.fixture
def post_patrol(client_for: Callable[..., Any]) -> Callable[..., Any]:
    def post(user: User, body: dict[str, Any]) -> Any:
        return client_for(user).post("/api/v1/patrols/", body, format="json")

    return post

"""reading_ingest_batch(check_order=True): a register below the stored reading before it, or above the
one after it, is refused (400, code register_order, the row named, nothing written); without the
option (the API's default) it is stored and left to the volume engine."""

from __future__ import annotations

import pytest

from accounts.scope import scope_for
from core.exceptions import InvalidInput
from tests.water.conftest import T0, hours
from water import ingest
from water.models import Reading
from water.services import RegisterOrderError, reading_ingest_batch

pytestmark = pytest.mark.django_db


def _rows(*readings: tuple[float, float]) -> list[ingest.Row]:
    body = {
        "readings": [
            {"meter": "WM-E1", "observed_at": (T0 + hours(h)).isoformat(), "cumulative_m3": v} for h, v in readings
        ]
    }
    return ingest.parse_json_batch(body, now=T0 + hours(1000), future_tolerance_s=0, max_rows=100)


def _ingest(user, rows, **kw):
    return reading_ingest_batch(rows=rows, scope=scope_for(user), source="manual", actor=user, **kw)


def test_a_register_below_the_one_before_is_refused_when_asked(users, water):
    admin = users["admin"]
    _ingest(admin, _rows((1, 1010), (3, 1030)))
    count = Reading.objects.count()
    with pytest.raises(RegisterOrderError) as caught:
        _ingest(admin, _rows((4, 1020)), check_order=True)
    err = caught.value
    assert isinstance(err, InvalidInput)
    assert err.code == "register_order"
    assert list(err.fields) == ["readings[0].cumulative_m3"]
    side, at, value = err.neighbours[0]
    assert (side, at, value) == ("before", T0 + hours(3), 1030)
    assert Reading.objects.count() == count
    # Without the option the same row is stored (the volume engine flags it).
    assert _ingest(admin, _rows((4, 1020))).created == 1


def test_a_register_above_the_one_after_is_refused_when_asked(users, water):
    admin = users["admin"]
    _ingest(admin, _rows((1, 1010), (3, 1030)))
    with pytest.raises(RegisterOrderError) as caught:
        _ingest(admin, _rows((2, 1040)), check_order=True)
    assert caught.value.neighbours[0][0] == "after"
    assert "readings[0].cumulative_m3" in caught.value.fields
    # In order: stored.
    assert _ingest(admin, _rows((2, 1020)), check_order=True).created == 1

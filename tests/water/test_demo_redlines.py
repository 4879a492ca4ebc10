"""The demo's 2023 has red-line targets (issue 19 item 7): the 2023 red-line summary shows a target, an
actual and a state for every indicator, derived from 2024's as water/README.md (demo) says, and the
2023 use lies under the 2023 cap."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from accounts.models import User
from accounts.scope import scope_for
from core.demo import demo_loaders
from water.selectors import redline_summary

pytestmark = pytest.mark.django_db

LOADERS = {"accounts", "places", "water"}


@pytest.fixture
def reviewer(settings, tmp_path) -> User:
    settings.MEDIA_ROOT = str(tmp_path)
    for name, loader in demo_loaders():
        if name in LOADERS:
            loader(password="demo-pass-for-tests", password_generated=False, stdout=io.StringIO())
    return User.objects.get(username="reviewer")


def test_the_2023_red_lines_have_targets_and_states(reviewer, client_for):
    scope = scope_for(reviewer)
    before = {i.key: i for i in redline_summary(scope=scope, year=2023, division_code="650100").indicators}
    after = {i.key: i for i in redline_summary(scope=scope, year=2024, division_code="650100").indicators}
    assert set(before) == {"total_use", "per_gdp", "per_iva", "irrigation", "zone_compliance"}
    for key, ind in before.items():
        assert ind.target is not None, key
        assert ind.actual is not None, key
        assert ind.state in ("met", "not_met"), (key, ind.state)  # 2023 is over: met or not
    # Derived from 2024's: the same cap, the intensities ÷ (1 − 3.4 %), the coefficient one step less.
    assert before["total_use"].target == after["total_use"].target
    assert before["per_gdp"].target == Decimal("5.18")  # 5.0 ÷ 0.966
    assert before["per_iva"].target == Decimal("4.14")  # 4.0 ÷ 0.966
    assert before["irrigation"].target == Decimal("0.577")
    assert before["zone_compliance"].target == after["zone_compliance"].target
    # Plausible against the 2023 use: measured below 2024's and under the cap, so the cap is met.
    assert before["total_use"].actual < after["total_use"].actual
    assert before["total_use"].actual < before["total_use"].target
    assert before["total_use"].state == "met"
    assert 0.85 < before["total_use"].actual / before["total_use"].target < 0.97
    # The API answers the same for 2023.
    resp = client_for(reviewer).get("/api/v1/water/redlines/summary/?year=2023&division=650100")
    assert resp.status_code == 200, resp.content
    body = {i["key"]: i for i in resp.json()["indicators"]}
    assert Decimal(str(body["per_gdp"]["target"])) == Decimal("5.18")
    assert body["total_use"]["state"] == "met"

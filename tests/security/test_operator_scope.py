"""Operators (取水户 accounts) see their own intakes only (README, SPEC; issue 14: an operator read the
whole jurisdiction's reclaimed-water users and deliveries, quality samples and chief appointments)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

NOT_THEIRS = [
    "/api/v1/reuse/users/",
    "/api/v1/reuse/users/export/",
    "/api/v1/reuse/deliveries/",
    "/api/v1/reuse/deliveries/export/",
    "/api/v1/quality/samples/",
    "/api/v1/places/assignments/",
]


@pytest.mark.parametrize("url", NOT_THEIRS)
def test_operator_is_refused_rows_of_no_intake_of_theirs(url, client_for, users):
    assert client_for(users["operator"]).get(url).status_code == 403
    assert client_for(users["city_reviewer"]).get(url).status_code == 200
    # Their own intakes stay theirs (tests/water/test_ledger_api.py checks which ones).
    assert client_for(users["operator"]).get("/api/v1/water/intakes/").status_code == 200

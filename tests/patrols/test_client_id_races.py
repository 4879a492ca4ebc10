"""Client-chosen ids under concurrency (issue 14): 12 identical POST /patrols/start/ gave 7 × 500, 12
identical POST /patrols/cases/ gave 4 false 409s. Racing identical resends answer as a resend."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

import pytest

from patrols.models import Case, Patrol
from tests.concurrency import race
from tests.patrols.conftest import patrol_body
from tests.patrols.test_cases import case_body

N = 12


@pytest.mark.django_db(transaction=True)
def test_racing_identical_patrol_starts(client_for, chiefs, geography):
    body = patrol_body(geography["reach_e"])
    head = {k: body[k] for k in ("id", "reach", "started_at", "companions", "mode", "crs")}
    clients = [client_for(chiefs["township"]) for _ in range(N)]

    def post(client: Any) -> int:
        return int(client.post("/api/v1/patrols/start/", head, format="json").status_code)

    results = race([partial(post, c) for c in clients])
    assert sorted(results) == [200] * (N - 1) + [201], results
    assert Patrol.objects.filter(pk=body["id"]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_identical_cases(client_for, chiefs, geography):
    body = case_body(geography)
    clients = [client_for(chiefs["township"]) for _ in range(N)]

    def post(client: Any) -> int:
        return int(client.post("/api/v1/patrols/cases/", body, format="json").status_code)

    results = race([partial(post, c) for c in clients])
    assert sorted(results) == [200] * (N - 1) + [201], results
    assert Case.objects.filter(pk=body["id"]).count() == 1
    # Other content under the id is still a conflict.
    other = client_for(chiefs["township"]).post(
        "/api/v1/patrols/cases/", {**body, "description": "别的"}, format="json"
    )
    assert other.status_code == 409
    assert uuid.UUID(body["id"])

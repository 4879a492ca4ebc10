"""Two identical requests with the same Idempotency-Key racing on separate connections: exactly one
write, and both callers get the same answer (the unique (user, key) constraint decides)."""

from __future__ import annotations

from functools import partial

import pytest

from accounts.choices import Role
from places.models import ChiefAssignment
from tests.concurrency import race


@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_write_once(client_for, users, geography, make_user):
    chief = make_user(Role.CHIEF, "650102", username="race_chief")
    body = {"chief": chief.pk, "level": "district", "reach": geography["reach_e"].pk, "valid_from": "2024-01-01"}
    clients = [client_for(users["admin"]) for _ in range(4)]

    def post(client) -> tuple[int, dict]:
        resp = client.post("/api/v1/places/assignments/", body, format="json", HTTP_IDEMPOTENCY_KEY="race-1")
        return resp.status_code, resp.json()

    results = race([partial(post, c) for c in clients])
    assert len(results) == 4
    assert {status for status, _ in results} == {201}
    assert len({r["id"] for _, r in results}) == 1
    assert ChiefAssignment.objects.count() == 1

"""Two identical requests with the same Idempotency-Key racing on separate connections: exactly one
write, and both callers get the same answer (the unique (user, key) constraint decides)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.choices import Role
from places.models import ChiefAssignment


@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_write_once(client_for, users, geography, make_user):
    chief = make_user(Role.CHIEF, "650102", username="race_chief")
    body = {"chief": chief.pk, "level": "district", "reach": geography["reach_e"].pk, "valid_from": "2024-01-01"}
    barrier = threading.Barrier(4)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()
    clients = [client_for(users["admin"]) for _ in range(4)]

    def post(client) -> None:
        try:
            barrier.wait(timeout=10)
            resp = client.post("/api/v1/places/assignments/", body, format="json", HTTP_IDEMPOTENCY_KEY="race-1")
            with lock:
                results.append((resp.status_code, resp.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 4
    assert {status for status, _ in results} == {201}
    assert len({r["id"] for _, r in results}) == 1
    assert ChiefAssignment.objects.count() == 1

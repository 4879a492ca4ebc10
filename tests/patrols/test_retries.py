"""Retries after a lost reply (issue 14): litter sent without a client id was doubled in 11 of 154
retries, and a case transition sent again answered 409 though the first try had done it. A resend
answers as a resend (200, the stored record or the case as it now is); a real conflict stays a 409."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

import pytest

from accounts.choices import Role
from core.models import AuditLog
from patrols.models import Case, CaseEvent, LitterRemoval
from tests.concurrency import race
from tests.patrols.test_cases import URL, act, case_body

LITTER = "/api/v1/patrols/litter/"
N = 12


@pytest.fixture
def litter(geography) -> dict[str, Any]:
    return {"reach": geography["reach_e"].pk, "removed_on": "2024-05-06", "tonnes": "1.250", "note": "河岸垃圾"}


# --------------------------------------------------------------------------- litter without a client id


@pytest.mark.django_db
def test_litter_sent_again_after_a_lost_reply_is_counted_once(client_for, chiefs, litter):
    chief = client_for(chiefs["township"])
    first = chief.post(LITTER, litter, format="json")
    assert first.status_code == 201, first.content
    # The reply was lost; the phone sends the same record again (the number written another way).
    again = chief.post(LITTER, {**litter, "tonnes": 1.25}, format="json")
    assert again.status_code == 200, again.content
    assert again.json() == first.json()
    assert LitterRemoval.objects.count() == 1
    assert AuditLog.objects.filter(entity="patrols.litterremoval", action="create").count() == 1


@pytest.mark.django_db
def test_other_litter_content_or_person_or_a_later_time_is_a_new_record(client_for, chiefs, litter):
    chief = client_for(chiefs["township"])
    assert chief.post(LITTER, litter, format="json").status_code == 201
    for change in ({"tonnes": "1.3"}, {"note": ""}, {"removed_on": "2024-05-07"}):
        assert chief.post(LITTER, {**litter, **change}, format="json").status_code == 201, change
    # Another person recording the same removal is their own record.
    assert client_for(chiefs["village"]).post(LITTER, litter, format="json").status_code == 201
    assert LitterRemoval.objects.count() == 5
    # Past the resend window the same content is a second removal.
    LitterRemoval.objects.update(created_at=dt.datetime(2024, 5, 6, tzinfo=dt.UTC))
    assert chief.post(LITTER, litter, format="json").status_code == 201
    assert LitterRemoval.objects.count() == 6


@pytest.mark.django_db
def test_litter_under_idempotency_keys_is_told_apart_by_the_key(client_for, chiefs, litter, settings):
    chief = client_for(chiefs["township"])
    one = chief.post(LITTER, litter, format="json", HTTP_IDEMPOTENCY_KEY="load-1")
    two = chief.post(LITTER, litter, format="json", HTTP_IDEMPOTENCY_KEY="load-2")
    assert (one.status_code, two.status_code) == (201, 201)
    replay = chief.post(LITTER, litter, format="json", HTTP_IDEMPOTENCY_KEY="load-1")
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    assert LitterRemoval.objects.count() == 2
    # The window set to 0 turns matching by content off.
    settings.PATROL_LITTER_RESEND_MINUTES = 0
    assert chief.post(LITTER, litter, format="json").status_code == 201
    assert chief.post(LITTER, litter, format="json").status_code == 201
    assert LitterRemoval.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_racing_litter_resends_without_a_client_id_write_one_record(client_for, chiefs, litter):
    clients = [client_for(chiefs["township"]) for _ in range(N)]

    def post(client: Any) -> tuple[int, int]:
        resp = client.post(LITTER, litter, format="json")
        return int(resp.status_code), int(resp.json()["id"])

    results = race([partial(post, c) for c in clients])
    assert sorted(code for code, _ in results) == [200] * (N - 1) + [201], results
    assert len({pk for _, pk in results}) == 1
    assert LitterRemoval.objects.count() == 1


# --------------------------------------------------------------------------- case transitions without a key


@pytest.fixture
def verified_case(client_for, users, chiefs, geography) -> str:
    chief, reviewer = client_for(chiefs["township"]), client_for(users["city_reviewer"])
    resp = chief.post(URL, case_body(geography), format="json")
    assert resp.status_code == 201, resp.content
    cid = resp.json()["id"]
    assign = {"responsible_unit": "天山区城管局", "deadline": "2024-06-30"}
    assert act(reviewer, cid, "assign", assign).status_code == 200
    assert act(chief, cid, "rectify").status_code == 200
    assert act(chief, cid, "submit").status_code == 200
    assert act(reviewer, cid, "verify").status_code == 200
    return str(cid)


def _transitions(cid: str) -> int:
    return AuditLog.objects.filter(entity="patrols.case", entity_id=cid, action="transition").count()


@pytest.mark.django_db
def test_a_transition_sent_again_answers_with_the_case_as_it_is(client_for, users, verified_case):
    reviewer = client_for(users["city_reviewer"])
    first = act(reviewer, verified_case, "close", {"note": "验收合格"})
    assert first.status_code == 200, first.content
    events, audits = CaseEvent.objects.filter(case_id=verified_case).count(), _transitions(verified_case)
    again = act(reviewer, verified_case, "close", {"note": "验收合格"})
    assert again.status_code == 200, again.content
    assert again.json() == first.json()
    assert CaseEvent.objects.filter(case_id=verified_case).count() == events
    assert _transitions(verified_case) == audits


@pytest.mark.django_db
def test_a_conflicting_transition_is_still_409(client_for, users, chiefs, verified_case, make_user):
    reviewer = client_for(users["city_reviewer"])
    assert act(reviewer, verified_case, "close", {"note": "验收合格"}).status_code == 200
    other_reviewer = make_user(Role.REVIEWER, "650100", username="t_reviewer_two")
    for who, action, body in (
        (reviewer, "close", {"note": "另一说明"}),  # other content
        (client_for(other_reviewer), "close", {"note": "验收合格"}),  # another person
        (reviewer, "verify", {}),  # another step
        (client_for(chiefs["township"]), "submit", {}),  # a step taken long before
    ):
        resp = who.post(f"{URL}{verified_case}/{action}/", body, format="json")
        assert resp.status_code == 409, (action, resp.content)
        assert resp.json()["error"]["code"] == "invalid_transition"
    assert Case.objects.get(pk=verified_case).status == "closed"


@pytest.mark.django_db
def test_an_assignment_sent_again_must_name_the_same_unit_and_deadline(client_for, users, chiefs, geography):
    reviewer = client_for(users["city_reviewer"])
    cid = client_for(chiefs["township"]).post(URL, case_body(geography), format="json").json()["id"]
    body = {"responsible_unit": "天山区城管局", "deadline": "2024-06-30"}
    assert act(reviewer, cid, "assign", body).status_code == 200
    assert act(reviewer, cid, "assign", {**body, "responsible_unit": " 天山区城管局 "}).status_code == 200
    assert act(reviewer, cid, "assign", {**body, "deadline": "2024-07-31"}).status_code == 409
    assert act(reviewer, cid, "assign", {**body, "responsible_unit": "水务局"}).status_code == 409
    assert CaseEvent.objects.filter(case_id=cid, to_status="assigned").count() == 1
    # Once the case moved on, the old step sent again is a conflict, not a resend.
    assert act(client_for(chiefs["township"]), cid, "rectify").status_code == 200
    assert act(reviewer, cid, "assign", body).status_code == 409


@pytest.mark.django_db(transaction=True)
def test_racing_identical_transitions_move_the_case_once(client_for, users, verified_case):
    clients = [client_for(users["city_reviewer"]) for _ in range(N)]

    def close(client: Any) -> tuple[int, str]:
        resp = act(client, verified_case, "close", {"note": "验收合格"})
        return int(resp.status_code), str(resp.json().get("properties", {}).get("status"))

    results = race([partial(close, c) for c in clients])
    assert results == [(200, "closed")] * N, results
    assert CaseEvent.objects.filter(case_id=verified_case, to_status="closed").count() == 1

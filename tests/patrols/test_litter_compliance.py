"""Litter removal records, and frequency compliance against the rule table (Akqi defaults: village
weekly and township monthly from March to December, domain.md §4.2)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from functools import partial
from typing import Any

import pytest

from core.models import AuditLog
from patrols.models import LitterRemoval, Patrol, PatrolFrequencyRule
from patrols.selectors import sub_periods
from patrols.services import frequency_rule_save
from tests.concurrency import race
from tests.patrols.conftest import BJ, patrol_body

pytestmark = pytest.mark.django_db
LITTER = "/api/v1/patrols/litter/"


def test_litter_is_recorded_scoped_and_exported(client_for, users, chiefs, geography):
    chief = client_for(chiefs["township"])
    resp = chief.post(
        LITTER, {"reach": geography["reach_e"].pk, "removed_on": "2024-05-06", "tonnes": "1.250"}, format="json"
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["tonnes"] == 1.25
    assert AuditLog.objects.filter(entity="patrols.litterremoval", action="create").count() == 1
    west = client_for(chiefs["west"])
    west.post(LITTER, {"reach": geography["reach_w"].pk, "removed_on": "2024-05-07", "tonnes": 0.3}, format="json")
    assert client_for(users["city_reviewer"]).get(LITTER).json()["count"] == 2
    assert client_for(users["reviewer_650103"]).get(LITTER).json()["count"] == 1
    assert chief.get(LITTER).json()["count"] == 1
    assert client_for(users["operator"]).get(LITTER).status_code == 403
    csv = client_for(users["admin"]).get(f"{LITTER}export/?format=csv").content.decode("utf-8-sig").splitlines()
    assert len(csv) == 3
    assert "Tonnes" in csv[0]
    assert client_for(users["admin"]).get(f"{LITTER}?start=2024-05-07").json()["count"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tonnes": 0}, "tonnes"),
        ({"tonnes": -1}, "tonnes"),
        ({"tonnes": 5000}, "tonnes"),
        ({"tonnes": "lots"}, "tonnes"),
        ({"removed_on": "2099-01-01"}, "removed_on"),
        ({"reach": "west"}, "reach"),
        ({"reach": 424242}, "reach"),
        ({"patrol": "00000000-0000-4000-8000-000000000000"}, "patrol"),
        ({"weight": 3}, "weight"),
        ({"client_id": "not-a-uuid"}, "client_id"),
    ],
)
def test_bad_litter_is_refused(client_for, chiefs, geography, body, field):
    data = {"reach": geography["reach_e"].pk, "removed_on": "2024-05-06", "tonnes": "0.5", **body}
    if body.get("reach") == "west":
        data["reach"] = geography["reach_w"].pk  # not this chief's reach
    resp = client_for(chiefs["township"]).post(LITTER, data, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]
    assert LitterRemoval.objects.count() == 0


def test_a_litter_resend_with_its_client_id_is_counted_once(client_for, chiefs, geography):
    chief = client_for(chiefs["township"])
    body = {
        "client_id": str(uuid.uuid4()),
        "reach": geography["reach_e"].pk,
        "removed_on": "2024-05-06",
        "tonnes": "1.250",
        "note": "河岸垃圾",
    }
    first = chief.post(LITTER, body, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["client_id"] == body["client_id"]
    # The phone lost the answer and sends it again (another number layout): the stored record, 200.
    again = chief.post(LITTER, {**body, "tonnes": 1.25}, format="json")
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"]
    assert LitterRemoval.objects.count() == 1
    assert AuditLog.objects.filter(entity="patrols.litterremoval", action="create").count() == 1
    # Other content under the id, or another chief using it: 409 naming client_id, nothing written.
    for who, change in ((chief, {"tonnes": "2"}), (chief, {"note": ""}), (client_for(chiefs["village"]), {})):
        resp = who.post(LITTER, {**body, **change}, format="json")
        assert resp.status_code == 409, resp.content
        assert resp.json()["error"]["code"] == "litter_id_conflict"
        assert "client_id" in resp.json()["error"]["fields"]
    assert LitterRemoval.objects.count() == 1
    # A record without a client id is its own record; the same content again within minutes is its
    # resend (tests/patrols/test_retries.py).
    plain = {k: v for k, v in body.items() if k != "client_id"}
    assert chief.post(LITTER, plain, format="json").status_code == 201
    assert chief.post(LITTER, plain, format="json").status_code == 200
    assert LitterRemoval.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_racing_litter_resends_write_one_record(client_for, chiefs, geography):
    body = {"client_id": str(uuid.uuid4()), "reach": geography["reach_e"].pk, "removed_on": "2024-05-06", "tonnes": 1}
    clients = [client_for(chiefs["township"]) for _ in range(4)]

    def post(client: Any) -> int:
        return int(client.post(LITTER, body, format="json").status_code)

    results = race([partial(post, c) for c in clients])
    assert sorted(results) == [200, 200, 200, 201]
    assert LitterRemoval.objects.count() == 1


def test_litter_on_a_patrol_must_match_it(client_for, chiefs, geography):
    body = patrol_body(geography["reach_e"])
    chief = client_for(chiefs["township"])
    chief.post("/api/v1/patrols/", body, format="json")
    ok = chief.post(
        LITTER,
        {"reach": geography["reach_e"].pk, "removed_on": "2024-05-06", "tonnes": "0.2", "patrol": body["id"]},
        format="json",
    )
    assert ok.status_code == 201
    assert ok.json()["patrol"] == body["id"]
    wrong_day = chief.post(
        LITTER,
        {"reach": geography["reach_e"].pk, "removed_on": "2024-05-09", "tonnes": "0.2", "patrol": body["id"]},
        format="json",
    )
    assert wrong_day.status_code == 400
    assert "removed_on" in wrong_day.json()["error"]["fields"]
    assert sum(r.tonnes for r in LitterRemoval.objects.all()) == Decimal("0.200")


# --------------------------------------------------------------------------- compliance


def _patrol(client_for, chief, reach, day: dt.date, *, minutes: int = 60, length: float = 3000) -> str:
    start = dt.datetime(day.year, day.month, day.day, 9, tzinfo=BJ)
    n = minutes * 20  # one point every 3 s
    body = patrol_body(reach, start=start, n=n, length_m=length)
    resp = client_for(chief).post("/api/v1/patrols/", body, format="json")
    assert resp.status_code == 201, resp.content
    return body["id"]


def test_weeks_belong_to_the_month_of_their_monday():
    weeks = list(sub_periods(dt.date(2024, 4, 1), dt.date(2024, 4, 30), "week"))
    assert [w.first_date.isoformat() for w in weeks] == [
        "2024-04-01",
        "2024-04-08",
        "2024-04-15",
        "2024-04-22",
        "2024-04-29",
    ]
    assert weeks[-1].last_date == dt.date(2024, 5, 5)  # whole weeks, not clipped
    assert len(list(sub_periods(dt.date(2024, 1, 1), dt.date(2024, 12, 31), "month"))) == 12


def test_village_chief_weekly_compliance(client_for, users, chiefs, geography):
    reach = geography["reach_e"]
    village = chiefs["village"]
    # April 2024 has five weeks starting in it. Two valid patrols in week 1, one in week 2, a short
    # (invalid) one in week 3, nothing in weeks 4 and 5.
    _patrol(client_for, village, reach, dt.date(2024, 4, 2))
    _patrol(client_for, village, reach, dt.date(2024, 4, 4))
    _patrol(client_for, village, reach, dt.date(2024, 4, 9))
    _patrol(client_for, village, reach, dt.date(2024, 4, 16), minutes=10, length=500)
    resp = client_for(users["city_reviewer"]).get(
        f"/api/v1/patrols/compliance/?start=2024-04-01&end=2024-04-30&chief={village.pk}&detail=true"
    )
    assert resp.status_code == 200, resp.content
    (row,) = resp.json()["results"]
    assert (row["level"], row["periods"], row["required"], row["done"], row["valid"], row["missing"]) == (
        "village",
        5,
        5,
        4,
        3,
        3,
    )
    assert row["compliant"] is False
    assert [d["missing"] for d in row["detail"]] == [0, 0, 1, 1, 1]


def test_rejected_patrols_do_not_count_and_the_season_applies(client_for, users, chiefs, geography):
    reach = geography["reach_e"]
    township = chiefs["township"]
    may = _patrol(client_for, township, reach, dt.date(2024, 5, 6))
    _patrol(client_for, township, reach, dt.date(2024, 6, 3))
    reviewer = client_for(users["city_reviewer"])
    url = "/api/v1/patrols/compliance/?start=2024-01-01&end=2024-06-30&level=township"
    (row,) = reviewer.get(url).json()["results"]
    # January and February are out of season: March to June is 4 months, 2 done.
    assert (row["periods"], row["required"], row["valid"], row["missing"]) == (4, 4, 2, 2)
    Patrol.objects.filter(pk=may).update(review_status="rejected")
    (row,) = reviewer.get(url).json()["results"]
    assert (row["done"], row["valid"], row["missing"]) == (2, 1, 3)


def test_a_bureau_can_change_the_table(client_for, users, chiefs, geography):
    township = chiefs["township"]
    _patrol(client_for, township, geography["reach_e"], dt.date(2024, 5, 6))
    # Tianshan district asks its township chiefs for two patrols a month, all year.
    frequency_rule_save(
        rule=PatrolFrequencyRule(jurisdiction="650102", level="township", period="month", required_count=2),
        actor=users["admin"],
    )
    (row,) = (
        client_for(users["admin"])
        .get("/api/v1/patrols/compliance/?start=2024-05-01&end=2024-05-31&level=township")
        .json()["results"]
    )
    assert (row["jurisdiction"], row["required"], row["valid"], row["missing"]) == ("650102", 2, 1, 1)
    # Seasons of one jurisdiction and level must not overlap.
    from core.exceptions import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        frequency_rule_save(
            rule=PatrolFrequencyRule(
                jurisdiction="650102",
                level="township",
                period="week",
                required_count=1,
                season_start_month=6,
                season_end_month=8,
            ),
            actor=users["admin"],
        )
    assert "season_start_month" in exc.value.fields


def test_compliance_scope_format_and_bad_input(client_for, users, chiefs, geography):
    _patrol(client_for, chiefs["village"], geography["reach_e"], dt.date(2024, 4, 2))
    url = "/api/v1/patrols/compliance/?start=2024-04-01&end=2024-04-30"
    # A chief reads the chiefs of their division (SPEC §4), not those of another district.
    chief_rows = client_for(chiefs["village"]).get(url).json()["results"]
    assert sorted(r["chief_username"] for r in chief_rows) == ["t_chief_tianshan", "t_chief_village"]
    own_rows = client_for(chiefs["west"]).get(url).json()["results"]
    assert [r["chief_username"] for r in own_rows] == ["t_chief_west"]
    west_rows = client_for(users["reviewer_650103"]).get(url).json()["results"]
    assert [r["chief_username"] for r in west_rows] == ["t_chief_west"]
    assert client_for(users["operator"]).get(url).status_code == 403
    xlsx = client_for(users["admin"]).get(url + "&format=xlsx")
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    bad = client_for(users["admin"]).get("/api/v1/patrols/compliance/?start=2024-04-30&end=2024-04-01")
    assert bad.status_code == 400
    assert "end" in bad.json()["error"]["fields"]
    missing = client_for(users["admin"]).get("/api/v1/patrols/compliance/?end=2024-04-01")
    assert missing.status_code == 400
    assert "start" in missing.json()["error"]["fields"]

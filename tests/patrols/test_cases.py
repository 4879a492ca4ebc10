"""Cases: reporting, the workflow with its per-transition permissions (including rejection and the
on-the-spot shortcut), another chief's case as a 404, photos, the overdue job, rechecks."""

from __future__ import annotations

import copy
import datetime as dt
import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.choices import Role
from core.models import AuditLog
from patrols import services
from patrols.models import Case, CaseEvent, CasePhoto, CaseRecheck
from patrols.tasks import case_flag_overdue
from tests.patrols.conftest import BJ, T0, patrol_body
from tests.patrols.test_track import exif_with

pytestmark = pytest.mark.django_db
URL = "/api/v1/patrols/cases/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def patrol_id(client_for, chiefs, geography) -> str:
    body = patrol_body(geography["reach_e"])
    assert client_for(chiefs["township"]).post("/api/v1/patrols/", body, format="json").status_code == 201
    return body["id"]


def case_body(geography, patrol_id: str | None = None, **extra) -> dict:
    body = {
        "id": str(uuid.uuid4()),
        "category": "dumping",
        "source": "patrol" if patrol_id else "complaint",
        "reach": geography["reach_e"].pk,
        "location": {"type": "Point", "coordinates": [87.63, 43.83]},
        "description": "建筑垃圾堆放在河岸",
        "found_at": (T0 + dt.timedelta(minutes=20)).isoformat(),
        "patrol": patrol_id,
    }
    body.update(extra)
    return body


@pytest.fixture
def case(client_for, chiefs, geography, patrol_id) -> dict:
    resp = client_for(chiefs["township"]).post(URL, case_body(geography, patrol_id), format="json")
    assert resp.status_code == 201, resp.content
    return resp.json()


def act(client, case_id: str, action: str, body: dict | None = None):
    return client.post(f"{URL}{case_id}/{action}/", body or {}, format="json")


def jpeg(**exif_args) -> SimpleUploadedFile:
    buf = io.BytesIO()
    kwargs = {"exif": exif_with(**exif_args)} if exif_args else {}
    Image.new("RGB", (40, 30), (200, 90, 10)).save(buf, format="JPEG", **kwargs)
    return SimpleUploadedFile("site.jpg", buf.getvalue(), content_type="image/jpeg")


def test_full_workflow_with_a_rejection(client_for, users, chiefs, case):
    chief, reviewer = client_for(chiefs["township"]), client_for(users["city_reviewer"])
    cid = case["id"]
    assert case["properties"]["status"] == "reported"
    assign = act(reviewer, cid, "assign", {"responsible_unit": "天山区城管局", "deadline": "2024-06-30"})
    assert assign.status_code == 200
    assert assign.json()["properties"]["status"] == "assigned"
    assert act(chief, cid, "rectify").json()["properties"]["status"] == "rectifying"
    assert act(chief, cid, "submit").json()["properties"]["status"] == "submitted"
    no_reason = act(reviewer, cid, "reject")
    assert no_reason.status_code == 400
    assert "note" in no_reason.json()["error"]["fields"]
    assert act(reviewer, cid, "reject", {"note": "垃圾未清运完"}).json()["properties"]["status"] == "rectifying"
    assert act(chief, cid, "submit").json()["properties"]["status"] == "submitted"
    assert act(reviewer, cid, "verify").json()["properties"]["status"] == "verified"
    closed = act(reviewer, cid, "close").json()["properties"]
    assert closed["status"] == "closed"
    assert closed["closed_via"] == "verified"
    assert closed["closed_at"]
    events = list(CaseEvent.objects.filter(case_id=cid).values_list("from_status", "to_status"))
    assert events == [
        ("", "reported"),
        ("reported", "assigned"),
        ("assigned", "rectifying"),
        ("rectifying", "submitted"),
        ("submitted", "rectifying"),
        ("rectifying", "submitted"),
        ("submitted", "verified"),
        ("verified", "closed"),
    ]
    assert AuditLog.objects.filter(entity="patrols.case", entity_id=cid, action="transition").count() == 7
    detail = reviewer.get(f"{URL}{cid}/").json()["properties"]
    assert [e["to_status"] for e in detail["events"]][-1] == "closed"


def test_cleared_on_the_spot_needs_a_photo(client_for, chiefs, case):
    chief = client_for(chiefs["township"])
    cid = case["id"]
    no_photo = act(chief, cid, "clear")
    assert no_photo.status_code == 400
    assert "photos" in no_photo.json()["error"]["fields"]
    up = chief.post(f"{URL}{cid}/photos/", {"photo": jpeg()}, format="multipart")
    assert up.status_code == 201, up.content
    cleared = act(chief, cid, "clear", {"note": "当场清理"}).json()["properties"]
    assert cleared["status"] == "closed"
    assert cleared["closed_via"] == "on_spot"
    # Closed: no more photos, no more transitions.
    assert chief.post(f"{URL}{cid}/photos/", {"photo": jpeg()}, format="multipart").status_code == 409
    assert act(chief, cid, "submit").status_code == 409


# action → who may (the others get 403)
MATRIX = {
    "assign": {"city_reviewer", "admin"},
    "rectify": {"city_reviewer", "admin", "chief"},
    "submit": {"admin", "chief"},
    "verify": {"city_reviewer", "admin"},
    "reject": {"city_reviewer", "admin"},
    "close": {"city_reviewer", "admin"},
    "clear": {"city_reviewer", "admin", "chief"},
}


@pytest.mark.parametrize("action", sorted(MATRIX))
@pytest.mark.parametrize("who", ["city_reviewer", "admin", "chief", "operator", "device"])
def test_transition_permission_matrix(client_for, users, chiefs, case, action, who):
    user = chiefs["township"] if who == "chief" else users[who]
    body = {"responsible_unit": "u", "deadline": "2024-06-30"} if action == "assign" else {"note": "x"}
    resp = act(client_for(user), case["id"], action, body)
    if who in MATRIX[action]:
        # Past the role check, the case (reported) decides: assign moves it, clear wants a photo first,
        # every other step is not allowed from "reported".
        assert resp.status_code == {"assign": 200, "clear": 400}.get(action, 409), resp.content
    else:
        assert resp.status_code == 403
    assert act(client_for(None), case["id"], action).status_code == 401


def test_a_transition_not_allowed_from_the_state_is_refused(client_for, users, case):
    resp = act(client_for(users["city_reviewer"]), case["id"], "verify")
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "invalid_transition"
    assert "status" in resp.json()["error"]["fields"]
    assert Case.objects.get(pk=case["id"]).status == "reported"


def test_another_chiefs_case_is_404(client_for, users, chiefs, geography, case):
    other = client_for(chiefs["village"])  # appointed to the same reach, but not the reporter
    for action in ("submit", "rectify", "clear"):
        assert act(other, case["id"], action).status_code == 404
    assert other.post(f"{URL}{case['id']}/photos/", {"photo": jpeg()}, format="multipart").status_code == 404
    # Reading it is allowed (a case on their reach); a chief of another reach cannot even read it.
    assert other.get(f"{URL}{case['id']}/").status_code == 200
    assert client_for(chiefs["west"]).get(f"{URL}{case['id']}/").status_code == 404
    assert client_for(users["reviewer_650103"]).get(f"{URL}{case['id']}/").status_code == 404
    assert act(client_for(users["reviewer_650103"]), case["id"], "verify").status_code == 404


def test_a_chief_reads_their_division_but_acts_only_on_their_own(client_for, chiefs, make_user, patrol_id, case):
    # SPEC §4: a chief reads their division. A chief of 650102 appointed to no reach and not the
    # reporter reads the case, the patrol and the ledgers of the district, and can change none of them.
    onlooker = client_for(make_user(Role.CHIEF, "650102", username="t_chief_onlooker"))
    assert onlooker.get(f"{URL}{case['id']}/").status_code == 200
    assert case["id"] in {f["id"] for f in onlooker.get(URL).json()["features"]}
    assert patrol_id in {f["id"] for f in onlooker.get("/api/v1/patrols/").json()["features"]}
    assert onlooker.post(
        f"/api/v1/patrols/{patrol_id}/review/", {"decision": "accepted"}, format="json"
    ).status_code in (403, 404)
    for action in ("submit", "rectify", "clear"):
        assert act(onlooker, case["id"], action).status_code == 404
    assert onlooker.post(f"{URL}{case['id']}/photos/", {"photo": jpeg()}, format="multipart").status_code == 404
    # A chief of another district reads none of it.
    outsider = client_for(make_user(Role.CHIEF, "650103", username="t_chief_outsider"))
    assert outsider.get(f"{URL}{case['id']}/").status_code == 404
    assert outsider.get(URL).json()["features"] == []
    assert outsider.get("/api/v1/patrols/").json()["features"] == []
    assert outsider.get(f"/api/v1/patrols/{patrol_id}/").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "pollution"}, "category"),
        ({"source": "rumour"}, "source"),
        ({"reach": 999999}, "reach"),
        ({"location": {"type": "Point", "coordinates": [87.63, 95]}}, "location"),
        ({"found_at": "2024-05-06T09:20:00"}, "found_at"),
        ({"found_at": "2099-01-01T00:00:00+08:00"}, "found_at"),
        ({"description": ""}, "description"),
        ({"source": "complaint"}, "patrol"),
        ({"patrol": str(uuid.uuid4())}, "patrol"),
    ],
)
def test_bad_case_input_is_400_and_writes_nothing(client_for, chiefs, geography, patrol_id, change, field):
    body = case_body(geography, patrol_id, **change)
    resp = client_for(chiefs["township"]).post(URL, body, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"]
    assert Case.objects.count() == 0


def test_case_resend_and_conflict(client_for, chiefs, geography, patrol_id):
    body = case_body(geography, patrol_id)
    client = client_for(chiefs["township"])
    assert client.post(URL, body, format="json").status_code == 201
    assert client.post(URL, body, format="json").status_code == 200
    changed = copy.deepcopy(body)
    changed["description"] = "另一件事"
    assert client.post(URL, changed, format="json").status_code == 409
    assert Case.objects.count() == 1


def test_complaint_case_by_the_office_and_gcj02_location(client_for, users, geography):
    from core.geo import geodesic_distance_m, wgs84_to_gcj02

    gcj = wgs84_to_gcj02(87.63, 43.83)
    body = case_body(geography, None, location={"type": "Point", "coordinates": list(gcj)}, crs="GCJ-02")
    resp = client_for(users["city_reviewer"]).post(URL, body, format="json")
    assert resp.status_code == 201, resp.content
    loc = Case.objects.get(pk=body["id"]).location
    assert geodesic_distance_m(loc.x, loc.y, 87.63, 43.83) < 1.0
    assert client_for(users["operator"]).post(URL, case_body(geography), format="json").status_code == 403


def test_photos_are_hashed_deduplicated_flagged_and_served(client_for, users, chiefs, case, settings):
    chief = client_for(chiefs["township"])
    url = f"{URL}{case['id']}/photos/"
    # Taken during the patrol, on the track: no flags.
    good = chief.post(url, {"photo": jpeg(taken="2024:05:06 09:20:00", lon=87.6045, lat=43.8052)}, format="multipart")
    assert good.status_code == 201, good.content
    # A day later, 20 km away: flagged, not refused.
    odd = chief.post(url, {"photo": jpeg(taken="2024:05:07 15:00:00", lon=87.80, lat=43.95)}, format="multipart")
    assert odd.status_code == 201
    assert sorted(odd.json()["flags"]) == ["position_mismatch", "time_mismatch"]
    assert good.json()["flags"] == []
    again = chief.post(url, {"photo": jpeg(taken="2024:05:06 09:20:00", lon=87.6045, lat=43.8052)}, format="multipart")
    assert again.status_code == 200
    assert again.json()["id"] == good.json()["id"]
    photo = CasePhoto.objects.get(pk=good.json()["id"])
    assert len(photo.sha256) == 64
    assert photo.file.name.endswith(f"{photo.sha256}.jpg")
    served = client_for(users["city_reviewer"]).get(good.json()["url"])
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content)[:2] == b"\xff\xd8"
    assert client_for(users["reviewer_650103"]).get(good.json()["url"]).status_code == 404
    listed = chief.get(url).json()
    assert [p["id"] for p in listed] == [good.json()["id"], odd.json()["id"]]


def test_bad_photos_are_refused(client_for, chiefs, case, settings):
    chief = client_for(chiefs["township"])
    url = f"{URL}{case['id']}/photos/"
    text = SimpleUploadedFile("notes.jpg", b"this is not a picture", content_type="image/jpeg")
    resp = chief.post(url, {"photo": text}, format="multipart")
    assert resp.status_code == 400
    assert "photo" in resp.json()["error"]["fields"]
    settings.PATROL_PHOTO_MAX_BYTES = 100
    big = chief.post(url, {"photo": jpeg()}, format="multipart")
    assert big.status_code == 413
    assert "photo" in big.json()["error"]["fields"]
    missing = chief.post(url, {}, format="multipart")
    assert missing.status_code == 400
    assert "photo" in missing.json()["error"]["fields"]
    assert CasePhoto.objects.count() == 0


def test_overdue_job_flags_once(client_for, users, case):
    reviewer = client_for(users["city_reviewer"])
    act(reviewer, case["id"], "assign", {"responsible_unit": "水务局", "deadline": "2024-06-30"})
    assert services.case_flag_overdue(now=dt.datetime(2024, 6, 30, 23, tzinfo=BJ)) == 0  # due that day
    assert services.case_flag_overdue(now=dt.datetime(2024, 7, 1, 0, 5, tzinfo=BJ)) == 1
    assert services.case_flag_overdue(now=dt.datetime(2024, 7, 2, tzinfo=BJ)) == 0  # idempotent
    assert Case.objects.get(pk=case["id"]).overdue_at is not None
    listed = reviewer.get(f"{URL}?overdue=true").json()
    assert [f["id"] for f in listed["features"]] == [case["id"]]
    assert case_flag_overdue.delay().get() == 0  # the Celery task runs the same service


def test_recheck_sampling_and_outcome(client_for, users, chiefs, geography, patrol_id):
    chief, reviewer = client_for(chiefs["township"]), client_for(users["city_reviewer"])
    ids = []
    for i in range(4):
        body = case_body(geography, patrol_id, found_at=(T0 + dt.timedelta(minutes=i)).isoformat())
        cid = chief.post(URL, body, format="json").json()["id"]
        chief.post(
            f"{URL}{cid}/photos/",
            {"photo": jpeg(taken=f"2024:05:06 09:0{i}:00", lon=87.6045, lat=43.8052)},
            format="multipart",
        )
        act(chief, cid, "clear")
        ids.append(cid)
    sample = reviewer.post("/api/v1/patrols/rechecks/sample/", {"count": 2, "seed": 7}, format="json")
    assert sample.status_code == 201, sample.content
    drawn = [r["case"] for r in sample.json()["rechecks"]]
    assert len(drawn) == 2
    assert set(drawn) <= set(ids)
    # The same seed over the same pool draws the same cases (a reproducible, auditable draw).
    CaseRecheck.objects.all().delete()
    again = reviewer.post("/api/v1/patrols/rechecks/sample/", {"count": 2, "seed": 7}, format="json").json()
    assert sorted(r["case"] for r in again["rechecks"]) == sorted(drawn)
    rid = again["rechecks"][0]["id"]
    rec = reviewer.post(
        f"/api/v1/patrols/rechecks/{rid}/record/",
        {"outcome": "relapsed", "checked_on": "2024-08-01", "note": "又有垃圾"},
        format="json",
    )
    assert rec.status_code == 200
    assert rec.json()["outcome"] == "relapsed"
    twice = reviewer.post(
        f"/api/v1/patrols/rechecks/{rid}/record/", {"outcome": "confirmed", "checked_on": "2024-08-02"}, format="json"
    )
    assert twice.status_code == 409
    # Cases with a pending recheck are not drawn again; chiefs may not sample.
    third = reviewer.post("/api/v1/patrols/rechecks/sample/", {"count": 4}, format="json").json()
    assert len(third["rechecks"]) == 3
    assert chief.post("/api/v1/patrols/rechecks/sample/", {"count": 1}, format="json").status_code == 403
    assert (
        client_for(users["reviewer_650103"])
        .post("/api/v1/patrols/rechecks/sample/", {"count": 1}, format="json")
        .status_code
        == 400
    )  # nothing in scope


def test_case_ledger_filters_export_and_query_count(client_for, users, chiefs, geography, patrol_id):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    chief = client_for(chiefs["township"])
    for category in ("dumping", "extraction", "occupation"):
        chief.post(URL, case_body(geography, patrol_id, category=category), format="json")
    reviewer = client_for(users["city_reviewer"])
    with CaptureQueriesContext(connection) as ctx:
        body = reviewer.get(URL).json()
    assert body["count"] == 3
    assert len(ctx.captured_queries) <= 5
    assert reviewer.get(f"{URL}?category=extraction&category=occupation").json()["count"] == 2
    assert reviewer.get(f"{URL}?status=closed").json()["count"] == 0
    assert reviewer.get(f"{URL}?bbox=87.62,43.82,87.64,43.84").json()["count"] == 3
    assert reviewer.get(f"{URL}?bbox=87.40,43.60,87.45,43.65").json()["count"] == 0
    assert reviewer.get(f"{URL}?category=flood").status_code == 400
    csv = reviewer.get(f"{URL}export/?format=csv").content.decode("utf-8-sig").splitlines()
    assert len(csv) == 4
    assert "Category" in csv[0]  # the suite speaks English (tests/conftest.py)


@pytest.mark.parametrize(("action", "done"), [("close", "closed"), ("submit", "submitted"), ("verify", "verified")])
def test_transition_messages_spell_the_past_participle(action: str, done: str) -> None:
    from patrols.services.cases import _DONE, TRANSITIONS

    assert set(_DONE) == set(TRANSITIONS)
    assert _DONE[action] == done

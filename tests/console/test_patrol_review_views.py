"""The patrol review queue, the review page and recomputing under the current rules (console/views/
patrols: issue 15 items 2 and 3), through the Django client on both backends: who may open them
(a chief or an operator: 403; another district's patrol: 404), the queue's filters, the evidence
table, and the decision posted to patrols.services.patrol_review — a rejection needs a comment
(400, nothing written), a stale form is a 409 with nothing written, a double submit records one
review."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from core.models import AuditLog
from patrols import services
from patrols.choices import ReviewStatus
from patrols.models import Patrol, PatrolValidityRule
from tests.patrols.conftest import T0, along, patrol_body

pytestmark = pytest.mark.django_db


def _submit(chief: Any, reach: Any, coords: list[list[float]], start: dt.datetime, step_s: float = 3.0) -> Patrol:
    body = patrol_body(reach, coords=coords, start=start, step_s=step_s)
    patrol, __ = services.patrol_submit(
        actor=chief,
        patrol_id=uuid.UUID(body["id"]),
        reach_id=reach.pk,
        started_at=dt.datetime.fromisoformat(body["started_at"]),
        ended_at=dt.datetime.fromisoformat(body["ended_at"]),
        companions=0,
        mode="foot",
        crs="EPSG:4326",
        track=body["track"],
        times=body["times"],
    )
    return patrol


@pytest.fixture
def flagged(geography: dict[str, Any], chiefs: dict[str, Any]) -> SimpleNamespace:
    """East reach (650102): a GPS jump (teleport) and a stationary patrol by the township chief, and a
    valid one; west reach (650103): a stationary patrol by the west chief."""
    east, west = geography["reach_e"], geography["reach_w"]
    jump = along(east, start_m=500, length_m=1500, n=120) + along(east, start_m=6000, length_m=1500, n=120)
    teleport = _submit(chiefs["township"], east, jump, T0, step_s=8.0)
    still = _submit(
        chiefs["township"], east, along(east, start_m=800, length_m=15, n=60), T0 + dt.timedelta(days=1), step_s=40.0
    )
    valid = _submit(
        chiefs["township"], east, along(east, start_m=500, length_m=3000, n=300), T0 + dt.timedelta(days=2), step_s=8.0
    )
    west_still = _submit(chiefs["west"], west, along(west, start_m=800, length_m=15, n=60), T0, step_s=40.0)
    assert "teleport" in teleport.flags
    assert teleport.review_status == ReviewStatus.PENDING
    assert still.flags == ["stationary"]
    assert west_still.flags == ["stationary"]
    assert valid.flags == []
    return SimpleNamespace(teleport=teleport, still=still, valid=valid, west_still=west_still)


def _rows(html: str) -> int:
    body = html.split('data-testid="ledger-table"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.count("<tr>") - body.count('class="empty"')


def _seen(html: str) -> str:
    found = re.search(r'name="seen" value="([^"]+)"', html)
    assert found, "no review form on the page"
    return found.group(1)


def _reviews(patrol: Patrol) -> int:
    return AuditLog.objects.filter(entity="patrols.patrol", entity_id=str(patrol.pk), reason="patrol review").count()


# ------------------------------------------------------------------------------------------ who


def test_the_menu_offers_the_review_pages_to_reviewers_only(users, chiefs, web):
    reviewer = web(users["city_reviewer"]).get("/").content.decode()
    for path in ("/river/review/", "/river/rules/", "/river/appointments/", "/river/recompute/"):
        assert f'href="{path}"' in reviewer, path
    for who in (chiefs["township"], users["operator"]):
        html = web(who).get("/").content.decode()
        assert 'href="/river/review/"' not in html
        assert 'href="/river/rules/"' not in html


def test_a_chief_cannot_review_and_an_operator_cannot_open_the_queue(flagged, chiefs, users, web):
    chief = web(chiefs["township"])
    assert chief.get("/river/review/").status_code == 403
    assert chief.get(f"/river/review/{flagged.teleport.pk}/").status_code == 403
    resp = chief.post(f"/river/review/{flagged.teleport.pk}/decide/", {"decision": "accepted", "seen": "x"})
    assert resp.status_code == 403
    assert web(users["operator"]).get("/river/review/").status_code == 403
    assert web(users["operator"]).get("/river/recompute/").status_code == 403
    assert web(None).get("/river/review/").status_code == 302  # to the log-in page
    assert Patrol.objects.get(pk=flagged.teleport.pk).review_status == ReviewStatus.PENDING


def test_another_districts_patrol_is_a_404(flagged, users, web):
    client = web(users["reviewer_650103"])  # 沙依巴克区
    assert client.get(f"/river/review/{flagged.teleport.pk}/").status_code == 404
    resp = client.post(
        f"/river/review/{flagged.teleport.pk}/decide/",
        {"decision": "accepted", "seen": flagged.teleport.updated_at.isoformat()},
    )
    assert resp.status_code == 404
    assert client.get("/river/review/not-a-uuid/").status_code == 404
    assert Patrol.objects.get(pk=flagged.teleport.pk).review_status == ReviewStatus.PENDING
    # Their own district's patrol opens.
    assert client.get(f"/river/review/{flagged.west_still.pk}/").status_code == 200


# ------------------------------------------------------------------------------------------ queue


def test_the_queue_lists_flagged_patrols_in_scope_and_filters(flagged, users, chiefs, web):
    client = web(users["city_reviewer"])
    html = client.get("/river/review/").content.decode()
    assert _rows(html) == 3  # teleport, stationary (east), stationary (west); not the valid one
    assert f"/river/review/{flagged.teleport.pk}/" in html
    assert f"/river/review/{flagged.valid.pk}/" not in html
    assert _rows(client.get("/river/review/?flag=teleport").content.decode()) == 1
    assert _rows(client.get("/river/review/?flag=stationary").content.decode()) == 2
    assert _rows(client.get("/river/review/?division=650103").content.decode()) == 1
    assert _rows(client.get(f"/river/review/?chief={chiefs['west'].pk}").content.decode()) == 1
    assert _rows(client.get("/river/review/?start=2024-05-07&end=2024-05-07").content.decode()) == 1
    # The chief filter offers the chiefs who have patrols waiting, by name.
    assert f'<option value="{chiefs["west"].pk}"' in html
    # A district reviewer's queue is their district's.
    assert _rows(web(users["reviewer_650103"]).get("/river/review/").content.decode()) == 1
    # Bad filters are messages with 400, never a 500.
    assert client.get("/river/review/?flag=nonsense").status_code == 400
    assert client.get("/river/review/?start=2024-05-08&end=2024-05-01").status_code == 400
    assert web(users["reviewer_650103"]).get("/river/review/?division=650102").status_code == 400


def test_the_todo_badge_opens_the_queue(flagged, users, web):
    html = web(users["city_reviewer"]).get("/").content.decode()
    badge = re.search(r'<a class="todo" href="/river/review/" title="[^"]+"[^>]*>(\d+)</a>', html)
    assert badge
    assert badge.group(1) == "3"


# ------------------------------------------------------------------------------------------ the page


def test_the_review_page_explains_the_flags_and_lists_the_suspect_points(flagged, users, web):
    html = web(users["city_reviewer"]).get(f"/river/review/{flagged.teleport.pk}/").content.decode()
    assert 'data-flag="teleport"' in html
    table = html.split('data-testid="suspect-points"', 1)[1].split("</table>", 1)[0]
    # The jump's two ends, one after the other: the first point after the jump is the 121st.
    assert '<tr class="mark-jump-from"><td>#120</td>' in table
    assert '<tr class="mark-jump-to"><td>#121</td>' in table
    jump_row = table.split('<tr class="mark-jump-to">', 1)[1].split("</tr>", 1)[0]
    speed = re.findall(r'<td class="num">([\d,.]+)</td>', jump_row)
    assert len(speed) == 2
    assert float(speed[1].replace(",", "")) > 1000
    # The map gets the jump's two ends as marks, and the page holds no geometry but them.
    marks = re.search(r'data-marks="([^"]+)"', html)
    assert marks
    assert "jump-from" in marks.group(1)
    assert "jump-to" in marks.group(1)
    assert 'data-testid="review-form"' in html
    still = web(users["city_reviewer"]).get(f"/river/review/{flagged.still.pk}/").content.decode()
    assert 'data-testid="evidence-notes"' in still
    assert 'class="mark-stationary"' in still


def test_accepting_records_one_review_and_the_patrol_leaves_the_queue(flagged, users, web, client_for):
    client = web(users["city_reviewer"])
    url = f"/river/review/{flagged.teleport.pk}/"
    seen = _seen(client.get(url).content.decode())
    form = {"decision": "accepted", "note": "信号丢失后重新定位，轨迹真实", "seen": seen}
    resp = client.post(url + "decide/", form)
    assert resp.status_code == 302
    assert resp["Location"] == "/river/review/"
    # The same form again (a double submit): one review, the same success.
    again = client.post(url + "decide/", form)
    assert again.status_code == 302
    assert _reviews(flagged.teleport) == 1
    patrol = Patrol.objects.get(pk=flagged.teleport.pk)
    assert patrol.review_status == ReviewStatus.ACCEPTED
    assert patrol.reviewed_by == users["city_reviewer"]
    assert f"{url}" not in client.get("/river/review/").content.decode()
    api = client_for(users["city_reviewer"]).get(f"/api/v1/patrols/{patrol.pk}/").json()
    assert (
        api["properties"]["review_status"] == "accepted" if "properties" in api else api["review_status"] == "accepted"
    )


def test_a_rejection_needs_a_comment_and_keeps_the_choice(flagged, users, web):
    client = web(users["city_reviewer"])
    url = f"/river/review/{flagged.still.pk}/"
    seen = _seen(client.get(url).content.decode())
    resp = client.post(url + "decide/", {"decision": "rejected", "note": "  ", "seen": seen})
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'data-testid="error-note"' in html
    assert 'value="rejected" checked' in html
    assert Patrol.objects.get(pk=flagged.still.pk).review_status == ReviewStatus.PENDING
    assert _reviews(flagged.still) == 0
    # No decision at all, and a note too long: field errors too.
    assert client.post(url + "decide/", {"note": "x", "seen": seen}).status_code == 400
    assert client.post(url + "decide/", {"decision": "rejected", "note": "x" * 501, "seen": seen}).status_code == 400
    assert _reviews(flagged.still) == 0


def test_a_stale_form_is_a_409_and_writes_nothing(flagged, users, web):
    mine, other = web(users["city_reviewer"]), web(users["admin"])
    url = f"/river/review/{flagged.still.pk}/"
    seen = _seen(mine.get(url).content.decode())
    # Someone else decides meanwhile.
    other_seen = _seen(other.get(url).content.decode())
    assert other.post(url + "decide/", {"decision": "accepted", "seen": other_seen}).status_code == 302
    resp = mine.post(url + "decide/", {"decision": "rejected", "note": "停留不动", "seen": seen})
    assert resp.status_code == 409
    assert 'data-testid="action-error"' in resp.content.decode()
    patrol = Patrol.objects.get(pk=flagged.still.pk)
    assert patrol.review_status == ReviewStatus.ACCEPTED
    assert patrol.reviewed_by == users["admin"]
    assert _reviews(flagged.still) == 1
    # A form without its token is refused too (400), not taken as fresh.
    assert mine.post(url + "decide/", {"decision": "accepted"}).status_code == 400


def test_a_patrol_in_progress_has_no_decision_form(flagged, users, web):
    Patrol.objects.filter(pk=flagged.still.pk).update(status="in_progress")
    client = web(users["city_reviewer"])
    html = client.get(f"/river/review/{flagged.still.pk}/").content.decode()
    assert 'data-testid="review-form"' not in html
    assert 'data-testid="not-reviewable"' in html
    seen = Patrol.objects.get(pk=flagged.still.pk).updated_at.isoformat()
    resp = client.post(f"/river/review/{flagged.still.pk}/decide/", {"decision": "accepted", "seen": seen})
    assert resp.status_code == 409
    assert _reviews(flagged.still) == 0


# ------------------------------------------------------------------------------------------ recompute


def test_recompute_dry_run_lists_changes_and_apply_saves_them(flagged, users, chiefs, web):
    # The bureau raises the township minimum length to 5 km: the 3 km patrol would become invalid.
    PatrolValidityRule.objects.filter(jurisdiction="", level="township").update(min_length_m=5000)
    client = web(users["city_reviewer"])
    form = {"start": "2024-05-06", "end": "2024-05-10", "division": "650102", "reason": "乡级里程标准调整为5公里"}
    resp = client.post("/river/recompute/", {**form, "do": "preview"})
    assert resp.status_code == 200
    html = resp.content.decode()
    rows = html.split('data-testid="recompute-rows"', 1)[1].split("</table>", 1)[0]
    assert f"/river/review/{flagged.valid.pk}/" in rows
    assert "change-old" in rows
    assert 'data-testid="recompute-apply"' in html
    assert Patrol.objects.get(pk=flagged.valid.pk).valid is True  # a dry run writes nothing
    assert not AuditLog.objects.filter(reason=form["reason"]).exists()
    resp = client.post("/river/recompute/", {**form, "do": "apply"})
    assert resp.status_code == 302
    patrol = Patrol.objects.get(pk=flagged.valid.pk)
    assert patrol.valid is False
    assert patrol.invalid_reasons == ["length_below_minimum"]
    assert AuditLog.objects.filter(entity_id=str(patrol.pk), reason=form["reason"]).count() == 1
    # Applying again (a double submit) changes nothing more.
    assert client.post("/river/recompute/", {**form, "do": "apply"}).status_code == 302
    assert AuditLog.objects.filter(entity_id=str(patrol.pk), reason=form["reason"]).count() == 1


def test_recompute_refuses_bad_input_and_other_roles(flagged, users, chiefs, web):
    client = web(users["city_reviewer"])
    resp = client.post("/river/recompute/", {"start": "2024-05-10", "end": "2024-05-01", "do": "preview"})
    assert resp.status_code == 400
    assert 'data-testid="error-end"' in resp.content.decode()
    assert 'value="2024-05-10"' in resp.content.decode()  # the input kept
    assert client.post("/river/recompute/", {"start": "x", "end": "2024-05-01"}).status_code == 400
    assert (
        client.post("/river/recompute/", {"start": "2024-05-01", "end": "2024-05-02", "division": "12"}).status_code
        == 400
    )
    district = web(users["reviewer_650103"])
    resp = district.post("/river/recompute/", {"start": "2024-05-01", "end": "2024-05-31", "division": "650102"})
    assert resp.status_code == 400
    assert (
        web(chiefs["township"]).post("/river/recompute/", {"start": "2024-05-01", "end": "2024-05-31"}).status_code
        == 403
    )

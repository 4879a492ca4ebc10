"""The readings pages (issue 15): the review queue, the reading page with its actions, manual entry, the
alert page and the operator's home, through the Django client on both backends. The roles are the API's
(reviewers and admins review, correct and acknowledge; operators enter readings of their own intakes'
meters); a stale form is a 409 and writes nothing; bad input is named beside its field, the input kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from console.views.readings.common import stamp, unstamp
from core.models import AuditLog
from tests.console.conftest import EVERYTHING
from tests.patrols.conftest import T0
from water import ingest
from water import services as water_services
from water.choices import AlertKind, Review
from water.models import Alert, Reading

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
# Hourly readings of WM-E1 (capacity 1 m³/s: at most 4,320 m³ an hour with the tolerance); the fourth jumps.
VALUES = [1100, 1200, 1300, 90_000, 90_100, 90_200]


def _ingest(serial: str, points: list[tuple[dt.datetime, Any]]) -> None:
    body = [{"meter": serial, "observed_at": at.isoformat(), "cumulative_m3": Decimal(v)} for at, v in points]
    rows = ingest.parse_json_batch(
        {"readings": body},
        now=timezone.now(),
        future_tolerance_s=300,
        max_rows=1000,
    )
    water_services.reading_ingest_batch(rows=rows, scope=EVERYTHING, source="api", actor="test")


@pytest.fixture
def desk(console_data: SimpleNamespace) -> SimpleNamespace:
    """WM-E1 (the operator's intake, Tianshan) with a jump held for review and its alert; WM-W1 on the
    Saybagh intake, which the operator does not run."""
    meter_e = console_data.intake_e.meters.get()
    meter_w = water_services.meter_create(
        actor="test", intake=console_data.intake_w, serial="WM-W1", installed_at=T0, install_reading_m3=Decimal(50)
    )
    times = [T0 + HOUR * (i + 1) for i in range(len(VALUES))]
    _ingest("WM-E1", list(zip(times, VALUES, strict=True)))
    _ingest("WM-W1", [(T0 + HOUR, 60)])
    jump = times[3]
    water_services.alerts_check_flagged(now=times[-1] + HOUR)
    alert = Alert.objects.get(kind=AlertKind.FLAGGED_READING)
    url = f"/water/readings/{meter_e.pk}/{stamp(jump)}/"
    return SimpleNamespace(
        meter_e=meter_e, meter_w=meter_w, jump=jump, url=url, alert=alert, times=times, data=console_data
    )


def _reading(desk: SimpleNamespace) -> Reading:
    return Reading.objects.get(meter_id=desk.meter_e.pk, observed_at=desk.jump)


def _seen(page: Any) -> str:
    html = page.content.decode()
    marker = 'name="seen" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def _audits(desk: SimpleNamespace) -> int:
    return AuditLog.objects.filter(entity="water.reading", entity_id=_reading(desk).key).count()


# ------------------------------------------------------------------------------------------ addresses


def test_a_readings_address_is_its_exact_instant():
    at = dt.datetime(2024, 3, 8, 6, 15, 0, 123456, tzinfo=dt.UTC)
    assert stamp(at) == "20240308T061500.123456Z"
    assert unstamp(stamp(at)) == at
    assert unstamp(stamp(at.replace(microsecond=0))) == at.replace(microsecond=0)


# ------------------------------------------------------------------------------------------ queue


def test_the_queue_lists_the_flagged_reading_for_reviewers_only(desk, users, web):
    reviewer = web(users["city_reviewer"])
    resp = reviewer.get("/water/readings/review/?start=2024-05-01&end=2024-05-31")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "WM-E1" in body
    assert desk.url in body
    assert "不合理跳变" in body or "jump" in body
    # Filters: another flag, another intake, a meter, a division outside it: the row goes.
    assert (
        desk.url
        not in reviewer.get("/water/readings/review/?start=2024-05-01&end=2024-05-31&kind=decrease").content.decode()
    )
    assert (
        desk.url in reviewer.get("/water/readings/review/?start=2024-05-01&end=2024-05-31&kind=jump").content.decode()
    )
    other = desk.data.intake_w.pk
    assert (
        desk.url
        not in reviewer.get(f"/water/readings/review/?start=2024-05-01&end=2024-05-31&intake={other}").content.decode()
    )
    assert (
        desk.url in reviewer.get("/water/readings/review/?start=2024-05-01&end=2024-05-31&meter=WM-E1").content.decode()
    )
    assert (
        desk.url
        not in reviewer.get("/water/readings/review/?start=2024-05-01&end=2024-05-31&meter=WM-W1").content.decode()
    )
    assert (
        desk.url
        not in reviewer.get("/water/readings/review/?start=2024-05-01&end=2024-05-31&division=650103").content.decode()
    )
    assert (
        desk.url
        in reviewer.get("/water/readings/review/?start=2024-05-01&end=2024-05-31&division=650102").content.decode()
    )
    assert desk.url not in reviewer.get("/water/readings/review/?start=2024-06-01&end=2024-06-30").content.decode()
    # A bad filter is a message with 400, never a 500.
    assert reviewer.get("/water/readings/review/?start=yesterday").status_code == 400
    assert reviewer.get("/water/readings/review/?kind=nonsense").status_code == 400
    # The district reviewer of Saybagh does not see Tianshan's reading.
    assert (
        desk.url not in web(users["reviewer_650103"]).get("/water/readings/review/?start=2024-05-01").content.decode()
    )
    # Operators and chiefs: no review desk.
    assert web(users["operator"]).get("/water/readings/review/").status_code == 403
    assert web(users["chief_650102"]).get("/water/readings/review/").status_code == 403


def test_the_reading_page_explains_the_flag_and_draws_the_chart(desk, users, web):
    resp = web(users["city_reviewer"]).get(desk.url)
    assert resp.status_code == 200
    body = resp.content.decode()
    assert 'data-testid="flag"' in body
    assert "m³" in body
    assert "data-reading-chart=" in body
    assert "<script>" not in body
    for action in ("accept", "reject", "correct"):
        assert f'data-testid="act-{action}"' in body
    assert 'data-testid="act-clear"' not in body  # nothing decided yet
    # The operator sees the page, with no action; the chief cannot open it; another district: 404.
    op = web(users["operator"]).get(desk.url)
    assert op.status_code == 200
    assert 'data-testid="actions"' not in op.content.decode()
    assert web(users["chief_650102"]).get(desk.url).status_code == 403
    assert web(users["reviewer_650103"]).get(desk.url).status_code == 404
    # The operator's reading page of a meter of an intake they do not run: 404.
    other = f"/water/readings/{desk.meter_w.pk}/{stamp(T0 + HOUR)}/"
    assert web(users["operator"]).get(other).status_code == 404
    assert web(users["reviewer_650103"]).get(other).status_code == 200
    assert web(users["city_reviewer"]).get(f"/water/readings/{desk.meter_e.pk}/20240101T000000Z/").status_code == 404
    assert web(users["city_reviewer"]).get(f"/water/readings/{desk.meter_e.pk}/garbage/").status_code == 404


# ------------------------------------------------------------------------------------------ actions


def test_a_reviewer_corrects_the_reading_once_with_a_reason(desk, users, web):
    reviewer = web(users["city_reviewer"])
    seen = _seen(reviewer.get(desk.url))
    body = {"seen": seen, "cumulative_m3": "1400", "reason": "抄表核对，RTU误码"}
    resp = reviewer.post(desk.url + "correct/", body)
    assert resp.status_code == 302
    # The double submit: the same correction again changes nothing and records nothing.
    assert reviewer.post(desk.url + "correct/", body).status_code == 302
    r = _reading(desk)
    assert r.cumulative_m3 == Decimal(1400)
    assert r.corrected
    assert r.original_cumulative_m3 == Decimal(90_000)
    assert _audits(desk) == 1
    page = reviewer.get(desk.url).content.decode()
    assert "抄表核对，RTU误码" in page  # the history shows the reason
    assert 'data-testid="flag"' not in page or "不合理跳变" not in page


def test_a_stale_form_is_a_409_and_writes_nothing(desk, users, web):
    reviewer = web(users["city_reviewer"])
    seen = _seen(reviewer.get(desk.url))
    # Someone else accepts the reading meanwhile.
    water_services.reading_review(reading=_reading(desk), decision=Review.ACCEPTED, reason="other", actor="test")
    before = _audits(desk)
    resp = reviewer.post(desk.url + "correct/", {"seen": seen, "cumulative_m3": "1400", "reason": "typo"})
    assert resp.status_code == 409
    assert 'data-testid="action-error"' in resp.content.decode()
    assert _reading(desk).cumulative_m3 == Decimal(90_000)
    resp = reviewer.post(desk.url + "reject/", {"seen": seen, "reason": "spike"})
    assert resp.status_code == 409
    assert _reading(desk).review == Review.ACCEPTED
    assert _audits(desk) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"cumulative_m3": "abc", "reason": "x"}, "cumulative_m3"),
        ({"cumulative_m3": "1400", "reason": ""}, "reason"),
        ({"cumulative_m3": "", "reason": "x"}, "cumulative_m3"),
    ],
)
def test_bad_correction_input_is_named_beside_its_field(desk, users, web, body, field):
    reviewer = web(users["city_reviewer"])
    seen = _seen(reviewer.get(desk.url))
    resp = reviewer.post(desk.url + "correct/", {"seen": seen, **body})
    assert resp.status_code == 400
    html = resp.content.decode()
    assert f'data-testid="error-{field}"' in html
    if body["cumulative_m3"]:
        assert f'value="{body["cumulative_m3"]}"' in html  # the input kept
    assert _reading(desk).cumulative_m3 == Decimal(90_000)
    assert _audits(desk) == 0


def test_accept_then_clear_then_reject(desk, users, web):
    reviewer = web(users["admin"])
    for action, review in (("accept", Review.ACCEPTED), ("clear", Review.NONE), ("reject", Review.REJECTED)):
        seen = _seen(reviewer.get(desk.url))
        assert reviewer.post(desk.url + f"{action}/", {"seen": seen, "reason": f"check {action}"}).status_code == 302
        assert _reading(desk).review == review
    assert _audits(desk) == 3
    assert "check accept" in reviewer.get(desk.url).content.decode()


def test_operators_and_chiefs_may_not_review_or_correct(desk, users, web):
    seen = _seen(web(users["city_reviewer"]).get(desk.url))
    for who, status in (("operator", 403), ("chief_650102", 403)):
        client = web(users[who])
        assert (
            client.post(desk.url + "correct/", {"seen": seen, "cumulative_m3": "1", "reason": "x"}).status_code
            == status
        )
        assert client.post(desk.url + "accept/", {"seen": seen, "reason": "x"}).status_code == status
    # A reviewer of another district: the reading is not theirs (404).
    other = web(users["reviewer_650103"])
    assert other.post(desk.url + "accept/", {"seen": seen, "reason": "x"}).status_code == 404
    assert web(users["city_reviewer"]).post(desk.url + "explode/", {"seen": seen}).status_code == 404
    assert _audits(desk) == 0
    assert _reading(desk).review == Review.NONE


def test_actions_need_the_csrf_token(desk, users):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(users["city_reviewer"])
    assert client.post(desk.url + "accept/", {"reason": "x"}).status_code == 403


# ------------------------------------------------------------------------------------------ manual entry


def _bj(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M")


def test_an_operator_enters_a_reading_of_their_meter(desk, users, web):
    op = web(users["operator"])
    page = op.get("/water/readings/new/").content.decode()
    assert "WM-E1" in page
    assert "WM-W1" not in page
    at = desk.times[-1] + HOUR
    resp = op.post(
        "/water/readings/new/",
        {"meter": desk.meter_e.pk, "observed_at": _bj(at), "cumulative_m3": "90300", "note": "人工抄表"},
    )
    assert resp.status_code == 302
    r = Reading.objects.get(meter_id=desk.meter_e.pk, observed_at=at)
    assert r.source == "manual"
    assert r.cumulative_m3 == Decimal(90_300)
    listed = op.get(resp["Location"]).content.decode()
    assert "90,300.000" in listed
    assert "人工抄表" in op.get(f"/water/readings/{desk.meter_e.pk}/{stamp(at)}/").content.decode()  # the note
    # Sent twice: one reading, the second a message.
    again = op.post(
        "/water/readings/new/", {"meter": desk.meter_e.pk, "observed_at": _bj(at), "cumulative_m3": "90300"}
    )
    assert again.status_code == 409
    assert Reading.objects.filter(meter_id=desk.meter_e.pk, source="manual").count() == 1


@pytest.mark.parametrize(
    ("value", "when", "field", "status"),
    [
        ("abc", None, "cumulative_m3", 400),
        ("500", None, "cumulative_m3", 400),  # below the reading before: a decrease
        ("90300", "future", "observed_at", 400),
        ("90300", "garbage", "observed_at", 400),
        ("-5", None, "cumulative_m3", 400),
    ],
)
def test_a_refused_reading_is_named_beside_its_field_and_writes_nothing(desk, users, web, value, when, field, status):
    op = web(users["operator"])
    at = desk.times[-1] + HOUR
    observed = {"future": _bj(timezone.now() + dt.timedelta(days=2)), "garbage": "tomorrow"}.get(when or "", _bj(at))
    count = Reading.objects.count()
    resp = op.post(
        "/water/readings/new/",
        {"meter": desk.meter_e.pk, "observed_at": observed, "cumulative_m3": value, "note": "保留"},
    )
    assert resp.status_code == status
    html = resp.content.decode()
    assert f'data-testid="error-{field}"' in html
    assert 'value="保留"' in html
    assert f'value="{value}"' in html
    assert Reading.objects.count() == count


def test_a_decrease_confirmed_is_stored_and_held_for_review(desk, users, web):
    op = web(users["operator"])
    at = desk.times[-1] + HOUR
    body = {"meter": desk.meter_e.pk, "observed_at": _bj(at), "cumulative_m3": "90000"}
    first = op.post("/water/readings/new/", body)
    assert first.status_code == 400
    assert 'data-testid="confirm-order"' in first.content.decode()
    assert op.post("/water/readings/new/", {**body, "confirm_order": "yes"}).status_code == 302
    assert Reading.objects.filter(meter_id=desk.meter_e.pk, observed_at=at).exists()


def test_an_operator_cannot_enter_a_reading_of_another_intakes_meter(desk, users, web):
    op = web(users["operator"])
    count = Reading.objects.count()
    resp = op.post(
        "/water/readings/new/", {"meter": desk.meter_w.pk, "observed_at": _bj(T0 + 2 * HOUR), "cumulative_m3": "70"}
    )
    assert resp.status_code == 404
    assert 'data-testid="error-meter"' in resp.content.decode()
    assert Reading.objects.count() == count
    # The chief has no entry page; the Saybagh reviewer may enter WM-W1's reading but not WM-E1's.
    assert web(users["chief_650102"]).get("/water/readings/new/").status_code == 403
    rev = web(users["reviewer_650103"])
    assert (
        rev.post(
            "/water/readings/new/",
            {"meter": desk.meter_e.pk, "observed_at": _bj(T0 + 9 * HOUR), "cumulative_m3": "90400"},
        ).status_code
        == 404
    )
    assert (
        rev.post(
            "/water/readings/new/", {"meter": desk.meter_w.pk, "observed_at": _bj(T0 + 2 * HOUR), "cumulative_m3": "70"}
        ).status_code
        == 302
    )


# ------------------------------------------------------------------------------------------ alerts


def test_alert_page_and_acknowledge_permissions(desk, users, web):
    url = f"/water/alerts/{desk.alert.pk}/"
    op = web(users["operator"])
    page = op.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="act-acknowledge"' not in html
    assert desk.url in html  # the flagged reading linked
    assert op.post(url + "acknowledge/").status_code == 403
    assert web(users["chief_650102"]).get(url).status_code == 403
    assert web(users["reviewer_650103"]).get(url).status_code == 404
    assert web(users["reviewer_650103"]).post(url + "acknowledge/").status_code == 404
    assert Alert.objects.get(pk=desk.alert.pk).acknowledged_at is None
    reviewer = web(users["city_reviewer"])
    assert 'data-testid="act-acknowledge"' in reviewer.get(url).content.decode()
    assert reviewer.post(url + "acknowledge/").status_code == 302
    assert reviewer.post(url + "acknowledge/").status_code == 302  # again: nothing changes
    alert = Alert.objects.get(pk=desk.alert.pk)
    assert alert.acknowledged_by == users["city_reviewer"]
    assert AuditLog.objects.filter(entity="water.alert", entity_id=str(alert.pk), action="transition").count() == 1
    html = reviewer.get(url).content.decode()
    assert 'data-testid="act-acknowledge"' not in html
    assert str(users["city_reviewer"]) in html
    # The ledger links to the page.
    assert url in reviewer.get("/water/alerts/").content.decode()


# ------------------------------------------------------------------------------------------ operator's home


def test_the_operators_home_shows_their_intakes_readings_alerts_and_entry(desk, users, web):
    html = web(users["operator"]).get("/").content.decode()
    assert "QSK-E" in html
    assert "QSK-W" not in html
    assert "/water/readings/new/" in html
    assert f"/water/alerts/{desk.alert.pk}/" in html
    assert desk.url in html  # the latest readings link to their pages
    assert "2024" in html


def test_the_menu_offers_the_review_desk_and_entry_to_the_right_roles(desk, users, web):
    assert "/water/readings/review/" in web(users["city_reviewer"]).get("/water/readings/").content.decode()
    op = web(users["operator"]).get("/water/readings/").content.decode()
    assert "/water/readings/review/" not in op
    assert "/water/readings/new/" in op


# ------------------------------------------------------------------------------------------ the services' seen=


def test_the_services_refuse_a_stale_seen_state_and_take_a_repeat_as_no_change(desk):
    from core.exceptions import Conflict
    from water.services import ReadingState

    reading = _reading(desk)
    seen = ReadingState.of(reading)
    assert ReadingState.from_token(seen.token) == seen
    assert ReadingState.from_token("garbage") is None
    water_services.reading_correct(reading=reading, cumulative_m3=Decimal(1400), reason="a", actor="t", seen=seen)
    # The same correction from the same page again: no change, no conflict, no second audit row.
    water_services.reading_correct(reading=reading, cumulative_m3=Decimal(1400), reason="a", actor="t", seen=seen)
    assert _audits(desk) == 1
    with pytest.raises(Conflict):
        water_services.reading_correct(reading=reading, cumulative_m3=Decimal(1500), reason="b", actor="t", seen=seen)
    with pytest.raises(Conflict):
        water_services.reading_review(reading=reading, decision=Review.ACCEPTED, reason="b", actor="t", seen=seen)
    assert _reading(desk).cumulative_m3 == Decimal(1400)
    assert _audits(desk) == 1
    # Without seen= (the API), as before.
    water_services.reading_review(reading=reading, decision=Review.ACCEPTED, reason="c", actor="t")
    assert _reading(desk).review == Review.ACCEPTED

"""The reference data a reviewer keeps (console/views/patrols: issue 15 item 8), through the Django
client on both backends: patrol validity and frequency rules (list, create, edit, delete through
patrols.services) and chief appointments (appoint through places.services.chief_assign, end through
assignment_end). Other roles 403, another district's appointment 404; bad values beside their fields
with the input kept and nothing written; a stale form 409 with nothing written; a double submit one
change."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from core.models import AuditLog
from patrols.models import PatrolFrequencyRule, PatrolValidityRule
from places.models import ChiefAssignment

pytestmark = pytest.mark.django_db


def _seen(html: str, marker: str = 'name="seen" value="') -> str:
    found = re.search(re.escape(marker) + r'([^"]*)"', html)
    assert found
    return found.group(1)


VALID_FORM = {
    "jurisdiction": "650102",
    "level": "village",
    "min_duration_min": "45",
    "min_length_m": "1500",
    "min_gap_hours": "",
    "source": "天山区河长办〔2024〕3号",
}


# ------------------------------------------------------------------------------------------ rules


def test_rules_are_for_reviewers_and_admins(users, chiefs, web):
    assert web(users["city_reviewer"]).get("/river/rules/").status_code == 200
    assert web(users["admin"]).get("/river/rules/new/").status_code == 404  # no such kind
    for who in (chiefs["township"], users["operator"]):
        client = web(who)
        assert client.get("/river/rules/").status_code == 403
        assert client.post("/river/rules/validity/new/", VALID_FORM).status_code == 403
    assert not PatrolValidityRule.objects.filter(jurisdiction="650102").exists()


def test_the_rules_page_lists_the_seeded_rules(users, web):
    html = web(users["city_reviewer"]).get("/river/rules/").content.decode()
    validity = html.split('data-testid="validity-rules"', 1)[1].split("</table>", 1)[0]
    assert validity.count("<tr>") - 1 == PatrolValidityRule.objects.count()
    assert "30 min" in validity or "30 分钟" in validity
    frequency = html.split('data-testid="frequency-rules"', 1)[1].split("</table>", 1)[0]
    assert frequency.count("<tr>") - 1 == PatrolFrequencyRule.objects.count()


def test_a_reviewer_creates_edits_and_deletes_a_validity_rule(users, web):
    client = web(users["city_reviewer"])
    resp = client.post("/river/rules/validity/new/", VALID_FORM)
    assert resp.status_code == 302
    rule = PatrolValidityRule.objects.get(jurisdiction="650102", level="village")
    assert (rule.min_duration_s, rule.min_length_m, rule.min_gap_hours) == (2700, 1500, None)
    assert AuditLog.objects.filter(entity="patrols.patrolvalidityrule", entity_id=str(rule.pk)).count() == 1
    url = f"/river/rules/validity/{rule.pk}/"
    page = client.get(url).content.decode()
    assert 'value="45"' in page
    resp = client.post(url, {**VALID_FORM, "min_duration_min": "60", "seen": _seen(page)})
    assert resp.status_code == 302
    rule.refresh_from_db()
    assert rule.min_duration_s == 3600
    listing = client.get("/river/rules/").content.decode()
    seen = _seen(listing.split(f"/river/rules/validity/{rule.pk}/delete/", 1)[1])
    assert client.post(f"{url}delete/", {"seen": seen}).status_code == 302
    assert not PatrolValidityRule.objects.filter(pk=rule.pk).exists()
    assert AuditLog.objects.filter(entity="patrols.patrolvalidityrule", entity_id=str(rule.pk)).count() == 3
    # Deleting it again: it is gone (404), nothing else happens.
    assert client.post(f"{url}delete/", {"seen": seen}).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"min_length_m": "abc"}, "min_length_m"),
        ({"min_length_m": "-5"}, "min_length_m"),
        ({"min_duration_min": "zwei"}, "min_duration_min"),
        ({"min_gap_hours": "1.5"}, "min_gap_hours"),
        ({"jurisdiction": "12"}, "jurisdiction"),
        ({"level": "emperor"}, "level"),
    ],
)
def test_a_bad_validity_rule_is_refused_beside_its_field_with_the_input_kept(users, web, change, field):
    before = PatrolValidityRule.objects.count()
    resp = web(users["city_reviewer"]).post("/river/rules/validity/new/", {**VALID_FORM, **change})
    assert resp.status_code == 400
    html = resp.content.decode()
    assert f'data-testid="error-{field}"' in html
    assert 'value="天山区河长办〔2024〕3号"' in html  # the input kept
    assert PatrolValidityRule.objects.count() == before


def test_a_second_rule_for_the_same_jurisdiction_and_level_is_refused(users, web):
    client = web(users["city_reviewer"])
    assert client.post("/river/rules/validity/new/", VALID_FORM).status_code == 302
    resp = client.post("/river/rules/validity/new/", VALID_FORM)  # a double submit, or the same rule twice
    assert resp.status_code == 400
    assert PatrolValidityRule.objects.filter(jurisdiction="650102", level="village").count() == 1


def test_frequency_rules_refuse_overlapping_seasons_and_bad_months(users, web):
    client = web(users["city_reviewer"])
    form = {
        "jurisdiction": "650102",
        "level": "township",
        "period": "month",
        "required_count": "2",
        "season_start_month": "3",
        "season_end_month": "12",
        "source": "",
    }
    assert client.post("/river/rules/frequency/new/", form).status_code == 302
    before = PatrolFrequencyRule.objects.count()
    resp = client.post("/river/rules/frequency/new/", {**form, "season_start_month": "11", "season_end_month": "2"})
    assert resp.status_code == 400
    assert 'data-testid="error-season_start_month"' in resp.content.decode()
    resp = client.post("/river/rules/frequency/new/", {**form, "season_start_month": "13"})
    assert resp.status_code == 400
    assert 'data-testid="error-season_start_month"' in resp.content.decode()
    resp = client.post(
        "/river/rules/frequency/new/",
        {**form, "required_count": "0", "season_start_month": "1", "season_end_month": "2"},
    )
    assert resp.status_code == 400
    assert 'data-testid="error-required_count"' in resp.content.decode()
    assert PatrolFrequencyRule.objects.count() == before


def test_a_stale_rule_form_is_a_409_and_writes_nothing(users, web):
    mine, other = web(users["city_reviewer"]), web(users["admin"])
    rule = PatrolValidityRule.objects.filter(jurisdiction="", level="township").get()
    url = f"/river/rules/validity/{rule.pk}/"
    seen = _seen(mine.get(url).content.decode())
    form = {"jurisdiction": "", "level": "township", "min_duration_min": "30", "min_length_m": "2000", "source": ""}
    assert (
        other.post(url, {**form, "min_length_m": "2500", "seen": _seen(other.get(url).content.decode())}).status_code
        == 302
    )
    audits = AuditLog.objects.filter(entity="patrols.patrolvalidityrule").count()
    resp = mine.post(url, {**form, "min_length_m": "3000", "seen": seen})
    assert resp.status_code == 409
    assert 'data-testid="action-error"' in resp.content.decode()
    assert mine.post(f"{url}delete/", {"seen": seen}).status_code == 409
    rule.refresh_from_db()
    assert rule.min_length_m == 2500
    assert AuditLog.objects.filter(entity="patrols.patrolvalidityrule").count() == audits


# ------------------------------------------------------------------------------------------ appointments


def _appoint_form(chief: Any, water: str, start: str = "2025-01-01", until: str = "") -> dict[str, str]:
    return {"chief": str(chief.pk), "level": "village", "water": water, "valid_from": start, "valid_until": until}


def test_appointments_list_the_chiefs_in_office_per_reach_and_lake(chiefs, users, geography, web):
    html = web(users["city_reviewer"]).get("/river/appointments/").content.decode()
    table = html.split('data-testid="appointments"', 1)[1].split("</table>", 1)[0]
    for reach in ("HL-01-01", "HL-01-02", "HK-01", "HK-02"):
        assert reach in table
    assert str(chiefs["village"]) in table
    assert str(chiefs["west"]) in table
    district = web(users["reviewer_650103"]).get("/river/appointments/").content.decode()
    assert "HL-01-02" not in district.split('data-testid="appointments"', 1)[1]
    assert web(users["city_reviewer"]).get("/river/appointments/?division=1").status_code == 400


def test_appointing_a_chief_once_even_when_sent_twice(chiefs, users, geography, web, make_user):
    new_chief = make_user(username="t_new_chief", display_name="新任河长")
    client = web(users["city_reviewer"])
    form = _appoint_form(new_chief, f"lake:{geography['lake_e'].pk}")
    assert client.post("/river/appointments/new/", form).status_code == 302
    assert client.post("/river/appointments/new/", form).status_code == 302
    assert ChiefAssignment.objects.filter(chief=new_chief).count() == 1
    assert "新任河长" in client.get("/river/appointments/").content.decode()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"valid_until": "2024-12-31"}, "valid_until"),  # ends before it starts
        ({"valid_from": "soon"}, "valid_from"),
        ({"level": "emperor"}, "level"),
        ({"water": "river:1"}, "water"),
        ({"chief": ""}, "chief"),
    ],
)
def test_a_bad_appointment_is_refused_beside_its_field(chiefs, users, geography, web, make_user, change, field):
    new_chief = make_user(username="t_new_chief2")
    before = ChiefAssignment.objects.count()
    form = {**_appoint_form(new_chief, f"reach:{geography['reach_e'].pk}"), **change}
    resp = web(users["city_reviewer"]).post("/river/appointments/new/", form)
    assert resp.status_code == 400
    html = resp.content.decode()
    assert f'data-testid="error-{field}"' in html
    assert "open" in html.split('data-testid="open-appoint"', 1)[0].rsplit("<details", 1)[1]  # the form stays open
    assert ChiefAssignment.objects.count() == before


def test_appointing_outside_the_jurisdiction_or_a_non_chief_is_refused(chiefs, users, geography, web):
    district = web(users["reviewer_650103"])
    before = ChiefAssignment.objects.count()
    resp = district.post("/river/appointments/new/", _appoint_form(chiefs["west"], f"reach:{geography['reach_e'].pk}"))
    assert resp.status_code == 400
    assert 'data-testid="error-water"' in resp.content.decode()
    resp = district.post(
        "/river/appointments/new/", _appoint_form(users["operator"], f"reach:{geography['reach_w'].pk}")
    )
    assert resp.status_code == 400
    assert 'data-testid="error-chief"' in resp.content.decode()
    assert ChiefAssignment.objects.count() == before
    assert (
        web(chiefs["township"])
        .post("/river/appointments/new/", _appoint_form(chiefs["west"], f"reach:{geography['reach_w'].pk}"))
        .status_code
        == 403
    )
    assert web(users["operator"]).get("/river/appointments/").status_code == 403


def _assignment(chief: Any) -> ChiefAssignment:
    return ChiefAssignment.objects.get(chief=chief, valid_until__isnull=True)


def test_ending_an_appointment_once_and_stale_forms(chiefs, users, web):
    client = web(users["city_reviewer"])
    a = _assignment(chiefs["village"])
    html = client.get("/river/appointments/").content.decode()
    seen = _seen(html.split(f'data-testid="appointment-{a.pk}"', 1)[1])
    url = f"/river/appointments/{a.pk}/end/"
    # Before it started: refused beside the row, nothing written.
    resp = client.post(url, {"valid_until": "2023-12-31", "seen": seen})
    assert resp.status_code == 400
    assert f'data-testid="error-end-{a.pk}"' in resp.content.decode()
    a.refresh_from_db()
    assert a.valid_until is None
    assert client.post(url, {"valid_until": "2025-06-30", "seen": seen}).status_code == 302
    assert client.post(url, {"valid_until": "2025-06-30", "seen": seen}).status_code == 302  # double submit
    a.refresh_from_db()
    assert a.valid_until == dt.date(2025, 6, 30)
    assert AuditLog.objects.filter(entity="places.chiefassignment", entity_id=str(a.pk), action="update").count() == 1
    # The same old form with another date: the appointment changed meanwhile → 409, nothing written.
    resp = client.post(url, {"valid_until": "2025-07-31", "seen": seen})
    assert resp.status_code == 409
    a.refresh_from_db()
    assert a.valid_until == dt.date(2025, 6, 30)


def test_another_districts_appointment_is_a_404(chiefs, users, web):
    a = _assignment(chiefs["village"])  # on the east reach, 650102
    resp = web(users["reviewer_650103"]).post(
        f"/river/appointments/{a.pk}/end/", {"valid_until": "2025-06-30", "seen": a.updated_at.isoformat()}
    )
    assert resp.status_code == 404
    a.refresh_from_db()
    assert a.valid_until is None

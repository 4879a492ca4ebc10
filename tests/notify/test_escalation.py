"""Escalation with a frozen clock: an overdue case nobody acts on climbs village → township →
district → city after NOTIFY_ESCALATION_DAYS at each level, each step recorded and the next level's
chiefs and office told; acting on it stops the climb."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.choices import Role
from notify import services
from notify.models import EscalationStep, Event, Notification
from places.services import division_upsert
from tests.factories import box
from tests.notify.conftest import raise_event

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)
VILLAGE, TOWNSHIP = "650102001001", "650102001"


@pytest.fixture
def ladder(people, make_user, settings):
    settings.NOTIFY_ESCALATION_DAYS = {"village": 3, "township": 3, "district": 5, "city": 7}
    division_upsert(code=TOWNSHIP, name="某街道", boundary=box(87.6, 43.6, 87.7, 43.7), actor="test")
    division_upsert(code=VILLAGE, name="某社区", boundary=box(87.6, 43.6, 87.65, 43.65), actor="test")
    return {
        **people,
        "village_chief": make_user(Role.CHIEF, VILLAGE, username="v_chief"),
        "township_chief": make_user(Role.CHIEF, TOWNSHIP, username="t_chief"),
        "township_office": make_user(Role.REVIEWER, TOWNSHIP, username="t_office"),
    }


def inbox(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user, channel="inbox").values_list("event__type", flat=True))


def test_an_overdue_case_climbs_the_ladder(ladder, client_for):
    raise_event(
        "case_overdue",
        VILLAGE,
        [ladder["village_chief"].pk],
        subject_id="case-1",
        at=T0,
        figures={"case": "C-1", "deadline": "2024-04-30"},
    )
    run = services.escalation_run
    assert run(now=T0 + dt.timedelta(days=2, hours=23)) == 0
    assert run(now=T0 + dt.timedelta(days=3)) == 1
    assert inbox(ladder["township_chief"]) == ["escalated"]
    assert inbox(ladder["township_office"]) == ["escalated"]
    assert inbox(ladder["rev_650102"]) == []
    note = Notification.objects.get(recipient=ladder["township_chief"])
    assert "C-1" in note.body
    assert "3天未处置" in note.body
    assert "village" in note.body
    # The township's days count from the step: nothing more on day 4 or 5.
    assert run(now=T0 + dt.timedelta(days=5)) == 0
    assert run(now=T0 + dt.timedelta(days=6)) == 1
    assert inbox(ladder["rev_650102"]) == ["escalated"]
    assert inbox(ladder["chief"]) == ["escalated"]
    assert run(now=T0 + dt.timedelta(days=10)) == 0
    assert run(now=T0 + dt.timedelta(days=11)) == 1
    assert inbox(ladder["city_rev"]) == ["escalated"]
    # The city is the top.
    assert run(now=T0 + dt.timedelta(days=60)) == 0
    steps = list(
        EscalationStep.objects.values_list("step", "from_division", "to_division", "to_level", "days_without_action")
    )
    assert steps == [
        (1, VILLAGE, TOWNSHIP, "township", 3),
        (2, TOWNSHIP, "650102", "district", 3),
        (3, "650102", "650100", "city", 5),
    ]
    # Each step is on the item's record, for whoever sees its division.
    url = "/api/v1/notify/escalations/?subject_type=patrols.case&subject_id=case-1"
    assert len(client_for(ladder["city_rev"]).get(url).json()) == 3
    assert client_for(ladder["rev_650103"]).get(url).json() == []
    # Running the job again at the same instant takes no step twice.
    assert run(now=T0 + dt.timedelta(days=11)) == 0


def test_acting_on_the_item_stops_the_climb(ladder):
    raise_event("case_overdue", VILLAGE, [ladder["village_chief"].pk], subject_id="case-2", at=T0)
    assert services.escalation_run(now=T0 + dt.timedelta(days=3)) == 1
    assert services.subject_acted(subject_type="patrols.case", subject_id="case-2", at=T0 + dt.timedelta(days=4)) == 1
    assert services.escalation_run(now=T0 + dt.timedelta(days=30)) == 0
    assert EscalationStep.objects.count() == 1
    assert Event.objects.get(type="case_overdue").acted_at == T0 + dt.timedelta(days=4)


def test_other_event_types_do_not_escalate(ladder):
    raise_event("case_assigned", VILLAGE, [ladder["village_chief"].pk], subject_id="case-3", at=T0)
    assert services.escalation_run(now=T0 + dt.timedelta(days=30)) == 0


def test_escalation_is_in_the_beat_schedule():
    from config.celery_app import app

    tasks = {v["task"] for v in app.conf.beat_schedule.values()}
    assert {"notify.tasks.escalation_run", "notify.tasks.outbox_relay", "notify.tasks.digest_send"} <= tasks

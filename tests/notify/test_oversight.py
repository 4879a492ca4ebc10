"""The oversight app raises its events through notify (issue 17 item 1, "where the oversight app
exists"): a rectification task, milestone or petition past its deadline (the hourly job, once per
item), a supervision order issued (in the order's transaction). Own people: the member units the
item is handed to and the office responsible for its division; a step taken on the item stops the
escalation of its overdue event, which otherwise climbs the chief ladder."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accounts.choices import Role
from core.exceptions import InvalidInput
from core.periods import BEIJING
from notify import services as notify
from notify.models import EscalationStep, Event, Notification
from oversight import services
from oversight.services.common import SYSTEM
from oversight.services.notices import office, overdue_notify
from tests.oversight.conftest import ledger, units  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=BEIJING)


def inbox(user: Any) -> list[tuple[str, str]]:
    return sorted(
        Notification.objects.filter(recipient=user, channel="inbox").values_list("event__type", "event__subject_id")
    )


def people_of(type_: str, subject_id: Any) -> list[int]:
    return Event.objects.get(type=type_, subject_id=str(subject_id)).people


def test_the_office_is_the_lowest_division_with_reviewers(ledger, users):  # noqa: F811
    # 650102 has no reviewer of its own: the city office answers for it; 650103 has its own.
    assert office("650102") == [users["city_reviewer"].pk]
    assert office("650103") == [users["reviewer_650103"].pk]
    assert office("650102001") == [users["city_reviewer"].pk]


def test_overdue_milestones_and_petitions_reach_their_units_and_office_once(ledger, users, units):  # noqa: F811
    ms_july = ledger["t_e"].milestones.get(due_on=dt.date(2022, 7, 31))
    # 5 August 2022: the July milestone of T-1 and the three petitions (due 31 May) are overdue; the
    # tasks themselves (deadlines at the end of 2022 and mid-2023) and the September milestone are not.
    assert overdue_notify(now=at("2022-08-05")) == 4
    assert sorted(Event.objects.values_list("type", flat=True)) == [
        "oversight_milestone_overdue",
        "petition_overdue",
        "petition_overdue",
        "petition_overdue",
    ]
    tianshan, water, other = units["tianshan"], units["water"], units["other"]
    city, saybagh = users["city_reviewer"], users["reviewer_650103"]
    # The milestone: T-1's lead unit (Tianshan) and responsible unit (the water bureau), and the city office.
    assert sorted(people_of("oversight_milestone_overdue", ms_july.pk)) == sorted([tianshan.pk, water.pk, city.pk])
    n = Notification.objects.get(recipient=tianshan, event__type="oversight_milestone_overdue")
    assert "7月完成清理方案" in n.body
    assert "T-1" in n.body
    assert "2022-07-31" in n.body
    assert f"/api/v1/oversight/milestones/{ms_july.pk}/" in n.body
    # Petitions: each to its own unit, and the office of its division (650103 has its own reviewer).
    p2 = ledger["batch"].petitions.get(number="X650000202203300002")
    assert sorted(people_of("petition_overdue", p2.pk)) == sorted([water.pk, saybagh.pk])
    assert [t for t, _ in inbox(tianshan)] == ["oversight_milestone_overdue", "petition_overdue", "petition_overdue"]
    assert [t for t, _ in inbox(saybagh)] == ["petition_overdue"]
    assert inbox(other) == []
    assert inbox(users["chief_650102"]) == []
    # The job is hourly: a second run tells nobody again.
    assert overdue_notify(now=at("2022-08-05", 10)) == 0
    assert Event.objects.count() == 4
    # After the task's deadline the task itself and its September milestone are overdue; the July
    # milestone and the petitions are not told twice.
    assert overdue_notify(now=at("2023-01-02")) == 2
    task_event = Event.objects.get(type="oversight_task_overdue")
    assert task_event.subject_type == "oversight.task"
    assert task_event.subject_id == str(ledger["t_e"].pk)
    assert task_event.division_code == "650102"
    assert "T-1" in Notification.objects.get(recipient=water, event=task_event).body


def test_a_completed_milestone_or_closed_petition_is_not_overdue(ledger, users, units):  # noqa: F811
    ms_july = ledger["t_e"].milestones.get(due_on=dt.date(2022, 7, 31))
    services.milestone_complete(actor=units["tianshan"], milestone=ms_july, done_on=dt.date(2022, 7, 30))
    for p in ledger["batch"].petitions.all():
        p = services.petition_submit(actor=p.unit, petition=p, result="已清理", substantiated="yes", status="closed")
        services.petition_accept(actor=users["admin"], petition=p, closed_on=dt.date(2022, 5, 30))
    assert overdue_notify(now=at("2022-08-05")) == 0
    assert not Event.objects.exists()


def test_a_step_on_the_item_stops_its_escalation_otherwise_it_climbs(ledger, users, units):  # noqa: F811
    assert overdue_notify(now=at("2022-08-05")) == 4
    ms_july = ledger["t_e"].milestones.get(due_on=dt.date(2022, 7, 31))
    p1, p2, p3 = ledger["batch"].petitions.order_by("number")
    # The unit submits a result on one petition: someone acted, that one stops escalating.
    services.petition_submit(
        actor=units["tianshan"], petition=p1, result="已核实", substantiated="yes", status="closed"
    )
    assert Event.objects.get(type="petition_overdue", subject_id=str(p1.pk)).acted_at is not None
    assert Event.objects.get(type="petition_overdue", subject_id=str(p3.pk)).acted_at is None
    # Five days at district level (NOTIFY_ESCALATION_DAYS) later, the others climb to the city.
    assert notify.escalation_run(now=at("2022-08-09")) == 0
    assert notify.escalation_run(now=at("2022-08-11")) == 3
    climbed = set(EscalationStep.objects.values_list("subject_type", "subject_id"))
    assert climbed == {
        ("oversight.milestone", str(ms_july.pk)),
        ("oversight.petition", str(p2.pk)),
        ("oversight.petition", str(p3.pk)),
    }
    step = EscalationStep.objects.get(subject_id=str(p3.pk))
    assert (step.from_division, step.to_division, step.to_level) == ("650102", "650100", "city")
    assert users["city_reviewer"].pk in step.recipients
    # A progress report on the task is a step on it (the milestone's own event is the milestone's).
    services.progress_report(actor=units["tianshan"], task=ledger["t_e"], text="已完成方案编制")
    assert overdue_notify(now=at("2023-01-02")) == 2  # the task and its September milestone
    services.progress_report(actor=units["water"], task=ledger["t_e"], text="清理进度过半")
    assert Event.objects.get(type="oversight_task_overdue").acted_at is not None


def test_a_supervision_order_tells_the_unit_and_the_office_with_the_order(ledger, users, units):  # noqa: F811
    reviewer = users["city_reviewer"]
    today = timezone.localdate()
    order = services.order_issue(
        actor=reviewer,
        subject="task",
        item=ledger["t_e"],
        text="请于期限内反馈整改进展。",
        reply_due=today + dt.timedelta(days=10),
    )
    event = Event.objects.get(type="supervision_order_issued")
    assert (event.subject_type, event.subject_id, event.division_code) == (
        "oversight.supervisionorder",
        str(order.pk),
        "650102",
    )
    assert sorted(event.people) == sorted([units["tianshan"].pk, reviewer.pk])
    n = Notification.objects.get(recipient=units["tianshan"], event=event)
    assert order.number in n.body
    assert (today + dt.timedelta(days=10)).isoformat() in n.body
    assert inbox(units["water"]) == []  # a responsible unit, but the order is addressed to the lead unit


def test_a_refused_order_raises_nothing(ledger, users):  # noqa: F811
    with pytest.raises(InvalidInput):
        services.order_issue(
            actor=users["city_reviewer"], subject="task", item=ledger["t_e"], text="督办", reply_due=dt.date(2020, 1, 1)
        )
    assert not Event.objects.exists()
    assert not Notification.objects.exists()


def test_a_rule_widens_an_oversight_event_to_named_people(ledger, users, units):  # noqa: F811
    admin = users["admin"]
    notify.rule_create(
        actor=admin,
        scope=SYSTEM,
        users=[users["operator"]],
        event_type="petition_overdue",
        division_code="650100",
        own_people=True,
        role=Role.REVIEWER,
        channels=["inbox"],
    )
    assert overdue_notify(now=at("2022-08-05")) == 4
    # The rule's named user gets the three petitions; its role reaches the city reviewer too, and
    # the own people (units, offices) still get theirs.
    assert [t for t, _ in inbox(users["operator"])] == ["petition_overdue"] * 3
    assert [t for t, _ in inbox(units["water"])].count("petition_overdue") == 1


def test_the_hourly_task_is_scheduled_and_runs(ledger):  # noqa: F811
    from config.celery_app import app
    from oversight.tasks import overdue_notify as task

    assert any(e["task"] == "oversight.tasks.overdue_notify" for e in app.conf.beat_schedule.values())
    # Today every item of the 2022 ledger is past its deadline: 2 tasks, 2 milestones of T-1, 3 petitions.
    assert task.apply().get() == 7
    assert task.apply().get() == 0

"""Events reach the right people by rule: the row's own people, a role in the division, named users;
per channel; preferences; quiet hours and digests; idempotent raising."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from core.periods import BEIJING
from notify import services
from notify.choices import EventType, NotificationStatus
from notify.models import Event, Notification, Rule
from tests.notify.conftest import raise_event

pytestmark = pytest.mark.django_db
RAISED = [t for t in EventType.values if t != EventType.DIGEST]


def inbox_of(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user, channel="inbox").values_list("event__type", flat=True))


def rule(people, **kw) -> Rule:
    users = kw.pop("users", None)
    values = {"event_type": "case_assigned", "division_code": "650102", "channels": ["inbox"], **kw}
    return services.rule_create(actor=people["admin"], scope=_all(people), users=users, **values)


def _all(people):
    from accounts.scope import scope_for

    return scope_for(people["admin"])


@pytest.mark.parametrize("event_type", RAISED)
def test_each_event_type_reaches_the_people_its_rule_names(people, event_type):
    """Per type: a district rule sends to the row's own people and the district's reviewers, not to
    the other district's; a rule for another type changes nothing."""
    rule(people, event_type=event_type, role="reviewer")
    rule(
        people,
        event_type="case_closed" if event_type != "case_closed" else "case_assigned",
        division_code="650103",
        role="reviewer",
    )
    raise_event(event_type, "650102", [people["chief"].pk], figures={"case": "C1", "intake": "I-1"})
    assert inbox_of(people["chief"]) == [event_type]
    assert inbox_of(people["rev_650102"]) == [event_type]
    assert inbox_of(people["rev_650103"]) == []
    # The city's reviewer is above the district rule's division: not reached by it.
    assert inbox_of(people["city_rev"]) == []
    n = Notification.objects.get(recipient=people["chief"])
    assert n.status == NotificationStatus.DELIVERED
    assert n.title
    assert n.body.endswith("/api/v1/patrols/cases/c-1/")


def test_without_a_rule_the_own_people_get_the_inbox_in_chinese(people):
    figures = {"case": "C1", "category": "乱堆", "reach": "天山段", "unit": "天山区水务局", "deadline": "2024-06-30"}
    raise_event("case_assigned", "650102", [people["chief"].pk], figures=figures)
    n = Notification.objects.get()
    assert n.recipient == people["chief"]
    assert n.title == "问题已交办"
    assert "天山区水务局" in n.body
    assert "2024-06-30" in n.body
    assert "期限" in n.body
    assert "http://127.0.0.1:8000/api/v1/patrols/cases/c-1/" in n.body


def test_named_users_and_a_city_rule_reach_events_below_it(people):
    rule(people, division_code="650100", own_people=False, users=[people["operator"]])
    raise_event("case_assigned", "650102", [people["chief"].pk])
    assert inbox_of(people["operator"]) == ["case_assigned"]
    assert inbox_of(people["chief"]) == []  # the rule leaves out the row's own people


def test_one_message_per_target_and_channel_whatever_the_rules(people):
    rule(people, role="chief")
    rule(people, role="chief", channels=["inbox", "email"])
    raise_event("case_assigned", "650102", [people["chief"].pk])
    rows = Notification.objects.filter(recipient=people["chief"]).order_by("channel")
    assert [r.channel for r in rows] == ["email", "inbox"]
    r = rows[0]
    twin = Notification(
        event=r.event, target=r.target, channel=r.channel, title="x", body="x", status="pending", due_at=r.due_at
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_a_key_makes_raising_idempotent(people):
    first = raise_event("meter_offline", "650102", [people["chief"].pk], key="meter_offline:1@t")
    again = raise_event("meter_offline", "650102", [people["chief"].pk], key="meter_offline:1@t")
    assert first.pk == again.pk
    assert Event.objects.count() == 1
    assert Notification.objects.count() == 1


def test_preferences_turn_a_channel_off_or_move_it(people):
    rule(people, channels=["email", "sms"], role="chief")
    services.preference_set(user=people["chief"], channel="email", enabled=False)
    services.preference_set(user=people["chief"], channel="sms", address="138 0013 8001")
    raise_event("case_assigned", "650102", [])
    rows = list(Notification.objects.filter(recipient=people["chief"]).values_list("channel", "address"))
    assert rows == [("sms", "+8613800138001")]


def test_quiet_hours_hold_the_send_until_they_end(people):
    rule(people, channels=["inbox", "email"], role="chief", quiet_start=dt.time(22), quiet_end=dt.time(7))
    night = dt.datetime(2024, 5, 1, 23, 30, tzinfo=BEIJING)
    raise_event("case_assigned", "650102", [], at=night)
    email = Notification.objects.get(channel="email")
    inbox = Notification.objects.get(channel="inbox")
    assert email.status == "pending"
    assert email.due_at == dt.datetime(2024, 5, 2, 7, tzinfo=BEIJING)
    assert inbox.status == "delivered"  # the inbox is not a disturbance
    assert services.outbox_due(now=night + dt.timedelta(hours=7)) == []
    assert services.outbox_due(now=dt.datetime(2024, 5, 2, 7, tzinfo=BEIJING)) == [email.pk]
    # Outside the window: due at once.
    day = dt.datetime(2024, 5, 2, 10, tzinfo=BEIJING)
    raise_event("case_assigned", "650102", [], at=day, subject_id="c-2")
    assert Notification.objects.get(channel="email", event__subject_id="c-2").due_at == day


def test_digest_gathers_a_days_messages_into_one(people):
    rule(people, channels=["email"], role="chief", mode="digest")
    morning = dt.datetime(2024, 5, 1, 9, tzinfo=BEIJING)
    for i in range(3):
        raise_event(
            "case_assigned",
            "650102",
            [],
            at=morning + dt.timedelta(hours=i),
            subject_id=f"c-{i}",
            figures={"case": f"C{i}"},
        )
    held = Notification.objects.filter(status="held")
    assert held.count() == 3
    assert {h.due_at for h in held} == {dt.datetime(2024, 5, 2, 8, tzinfo=BEIJING)}
    assert services.digest_compose(now=dt.datetime(2024, 5, 2, 7, 59, tzinfo=BEIJING)) == 0
    assert services.digest_compose(now=dt.datetime(2024, 5, 2, 8, 5, tzinfo=BEIJING)) == 1
    digest = Notification.objects.get(event__type="digest")
    assert digest.status == "pending"
    assert digest.recipient == people["chief"]
    assert digest.channel == "email"
    assert digest.body.startswith("今日通知 3 条")
    assert "C0" in digest.body
    assert "C2" in digest.body
    assert Notification.objects.filter(status="digested", digest=digest).count() == 3
    assert services.digest_compose(now=dt.datetime(2024, 5, 2, 9, tzinfo=BEIJING)) == 0


def test_every_text_has_its_chinese_translation():
    from django.utils import translation

    from notify.texts import BODIES

    for event_type, (body, _fields) in BODIES.items():
        with translation.override("en"):
            english = str(EventType(event_type).label)
        with translation.override("zh-hans"):
            assert translation.gettext(body) != body, event_type
            assert str(EventType(event_type).label) != english, event_type

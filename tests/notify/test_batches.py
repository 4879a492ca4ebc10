"""The fast paths (issue 17 "Speed"): a worker claims and sends a batch of due rows at once and
records them together, never a row another worker holds; raising an event with no rule is one
statement on PostgreSQL (the event and its rows in one CTE) and trusts a cached "no rule here" that a
rule saved in this process clears at once. Both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.scope import scope_for
from notify import services
from notify.models import DeliveryAttempt, Event, Notification
from tests.notify.conftest import raise_event

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2024, 5, 1, 10, tzinfo=dt.UTC)


def robot_rule(people, url: str):
    return services.rule_create(
        actor=people["admin"],
        scope=scope_for(people["admin"]),
        event_type="meter_offline",
        division_code="650102",
        channels=["wecom"],
        webhook_url=url,
        own_people=False,
    )


def robot_rows(n: int) -> list[int]:
    for i in range(n):
        raise_event("meter_offline", subject_id=f"m-{i}", at=T0, figures={"meter": f"WM-{i}"})
    return list(Notification.objects.filter(channel="wecom").order_by("pk").values_list("pk", flat=True))


def test_a_batch_sends_its_own_rows_and_other_due_ones_and_records_each(people, stub):
    robot_rule(people, stub.on("/ok/send"))
    ids = robot_rows(5)
    # Another worker holds one row (its lease runs to T0 + 2 min): the batch leaves it alone.
    Notification.objects.filter(pk=ids[4]).update(
        status="sending", lease_until=T0 + dt.timedelta(minutes=2), attempts=1
    )
    results = services.notifications_deliver(ids=[ids[2]], now=T0, extra=10)
    assert set(results) == {ids[0], ids[1], ids[2], ids[3]}
    assert all(r.status == "delivered" for r in results.values())
    assert sorted(h.headers["X-Hezhang-Message-Id"] for h in stub.hits) == sorted(
        str(u) for u in Notification.objects.filter(pk__in=ids[:4]).values_list("uid", flat=True)
    )
    assert list(Notification.objects.filter(pk=ids[4]).values_list("status", flat=True)) == ["sending"]
    for n in Notification.objects.filter(pk__in=ids[:4]):
        assert (n.status, n.attempts, n.lease_until, n.delivered_at) == ("delivered", 1, None, T0)
        (a,) = DeliveryAttempt.objects.filter(notification=n)
        assert (a.number, a.outcome, a.provider_status, a.finished_at) == (1, "delivered", "errcode 0", T0)
    # Again: nothing left to claim, nothing sent twice; the held row is reported as it stands.
    again = services.notifications_deliver(ids=[ids[2], ids[4]], now=T0, extra=10)
    assert again[ids[2]].status == "delivered"
    assert again[ids[4]].status == "sending"
    assert len(stub.hits) == 4
    # Once its lease has run out (its worker died), the row is claimed and sent.
    late = services.notifications_deliver(ids=[], now=T0 + dt.timedelta(minutes=3), extra=10)
    assert {k: v.status for k, v in late.items()} == {ids[4]: "delivered"}
    assert Notification.objects.get(pk=ids[4]).attempts == 2


def test_a_batch_with_errors_retries_only_those(people, stub, settings):
    settings.NOTIFY_RETRY_BASE_S = 60
    robot_rule(people, stub.on("/ok/send"))
    ids = robot_rows(2)
    # The second row's robot is down.
    Notification.objects.filter(pk=ids[1]).update(address=stub.on("/down"))
    results = services.notifications_deliver(ids=ids, now=T0)
    assert results[ids[0]].status == "delivered"
    assert (results[ids[1]].status, results[ids[1]].retry_in) == ("pending", 60.0)
    down = Notification.objects.get(pk=ids[1])
    assert down.due_at == T0 + dt.timedelta(seconds=60)
    assert "HTTP 500" in down.last_error
    assert DeliveryAttempt.objects.get(notification=down).outcome == "error"


def test_raising_with_no_rule_is_one_statement_on_postgresql(people):
    chief = people["chief"]
    raise_event("case_closed", people_ids=[chief.pk], subject_id="warm")  # the "no rule" answer is now cached
    with transaction.atomic(), CaptureQueriesContext(connection) as q:
        services.event_raise(
            type="case_closed",
            division_code="650102",
            subject_type="patrols.case",
            subject_id="c-2",
            people=[chief.pk, people["chief_b"].pk],
            figures={"case": "C2"},
        )
    statements = [s["sql"] for s in q.captured_queries if not s["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    if connection.vendor == "postgresql":
        assert len(statements) == 1, statements
    else:
        assert len(statements) == 2, statements  # the event, then its rows
    event = Event.objects.get(subject_id="c-2")
    assert sorted(Notification.objects.filter(event=event).values_list("recipient_id", flat=True)) == sorted(
        [chief.pk, people["chief_b"].pk]
    )
    # A keyed event raised again writes nothing and returns the first.
    first = raise_event("case_overdue", people_ids=[chief.pk], subject_id="c-3", key="case_overdue:c-3")
    second = raise_event("case_overdue", people_ids=[chief.pk], subject_id="c-3", key="case_overdue:c-3")
    assert first.pk == second.pk
    assert Notification.objects.filter(event=first).count() == 1


def test_a_rule_saved_in_this_process_is_followed_at_once(people):
    chief, reviewer = people["chief"], people["rev_650102"]
    raise_event("case_closed", people_ids=[chief.pk], subject_id="before")
    assert not Notification.objects.filter(recipient=reviewer).exists()
    rule = services.rule_create(
        actor=people["admin"],
        scope=scope_for(people["admin"]),
        event_type="case_closed",
        division_code="650102",
        channels=["inbox"],
        users=[reviewer],
    )
    raise_event("case_closed", people_ids=[chief.pk], subject_id="after")
    assert Notification.objects.filter(recipient=reviewer, event__subject_id="after").exists()
    services.rule_delete(rule=rule, actor=people["admin"])
    raise_event("case_closed", people_ids=[chief.pk], subject_id="gone")
    assert not Notification.objects.filter(recipient=reviewer, event__subject_id="gone").exists()


def test_raising_with_rules_is_two_statements_on_postgresql(people):
    chief, reviewer, named = people["chief"], people["rev_650102"], people["operator"]
    services.rule_create(
        actor=people["admin"],
        scope=scope_for(people["admin"]),
        event_type="plan_80",
        division_code="650100",
        channels=["inbox"],
        role="reviewer",
        users=[named],
    )
    with transaction.atomic(), CaptureQueriesContext(connection) as q:
        services.event_raise(
            type="plan_80",
            division_code="650102",
            subject_type="water.intake",
            subject_id=1,
            people=[chief.pk],
            figures={"intake": "QSK-E"},
        )
    statements = [s["sql"] for s in q.captured_queries if not s["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    if connection.vendor == "postgresql":
        assert len(statements) == 2, statements  # the rules with their people; the event with its rows
    else:
        assert len(statements) == 4, statements  # the rules, the people, the event, its rows
    # Own people, the named user, and the reviewers covering the event's division inside the rule's
    # (the rule is the city's: the district's and the city's reviewers).
    got = set(Notification.objects.filter(event__subject_id="1").values_list("recipient_id", flat=True))
    assert {chief.pk, named.pk, reviewer.pk, people["city_rev"].pk} == got

"""Ledger review and lock: a locked month keeps its figure; a reading or correction arriving later is
kept, flagged as an amendment after lock and reported beside the locked figure; only an admin
unlocks, with a reason; both ingest paths (append and merge) flag what they store."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from accounts.scope import scope_for
from core import periods
from core.exceptions import Conflict, Forbidden, InvalidInput
from core.models import AuditLog
from tests.water.plan_fixtures import ALL, daily_meter, midnight, send_at, send_daily
from water import plan_services, services
from water.models import DailyVolume, LedgerLock, LockedDailyVolume, Reading
from water.selectors import plan_summary

pytestmark = pytest.mark.django_db
D = Decimal
JAN = periods.month(2024, 1)
Q1 = periods.quarter(2024, 1)
JAN1 = dt.date(2024, 1, 1)
TODAY = dt.date(2024, 6, 1)


def jan_current(meter):
    return DailyVolume.objects.filter(meter=meter, day__range=(JAN.first_date, JAN.last_date)).aggregate(
        v=Sum("measured_m3") + Sum("estimated_m3") + Sum("corrected_m3")
    )["v"]


def e_figures(period=JAN, scope=ALL):
    e = next(i for i in plan_summary(scope=scope, period=period, today=TODAY).intakes if i.code == "QSK-E")
    return e.use_m3, e.amendments_after_lock_m3


@pytest.fixture
def gap(water):
    """E: 100 m³/day measured 1–20 January, then no report until 10 February (2,000 m³ over the 20
    days of the gap, split evenly: 1,100 in January). January = 3,100."""
    daily_meter(water.meter_e)
    last = send_daily(water.meter_e, JAN1, [100] * 20, 1000)
    send_at(water.meter_e, midnight(dt.date(2024, 2, 10)), last + 2000)
    assert jan_current(water.meter_e) == D(3100)
    return last


def test_late_reading_into_a_locked_month(gap, geography, users, water):
    lock = plan_services.ledger_lock(
        actor=users["city_reviewer"],
        scope=scope_for(users["city_reviewer"]),
        division=geography["tianshan"],
        month=dt.date(2024, 1, 1),
        note="一月台账审核无误",
    )
    assert LockedDailyVolume.objects.filter(lock=lock).count() == 31
    # A reading inside the gap arrives after the lock: 1,500 m³ 21–31 January, 500 m³ to 10 February.
    result = send_at(water.meter_e, midnight(dt.date(2024, 1, 31)), gap + 1500)
    assert result.created == 1
    late = Reading.objects.get(meter=water.meter_e, observed_at=midnight(dt.date(2024, 1, 31)))
    assert late.after_lock is True
    assert not Reading.objects.filter(after_lock=True).exclude(observed_at=late.observed_at).exists()
    # The daily rows are exact (2,000 + 1,500 + 31 January's 50)…
    assert jan_current(water.meter_e) == D(3550)
    # …but the month reports its locked figure, and the amendment beside it.
    assert e_figures() == (D(3100), D(450))
    # February is not locked: 9 days of the 500 m³.
    s = plan_summary(scope=ALL, period=Q1, today=TODAY)
    assert (s.use_m3, s.amendments_after_lock_m3) == (D(3100 + 450), D(450))
    # A resend of the late reading is a duplicate and changes nothing.
    assert send_at(water.meter_e, midnight(dt.date(2024, 1, 31)), gap + 1500).duplicates == 1
    assert e_figures() == (D(3100), D(450))


def test_append_path_flags_rows_in_the_locked_month_only(geography, water):
    plan_services.ledger_lock(actor="test", scope=ALL, division=geography["city"], month=JAN1)
    daily_meter(water.meter_w)
    send_daily(water.meter_w, JAN1, [50] * 33, 0)  # readings 2 January … 3 February, in order
    flagged = Reading.objects.filter(meter=water.meter_w, after_lock=True)
    assert flagged.count() == 30  # 2–31 January (1 February 00:00 belongs to February)
    assert not Reading.objects.filter(
        meter=water.meter_w, after_lock=True, observed_at__gte=midnight(dt.date(2024, 2, 1))
    ).exists()
    w = next(i for i in plan_summary(scope=ALL, period=JAN, today=TODAY).intakes if i.code == "QSK-W")
    assert (w.use_m3, w.amendments_after_lock_m3) == (0, D(1550))


def test_unlock_only_by_admin_with_a_reason(gap, geography, users, water):
    lock = plan_services.ledger_lock(
        actor=users["city_reviewer"],
        scope=scope_for(users["city_reviewer"]),
        division=geography["tianshan"],
        month=JAN1,
    )
    send_at(water.meter_e, midnight(dt.date(2024, 1, 31)), gap + 1500)
    with pytest.raises(Forbidden):
        plan_services.ledger_unlock(
            lock=lock, actor=users["city_reviewer"], scope=scope_for(users["city_reviewer"]), reason="x"
        )
    with pytest.raises(InvalidInput) as err:
        plan_services.ledger_unlock(lock=lock, actor=users["admin"], scope=ALL, reason="  ")
    assert "reason" in err.value.fields
    assert e_figures() == (D(3100), D(450))
    plan_services.ledger_unlock(lock=lock, actor=users["admin"], scope=ALL, reason="统计口径调整 late meter data")
    lock.refresh_from_db()
    assert lock.unlocked_at is not None
    assert lock.unlocked_by == users["admin"]
    assert not LockedDailyVolume.objects.exists()
    assert e_figures() == (D(3550), 0)
    # The late reading keeps its flag: it did arrive after the lock.
    assert Reading.objects.filter(after_lock=True).count() == 1
    with pytest.raises(Conflict):
        plan_services.ledger_unlock(lock=lock, actor=users["admin"], scope=ALL, reason="again")
    log = AuditLog.objects.filter(entity="water.ledgerlock").order_by("id")
    assert [a.action for a in log] == ["transition", "transition"]
    assert log[1].reason == "统计口径调整 late meter data"
    assert log[1].before["unlocked_at"] is None


def test_correction_after_lock_is_an_amendment(gap, geography, users, water):
    send_at(water.meter_e, midnight(dt.date(2024, 1, 31)), gap + 1500)
    plan_services.ledger_lock(actor="test", scope=ALL, division=geography["tianshan"], month=JAN1)
    assert e_figures() == (D(3550), 0)
    reading = Reading.objects.get(meter=water.meter_e, observed_at=midnight(dt.date(2024, 1, 31)))
    assert reading.after_lock is False
    services.reading_correct(reading=reading, cumulative_m3=D(gap + 1300), reason="transcription", actor="test")
    reading = Reading.objects.get(meter=water.meter_e, observed_at=midnight(dt.date(2024, 1, 31)))
    assert reading.after_lock is True
    assert reading.corrected is True
    # 2,000 + 1,300 + 31 January's 70 = 3,370: 180 less than locked.
    assert e_figures() == (D(3550), D(-180))


def test_lock_twice_and_nested_locks(gap, geography, users, water):
    district = plan_services.ledger_lock(actor="test", scope=ALL, division=geography["tianshan"], month=JAN1)
    with pytest.raises(Conflict) as err:
        plan_services.ledger_lock(actor="test", scope=ALL, division=geography["tianshan"], month=dt.date(2024, 1, 15))
    assert "month" in err.value.fields
    send_at(water.meter_e, midnight(dt.date(2024, 1, 31)), gap + 1500)
    # The city locks January after the district: the district's figures stay as locked.
    city = plan_services.ledger_lock(actor="test", scope=ALL, division=geography["city"], month=JAN1)
    assert e_figures() == (D(3100), D(450))
    assert not LockedDailyVolume.objects.filter(lock=city, meter=water.meter_e).exists()
    with pytest.raises(Conflict):  # the district inside a locked city
        plan_services.ledger_lock(actor="test", scope=ALL, division=geography["saybagh"], month=JAN1)
    with pytest.raises(Conflict) as err:
        plan_services.ledger_unlock(lock=district, actor="test", scope=ALL, reason="x")
    assert err.value.code == "locked_above"
    plan_services.ledger_unlock(lock=city, actor="test", scope=ALL, reason="x")
    assert e_figures() == (D(3100), D(450))  # still locked by the district


def test_lock_refusals(geography, users):
    with pytest.raises(InvalidInput) as err:  # not over yet
        plan_services.ledger_lock(actor="test", scope=ALL, division=geography["city"], month=dt.date(2999, 1, 1))
    assert "month" in err.value.fields
    for user in ("chief_650102", "reviewer_650103", "operator"):
        with pytest.raises(Forbidden):
            plan_services.ledger_lock(
                actor=users[user], scope=scope_for(users[user]), division=geography["tianshan"], month=JAN1
            )
    assert not LedgerLock.objects.exists()


def test_batches_after_the_locked_months_are_not_flagged(geography, water):
    plan_services.ledger_lock(actor="test", scope=ALL, division=geography["city"], month=dt.date(2023, 12, 1))
    daily_meter(water.meter_e)
    send_daily(water.meter_e, JAN1, [100] * 5, 1000)
    assert not Reading.objects.filter(after_lock=True).exists()


def test_review_after_lock_is_an_amendment(geography, water):
    """A jump held for review when the month was locked: accepting it later changes the month's
    current figure; the locked figure stays, the accepted volume is the amendment."""
    daily_meter(water.meter_e)
    last = send_daily(water.meter_e, JAN1, [100] * 4, 1000)  # 2–5 January
    send_at(water.meter_e, midnight(dt.date(2024, 1, 6)), last + 200_000)  # above 1 m³/s × 1.2 for a day
    send_daily(water.meter_e, dt.date(2024, 1, 6), [100] * 3, last + 200_000)
    # Both steps touching the suspect reading are held: the jump and the next day's 100.
    held = DailyVolume.objects.filter(meter=water.meter_e).aggregate(h=Sum("held_m3"))["h"]
    assert held == D(200_100)
    plan_services.ledger_lock(actor="test", scope=ALL, division=geography["city"], month=JAN1)
    use, amend = e_figures()
    e = next(i for i in plan_summary(scope=ALL, period=JAN, today=TODAY).intakes if i.code == "QSK-E")
    assert e.held_m3 == D(200_100)
    reading = Reading.objects.get(meter=water.meter_e, observed_at=midnight(dt.date(2024, 1, 6)))
    services.reading_review(reading=reading, decision="accepted", reason="meter checked on site", actor="test")
    reading.refresh_from_db()
    assert reading.after_lock is True
    use2, amend2 = e_figures()
    assert use2 == use
    assert amend2 - amend == D(200_100)


@pytest.mark.django_db(transaction=True)
def test_a_lock_waits_for_a_batch_in_flight(geography, water):
    """ledger_lock takes the division's meters FOR UPDATE (on SQLite: waits for the writer), so a batch
    that is being written when the month is locked is in the frozen figure, not an amendment."""
    import threading

    from django.db import connections, transaction

    daily_meter(water.meter_e)
    last = send_daily(water.meter_e, JAN1, [100] * 20, 1000)
    send_at(water.meter_e, midnight(dt.date(2024, 2, 10)), last + 2000)
    inserted, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with transaction.atomic():
                send_at(water.meter_e, midnight(dt.date(2024, 1, 31)), last + 1500)
                inserted.set()
                release.wait(10)
        except BaseException as exc:
            errors.append(exc)
            inserted.set()
        finally:
            connections.close_all()

    def locker() -> None:
        try:
            plan_services.ledger_lock(actor="test", scope=ALL, division=geography["tianshan"], month=JAN1)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    a = threading.Thread(target=writer)
    a.start()
    assert inserted.wait(20)
    b = threading.Thread(target=locker)
    b.start()
    b.join(1.0)
    assert b.is_alive()  # waiting for the batch's transaction
    release.set()
    a.join(20)
    b.join(20)
    assert not errors
    assert jan_current(water.meter_e) == D(3550)
    assert e_figures() == (D(3550), 0)
    assert not Reading.objects.filter(after_lock=True).exists()

"""Rules, transitions and bad input of the oversight services (both backends)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from accounts.scope import scope_for
from core.exceptions import Conflict, Forbidden, InvalidInput, NotFound
from core.models import AuditLog
from core.periods import year
from oversight import selectors, services
from oversight.choices import (
    CircularStatus,
    MilestoneKind,
    PetitionStatus,
    RecheckItem,
    RecheckOutcome,
    ReviewState,
    TaskStatus,
    Timeliness,
)
from oversight.models import Circular, Milestone, Petition, Task
from oversight.services.common import SYSTEM
from patrols.choices import CaseSource
from tests.oversight.conftest import ACTOR, D, petition_row

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _finish(task: Task, user: Any, reviewer: Any, *, on: str = "2022-11-30") -> Task:
    services.task_start(actor=user, task=task)
    services.task_complete(actor=user, task=task, completed_on=D(on))
    return services.task_sign_off(actor=reviewer, task=task, note="验收合格")


# --------------------------------------------------------------------------- tasks


def test_task_workflow_with_progress_milestones_and_sign_off(ledger: dict[str, Any], users: dict[str, Any]) -> None:
    unit, reviewer, task = ledger["units"]["tianshan"], users["city_reviewer"], ledger["t_e"]
    upload = SimpleUploadedFile("整改报告.pdf", PDF, content_type="application/pdf")
    p = services.progress_report(actor=unit, task=task, text="已完成清理方案", files=[upload])
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS  # the first report starts the task
    att = p.attachments.get()
    assert len(att.sha256) == 64
    assert att.content_type == "application/pdf"
    m = task.milestones.order_by("due_on").first()
    assert m is not None
    services.milestone_complete(actor=unit, milestone=m, done_on=D("2022-07-20"))
    services.task_complete(actor=unit, task=task, completed_on=D("2023-01-15"))
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED
    assert task.review == ReviewState.SUBMITTED
    services.task_return(actor=reviewer, task=task, reason="现场仍有垃圾")
    task.refresh_from_db()
    assert (task.status, task.completed_on, task.return_reason) == (TaskStatus.IN_PROGRESS, None, "现场仍有垃圾")
    services.task_complete(actor=unit, task=task, completed_on=D("2023-02-01"))
    services.task_sign_off(actor=reviewer, task=task, note="验收合格")
    task = selectors.task_list(scope=scope_for(reviewer)).get(pk=task.pk)
    assert task.status == TaskStatus.SIGNED_OFF
    assert task.signed_off_by == reviewer
    assert task.timeliness == Timeliness.LATE  # completed 2023-02-01, deadline 2022-12-31
    assert AuditLog.objects.filter(entity="oversight.task", entity_id=str(task.pk)).count() >= 6


def test_timeliness_is_derived_from_the_dates(ledger: dict[str, Any], users: dict[str, Any]) -> None:
    _finish(ledger["t_e"], ledger["units"]["tianshan"], users["admin"], on="2022-12-01")
    rows = {t.code: t.timeliness for t in selectors.task_list(scope=scope_for(users["admin"]))}
    assert rows == {"T-1": Timeliness.ON_TIME, "T-2": Timeliness.OVERDUE}
    future = selectors.task_list(scope=scope_for(users["admin"]), today=dt.date(2023, 1, 1)).get(code="T-2")
    assert future.timeliness == Timeliness.NOT_DUE


@pytest.mark.parametrize(
    ("action", "kwargs"),
    [
        ("task_complete", {"completed_on": dt.date(2022, 10, 1)}),  # not started → completed
        ("task_sign_off", {}),  # not started → signed off
        ("task_return", {"reason": "x"}),
    ],
)
def test_a_status_jump_is_refused_naming_status(
    ledger: dict[str, Any], users: dict[str, Any], action: str, kwargs: dict[str, Any]
) -> None:
    actor = users["admin"]
    with pytest.raises(Conflict) as exc:
        getattr(services, action)(actor=actor, task=ledger["t_e"], **kwargs)
    assert exc.value.code == "transition_not_allowed"
    assert "status" in exc.value.fields
    assert Task.objects.get(pk=ledger["t_e"].pk).status == TaskStatus.NOT_STARTED


def test_unknown_units_and_dates_outside_the_round_are_named(ledger: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as exc:
        services.task_create(
            actor=ACTOR,
            scope=SYSTEM,
            finding=ledger["f_e"],
            code="T-9",
            title="x",
            lead_unit="nobody",
            responsible_units=["市水务局", "no-such"],
            deadline=D("2022-01-01"),
        )
    assert set(exc.value.fields) == {"lead_unit", "responsible_units[1]", "deadline"}
    with pytest.raises(InvalidInput) as exc:
        services.task_create(
            actor=ACTOR,
            scope=SYSTEM,
            finding=ledger["f_e"],
            code="T-9",
            title="x",
            lead_unit="unit_water",
            deadline=D("2022-12-31"),
            milestones=[
                {"kind": MilestoneKind.MONTH, "title": "ok", "due_on": D("2022-08-31")},
                {"kind": MilestoneKind.QUARTER, "title": "late", "due_on": D("2023-03-31")},
            ],
        )
    assert list(exc.value.fields) == ["milestones[1].due_on"]
    assert not Task.objects.filter(code="T-9").exists()
    with pytest.raises(InvalidInput) as exc:
        services.milestone_add(actor=ACTOR, task=ledger["t_e"], kind="month", title="x", due_on=D("2022-05-01"))
    assert "due_on" in exc.value.fields
    assert Milestone.objects.filter(task=ledger["t_e"]).count() == 2


def test_a_unit_acts_only_on_what_is_handed_to_it(ledger: dict[str, Any]) -> None:
    other, water = ledger["units"]["other"], ledger["units"]["water"]
    with pytest.raises(NotFound):
        services.task_start(actor=other, task=ledger["t_e"])
    services.task_start(actor=water, task=ledger["t_e"])  # a responsible unit may act
    with pytest.raises(Forbidden):
        services.task_sign_off(actor=water, task=ledger["t_e"])
    petition = Petition.objects.get(number="X650000202203300001")
    with pytest.raises(NotFound):
        services.petition_submit(actor=water, petition=petition, result="x", substantiated="yes", status="closed")


def test_attachments_that_are_not_documents_or_are_too_large_are_refused(ledger: dict[str, Any], settings: Any) -> None:
    unit, task = ledger["units"]["tianshan"], ledger["t_e"]
    exe = SimpleUploadedFile("evil.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    with pytest.raises(InvalidInput) as exc:
        services.progress_report(actor=unit, task=task, text="x", files=[exe])
    assert exc.value.code == "attachment_type"
    assert "files[0]" in exc.value.fields
    settings.OVERSIGHT_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(services.AttachmentTooLarge) as big:
        services.progress_report(actor=unit, task=task, text="x", files=[SimpleUploadedFile("a.pdf", PDF)])
    assert big.value.status_code == 413
    task.refresh_from_db()
    assert task.status == TaskStatus.NOT_STARTED
    assert not task.progress.exists()


# --------------------------------------------------------------------------- petitions


def test_import_is_idempotent_and_a_changed_number_is_a_conflict(ledger: dict[str, Any]) -> None:
    rnd = ledger["round"]
    rows = [petition_row("X650000202203300001", lon="87.7", lat="43.9", reach="HL-01-02"), petition_row("X2")]
    r = services.petition_import(
        actor=ACTOR, scope=SYSTEM, round=rnd, batch_number=1, received_on=D("2022-03-30"), rows=rows
    )
    assert (r.created, r.unchanged) == (1, 1)
    again = services.petition_import(
        actor=ACTOR, scope=SYSTEM, round=rnd, batch_number=1, received_on=D("2022-03-30"), rows=rows
    )
    assert (again.created, again.unchanged) == (0, 2)
    changed = [petition_row("X3"), petition_row("X2", complaint="另一件事")]
    with pytest.raises(Conflict) as exc:
        services.petition_import(
            actor=ACTOR, scope=SYSTEM, round=rnd, batch_number=2, received_on=D("2022-04-02"), rows=changed
        )
    assert list(exc.value.fields) == ["rows[1].number"]
    assert "X2" in exc.value.fields["rows[1].number"][0]
    assert not Petition.objects.filter(number="X3").exists()


def test_import_is_refused_whole_with_each_bad_row_named(ledger: dict[str, Any], users: dict[str, Any]) -> None:
    before = Petition.objects.count()
    rows = [
        petition_row("OK-1"),
        petition_row("BAD-1", division="659999"),  # unknown division
        petition_row("BAD-2", unit="no-such-unit"),  # unknown unit
        petition_row("BAD-3", deadline="2021-12-31"),  # before the round
        petition_row("BAD-4", channel="fax", lon="87.7"),  # bad channel, lon without lat
        petition_row("OK-1"),  # repeated
        petition_row("BAD-6", division="650103"),  # outside a Tianshan reviewer's scope? (city reviewer: fine)
    ]
    with pytest.raises(InvalidInput) as exc:
        services.petition_import(
            actor=ACTOR,
            scope=scope_for(users["reviewer_650103"]),
            round=ledger["round"],
            batch_number=2,
            received_on=D("2022-04-02"),
            rows=rows,
        )
    assert set(exc.value.fields) >= {
        "rows[0].division",
        "rows[1].division",
        "rows[2].unit",
        "rows[3].deadline",
        "rows[4].channel",
        "rows[4].lon",
        "rows[5].number",
    }
    assert "rows[6].division" not in exc.value.fields
    assert Petition.objects.count() == before


def test_petition_result_review_and_case_linked_both_ways(ledger: dict[str, Any], users: dict[str, Any]) -> None:
    unit, reviewer = ledger["units"]["tianshan"], users["city_reviewer"]
    p = Petition.objects.get(number="X650000202203300001")
    photo = SimpleUploadedFile("现场.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    services.petition_submit(
        actor=unit,
        petition=p,
        result="经核查属实",
        substantiated="yes",
        measures="已清理",
        reply="已电话回复",
        status=PetitionStatus.CLOSED,
        files=[photo],
    )
    with pytest.raises(Conflict):
        services.petition_submit(actor=unit, petition=p, result="x", substantiated="yes", status="closed")
    services.petition_return(actor=reviewer, petition=p, reason="缺少现场照片")
    services.petition_submit(actor=unit, petition=p, result="经核查属实", substantiated="yes", status="stage_closed")
    p = services.petition_accept(actor=reviewer, petition=p, closed_on=D("2022-05-20"))
    assert (p.status, p.closed_on, p.review) == (PetitionStatus.STAGE_CLOSED, D("2022-05-20"), ReviewState.ACCEPTED)
    p = services.petition_open_case(actor=reviewer, petition=p, category="dumping")
    assert p.case is not None
    assert p.case.source == CaseSource.INSPECTION
    assert p.case.reach.code == "HL-01-02"
    assert p.case.petition == p  # the case links back
    with pytest.raises(Conflict):
        services.petition_open_case(actor=reviewer, petition=p, category="dumping")
    nowhere = Petition.objects.get(number="X650000202203300003")
    with pytest.raises(InvalidInput) as exc:
        services.petition_open_case(actor=reviewer, petition=nowhere, category="dumping")
    assert set(exc.value.fields) == {"reach", "location"}


# --------------------------------------------------------------------------- orders, circulars, rechecks


def test_orders_go_to_the_unit_of_an_overdue_item(ledger: dict[str, Any], users: dict[str, Any]) -> None:
    reviewer, water = users["city_reviewer"], ledger["units"]["water"]
    due = dt.date.today() + dt.timedelta(days=7)  # noqa: DTZ011 - a date in the test's future
    order = services.order_issue(actor=reviewer, subject="task", item=ledger["t_w"], text="限期整改", reply_due=due)
    assert order.unit == water
    assert order.division.code == "650103"
    assert order.number.startswith("督办〔")
    with pytest.raises(NotFound):
        services.order_reply(actor=ledger["units"]["tianshan"], order=order, reply="x")
    services.order_reply(actor=water, order=order, reply="已部署")
    with pytest.raises(Conflict):
        services.order_reply(actor=water, order=order, reply="again")
    _finish(ledger["t_e"], ledger["units"]["tianshan"], reviewer)
    with pytest.raises(InvalidInput) as exc:
        services.order_issue(actor=reviewer, subject="task", item=ledger["t_e"], text="x", reply_due=due)
    assert "item" in exc.value.fields


def test_a_signed_circular_never_changes(ledger: dict[str, Any], users: dict[str, Any]) -> None:
    reviewer = users["city_reviewer"]
    c = services.circular_create(
        actor=reviewer, scope=scope_for(reviewer), first_date=D("2023-01-01"), last_date=D("2023-12-31")
    )
    units = {u["unit"]: u for u in c.figures["units"]}
    assert [t["code"] for t in units["unit_tianshan"]["tasks"]] == ["T-1"]
    assert len(units["unit_tianshan"]["milestones"]) == 2
    assert bytes(Circular.objects.values_list("pdf", flat=True).get(pk=c.pk)).startswith(b"%PDF")
    c = services.circular_sign(actor=reviewer, circular=c)
    assert c.status == CircularStatus.SIGNED
    with pytest.raises(Conflict):
        services.circular_sign(actor=reviewer, circular=c)
    with pytest.raises(Conflict):
        services.circular_delete(actor=reviewer, circular=c)
    with pytest.raises(IntegrityError), transaction.atomic():
        Circular.objects.filter(pk=c.pk).update(title="changed")
    with pytest.raises(IntegrityError), transaction.atomic():
        Circular.objects.filter(pk=c.pk).delete()


def test_look_back_is_reproducible_and_a_relapse_reopens_and_counts(
    ledger: dict[str, Any], users: dict[str, Any]
) -> None:
    admin = users["admin"]
    _finish(ledger["t_e"], ledger["units"]["tianshan"], admin)
    _finish(ledger["t_w"], ledger["units"]["water"], admin)
    scope = scope_for(admin)
    batch, rows = services.recheck_sample(actor=admin, scope=scope, item=RecheckItem.TASK, count=1, seed=42)
    chosen = rows[0].task_id
    for r in rows:
        r.delete()
    _b2, rows2 = services.recheck_sample(actor=admin, scope=scope, item=RecheckItem.TASK, count=1, seed=42)
    assert rows2[0].task_id == chosen
    assert batch.endswith(f"{42:012x}")
    # the pending one is not drawn again: one task is left, then none
    assert len(services.recheck_sample(actor=admin, scope=scope, item=RecheckItem.TASK, count=5, seed=1)[1]) == 1
    with pytest.raises(InvalidInput):
        services.recheck_sample(actor=admin, scope=scope, item=RecheckItem.TASK, count=5, seed=1)
    today = dt.date.today()  # noqa: DTZ011 - the recheck's day
    services.recheck_record(
        actor=admin, recheck=rows2[0], outcome=RecheckOutcome.RELAPSED, checked_on=today, note="垃圾反弹"
    )
    task = Task.objects.get(pk=chosen)
    assert (task.status, task.reopened_count, task.completed_on) == (TaskStatus.IN_PROGRESS, 1, None)
    figures = selectors.oversight_figures(scope=scope, period=year(today.year))
    assert figures["rechecks"]["done"] == 1
    assert figures["rechecks"]["relapses"] == 1
    with pytest.raises(Conflict):
        services.recheck_record(actor=admin, recheck=rows2[0], outcome="confirmed", checked_on=today)


def test_figures_as_of_the_period_end(ledger: dict[str, Any], users: dict[str, Any]) -> None:
    admin = users["admin"]
    _finish(ledger["t_e"], ledger["units"]["tianshan"], admin, on="2022-11-30")
    p = Petition.objects.get(number="X650000202203300002")
    services.petition_submit(
        actor=ledger["units"]["water"], petition=p, result="属实", substantiated="partly", status="closed"
    )
    services.petition_accept(actor=admin, petition=p, closed_on=D("2022-05-10"))
    f = selectors.oversight_figures(scope=scope_for(admin), period=year(2022))
    # signed off today, so not yet as of the end of 2022
    assert f["tasks"] == {
        "total": 2,
        "completed": 1,
        "in_progress": 1,
        "overdue": 0,
        "signed_off": 0,
        "completed_late": 0,
        "completed_in_period": 1,
    }
    assert f["petitions"]["received"] == 3
    assert f["petitions"]["closed"] == 1
    assert f["petitions"]["in_progress"] == 2
    assert f["petitions"]["substantiated"] == 1
    f23 = selectors.oversight_figures(scope=scope_for(admin), period=year(2023), division_code="650103")
    assert f23["tasks"]["overdue"] == 1
    assert f23["tasks"]["total"] == 1
    assert f23["petitions"]["received"] == 1
    saybagh = selectors.oversight_figures(scope=scope_for(users["reviewer_650103"]), period=year(2022))
    assert saybagh["tasks"]["total"] == 1
    assert saybagh["petitions"]["received"] == 1

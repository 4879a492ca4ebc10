"""Writes of rounds, findings, rectification tasks, milestones and progress reports.

Task workflow (oversight.choices.TASK_TRANSITIONS): a unit starts the task (or reports progress on
it, which starts it), completes it (submitting it for review); the office returns it with a reason
(back to in progress) or signs it off (销号). A look-back relapse reopens a signed-off task. Any other
jump is a 409 naming `status`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from accounts.scope import Scope
from core.audit import actor_user, snapshot
from core.exceptions import Conflict
from core.kernel import Errors, audited_save
from oversight.choices import (
    TASK_TRANSITIONS,
    FindingCategory,
    MilestoneKind,
    MilestoneStatus,
    ReviewState,
    RoundKind,
    TaskStatus,
)
from oversight.models import Finding, InspectionRound, Milestone, Progress, Task
from oversight.services import notices
from oversight.services.common import (
    STAFF,
    UNIT_AND_STAFF,
    attachment_store,
    attachments_check,
    division_lookup,
    invalid,
    is_unit,
    not_handed,
    now,
    require_role,
    scoped,
    today,
    transition_refused,
    unit_lookup,
)
from places.models import Lake, Reach
from reuse.models import Plant
from water.models import Intake


@transaction.atomic
def round_create(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    started_on: dt.date,
    ended_on: dt.date,
    feedback_on: dt.date | None = None,
    document_no: str = "",
) -> InspectionRound:
    """Record an inspection round (staff)."""
    require_role(actor, STAFF, "record inspection rounds")
    errors = Errors()
    if kind not in RoundKind.values:
        errors.add("kind", f"One of {', '.join(RoundKind.values)}.")
    if ended_on < started_on:
        errors.add("ended_on", "The inspection ends before it starts.")
    if feedback_on is not None and feedback_on < started_on:
        errors.add("feedback_on", "The feedback is before the inspection started.")
    if InspectionRound.objects.filter(code=code).exists():
        raise Conflict(f"A round {code!r} exists.", code="duplicate", fields={"code": ["Already used."]})
    errors.raise_if_any()
    rnd = InspectionRound(
        code=code,
        name=name,
        kind=kind,
        started_on=started_on,
        ended_on=ended_on,
        feedback_on=feedback_on,
        document_no=document_no,
    )
    audited_save(rnd, actor=actor, before=None)
    return rnd


def _codes(model: Any, codes: Sequence[str], *, scope: Scope, lookup: str, name: str, errors: Errors) -> list[Any]:
    rows = {r.code: r for r in scoped(model.objects.all(), scope, lookup).filter(code__in=list(codes))}
    for i, code in enumerate(codes):
        if code not in rows:
            errors.add(f"{name}[{i}]", f"No {name.rstrip('s')} {code!r} in your jurisdiction.")
    return [rows[c] for c in codes if c in rows]


@transaction.atomic
def finding_create(
    *,
    actor: Any,
    scope: Scope,
    round: InspectionRound,
    code: str,
    text: str,
    category: str,
    division_code: str,
    reaches: Sequence[str] = (),
    lakes: Sequence[str] = (),
    intakes: Sequence[str] = (),
    plants: Sequence[str] = (),
) -> Finding:
    """Record a finding of a round, with the reaches, lakes, intakes or plants it concerns (by code)."""
    require_role(actor, STAFF, "record findings")
    errors = Errors()
    if category not in FindingCategory.values:
        errors.add("category", f"One of {', '.join(FindingCategory.values)}.")
    division = division_lookup(division_code, scope=scope, errors=errors)
    linked = {
        "reaches": _codes(Reach, reaches, scope=scope, lookup="division__code", name="reaches", errors=errors),
        "lakes": _codes(Lake, lakes, scope=scope, lookup="division__code", name="lakes", errors=errors),
        "intakes": _codes(Intake, intakes, scope=scope, lookup="division__code", name="intakes", errors=errors),
        "plants": _codes(Plant, plants, scope=scope, lookup="division__code", name="plants", errors=errors),
    }
    if Finding.objects.filter(round=round, code=code).exists():
        errors.add("code", f"The round already has a finding {code!r}.")
    errors.raise_if_any()
    finding = Finding(round=round, code=code, text=text, category=category, division=division)
    audited_save(finding, actor=actor, before=None)
    for name, rows in linked.items():
        getattr(finding, name).set(rows)
    return finding


def _check_milestones(
    milestones: Sequence[dict[str, Any]],
    *,
    starts_on: dt.date,
    deadline: dt.date,
    errors: Errors,
    prefix: str = "milestones",
) -> None:
    for i, m in enumerate(milestones):
        if m.get("kind") not in MilestoneKind.values:
            errors.add(f"{prefix}[{i}].kind", f"One of {', '.join(MilestoneKind.values)}.")
        due = m.get("due_on")
        if not isinstance(due, dt.date):
            errors.add(f"{prefix}[{i}].due_on", "A date is required.")
        elif not starts_on <= due <= deadline:
            errors.add(
                f"{prefix}[{i}].due_on",
                f"{due.isoformat()} is outside the task's span {starts_on.isoformat()} – {deadline.isoformat()}.",
            )
        if not str(m.get("title") or "").strip():
            errors.add(f"{prefix}[{i}].title", "This field is required.")


@transaction.atomic
def task_create(
    *,
    actor: Any,
    scope: Scope,
    finding: Finding,
    code: str,
    title: str,
    lead_unit: str,
    responsible_units: Sequence[str] = (),
    measures: str = "",
    target: str = "",
    starts_on: dt.date | None = None,
    deadline: dt.date,
    milestones: Sequence[dict[str, Any]] = (),
) -> Task:
    """A rectification task for a finding, with its monthly and quarterly milestones. Units are named by
    username or display name; the span starts at `starts_on` (default: the round's feedback date, else
    its last day) and must not start before the round; milestones lie inside it."""
    require_role(actor, STAFF, "create rectification tasks")
    if not scope.covers_code(finding.division.code):
        raise not_handed("finding")
    errors = Errors()
    rnd = finding.round
    lead = unit_lookup(lead_unit, errors=errors, name="lead_unit")
    units = [unit_lookup(u, errors=errors, name=f"responsible_units[{i}]") for i, u in enumerate(responsible_units)]
    starts_on = starts_on or rnd.feedback_on or rnd.ended_on
    if starts_on < rnd.started_on:
        errors.add("starts_on", f"Before the round started ({rnd.started_on.isoformat()}).")
    if deadline < rnd.started_on:
        errors.add("deadline", f"Before the round started ({rnd.started_on.isoformat()}).")
    elif deadline < starts_on:
        errors.add("deadline", f"Before the task starts ({starts_on.isoformat()}).")
    else:
        _check_milestones(milestones, starts_on=starts_on, deadline=deadline, errors=errors)
    if Task.objects.filter(code=code).exists():
        raise Conflict(f"A task {code!r} exists.", code="duplicate", fields={"code": ["Already used."]})
    errors.raise_if_any()
    task = Task(
        finding=finding,
        code=code,
        title=title,
        lead_unit=lead,
        measures=measures,
        target=target,
        starts_on=starts_on,
        deadline=deadline,
    )
    try:
        with transaction.atomic():
            audited_save(task, actor=actor, before=None)
    except IntegrityError:
        raise Conflict(f"A task {code!r} exists.", code="duplicate", fields={"code": ["Already used."]}) from None
    task.responsible_units.set([u for u in units if u is not None])
    for m in milestones:
        ms = Milestone(task=task, kind=m["kind"], title=str(m["title"]).strip(), due_on=m["due_on"])
        audited_save(ms, actor=actor, before=None)
    return task


def unit_may_act(actor: Any, task: Task) -> None:
    """A unit acts only on the tasks that name it (lead or responsible); otherwise 404."""
    if is_unit(actor) and task.lead_unit_id != actor.pk and not task.responsible_units.filter(pk=actor.pk).exists():
        raise not_handed("task")


@transaction.atomic
def milestone_add(*, actor: Any, task: Task, kind: str, title: str, due_on: dt.date) -> Milestone:
    require_role(actor, STAFF, "add milestones")
    errors = Errors()
    _check_milestones(
        [{"kind": kind, "title": title, "due_on": due_on}],
        starts_on=task.starts_on,
        deadline=task.deadline,
        errors=errors,
        prefix="milestone",
    )
    errors.fields = {k.replace("milestone[0].", ""): v for k, v in errors.fields.items()}
    errors.raise_if_any()
    ms = Milestone(task=task, kind=kind, title=title.strip(), due_on=due_on)
    audited_save(ms, actor=actor, before=None)
    return ms


def _lock(task: Task) -> Task:
    return Task.objects.select_for_update().select_related("finding__round").get(pk=task.pk)


def _move(task: Task, *, action: str, actor: Any, reason: str = "", **changes: Any) -> Task:
    allowed_from, target = TASK_TRANSITIONS[action]
    if task.status not in allowed_from:
        raise transition_refused("task", task.status, action.replace("_", " "))
    before = snapshot(task)
    task.status = target
    for k, v in changes.items():
        setattr(task, k, v)
    audited_save(task, actor=actor, before=before, reason=reason or action)
    notices.acted(notices.TASK, task.pk)
    return task


@transaction.atomic
def task_start(*, actor: Any, task: Task) -> Task:
    require_role(actor, UNIT_AND_STAFF, "start tasks")
    unit_may_act(actor, task)
    return _move(_lock(task), action="start", actor=actor)


@transaction.atomic
def progress_report(
    *, actor: Any, task: Task, text: str, milestone: Milestone | None = None, files: Sequence[UploadedFile] = ()
) -> Progress:
    """A progress report, with hashed immutable attachments; reporting on a task not yet started starts it."""
    require_role(actor, UNIT_AND_STAFF, "report progress")
    unit_may_act(actor, task)
    if not text.strip():
        raise invalid("text", "This field is required.")
    if milestone is not None and milestone.task_id != task.pk:
        raise invalid("milestone", "Not a milestone of this task.")
    checked = attachments_check(files)
    task = _lock(task)
    if task.status in (TaskStatus.COMPLETED, TaskStatus.SIGNED_OFF):
        raise transition_refused("task", task.status, "reported on")
    if task.status == TaskStatus.NOT_STARTED:
        _move(task, action="start", actor=actor, reason="first progress report")
    progress = Progress(task=task, milestone=milestone, text=text.strip(), author=actor, at=now())
    audited_save(progress, actor=actor, before=None)
    notices.acted(notices.TASK, task.pk)
    for upload, check in checked:
        attachment_store(actor=actor, owner=progress, upload=upload, checked=check)
    return progress


@transaction.atomic
def milestone_complete(*, actor: Any, milestone: Milestone, done_on: dt.date, note: str = "") -> Milestone:
    require_role(actor, UNIT_AND_STAFF, "complete milestones")
    unit_may_act(actor, milestone.task)
    locked = Milestone.objects.select_for_update().select_related("task").get(pk=milestone.pk)
    if locked.status != MilestoneStatus.PENDING:
        raise transition_refused("milestone", locked.status, "completed")
    if done_on > today():
        raise invalid("done_on", "The date is in the future.", code="future")
    if done_on < locked.task.starts_on:
        raise invalid("done_on", "Before the task starts.")
    before = snapshot(locked)
    locked.status, locked.done_on, locked.note = MilestoneStatus.DONE, done_on, note
    audited_save(locked, actor=actor, before=before)
    notices.acted(notices.MILESTONE, locked.pk)
    return locked


@transaction.atomic
def task_complete(*, actor: Any, task: Task, completed_on: dt.date, note: str = "") -> Task:
    """The unit reports the task done (submitted for the office's review)."""
    require_role(actor, UNIT_AND_STAFF, "complete tasks")
    unit_may_act(actor, task)
    task = _lock(task)
    if completed_on > today():
        raise invalid("completed_on", "The date is in the future.", code="future")
    if completed_on < task.starts_on:
        raise invalid("completed_on", "Before the task starts.")
    return _move(
        task,
        action="complete",
        actor=actor,
        reason=note,
        completed_on=completed_on,
        review=ReviewState.SUBMITTED,
        return_reason="",
    )


@transaction.atomic
def task_return(*, actor: Any, task: Task, reason: str) -> Task:
    """The office returns a completed task with a reason; it is in progress again."""
    require_role(actor, STAFF, "return tasks")
    if not reason.strip():
        raise invalid("reason", "Say why the task is returned.")
    return _move(
        _lock(task),
        action="return",
        actor=actor,
        reason=reason,
        completed_on=None,
        review=ReviewState.RETURNED,
        return_reason=reason.strip(),
    )


@transaction.atomic
def task_sign_off(*, actor: Any, task: Task, note: str = "", at: dt.datetime | None = None) -> Task:
    """销号: the office accepts the completed task."""
    require_role(actor, STAFF, "sign tasks off")
    return _move(
        _lock(task),
        action="sign_off",
        actor=actor,
        reason=note,
        signed_off_at=at or now(),
        signed_off_by=actor_user(actor),
        sign_off_note=note,
        review=ReviewState.ACCEPTED,
    )


def task_reopen(*, actor: Any, task: Task, reason: str) -> Task:
    """A relapse found by a recheck: the task is in progress again and the reopening is counted.
    Runs inside the recheck's transaction."""
    task = _lock(task)
    return _move(
        task,
        action="reopen",
        actor=actor,
        reason=reason,
        completed_on=None,
        signed_off_at=None,
        signed_off_by=None,
        review=ReviewState.NONE,
        reopened_count=task.reopened_count + 1,
    )

"""Supervision orders (督办单), circulars (通报) and look-back rechecks (回头看)."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import secrets
from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.scope import Scope
from core.audit import actor_user, snapshot
from core.divisions import is_division_code
from core.exceptions import Conflict, NotFound
from core.kernel import Errors, audited_save
from core.periods import BEIJING
from oversight import conf
from oversight.choices import (
    CircularStatus,
    MilestoneStatus,
    OrderSubject,
    PetitionStatus,
    RecheckItem,
    RecheckOutcome,
    TaskStatus,
)
from oversight.models import Circular, Milestone, Petition, Recheck, SupervisionOrder, Task
from oversight.pdf import render_circular
from oversight.selectors import overdue_by_unit
from oversight.services import notices
from oversight.services.common import (
    STAFF,
    UNIT_AND_STAFF,
    invalid,
    is_unit,
    not_handed,
    now,
    require_role,
    today,
    transition_refused,
    unit_lookup,
)
from oversight.services.petitions import petition_reopen
from oversight.services.tasks import task_reopen
from patrols.choices import CaseStatus
from patrols.models import Case
from places.models import Division


def _next_number(model: Any, prefix: str, year: int) -> str:
    stem = f"{prefix}〔{year}〕"
    n = model.objects.filter(number__startswith=stem).count() + 1
    return f"{stem}{n}号"


@transaction.atomic
def order_issue(
    *,
    actor: Any,
    subject: str,
    item: Task | Milestone | Petition | Case,
    text: str,
    reply_due: dt.date,
    unit: str | None = None,
) -> SupervisionOrder:
    """督办: a supervision order to the unit an overdue item is handed to (a case names its unit)."""
    require_role(actor, STAFF, "issue supervision orders")
    errors = Errors()
    day = today()
    if not text.strip():
        errors.add("text", "This field is required.")
    if reply_due < day:
        errors.add("reply_due", "The reply deadline is in the past.")
    item.refresh_from_db()  # judge the stored state, not the caller's copy
    target: User | None = None
    division: Division
    links: dict[str, Any] = {}
    if subject == OrderSubject.TASK and isinstance(item, Task):
        overdue = item.status in (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS) and item.deadline < day
        target, division, links = item.lead_unit, item.finding.division, {"task": item}
    elif subject == OrderSubject.MILESTONE and isinstance(item, Milestone):
        overdue = item.status == MilestoneStatus.PENDING and item.due_on < day
        target, division, links = item.task.lead_unit, item.task.finding.division, {"milestone": item}
    elif subject == OrderSubject.PETITION and isinstance(item, Petition):
        overdue = item.status != PetitionStatus.CLOSED and item.deadline < day
        target, division, links = item.unit, item.division, {"petition": item}
    elif subject == OrderSubject.CASE and isinstance(item, Case):
        overdue = item.status != CaseStatus.CLOSED and (
            item.overdue_at is not None or (item.deadline is not None and item.deadline < day)
        )
        target = unit_lookup(unit, errors=errors, name="unit")
        division, links = item.site.division, {"case": item}
    else:
        raise invalid("subject", f"One of {', '.join(OrderSubject.values)}, naming an item of that kind.")
    if not overdue:
        errors.add("item", "The item is not overdue.")
    errors.raise_if_any()
    order = SupervisionOrder(
        number=_next_number(SupervisionOrder, conf.order_prefix(), day.year),
        unit=target,
        subject=subject,
        division=division,
        text=text.strip(),
        issued_by=actor,
        issued_at=now(),
        reply_due=reply_due,
        **links,
    )
    audited_save(order, actor=actor, before=None)
    notices.order_issued(order)
    return order


@transaction.atomic
def order_reply(*, actor: Any, order: SupervisionOrder, reply: str) -> SupervisionOrder:
    require_role(actor, UNIT_AND_STAFF, "reply to supervision orders")
    if is_unit(actor) and order.unit_id != actor.pk:
        raise not_handed("supervision order")
    if not reply.strip():
        raise invalid("reply", "This field is required.")
    locked = SupervisionOrder.objects.select_for_update().get(pk=order.pk)
    if locked.replied_at is not None:
        raise Conflict("The order has its reply.", code="already_replied", fields={"reply": ["Already replied."]})
    before = snapshot(locked)
    locked.reply, locked.replied_at = reply.strip(), now()
    audited_save(locked, actor=actor, before=before)
    return locked


# --------------------------------------------------------------------------- circulars


@transaction.atomic
def circular_create(
    *, actor: Any, scope: Scope, first_date: dt.date, last_date: dt.date, division_code: str = "", title: str = ""
) -> Circular:
    """通报: the overdue items by unit as of the period's last day, from the ledger, as a PDF draft."""
    require_role(actor, STAFF, "issue circulars")
    if last_date < first_date:
        raise invalid("end", "The end is before the start.")
    if last_date > today():
        raise invalid("end", "The period has not ended yet.")
    if division_code:
        if not is_division_code(division_code) or not Division.objects.filter(code=division_code).exists():
            raise invalid("division", f"No division {division_code!r}.")
        if not scope.covers_code(division_code):
            raise NotFound(f"No division {division_code} in your jurisdiction.")
    elif not scope.everything:
        division_code = scope.prefix.ljust(6, "0") if scope.prefix else ""
    number = _next_number(Circular, conf.circular_prefix(), last_date.year)
    title = title.strip() or f"关于督察整改逾期事项的通报（{first_date.isoformat()}至{last_date.isoformat()}）"
    name = Division.objects.filter(code=division_code).values_list("name", flat=True).first() if division_code else None
    content = {
        "number": number,
        "title": title,
        "first_date": first_date.isoformat(),
        "last_date": last_date.isoformat(),
        "division": f"{division_code} {name or ''}".strip(),
        "units": overdue_by_unit(scope=scope, as_of=last_date, division_code=division_code or None),
    }
    pdf = render_circular(content)
    circular = Circular(
        number=number,
        title=title[:200],
        first_date=first_date,
        last_date=last_date,
        division_code=division_code,
        figures=content,
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        created_by=actor,
    )
    try:
        with transaction.atomic():
            audited_save(circular, actor=actor, before=None)
    except IntegrityError:
        raise Conflict("Another circular took this number; try again.", code="number_taken") from None
    return circular


@transaction.atomic
def circular_sign(*, actor: Any, circular: Circular) -> Circular:
    """Sign a draft: from then on it never changes (409 here, a database trigger below)."""
    require_role(actor, STAFF, "sign circulars")
    locked = Circular.objects.select_for_update().get(pk=circular.pk)
    if locked.status != CircularStatus.DRAFT:
        raise transition_refused("circular", locked.status, "signed")
    before = snapshot(locked, exclude=("pdf",))
    locked.status, locked.signed_at, locked.signed_by = CircularStatus.SIGNED, now(), actor
    audited_save(locked, actor=actor, before=before)
    return locked


@transaction.atomic
def circular_delete(*, actor: Any, circular: Circular) -> None:
    require_role(actor, STAFF, "delete circulars")
    if circular.status == CircularStatus.SIGNED:
        raise Conflict("A signed circular is kept.", code="signed", fields={"status": ["Signed."]})
    from core.audit import audit_record
    from core.choices import AuditAction

    audit_record(actor=actor, action=AuditAction.DELETE, instance=circular, before=snapshot(circular, exclude=("pdf",)))
    circular.delete()


# --------------------------------------------------------------------------- look back


@transaction.atomic
def recheck_sample(
    *,
    actor: Any,
    scope: Scope,
    item: str,
    count: int,
    seed: int | None = None,
    division_code: str | None = None,
    at: dt.datetime | None = None,
) -> tuple[str, list[Recheck]]:
    """Draw `count` signed-off tasks or closed petitions (in scope, none with a recheck pending) at
    random for a recheck. The seed is in the batch name, so the draw can be repeated and audited:
    the pool is sorted by key before drawing, so the same seed over the same pool draws the same items."""
    from oversight.selectors import petition_list, task_list

    require_role(actor, STAFF, "sample items for a look-back recheck")
    if item not in RecheckItem.values:
        raise invalid("item", f"One of {', '.join(RecheckItem.values)}.")
    if not 1 <= count <= conf.recheck_max_sample():
        raise invalid("count", f"Draw 1 to {conf.recheck_max_sample()} items.")
    if seed is not None and not 0 <= seed < 2**48:
        raise invalid("seed", "An integer from 0 to 2^48 - 1.")
    seed = secrets.randbits(48) if seed is None else seed
    pending = Recheck.objects.filter(outcome=RecheckOutcome.PENDING)
    if item == RecheckItem.TASK:
        qs: Any = (
            task_list(scope=scope)
            .filter(status=TaskStatus.SIGNED_OFF)
            .exclude(pk__in=pending.filter(task__isnull=False).values("task_id"))
        )
        lookup = "finding__division__code"
    else:
        qs = (
            petition_list(scope=scope)
            .filter(status=PetitionStatus.CLOSED)
            .exclude(pk__in=pending.filter(petition__isnull=False).values("petition_id"))
        )
        lookup = "division__code"
    if division_code:
        from core.divisions import division_prefix

        qs = qs.filter(**{f"{lookup}__startswith": division_prefix(division_code)})
    key = "code" if item == RecheckItem.TASK else "number"
    pool = sorted(qs.values_list(key, "pk", lookup))
    if not pool:
        raise invalid("count", "Nothing in your selection is waiting for a recheck.", code="nothing_to_sample")
    chosen = random.Random(seed).sample(pool, min(count, len(pool)))  # noqa: S311 - a reproducible draw, not a secret
    at = at or now()  # `at` back-dates a draw entered from paper records (the demo); the API does not expose it
    batch = f"{at.astimezone(BEIJING):%Y%m%d}-{item}-{seed:012x}"
    divisions = dict(Division.objects.filter(code__in={c[2] for c in chosen}).values_list("code", "pk"))
    out = []
    for _key, pk, code in chosen:
        r = Recheck(
            batch=batch,
            item=item,
            division_id=divisions[code],
            sampled_at=at,
            sampled_by=actor_user(actor),
            **({"task_id": pk} if item == RecheckItem.TASK else {"petition_id": pk}),
        )
        audited_save(r, actor=actor, before=None, reason=f"look-back sample {batch}: {len(chosen)} of {len(pool)}")
        out.append(r)
    return batch, out


@transaction.atomic
def recheck_record(*, actor: Any, recheck: Recheck, outcome: str, checked_on: dt.date, note: str = "") -> Recheck:
    """What the recheck found; a relapse reopens the task or petition (counted on the item)."""
    require_role(actor, STAFF, "record rechecks")
    if outcome not in (RecheckOutcome.CONFIRMED, RecheckOutcome.RELAPSED):
        raise invalid("outcome", "One of confirmed, relapsed.")
    if checked_on > today():
        raise invalid("checked_on", "The date is in the future.", code="future")
    locked = Recheck.objects.select_for_update().get(pk=recheck.pk)
    if locked.outcome != RecheckOutcome.PENDING:
        raise Conflict(
            "This recheck is already recorded.",
            code="recheck_recorded",
            fields={"outcome": [f"Already {locked.outcome}."]},
        )
    if checked_on < locked.sampled_at.astimezone(BEIJING).date():
        raise invalid("checked_on", "Before the item was sampled.")
    before = snapshot(locked)
    locked.outcome, locked.checked_on, locked.note = outcome, checked_on, note
    locked.checked_by = actor_user(actor)
    audited_save(locked, actor=actor, before=before)
    if outcome == RecheckOutcome.RELAPSED:
        reason = f"relapse found by look-back {locked.batch}: {note}".strip()
        if locked.task_id is not None:
            task_reopen(actor=actor, task=locked.task, reason=reason)  # type: ignore[arg-type]
        else:
            petition_reopen(actor=actor, petition=locked.petition, reason=reason)  # type: ignore[arg-type]
    return locked

"""Cases and their workflow (report, assign, rectify, submit, verify, reject, close, overdue)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import Role
from core.audit import actor_label, audit_record, audit_record_many, snapshot
from core.choices import AuditAction
from core.exceptions import Conflict, NotFound, ServiceError
from core.geo import WGS84_SRID
from core.kernel import actor_user
from core.periods import BEIJING
from patrols import conf
from patrols.choices import (
    CaseCategory,
    CaseClosure,
    CaseSource,
    CaseStatus,
)
from patrols.models import (
    Case,
    CaseEvent,
    CasePhoto,
    Patrol,
)
from patrols.services import notices
from patrols.services._common import _invalid, _now, _one_site, _require_role
from patrols.track import fingerprint
from places.models import Lake, Reach

# =========================================================================== cases

# action: (states it may start from, state it leads to, roles that may take it)
CHIEF_AND_STAFF = frozenset({Role.CHIEF, Role.REVIEWER, Role.ADMIN})
STAFF = frozenset({Role.REVIEWER, Role.ADMIN})
TRANSITIONS: dict[str, tuple[frozenset[str], str, frozenset[str]]] = {
    "assign": (frozenset({CaseStatus.REPORTED}), CaseStatus.ASSIGNED, STAFF),
    "rectify": (frozenset({CaseStatus.ASSIGNED}), CaseStatus.RECTIFYING, CHIEF_AND_STAFF),
    "submit": (frozenset({CaseStatus.RECTIFYING}), CaseStatus.SUBMITTED, frozenset({Role.CHIEF, Role.ADMIN})),
    "verify": (frozenset({CaseStatus.SUBMITTED}), CaseStatus.VERIFIED, STAFF),
    "reject": (frozenset({CaseStatus.SUBMITTED}), CaseStatus.RECTIFYING, STAFF),
    "close": (frozenset({CaseStatus.VERIFIED}), CaseStatus.CLOSED, STAFF),
    "clear": (frozenset({CaseStatus.REPORTED}), CaseStatus.CLOSED, CHIEF_AND_STAFF),
}
# The past participle of each action, for messages ("cannot be closed"; not "closeed", "submited").
_DONE = {
    "assign": "assigned",
    "rectify": "rectified",
    "submit": "submitted",
    "verify": "verified",
    "reject": "rejected",
    "close": "closed",
    "clear": "cleared",
}
_STAMP = {
    CaseStatus.ASSIGNED: "assigned_at",
    CaseStatus.RECTIFYING: "rectifying_at",
    CaseStatus.SUBMITTED: "submitted_at",
    CaseStatus.VERIFIED: "verified_at",
    CaseStatus.CLOSED: "closed_at",
}


# The workflow's steps in the office's words (domain.md §4.5), for messages.
_STEPS = {
    "assign": gettext_lazy("assign"),
    "rectify": gettext_lazy("start rectification"),
    "submit": gettext_lazy("submit for check"),
    "verify": gettext_lazy("verify"),
    "reject": gettext_lazy("send back"),
    "close": gettext_lazy("close"),
    "clear": gettext_lazy("clear on the spot"),
}


def _case_event(case: Case, *, from_status: str, actor: Any, at: dt.datetime, note: str) -> None:
    CaseEvent.objects.create(
        case=case,
        from_status=from_status,
        to_status=case.status,
        actor=actor_user(actor),
        actor_label=actor_label(actor)[:150],
        at=at,
        note=note[:1000],
    )


def _transition(
    case: Case, *, action: str, actor: Any, note: str = "", at: dt.datetime | None = None, **changes: Any
) -> Case:
    sources, target, roles = TRANSITIONS[action]
    step = _STEPS[action]
    _require_role(actor, roles, _("take the step “%(step)s” on cases") % {"step": step})
    # Re-read under a lock: two reviewers acting at once must not both move the case.
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.status not in sources and _transition_resent(locked, action=action, actor=actor, note=note, **changes):
        return locked  # the same step sent again after a lost reply: the case as it now is
    if locked.status not in sources:
        raise _wrong_state(locked, action)
    before = snapshot(locked)
    at = at or _now()
    from_status = locked.status
    locked.status = target
    setattr(locked, _STAMP[CaseStatus(target)], at)
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.updated_at = at
    locked.full_clean(exclude=["reach", "lake", "patrol", "reporter"])
    locked.save()
    _case_event(locked, from_status=from_status, actor=actor, at=at, note=note)
    audit_record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=locked,
        before=before,
        after=snapshot(locked),
        reason=f"{action}: {from_status} → {target}" + (f" ({note})" if note else ""),
    )
    notices.case_moved(locked, action=action, at=at, note=note)
    return locked


def _wrong_state(case: Case, action: str) -> Conflict:
    """The refusal of a step the case's state does not allow."""
    sources, _target, _roles = TRANSITIONS[action]
    words = {
        "status": CaseStatus(case.status).label,
        "step": _STEPS[action],
        "values": _(" or ").join(str(CaseStatus(s).label) for s in sorted(sources)),
    }
    return Conflict(
        _("A case that is %(status)s cannot take the step “%(step)s”; it must be %(values)s.") % words,
        code="invalid_transition",
        fields={"status": [_("Is %(status)s; “%(step)s” needs %(values)s.") % words]},
    )


def _transition_resent(case: Case, *, action: str, actor: Any, note: str, **changes: Any) -> bool:
    """Whether this step is the last one the case took, by the same person with the same content
    (note, unit, deadline): a resend after a lost reply (issue 14: these answered 409). Any other
    step since, another person or other content is a real conflict."""
    if case.status != TRANSITIONS[action][1]:
        return False
    last = CaseEvent.objects.filter(case_id=case.pk).order_by("-pk").first()
    return _is_resend(case, last, action=action, actor=actor, note=note, **changes)


def _is_resend(case: Case, last: CaseEvent | None, *, action: str, actor: Any, note: str, **changes: Any) -> bool:
    """_transition_resent with the case's last step already read (a batch reads them in one query)."""
    sources, target, _roles = TRANSITIONS[action]
    user = actor_user(actor)
    if user is None or case.status != target:
        return False
    return (
        last is not None
        and last.to_status == target
        and last.from_status in sources
        and last.actor_id == user.pk
        and last.note == note[:1000]
        and all(getattr(case, name) == value for name, value in changes.items())
    )


def _case_resend(stored: Case, *, actor: Any, content: str) -> Case:
    """The stored case for a resend with the same content; another content under the id is a Conflict."""
    if stored.reporter_id != actor.pk or stored.body_sha256 != content:
        raise Conflict(
            _("A case with id %(pk)s exists with different content.") % {"pk": stored.pk},
            code="case_id_conflict",
            fields={"id": [_("Already used for a different case.")]},
        )
    return stored


@transaction.atomic
def case_report(
    *,
    actor: Any,
    case_id: uuid.UUID,
    category: str,
    source: str,
    location: Point,
    description: str,
    found_at: dt.datetime,
    reach: Reach | None = None,
    lake: Lake | None = None,
    patrol: Patrol | None = None,
    legal_basis: str = "",
    at: dt.datetime | None = None,
) -> tuple[Case, bool]:
    """Report a case on a reach or a lake (a chief on patrol, or the office for a complaint). Returns
    (case, created); the same id again with the same content returns the stored case, with other
    content a Conflict."""
    _require_role(actor, CHIEF_AND_STAFF, _("report cases"))
    _one_site(reach.pk if reach is not None else None, lake.pk if lake is not None else None)
    content = fingerprint(
        "case",
        str(case_id),
        category,
        source,
        # A reach's id as before lakes existed (stored hashes stay valid); a lake never equals it.
        reach.pk if reach is not None else f"lake:{lake.pk if lake is not None else ''}",
        location.x,
        location.y,
        description,
        found_at.timestamp(),
        patrol.pk if patrol else None,
        legal_basis,
    )
    existing = Case.objects.filter(pk=case_id).first()
    if existing is not None:
        return _case_resend(existing, actor=actor, content=content), False
    if category not in CaseCategory.values:
        raise _invalid("category", _("One of %(values)s.") % {"values": ", ".join(CaseCategory.values)})
    if source not in CaseSource.values:
        raise _invalid("source", _("One of %(values)s.") % {"values": ", ".join(CaseSource.values)})
    if found_at > _now() + conf.future_tolerance():
        raise _invalid("found_at", _("The time is in the future."), code="future")
    if (source == CaseSource.PATROL) != (patrol is not None):
        raise _invalid("patrol", _("A case found on a patrol names the patrol; only such cases do."))
    if patrol is not None:
        if patrol.chief_id != actor.pk:
            raise _invalid("patrol", _("Not one of your patrols."))
        if (patrol.reach_id, patrol.lake_id) != (
            reach.pk if reach is not None else None,
            lake.pk if lake is not None else None,
        ):
            raise _invalid("patrol", _("The patrol was on another reach or lake."))
    if location.srid != WGS84_SRID:
        location = cast(Point, location.transform(WGS84_SRID, clone=True))
    case = Case(
        id=case_id,
        category=category,
        source=source,
        reach=reach,
        lake=lake,
        location=location,
        description=description,
        patrol=patrol,
        reporter=actor,
        found_at=found_at,
        legal_basis=legal_basis,
        body_sha256=content,
    )
    case.full_clean(exclude=["reach", "lake", "patrol", "reporter"], validate_unique=False)
    try:
        with transaction.atomic():
            case.save(force_insert=True)
    except IntegrityError:
        # Identical resends racing (issue 14: 12 at once gave 4 false 409s): the primary key lets one
        # in; the others compare their content with it and answer as a resend.
        stored = Case.objects.filter(pk=case_id).first()
        if stored is None:
            raise
        return _case_resend(stored, actor=actor, content=content), False
    _case_event(case, from_status="", actor=actor, at=at or _now(), note="")
    audit_record(actor=actor, action=AuditAction.CREATE, instance=case, after=snapshot(case))
    return case, True


@transaction.atomic
def case_assign(
    *, case: Case, actor: Any, responsible_unit: str, deadline: dt.date, note: str = "", at: dt.datetime | None = None
) -> Case:
    """交办: the office names the responsible unit and the deadline. (`at` back-dates a step entered
    from paper records; the API does not expose it.)"""
    if not responsible_unit.strip():
        raise _invalid("responsible_unit", _("Name the responsible unit."))
    if deadline < case.found_at.astimezone(BEIJING).date():
        raise _invalid("deadline", _("The deadline is before the case was found."))
    return _transition(
        case,
        action="assign",
        actor=actor,
        note=note,
        at=at,
        responsible_unit=responsible_unit.strip(),
        deadline=deadline,
    )


@dataclass
class AssignBatch:
    """What case_assign_many did: the cases assigned (in the order asked, a resend of the same step
    included), and those refused, each with the id asked for, the case when in scope, and the error
    case_assign would have raised for it."""

    assigned: list[Case] = field(default_factory=list)
    refused: list[tuple[uuid.UUID | None, Case | None, ServiceError]] = field(default_factory=list)


@transaction.atomic
def case_assign_many(
    *,
    cases: QuerySet[Case],
    case_ids: Sequence[uuid.UUID | None],
    actor: Any,
    responsible_unit: str,
    deadline: dt.date,
    note: str = "",
    at: dt.datetime | None = None,
) -> AssignBatch:
    """交办 in bulk: the cases of `case_ids` found in `cases` (the caller's scoped queryset, such as
    selectors.case_writable) assigned to one unit with one deadline. Each case is refused or assigned as
    case_assign would (out of scope or unknown: NotFound; deadline before the case was found; not
    reported: Conflict, unless the same step by the same person was sent again), but the cases are
    locked in one query and their steps and audit rows written in one INSERT each. The role, the unit
    and the list are checked for the whole batch first: bad input writes nothing."""
    _require_role(actor, TRANSITIONS["assign"][2], _("take the step “%(step)s” on cases") % {"step": _STEPS["assign"]})
    unit = responsible_unit.strip()
    if not unit:
        raise _invalid("responsible_unit", _("Name the responsible unit."))
    limit = Case._meta.get_field("responsible_unit").max_length or 0
    if len(unit) > limit:
        raise _invalid("responsible_unit", _("At most %(n)s characters.") % {"n": limit})
    if not case_ids:
        raise _invalid("case_ids", _("Name at least one case."))
    asked = list(dict.fromkeys(case_ids))  # a case ticked twice is assigned once
    known = [pk for pk in asked if pk is not None]
    in_scope = set(cases.filter(pk__in=known).values_list("pk", flat=True))
    # One lock for the batch, in key order (two batches over the same cases cannot deadlock); the case
    # rows only (`of`), as the site's outer joins cannot be locked on PostgreSQL.
    locked = {
        c.pk: c
        for c in Case.objects.select_for_update(of=("self",))
        .select_related("reach", "lake")
        .defer("reach__geometry", "lake__geometry")
        .filter(pk__in=in_scope)
        .order_by("pk")
    }
    sources, target, _roles = TRANSITIONS["assign"]
    last: dict[Any, CaseEvent] = {}
    moved = [pk for pk, c in locked.items() if c.status == target]
    for event in CaseEvent.objects.filter(case_id__in=moved).order_by("-pk"):
        last.setdefault(event.case_id, event)
    at = at or _now()
    note = note.strip()
    changes = {"responsible_unit": unit, "deadline": deadline}
    out = AssignBatch()
    written: list[tuple[Case, dict[str, Any]]] = []
    for pk in asked:
        case = locked.get(pk) if pk is not None else None
        if case is None:
            message = _("No such case in your jurisdiction.")
            out.refused.append((pk, None, NotFound(message, fields={"case_ids": [message]})))
            continue
        if deadline < case.found_at.astimezone(BEIJING).date():
            out.refused.append((pk, case, _invalid("deadline", _("The deadline is before the case was found."))))
            continue
        if case.status not in sources:
            if _is_resend(case, last.get(pk), action="assign", actor=actor, note=note, **changes):
                out.assigned.append(case)
            else:
                out.refused.append((pk, case, _wrong_state(case, "assign")))
            continue
        before = snapshot(case)
        case.status, case.assigned_at, case.updated_at = target, at, at
        case.responsible_unit, case.deadline = unit, deadline
        # The fields only: the values are the batch's, checked above; the check constraints hold by
        # construction and the database enforces them on the UPDATE.
        case.clean_fields(exclude=["reach", "lake", "patrol", "reporter"])
        written.append((case, before))
        out.assigned.append(case)
    if written:
        Case.objects.bulk_update(
            [c for c, _b in written], ["status", "assigned_at", "responsible_unit", "deadline", "updated_at"]
        )
        user, label = actor_user(actor), actor_label(actor)[:150]
        CaseEvent.objects.bulk_create(
            CaseEvent(
                case=c,
                from_status=CaseStatus.REPORTED,
                to_status=target,
                actor=user,
                actor_label=label,
                at=at,
                note=note[:1000],
            )
            for c, _b in written
        )
        audit_record_many(
            actor=actor,
            action=AuditAction.TRANSITION,
            items=[(c, before, snapshot(c)) for c, before in written],
            reason=f"assign: {CaseStatus.REPORTED} → {target}" + (f" ({note})" if note else ""),
        )
        for c, _b in written:
            notices.case_moved(c, action="assign", at=at, note=note)
    return out


@transaction.atomic
def case_rectify(*, case: Case, actor: Any, note: str = "", at: dt.datetime | None = None) -> Case:
    """整改: rectification has started."""
    return _transition(case, action="rectify", actor=actor, note=note, at=at)


@transaction.atomic
def case_submit(*, case: Case, actor: Any, note: str = "", at: dt.datetime | None = None) -> Case:
    """提交验收: rectification is done and submitted for checking."""
    return _transition(case, action="submit", actor=actor, note=note, at=at)


@transaction.atomic
def case_verify(*, case: Case, actor: Any, note: str = "", at: dt.datetime | None = None) -> Case:
    """验收: the office checked the site and accepts the rectification."""
    return _transition(case, action="verify", actor=actor, note=note, at=at)


@transaction.atomic
def case_reject(*, case: Case, actor: Any, note: str, at: dt.datetime | None = None) -> Case:
    """退回: the check failed; back to rectifying, with the reason."""
    if not note.strip():
        raise _invalid("note", _("Say why the rectification is rejected."))
    return _transition(case, action="reject", actor=actor, note=note.strip(), at=at)


@transaction.atomic
def case_close(*, case: Case, actor: Any, note: str = "", at: dt.datetime | None = None) -> Case:
    """销号: a verified case is closed."""
    return _transition(case, action="close", actor=actor, note=note, at=at, closed_via=CaseClosure.VERIFIED)


@transaction.atomic
def case_clear_on_spot(*, case: Case, actor: Any, note: str = "", at: dt.datetime | None = None) -> Case:
    """立查立清: handled on the spot, reported → closed in one step, with at least one photo as
    evidence."""
    if not CasePhoto.objects.filter(case_id=case.pk).exists():
        raise _invalid("photos", _("Upload at least one photo of the cleared site first."), code="evidence_required")
    return _transition(case, action="clear", actor=actor, note=note, at=at, closed_via=CaseClosure.ON_SPOT)


def case_flag_overdue(*, now: dt.datetime | None = None, actor: str = "beat:patrols.case_flag_overdue") -> int:
    """Flag cases assigned or being rectified after their deadline (a Beijing date). Idempotent: a case is
    flagged once; the flag stays as history after the case moves on. Returns how many were flagged."""
    now = now or _now()
    today = now.astimezone(BEIJING).date()
    flagged = 0
    ids = list(
        Case.objects.filter(
            status__in=[CaseStatus.ASSIGNED, CaseStatus.RECTIFYING], deadline__lt=today, overdue_at__isnull=True
        ).values_list("pk", flat=True)
    )
    for case_id in ids:
        with transaction.atomic():
            updated = Case.objects.filter(pk=case_id, overdue_at__isnull=True).update(overdue_at=now, updated_at=now)
            if updated:
                audit_record(
                    actor=actor,
                    action=AuditAction.UPDATE,
                    entity="patrols.case",
                    entity_id=case_id,
                    after={"overdue_at": now.isoformat()},
                    reason="deadline passed",
                )
                notices.case_overdue(case_id, at=now)
                flagged += updated
    return flagged

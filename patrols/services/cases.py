"""Cases and their workflow (report, assign, rectify, submit, verify, reject, close, overdue)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.choices import Role
from core.audit import actor_label, audit_record, snapshot
from core.choices import AuditAction
from core.exceptions import Conflict
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
        words = {
            "status": CaseStatus(locked.status).label,
            "step": step,
            "values": _(" or ").join(str(CaseStatus(s).label) for s in sorted(sources)),
        }
        raise Conflict(
            _("A case that is %(status)s cannot take the step “%(step)s”; it must be %(values)s.") % words,
            code="invalid_transition",
            fields={"status": [_("Is %(status)s; “%(step)s” needs %(values)s.") % words]},
        )
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


def _transition_resent(case: Case, *, action: str, actor: Any, note: str, **changes: Any) -> bool:
    """Whether this step is the last one the case took, by the same person with the same content
    (note, unit, deadline): a resend after a lost reply (issue 14: these answered 409). Any other
    step since, another person or other content is a real conflict."""
    sources, target, _roles = TRANSITIONS[action]
    user = actor_user(actor)
    if user is None or case.status != target:
        return False
    last = CaseEvent.objects.filter(case_id=case.pk).order_by("-pk").first()
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

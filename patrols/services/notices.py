"""What the patrols app tells people through notify (issue 17): events raised in the transaction of
the change, with the row's own people resolved here (notify never imports patrols).

Own people: for a case, the reach's chiefs in office and the reporter; for a patrol, its chief; for
a missed frequency, the chief. Reviewers and others are reached by notify's rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from core.periods import BEIJING
from notify.choices import EventType
from notify.services import event_raise, subject_acted
from patrols.models import Case, Patrol
from places.models import ChiefAssignment, Lake, Reach

CASE = "patrols.case"


def _reach(reach_id: int | None, lake_id: int | None = None) -> tuple[str, str]:
    """The division code and the name of the reach (or the lake) a row is on."""
    if reach_id is None:
        code, name = Lake.objects.filter(pk=lake_id or 0).values_list("division__code", "name").get()
    else:
        code, name = Reach.objects.filter(pk=reach_id).values_list("division__code", "name").get()
    return code, name


def reach_chiefs(reach_id: int | None, on: dt.date, lake_id: int | None = None) -> list[int]:
    """The chiefs in office on `on` of the reach (or, without one, of the lake)."""
    site = Q(reach_id=reach_id) if reach_id is not None else Q(lake_id=lake_id)
    return list(
        ChiefAssignment.objects.filter(site, valid_from__lte=on)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
        .values_list("chief_id", flat=True)
    )


def _case_figures(case: Case, reach_name: str) -> dict[str, Any]:
    return {
        "case": str(case.pk)[:8],
        "category": case.get_category_display(),
        "reach": reach_name,
        "unit": case.responsible_unit,
        "deadline": case.deadline.isoformat() if case.deadline else "",
    }


_ON_TRANSITION = {
    "assign": EventType.CASE_ASSIGNED,
    "reject": EventType.CASE_REJECTED,
    "close": EventType.CASE_CLOSED,
    "clear": EventType.CASE_CLOSED,
}


def case_moved(case: Case, *, action: str, at: dt.datetime, note: str = "") -> None:
    """A workflow step: someone acted (an overdue case stops escalating); assign, reject and close
    are told to the case's people."""
    subject_acted(subject_type=CASE, subject_id=case.pk, at=at)
    event_type = _ON_TRANSITION.get(action)
    if event_type is None:
        return
    code, reach_name = _reach(case.reach_id, case.lake_id)
    people = {*reach_chiefs(case.reach_id, at.astimezone(BEIJING).date(), case.lake_id), case.reporter_id}
    figures = _case_figures(case, reach_name)
    if note:
        figures["reason"] = note
    event_raise(
        type=event_type,
        division_code=code,
        subject_type=CASE,
        subject_id=case.pk,
        figures=figures,
        people=people,
        link=f"/api/v1/patrols/cases/{case.pk}/",
        at=at,
    )


def case_overdue(case_id: Any, *, at: dt.datetime) -> None:
    case = Case.objects.get(pk=case_id)
    code, reach_name = _reach(case.reach_id, case.lake_id)
    people = {*reach_chiefs(case.reach_id, at.astimezone(BEIJING).date(), case.lake_id), case.reporter_id}
    event_raise(
        type=EventType.CASE_OVERDUE,
        division_code=code,
        subject_type=CASE,
        subject_id=case.pk,
        figures=_case_figures(case, reach_name),
        people=people,
        link=f"/api/v1/patrols/cases/{case.pk}/",
        key=f"case_overdue:{case.pk}",
        at=at,
    )


def patrol_flagged(patrol: Patrol, *, at: dt.datetime) -> None:
    """A patrol stored with flags waits for a reviewer (raised once per patrol)."""
    if not patrol.flags:
        return
    division_code, reach_name = _reach(patrol.reach_id, patrol.lake_id)
    event_raise(
        type=EventType.PATROL_FLAGGED,
        division_code=division_code,
        subject_type="patrols.patrol",
        subject_id=patrol.pk,
        people=[patrol.chief_id],
        link=f"/api/v1/patrols/{patrol.pk}/",
        figures={
            "patrol": str(patrol.pk)[:8],
            "chief": str(patrol.chief),
            "reach": reach_name,
            "flags": "、".join(str(f) for f in patrol.flags),
        },
        key=f"patrol_flagged:{patrol.pk}",
        at=at,
    )


def compliance_notify_missed(*, now: dt.datetime | None = None) -> int:
    """Beat, on the first of the month: each chief who made fewer valid patrols than the frequency
    rules require in the month just ended is told (once per chief and month). Returns how many."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.choices import Role
    from accounts.scope import Scope
    from core.divisions import is_division_code
    from patrols import selectors

    now = now or timezone.now()
    first_this = now.astimezone(BEIJING).date().replace(day=1)
    last = first_this - dt.timedelta(days=1)
    first = last.replace(day=1)
    label = f"{first:%Y-%m}"
    rows = selectors.compliance(
        scope=Scope(user_id=None, role=Role.ADMIN, everything=True), start=first, end=last, detail=False
    )
    from django.contrib.auth import get_user_model

    homes = dict(get_user_model().objects.filter(pk__in={r.chief_id for r in rows}).values_list("pk", "jurisdiction"))
    raised = 0
    for r in rows:
        # The chief's own division (their account's jurisdiction), else the rule's.
        division = next((c for c in (homes.get(r.chief_id) or "", r.jurisdiction) if is_division_code(c)), None)
        if r.missing <= 0 or division is None:
            continue
        with transaction.atomic():
            event_raise(
                type=EventType.FREQUENCY_MISSED,
                division_code=division,
                subject_type="accounts.user",
                subject_id=r.chief_id,
                people=[r.chief_id],
                key=f"frequency_missed:{r.chief_id}:{r.level}:{label}",
                figures={
                    "chief": r.chief_name or r.chief_username,
                    "period": label,
                    "required": r.required,
                    "done": r.valid,
                    "missing": r.missing,
                },
                link=f"/api/v1/patrols/compliance/?start={first}&end={last}&chief={r.chief_id}",
                at=now,
            )
        raised += 1
    return raised

"""Reads of the oversight ledger, each narrowed to the caller (accounts.scope):

- admin: everything; reviewer: the items whose division (the finding's, the petition's) is inside
  the jurisdiction; unit (成员单位): exactly the items handed to it (tasks naming it as lead or
  responsible unit and their milestones, petitions handed to it, orders addressed to it); any other
  role: nothing (the views refuse them first).

`oversight_figures(scope=, period=, division_code=)` is what the reports section reads. Figures are
"as of" the period's last day (the seed's "截至 2024 年 6 月底 … 9 项 … 已完成 6 项"), plus what happened
inside the period; each has a Q here that the ledger filters reuse (`?figure=`), so a drill-down lists
exactly the rows a figure counted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.choices import Role
from accounts.scope import Scope
from core.divisions import division_prefix
from core.periods import BEIJING, Period
from oversight.choices import (
    MilestoneStatus,
    PetitionStatus,
    RecheckOutcome,
    Substantiated,
    Timeliness,
)
from oversight.models import (
    Circular,
    Finding,
    HandoverBatch,
    InspectionRound,
    Milestone,
    Petition,
    Progress,
    Recheck,
    SupervisionOrder,
    Task,
)
from patrols.models import Case as PatrolCase
from patrols.selectors import site_division_q
from places.models import Division

TASK_FIGURES = ("total", "completed", "in_progress", "overdue", "signed_off", "completed_late", "completed_in_period")
PETITION_FIGURES = (
    "received",
    "received_in_period",
    "closed",
    "stage_closed",
    "in_progress",
    "overdue",
    "substantiated",
    "closed_in_period",
)
RECHECK_FIGURES = ("sampled", "done", "relapses")


def _is_unit(scope: Scope) -> bool:
    return scope.role == Role.UNIT and scope.user_id is not None and not scope.everything


def _unit_tasks_q(user_id: int | None, prefix: str = "") -> Q:
    user_id = int(user_id or 0)
    through = Task.responsible_units.through
    return Q(**{f"{prefix}lead_unit_id": user_id}) | Q(
        **{f"{prefix}pk__in": through.objects.filter(user_id=user_id).values("task_id")}
    )


# --------------------------------------------------------------------------- ledgers


def round_list(*, scope: Scope) -> QuerySet[InspectionRound]:
    if scope.nothing and not _is_unit(scope):
        return InspectionRound.objects.none()
    return InspectionRound.objects.all()


def finding_list(*, scope: Scope) -> QuerySet[Finding]:
    qs = Finding.objects.select_related("round", "division")
    if _is_unit(scope):
        return qs.filter(Exists(Task.objects.filter(_unit_tasks_q(scope.user_id), finding=OuterRef("pk"))))
    return scope.filter(qs, "division__code")


def timeliness(today: dt.date) -> Case:
    """on time / completed late / overdue / not yet due, from completed_on, deadline and today."""
    return Case(
        When(completed_on__isnull=False, completed_on__lte=F("deadline"), then=Value(Timeliness.ON_TIME)),
        When(completed_on__isnull=False, then=Value(Timeliness.LATE)),
        When(deadline__lt=today, then=Value(Timeliness.OVERDUE)),
        default=Value(Timeliness.NOT_DUE),
        output_field=CharField(),
    )


def task_list(*, scope: Scope, today: dt.date | None = None) -> QuerySet[Task]:
    qs = Task.objects.select_related("finding__round", "finding__division", "lead_unit").annotate(
        timeliness=timeliness(today or timezone.localdate())
    )
    if _is_unit(scope):
        return qs.filter(_unit_tasks_q(scope.user_id))
    return scope.filter(qs, "finding__division__code")


def milestone_list(*, scope: Scope) -> QuerySet[Milestone]:
    qs = Milestone.objects.select_related("task")
    if _is_unit(scope):
        return qs.filter(_unit_tasks_q(scope.user_id, "task__"))
    return scope.filter(qs, "task__finding__division__code")


def progress_list(*, scope: Scope) -> QuerySet[Progress]:
    qs = Progress.objects.select_related("task", "author").prefetch_related("attachments")
    if _is_unit(scope):
        return qs.filter(_unit_tasks_q(scope.user_id, "task__"))
    return scope.filter(qs, "task__finding__division__code")


def batch_list(*, scope: Scope) -> QuerySet[HandoverBatch]:
    if scope.nothing and not _is_unit(scope):
        return HandoverBatch.objects.none()
    return HandoverBatch.objects.select_related("round")


def petition_list(*, scope: Scope) -> QuerySet[Petition]:
    qs = Petition.objects.select_related("batch__round", "division", "unit", "reach", "lake", "intake")
    if _is_unit(scope):
        return qs.filter(unit_id=scope.user_id)
    return scope.filter(qs, "division__code")


def petition_map_list(*, scope: Scope) -> QuerySet[Petition]:
    """Petitions with a point: the map layer (GeoJSON and OGC)."""
    return petition_list(scope=scope).filter(location__isnull=False)


def order_list(*, scope: Scope) -> QuerySet[SupervisionOrder]:
    qs = SupervisionOrder.objects.select_related("unit", "division", "task", "milestone", "petition")
    if _is_unit(scope):
        return qs.filter(unit_id=scope.user_id)
    return scope.filter(qs, "division__code")


def circular_list(*, scope: Scope) -> QuerySet[Circular]:
    qs = Circular.objects.defer("pdf")
    if _is_unit(scope):
        return qs.none()
    if scope.everything:
        return qs
    if not scope.prefix:
        return qs.none()
    return qs.filter(division_code__startswith=scope.prefix)


def recheck_list(*, scope: Scope) -> QuerySet[Recheck]:
    qs = Recheck.objects.select_related("task", "petition", "division")
    if _is_unit(scope):
        return qs.none()
    return scope.filter(qs, "division__code")


# --------------------------------------------------------------------------- figures


def _end_instant(last: dt.date) -> dt.datetime:
    return dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=BEIJING)


def task_figure_q(figure: str, first: dt.date, last: dt.date) -> Q:
    """Tasks counted by `figure` for the period first–last (as of `last`)."""
    started = Q(starts_on__lte=last)
    done = Q(completed_on__isnull=False, completed_on__lte=last)
    return {
        "total": started,
        "completed": started & done,
        "in_progress": started & ~done,
        "overdue": started & ~done & Q(deadline__lt=last),
        "signed_off": started & Q(signed_off_at__lt=_end_instant(last)),
        "completed_late": started & done & Q(completed_on__gt=F("deadline")),
        "completed_in_period": Q(completed_on__gte=first, completed_on__lte=last),
    }[figure]


def petition_figure_q(figure: str, first: dt.date, last: dt.date) -> Q:
    received = Q(received_on__lte=last)
    closed = Q(status=PetitionStatus.CLOSED, closed_on__lte=last)
    return {
        "received": received,
        "received_in_period": Q(received_on__gte=first, received_on__lte=last),
        "closed": received & closed,
        "stage_closed": received & Q(status=PetitionStatus.STAGE_CLOSED, closed_on__lte=last),
        "in_progress": received & ~closed,
        "overdue": received & ~closed & Q(deadline__lt=last),
        "substantiated": received & Q(substantiated__in=[Substantiated.YES, Substantiated.PARTLY]),
        "closed_in_period": Q(status=PetitionStatus.CLOSED, closed_on__gte=first, closed_on__lte=last),
    }[figure]


def recheck_figure_q(figure: str, first: dt.date, last: dt.date) -> Q:
    return {
        "sampled": Q(sampled_at__gte=_end_instant(first - dt.timedelta(days=1)), sampled_at__lt=_end_instant(last)),
        "done": Q(checked_on__gte=first, checked_on__lte=last),
        "relapses": Q(checked_on__gte=first, checked_on__lte=last, outcome=RecheckOutcome.RELAPSED),
    }[figure]


def _within(qs: QuerySet[Any], lookup: str, division_code: str | None) -> QuerySet[Any]:
    return qs.filter(**{f"{lookup}__startswith": division_prefix(division_code)}) if division_code else qs


def _grouped(
    qs: QuerySet[Any], q_of: Any, names: tuple[str, ...], spans: list[tuple[dt.date, dt.date]], code: str
) -> list[tuple[dict[str, int], dict[Any, dict[str, int]]]]:
    """Every figure of every period per division in one scan (one GROUP BY over the division id, no
    join for the names), and their sums (the totals): [(totals, per division id)] per period."""
    aggregates = {
        f"{n}__{i}": Count("pk", filter=q_of(n, first, last)) for i, (first, last) in enumerate(spans) for n in names
    }
    out: list[tuple[dict[str, int], dict[Any, dict[str, int]]]] = [(dict.fromkeys(names, 0), {}) for _ in spans]
    for row in qs.order_by().values(code).annotate(**aggregates):
        for i, (totals, per) in enumerate(out):
            figures = {n: row[f"{n}__{i}"] for n in names}
            per[row[code]] = figures
            for n in names:
                totals[n] += figures[n]
    return out


def _within_ids(qs: QuerySet[Any], lookup: str, division_code: str | None) -> QuerySet[Any]:
    """`lookup` (a division id) inside the division: a semi-join on the small division table, so the
    scan of the big one needs no join of its own."""
    if not division_code:
        return qs
    ids = Division.objects.filter(code__startswith=division_prefix(division_code)).values("pk")
    return qs.filter(**{f"{lookup}__in": ids})


def oversight_figures(
    *, scope: Scope, period: Period, division_code: str | None = None, by_division: bool = True
) -> dict[str, Any]:
    """Tasks, petitions and rechecks of the period (as of its last day) for the caller's scope and
    optionally one division: one scan each, grouped by division (the totals are their sums)."""
    return oversight_figures_many(scope=scope, periods=[period], division_code=division_code, by_division=by_division)[
        0
    ]


def oversight_figures_many(
    *, scope: Scope, periods: list[Period], division_code: str | None = None, by_division: bool = True
) -> list[dict[str, Any]]:
    """`oversight_figures` of several periods (a report's and the same period last year) from the same
    three scans: the figures are FILTERed counts, so one more period is more counts, not another scan.
    `by_division` rows are given for the first period."""
    spans = [(p.first_date, p.last_date) for p in periods]
    tasks = _within_ids(task_list(scope=scope), "finding__division_id", division_code)
    petitions = _within_ids(petition_list(scope=scope), "division_id", division_code)
    rechecks = _within_ids(recheck_list(scope=scope), "division_id", division_code)
    t = _grouped(tasks, task_figure_q, TASK_FIGURES, spans, "finding__division_id")
    p = _grouped(petitions, petition_figure_q, PETITION_FIGURES, spans, "division_id")
    r_row = rechecks.order_by().aggregate(
        **{
            f"{n}__{i}": Count("pk", filter=recheck_figure_q(n, first, last))
            for i, (first, last) in enumerate(spans)
            for n in RECHECK_FIGURES
        }
    )
    outs: list[dict[str, Any]] = []
    for i in range(len(spans)):
        r = {n: r_row[f"{n}__{i}"] for n in RECHECK_FIGURES}
        outs.append({"tasks": t[i][0], "petitions": p[i][0], "rechecks": r})
    if by_division and outs:
        t_rows, p_rows = t[0][1], p[0][1]
        ids = set(t_rows) | set(p_rows)
        divisions = {d.pk: (d.code, d.name) for d in Division.objects.filter(pk__in=ids).only("code", "name")}
        rows: list[dict[str, Any]] = []
        for pk in ids:
            tr, pr = t_rows.get(pk, {}), p_rows.get(pk, {})
            code, name = divisions[pk]
            rows.append(
                {
                    "code": code,
                    "name": name,
                    "tasks_total": tr.get("total", 0),
                    "tasks_completed": tr.get("completed", 0),
                    "petitions_received": pr.get("received", 0),
                    "petitions_closed": pr.get("closed", 0),
                }
            )
        rows.sort(key=lambda row: str(row["code"]))
        outs[0]["by_division"] = [row for row in rows if row["tasks_total"] or row["petitions_received"]]
    return outs


def overdue_by_unit(*, scope: Scope, as_of: dt.date, division_code: str | None = None) -> list[dict[str, Any]]:
    """Overdue items as of a day, grouped by the unit they are handed to (the body of a circular):
    tasks not completed by their deadline, milestones not done by their due date, petitions not closed
    by their deadline."""
    units: dict[int, dict[str, Any]] = {}

    def unit_row(uid: int, username: str, name: str) -> dict[str, Any]:
        return units.setdefault(
            uid, {"unit": username, "name": name or username, "tasks": [], "milestones": [], "petitions": []}
        )

    tasks = _within(task_list(scope=scope), "finding__division__code", division_code)
    for code, title, deadline, uid, uname, dname in (
        tasks.filter(task_figure_q("overdue", as_of, as_of))
        .order_by("code")
        .values_list("code", "title", "deadline", "lead_unit_id", "lead_unit__username", "lead_unit__display_name")
    ):
        unit_row(uid, uname, dname)["tasks"].append({"code": code, "title": title, "deadline": deadline.isoformat()})
    milestones = _within(milestone_list(scope=scope), "task__finding__division__code", division_code)
    for code, title, due, uid, uname, dname in (
        milestones.filter(
            Q(task__starts_on__lte=as_of), Q(due_on__lt=as_of), Q(status=MilestoneStatus.PENDING) | Q(done_on__gt=as_of)
        )
        .order_by("task__code", "due_on")
        .values_list(
            "task__code",
            "title",
            "due_on",
            "task__lead_unit_id",
            "task__lead_unit__username",
            "task__lead_unit__display_name",
        )
    ):
        unit_row(uid, uname, dname)["milestones"].append({"task": code, "title": title, "due_on": due.isoformat()})
    petitions = _within(petition_list(scope=scope), "division__code", division_code)
    for number, deadline, uid, uname, dname in (
        petitions.filter(petition_figure_q("overdue", as_of, as_of))
        .order_by("number")
        .values_list("number", "deadline", "unit_id", "unit__username", "unit__display_name")
    ):
        unit_row(uid, uname, dname)["petitions"].append({"number": number, "deadline": deadline.isoformat()})
    out = []
    for row in units.values():
        row["total"] = len(row["tasks"]) + len(row["milestones"]) + len(row["petitions"])
        out.append(row)
    return sorted(out, key=lambda r: (-r["total"], r["unit"]))


def order_case(*, scope: Scope, case_id: Any) -> Any:
    """A patrol case a supervision order may be issued on: in the caller's jurisdiction by its reach's
    division **or its lake's** (a case sits on one of them; lake cases are ordered as reach cases are)."""
    qs = PatrolCase.objects.select_related("reach__division", "lake__division").filter(site_division_q(scope))
    return qs.filter(pk=case_id).first()

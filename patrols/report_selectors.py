"""The report selectors of the patrols app: read by the reports app (issue 8) and the compliance
endpoint. They sit above ``patrols.selectors`` (they build on its scope filters and ``compliance``), so
callers import this module directly: ``patrols.selectors`` no longer re-exports them, which made the two
modules import each other (issue 20). Every figure is defined by one Q
(`report_row_filters`), so the counts and the drill-down rows behind them cannot disagree. Reports are
aggregates over a jurisdiction: a chief reads the figures of their whole division, not only their own
rows (the report is what the river-chief office publishes for the division). Rows on reaches and on
lakes are both counted, and ``by_water`` splits them (issue 19)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.scope import Scope
from core.divisions import division_prefix
from core.exceptions import InvalidInput
from core.periods import Period
from patrols.choices import ChiefLevel, PatrolStatus, ReviewStatus
from patrols.models import Case, LitterRemoval, Patrol
from patrols.selectors import _HEAVY, compliance, site_division_q, site_within_division


def _report_scope(scope: Scope) -> Scope:
    """The scope whose division prefix narrows a report: staff and chiefs by jurisdiction; others none."""
    if scope.everything or scope.role in (Role.REVIEWER, Role.CHIEF):
        return scope
    return Scope(user_id=scope.user_id, role=scope.role)


def _report_where(
    scope: Scope,
    division_code: str | None,
    lookup: str | None = None,
    *,
    reach_id: int | None = None,
    lake_id: int | None = None,
) -> Q:
    """Rows of a report in the caller's jurisdiction (and the division, reach or lake asked for). With
    ``lookup`` one division-code path; without, the row's reach or lake (patrols, cases, litter)."""
    if lookup is not None:
        where = _report_scope(scope).q(lookup)
        if division_code:
            where &= Q(**{f"{lookup}__startswith": division_prefix(division_code)})
        return where
    where = site_division_q(_report_scope(scope))
    if division_code:
        where &= site_within_division(division_prefix(division_code))
    if reach_id is not None:
        where &= Q(reach_id=reach_id)
    if lake_id is not None:
        where &= Q(lake_id=lake_id)
    return where


# The split of patrol and case figures by water body: rivers (rows on a reach) and lakes and
# reservoirs (rows on a lake).
WATER_BODIES: dict[str, Q] = {"rivers": Q(lake__isnull=True), "lakes": Q(lake__isnull=False)}


# Figures whose rows the drill-down lists, by model: "patrols" (Patrol), "cases" (Case), "litter".
REPORT_ROW_FIGURES: dict[str, str] = {
    "patrols": "patrols",
    "patrols_valid": "patrols",
    "patrols_flagged": "patrols",
    "cases_found": "cases",
    "cases_cleared_on_spot": "cases",
    "cases_closed": "cases",
    "cases_closed_of_found": "cases",
    "cases_overdue": "cases",
    "litter": "litter",
}


def report_row_filters(*, period: Period) -> dict[str, Q]:
    """The Q of each figure over `period` (half-open, Beijing). Cases are counted as of the period's
    end: `cases_closed` are those closed inside the period (whenever found); `cases_closed_of_found`
    those found in the period and closed before its end (the closure rate's numerator);
    `cases_overdue` those flagged overdue before the end and still open at the end."""
    s, e = period.start, period.end
    done = Q(status=PatrolStatus.COMPLETED, started_at__gte=s, started_at__lt=e)
    found = Q(found_at__gte=s, found_at__lt=e)
    return {
        "patrols": done,
        "patrols_valid": done & Q(valid=True) & ~Q(review_status=ReviewStatus.REJECTED),
        "patrols_flagged": done & ~Q(review_status=ReviewStatus.NOT_REQUIRED),
        "cases_found": found,
        "cases_cleared_on_spot": found & Q(closed_via="on_spot", closed_at__lt=e),
        "cases_closed": Q(closed_at__gte=s, closed_at__lt=e),
        "cases_closed_of_found": found & Q(closed_at__lt=e),
        "cases_overdue": Q(found_at__lt=e, overdue_at__lt=e) & (Q(closed_at__isnull=True) | Q(closed_at__gte=e)),
        "litter": Q(removed_on__gte=period.first_date, removed_on__lte=period.last_date),
    }


def report_rows(
    *,
    scope: Scope,
    period: Period,
    figure: str,
    division_code: str | None = None,
    category: str | None = None,
    reach_id: int | None = None,
    lake_id: int | None = None,
    water: str | None = None,
) -> QuerySet[Any]:
    """The rows a report figure summed (the drill-down), newest first; ``water`` (rivers | lakes)
    keeps one side of the split."""
    model = REPORT_ROW_FIGURES.get(figure)
    if model is None:
        raise InvalidInput(
            _("Unknown figure %(figure)s.") % {"figure": repr(figure)},
            fields={
                "figure": [_("One of %(report_row_figures)s.") % {"report_row_figures": sorted(REPORT_ROW_FIGURES)}]
            },
        )
    where = report_row_filters(period=period)[figure] & _report_where(
        scope, division_code, reach_id=reach_id, lake_id=lake_id
    )
    if water in WATER_BODIES:
        where &= WATER_BODIES[water]
    if model == "patrols":
        return (
            Patrol.objects.filter(where).select_related("chief", "reach", "lake").defer(*_HEAVY).order_by("-started_at")
        )
    if category:
        where &= Q(category=category)
    if model == "cases":
        return Case.objects.filter(where).select_related("reach", "lake").order_by("-found_at", "id")
    return LitterRemoval.objects.filter(where).select_related("reach", "lake").order_by("-removed_on", "id")


def case_state_at(end: Any) -> Any:
    """A case's workflow state at ``end`` (excluded), as an SQL expression: the state its last step
    before ``end`` led to (CaseEvent, one correlated subquery). A case without a step before ``end``
    (rows written outside the workflow: imports, fixtures; a step recorded after the end) falls back
    on its stamps, the furthest state stamped before ``end``, and then on the initial state, reported."""
    from django.db.models import Case as Choose
    from django.db.models import CharField, OuterRef, Subquery, Value, When
    from django.db.models.functions import Coalesce

    from patrols.choices import CaseStatus
    from patrols.models import CaseEvent

    last_step = CaseEvent.objects.filter(case_id=OuterRef("pk"), at__lt=end).order_by("-at", "-id").values("to_status")
    stamped = Choose(
        *(
            When(**{f"{stamp}__lt": end}, then=Value(state))
            for stamp, state in (
                ("closed_at", CaseStatus.CLOSED),
                ("verified_at", CaseStatus.VERIFIED),
                ("submitted_at", CaseStatus.SUBMITTED),
                ("rectifying_at", CaseStatus.RECTIFYING),
                ("assigned_at", CaseStatus.ASSIGNED),
            )
        ),
        default=Value(CaseStatus.REPORTED),
        output_field=CharField(),
    )
    return Coalesce(Subquery(last_step[:1], output_field=CharField()), stamped, output_field=CharField())


def _patrol_sums(where: Q | None = None) -> dict[str, Any]:
    """The effort aggregates, over the rows matching ``where`` when given (one side of a split)."""
    from django.db.models import Count, Sum

    def only(q: Q) -> Q:
        return q if where is None else where & q

    return {
        "patrols": Count("id", filter=where),
        "person_times": Sum("person_times", filter=where),
        "distance_m": Sum("distance_m", filter=where),
        "valid": Count("id", filter=only(Q(valid=True) & ~Q(review_status=ReviewStatus.REJECTED))),
        "flagged": Count("id", filter=only(~Q(review_status=ReviewStatus.NOT_REQUIRED))),
        "flagged_pending": Count("id", filter=only(Q(review_status=ReviewStatus.PENDING))),
        "flagged_rejected": Count("id", filter=only(Q(review_status=ReviewStatus.REJECTED))),
    }


def _effort(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "patrols": row["patrols"] or 0,
        "person_times": row["person_times"] or 0,
        "km": round((row["distance_m"] or 0.0) / 1000, 3),
        "valid": row["valid"] or 0,
        "flagged": row["flagged"] or 0,
        "flagged_pending": row["flagged_pending"] or 0,
        "flagged_rejected": row["flagged_rejected"] or 0,
    }


def patrol_report(
    *,
    scope: Scope,
    period: Period,
    division_code: str | None = None,
    reach_id: int | None = None,
    lake_id: int | None = None,
) -> dict[str, Any]:
    """Patrol effort, cases and litter of `period` inside the caller's jurisdiction (and
    `division_code`, or one reach or lake): plain numbers (km to the metre, tonnes to the kilogram),
    with ``by_water`` splitting them between rivers and lakes. Nine queries.

    person_times counts each patrol's people once (chief + companions); km is the server-measured
    geodesic distance, never multiplied by them; both over completed patrols started in the period.
    """
    from decimal import Decimal

    from django.db.models import Count, Sum
    from django.db.models.functions import Coalesce

    from patrols.choices import CaseCategory, CaseStatus

    f = report_row_filters(period=period)
    where = _report_where(scope, division_code, reach_id=reach_id, lake_id=lake_id)
    patrols = Patrol.objects.filter(where & f["patrols"]).order_by()
    # The totals and the rivers/lakes split in one query.
    # (Aliases never equal a field's name: the later aggregates would read the alias.)
    sums = patrols.aggregate(
        **{f"all_{key}": agg for key, agg in _patrol_sums().items()},
        **{f"{kind}_{key}": agg for kind, q in WATER_BODIES.items() for key, agg in _patrol_sums(q).items()},
    )
    total = _effort({key: sums[f"all_{key}"] for key in _patrol_sums()})
    by_level = {lvl: _effort(dict.fromkeys(_patrol_sums(), 0)) for lvl in ChiefLevel.values}
    for row in patrols.values("level").annotate(**_patrol_sums()):
        by_level[row["level"]] = _effort(row)
    by_division = [
        {"code": row["site_code"], "name": row["site_name"], **_effort(row)}
        for row in patrols.annotate(
            site_code=Coalesce("reach__division__code", "lake__division__code"),
            site_name=Coalesce("reach__division__name", "lake__division__name"),
        )
        .values("site_code", "site_name")
        .annotate(**_patrol_sums())
        .order_by("site_code")
    ]
    # Rivers and lakes apart: the same effort figures, and the cases and litter on each.
    by_water: dict[str, dict[str, Any]] = {
        kind: _effort({key: sums[f"{kind}_{key}"] for key in _patrol_sums()}) for kind in WATER_BODIES
    }
    case_split = Case.objects.filter(where).aggregate(
        **{
            f"{kind}_{key}": Count("id", filter=q & cond)
            for kind, q in WATER_BODIES.items()
            for key, cond in (
                ("cases_found", f["cases_found"]),
                ("cases_cleared_on_spot", f["cases_cleared_on_spot"]),
                ("cases_closed", f["cases_closed"]),
                ("cases_overdue", f["cases_overdue"]),
            )
        }
    )
    tonnes = LitterRemoval.objects.filter(where & f["litter"]).aggregate(
        t=Sum("tonnes"), n=Count("id"), **{f"{kind}_t": Sum("tonnes", filter=q) for kind, q in WATER_BODIES.items()}
    )
    for kind, row in by_water.items():
        for key in ("cases_found", "cases_cleared_on_spot", "cases_closed", "cases_overdue"):
            row[key] = case_split[f"{kind}_{key}"] or 0
        row["litter_tonnes"] = Decimal(tonnes[f"{kind}_t"] or 0).quantize(Decimal("0.001"))

    cases = Case.objects.filter(where).order_by()
    categories = {
        c: {"found": 0, "cleared_on_spot": 0, "closed": 0, "closed_of_found": 0, "overdue": 0} for c in CaseCategory
    }
    for row in (
        cases.filter(f["cases_found"])
        .values("category")
        .annotate(
            found=Count("id"),
            cleared_on_spot=Count("id", filter=Q(closed_via="on_spot", closed_at__lt=period.end)),
            closed_of_found=Count("id", filter=Q(closed_at__lt=period.end)),
        )
    ):
        categories[row["category"]].update(
            found=row["found"], cleared_on_spot=row["cleared_on_spot"], closed_of_found=row["closed_of_found"]
        )
    for key in ("cases_closed", "cases_overdue"):
        for row in cases.filter(f[key]).values("category").annotate(n=Count("id")):
            categories[row["category"]][key.removeprefix("cases_")] = row["n"]
    # The state at the period's end of the cases found in the period (the chart of cases by category and state).
    by_state: dict[str, dict[str, int]] = {c: dict.fromkeys(CaseStatus.values, 0) for c in CaseCategory.values}
    for row in (
        cases.filter(f["cases_found"])
        .annotate(state_at_end=case_state_at(period.end))
        .values("category", "state_at_end")
        .annotate(n=Count("id"))
    ):
        by_state[row["category"]][row["state_at_end"]] = row["n"]

    def tot(key: str) -> int:
        return sum(c[key] for c in categories.values())

    found = tot("found")
    return {
        **total,
        "cases_found": found,
        "cases_cleared_on_spot": tot("cleared_on_spot"),
        "cases_closed": tot("closed"),
        "cases_closed_of_found": tot("closed_of_found"),
        "cases_overdue": tot("overdue"),
        "closure_rate": (tot("closed_of_found") / found) if found else None,
        "litter_tonnes": Decimal(tonnes["t"] or 0).quantize(Decimal("0.001")),
        "litter_records": tonnes["n"],
        "by_level": by_level,
        "by_division": by_division,
        "by_water": by_water,
        "cases_by_category": categories,
        "cases_by_state": by_state,
    }


# The sides of the compliance split: the chiefs of reaches (river chiefs), of lakes and reservoirs (lake
# chiefs), and those appointed to both at the level (owed once: their row is counted on neither side).
COMPLIANCE_WATERS = ("rivers", "lakes", "rivers_and_lakes")


def _compliance_totals(rows: list[Any]) -> dict[str, Any]:
    required = sum(r.required for r in rows)
    missing = sum(r.missing for r in rows)
    return {
        "chiefs": len(rows),
        "compliant_chiefs": sum(1 for r in rows if r.compliant),
        "required": required,
        "done": sum(r.done for r in rows),
        "person_times": sum(r.person_times for r in rows),
        "valid": sum(r.valid for r in rows),
        "missing": missing,
        "rate": ((required - missing) / required) if required else None,
    }


def compliance_totals(rows: list[Any]) -> dict[str, Any]:
    """The totals of compliance rows and their split by water (``by_water``: rivers, lakes,
    rivers_and_lakes), as the report and the compliance ledger show them."""
    return {
        **_compliance_totals(rows),
        "by_water": {kind: _compliance_totals([r for r in rows if r.water == kind]) for kind in COMPLIANCE_WATERS},
    }


def compliance_report(
    *,
    scope: Scope,
    period: Period,
    division_code: str | None = None,
    reach_id: int | None = None,
    lake_id: int | None = None,
) -> dict[str, Any]:
    """Frequency compliance summed over the chiefs appointed inside the jurisdiction (a chief reads
    their division's, as for the other report figures), or over the chiefs of one reach or lake:
    required, done (巡河次数), valid and missing patrols, the people on the patrols done (巡河人次), the
    share of the required patrols that were made (valid ones, capped per period by `compliance`), and the
    same split by rivers and lakes (``by_water``)."""
    agg = _report_scope(scope)
    if not agg.everything and agg.role == Role.CHIEF:
        agg = Scope(user_id=agg.user_id, role=Role.REVIEWER, prefix=agg.prefix)
    rows = compliance(
        scope=agg,
        start=period.first_date,
        end=period.last_date,
        division=division_code or None,
        detail=False,
        reach_id=reach_id,
        lake_id=lake_id,
    )
    by_level: dict[str, dict[str, int]] = {}
    for r in rows:
        lvl = by_level.setdefault(
            r.level, {"chiefs": 0, "compliant_chiefs": 0, "required": 0, "missing": 0, "done": 0, "person_times": 0}
        )
        lvl["chiefs"] += 1
        lvl["done"] += r.done
        lvl["person_times"] += r.person_times
        lvl["compliant_chiefs"] += int(r.compliant)
        lvl["required"] += r.required
        lvl["missing"] += r.missing
    return {**compliance_totals(rows), "by_level": by_level}

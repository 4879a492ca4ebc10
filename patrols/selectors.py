"""Reads of the patrols app, each narrowed to the caller's scope (SPEC §4).

Who sees what:

* admin: everything;
* reviewer: rows on reaches inside their jurisdiction (division-code prefix);
* chief: their own patrols, cases and litter records, and the rows on the reaches they are appointed
  to today (a district chief follows the village chiefs' patrols on their reach). A chief *acts* only
  on their own rows: another chief's case is a 404 for any transition (``case_writable``);
* operator and device: nothing (the views answer 403 before reaching here).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from accounts.scope import Scope
from core.divisions import division_prefix
from core.exceptions import InvalidInput, NotFound
from core.periods import BEIJING, Period, period_containing
from patrols.choices import ChiefLevel, FrequencyPeriod, PatrolStatus, ReviewStatus
from patrols.models import Case, CaseRecheck, LitterRemoval, Patrol, PatrolFrequencyRule, PatrolValidityRule
from places.models import ChiefAssignment, Reach
from places.selectors import assignment_list, reach_list, reaches_of_chief

_HEAVY = ("raw_track", "raw_times_ms", "dropped_points", "part_starts")


def _today() -> dt.date:
    return timezone.now().astimezone(BEIJING).date()


def _is_chief(scope: Scope) -> bool:
    return scope.role == Role.CHIEF and not scope.everything


def _chief_q(scope: Scope, own_field: str) -> Q:
    """What a chief reads (SPEC §4: "own patrols and cases; reaches assigned to them; read their
    division"): their own rows, every row on a reach they are appointed to today, and every row in
    their jurisdiction (a district chief follows the township and village chiefs of the district).
    What a chief may act on is narrower: their own rows only (``*_writable``)."""
    mine = reaches_of_chief(chief_id=scope.user_id or 0, on=_today()).values("pk")
    q = Q(**{own_field: scope.user_id}) | Q(reach_id__in=mine)
    if scope.prefix:
        q |= scope.q("reach__division__code")
    return q


def _scoped(qs: QuerySet[Any], scope: Scope, own_field: str) -> QuerySet[Any]:
    if scope.everything:
        return qs
    if _is_chief(scope):
        return qs.filter(_chief_q(scope, own_field))
    if scope.role not in (Role.REVIEWER,):
        return qs.none()
    return scope.filter(qs, "reach__division__code")


# --------------------------------------------------------------------------- patrols


def patrol_list(*, scope: Scope) -> QuerySet[Patrol]:
    """Patrols the caller may read, without the per-point columns (the preview is kept for maps)."""
    qs = Patrol.objects.select_related("chief", "reach", "reach__division").defer(*_HEAVY)
    return _scoped(qs, scope, "chief_id")


def patrol_detail(*, scope: Scope) -> QuerySet[Patrol]:
    """Patrols the caller may read, with the full tracks."""
    return _scoped(Patrol.objects.select_related("chief", "reach", "reach__division"), scope, "chief_id")


def patrol_writable(*, scope: Scope) -> QuerySet[Patrol]:
    """Patrols the caller may act on: a chief their own; staff those in their jurisdiction."""
    qs = Patrol.objects.select_related("reach", "reach__division")
    if _is_chief(scope):
        return qs.filter(chief_id=scope.user_id)
    return _scoped(qs, scope, "chief_id")


# --------------------------------------------------------------------------- cases, photos, rechecks


def case_list(*, scope: Scope) -> QuerySet[Case]:
    return _scoped(Case.objects.select_related("reporter", "reach", "reach__division"), scope, "reporter_id")


def case_writable(*, scope: Scope) -> QuerySet[Case]:
    """Cases the caller may act on: a chief only the cases they reported (another chief's case is a
    404); staff the cases in their jurisdiction."""
    qs = Case.objects.select_related("reporter", "reach", "reach__division")
    if _is_chief(scope):
        return qs.filter(reporter_id=scope.user_id)
    return _scoped(qs, scope, "reporter_id")


def recheck_list(*, scope: Scope) -> QuerySet[CaseRecheck]:
    qs = CaseRecheck.objects.select_related("case", "case__reach", "sampled_by", "checked_by")
    if scope.everything:
        return qs
    if scope.role != Role.REVIEWER:
        return qs.none()
    return scope.filter(qs, "case__reach__division__code")


# --------------------------------------------------------------------------- litter


def litter_list(*, scope: Scope) -> QuerySet[LitterRemoval]:
    return _scoped(
        LitterRemoval.objects.select_related("reach", "reach__division", "recorded_by"), scope, "recorded_by_id"
    )


# --------------------------------------------------------------------------- reaches and chiefs


def reach_for_write(*, scope: Scope, reach_id: int, on: dt.date | None = None) -> Reach:
    """The reach a write names: for a chief one appointed to them (on `on`, default today); for staff
    one in their jurisdiction. Otherwise a 400 naming `reach` (nothing is written)."""
    if _is_chief(scope):
        reach = reaches_of_chief(chief_id=scope.user_id or 0, on=on or _today()).select_related("division")
        found = reach.filter(pk=reach_id).first()
    else:
        found = reach_list(scope=scope).filter(pk=reach_id).first()
    if found is None:
        raise InvalidInput(
            _("No reach %(reach_id)s you may record on.") % {"reach_id": reach_id},
            fields={"reach": [_("No such reach in your scope.")]},
        )
    return found


@dataclass(frozen=True, slots=True)
class ReachChiefs:
    reach: Reach
    on: dt.date
    by_level: dict[str, list[ChiefAssignment]]


def reach_chiefs(*, scope: Scope, reach_id: int, on: dt.date | None = None) -> ReachChiefs:
    """A reach's chiefs at each level on a date (default today). The reach must be readable by the
    caller (places scope); otherwise NotFound."""
    on = on or _today()
    reach = reach_list(scope=scope).filter(pk=reach_id).first()
    if reach is None:
        raise NotFound(_("No such reach in your scope."))
    by_level: dict[str, list[ChiefAssignment]] = {level: [] for level in ChiefLevel.values}
    for assignment in assignment_list(scope=scope, on=on).filter(reach_id=reach_id).order_by("level", "chief_id"):
        by_level[assignment.level].append(assignment)
    return ReachChiefs(reach=reach, on=on, by_level=by_level)


# --------------------------------------------------------------------------- rules


def validity_rule_list(*, scope: Scope) -> QuerySet[PatrolValidityRule]:
    return PatrolValidityRule.objects.all()


def frequency_rule_list(*, scope: Scope) -> QuerySet[PatrolFrequencyRule]:
    return PatrolFrequencyRule.objects.all()


# --------------------------------------------------------------------------- frequency compliance


def _week(d: dt.date) -> Period:
    monday = d - dt.timedelta(days=d.weekday())
    start = dt.datetime(monday.year, monday.month, monday.day, tzinfo=BEIJING)
    iso = monday.isocalendar()
    return Period(start, start + dt.timedelta(days=7), "range", f"{iso.year}-W{iso.week:02d}")


def _unit(d: dt.date, kind: str) -> Period:
    if kind == FrequencyPeriod.WEEK:
        return _week(d)
    start = dt.datetime(d.year, d.month, d.day, tzinfo=BEIJING)
    return period_containing(start, kind)


def sub_periods(start: dt.date, end: dt.date, kind: str) -> Iterator[Period]:
    """The periods of `kind` whose first day lies in [start, end] (a week belongs to the month its
    Monday falls in), whole (not clipped): a chief owes a weekly patrol for the whole week."""
    unit = _unit(start, kind)
    if unit.first_date < start:
        unit = _unit(unit.end.date(), kind)
    while unit.first_date <= end:
        yield unit
        unit = _unit(unit.end.date(), kind)


@dataclass(slots=True)
class ComplianceRow:
    """One chief at one level over the asked dates."""

    chief_id: int
    chief_username: str
    chief_name: str
    level: str
    jurisdiction: str
    rule: str
    periods: int = 0
    required: int = 0
    done: int = 0
    valid: int = 0
    missing: int = 0
    detail: list[dict[str, Any]] = field(default_factory=list)

    @property
    def compliant(self) -> bool:
        return self.missing == 0


def _rules_for(rules: list[PatrolFrequencyRule], level: str, codes: set[str]) -> list[PatrolFrequencyRule]:
    """The rules of the most specific jurisdiction that contains one of the chief's reaches."""
    matching = [
        r
        for r in rules
        if r.level == level
        and (not r.jurisdiction or any(c.startswith(division_prefix(r.jurisdiction)) for c in codes))
    ]
    if not matching:
        return []
    best = max(len(r.jurisdiction) for r in matching)
    return [r for r in matching if len(r.jurisdiction) == best]


def compliance(
    *,
    scope: Scope,
    start: dt.date,
    end: dt.date,
    chief_id: int | None = None,
    level: str | None = None,
    division: str | None = None,
    detail: bool = False,
) -> list[ComplianceRow]:
    """Patrol frequency per chief and level over [start, end] (Beijing dates): for each period of the
    level's rule that starts in the window, falls in the rule's season and finds the chief in office
    on its first day, the required count, the patrols done, the valid ones (passing the validity rules
    and not rejected on review) and the shortfall. ``missing`` sums the shortfall period by period, so
    three patrols in one week do not make up for a missed week.

    Four queries whatever the number of chiefs: appointments, rules, patrols, and nothing per row.
    """
    assignments = (
        assignment_list(scope=scope)
        .filter(reach__isnull=False, valid_from__lte=end)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start))
        .select_related("chief", "reach__division")
    )
    if _is_chief(scope):
        # A chief: their own appointments and those of the chiefs in their jurisdiction.
        visible = Q(chief_id=scope.user_id)
        if scope.prefix:
            visible |= scope.q("reach__division__code")
        assignments = (
            ChiefAssignment.objects.select_related("chief", "reach__division")
            .filter(visible, reach__isnull=False, valid_from__lte=end)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start))
        )
    elif not scope.everything and scope.role != Role.REVIEWER:
        return []
    if chief_id is not None:
        assignments = assignments.filter(chief_id=chief_id)
    if level is not None:
        assignments = assignments.filter(level=level)
    if division:
        assignments = assignments.filter(reach__division__code__startswith=division_prefix(division))

    groups: dict[tuple[int, str], list[ChiefAssignment]] = defaultdict(list)
    for a in assignments:
        groups[(a.chief_id, a.level)].append(a)
    if not groups:
        return []
    rules = list(PatrolFrequencyRule.objects.all())

    # Whole periods starting in the window may end after it: fetch patrols up to the last one's end.
    window_start = dt.datetime(start.year, start.month, start.day, tzinfo=BEIJING)
    window_end = window_start + dt.timedelta(days=1)
    for kind in {r.period for r in rules}:
        for unit in sub_periods(start, end, kind):
            window_end = max(window_end, unit.end)
    patrols: dict[tuple[int, str], list[tuple[dt.datetime, bool]]] = defaultdict(list)
    for chief, lvl, started, valid, review in Patrol.objects.filter(
        chief_id__in={c for c, __ in groups},
        status=PatrolStatus.COMPLETED,
        started_at__gte=window_start,
        started_at__lt=window_end,
    ).values_list("chief_id", "level", "started_at", "valid", "review_status"):
        patrols[(chief, lvl)].append((started, bool(valid) and review != ReviewStatus.REJECTED))

    units: dict[str, list[Period]] = {}  # the periods of each kind in the window, the same for every chief
    rows = []
    for (chief, lvl), group in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        user = group[0].chief
        codes = {a.reach.division.code for a in group if a.reach is not None}
        applicable = _rules_for(rules, lvl, codes)
        row = ComplianceRow(
            chief_id=chief,
            chief_username=user.username,
            chief_name=user.display_name,
            level=lvl,
            jurisdiction=applicable[0].jurisdiction if applicable else "",
            rule="; ".join(
                f"≥{r.required_count}/{r.period} (months {r.season_start_month}–{r.season_end_month})"
                for r in applicable
            ),
        )
        mine = sorted(patrols.get((chief, lvl), []))
        times = [t for t, __ in mine]
        for rule in applicable:
            if rule.period not in units:
                units[rule.period] = list(sub_periods(start, end, rule.period))
            for unit in units[rule.period]:
                first = unit.first_date
                if not rule.in_season(first.month):
                    continue
                in_office = any(
                    a.valid_from <= first and (a.valid_until is None or a.valid_until >= first) for a in group
                )
                if not in_office:
                    continue
                # The chief's patrols in [unit.start, unit.end): a slice of the sorted list, found by bisection
                # (a scan per period cost 0.3 s for a year of 10,000 patrols).
                done = [ok for __, ok in mine[bisect_left(times, unit.start) : bisect_left(times, unit.end)]]
                valid_count = sum(done)
                shortfall = max(0, rule.required_count - valid_count)
                row.periods += 1
                row.required += rule.required_count
                row.done += len(done)
                row.valid += valid_count
                row.missing += shortfall
                if detail:
                    row.detail.append(
                        {
                            "period": unit.label,
                            "start": first.isoformat(),
                            "end": unit.last_date.isoformat(),
                            "required": rule.required_count,
                            "done": len(done),
                            "valid": valid_count,
                            "missing": shortfall,
                        }
                    )
        rows.append(row)
    return rows


# --- report selectors ---------------------------------------------------------------------------
# Read by the reports app (issue 8) only; added by the reports engineer. Every figure is defined by
# one Q (`report_row_filters`), so the counts and the drill-down rows behind them cannot disagree.
# Reports are aggregates over a jurisdiction: a chief reads the figures of their whole division, not
# only their own rows (the report is what the river-chief office publishes for the division).


def _report_scope(scope: Scope) -> Scope:
    """The scope whose division prefix narrows a report: staff and chiefs by jurisdiction; others none."""
    if scope.everything or scope.role in (Role.REVIEWER, Role.CHIEF):
        return scope
    return Scope(user_id=scope.user_id, role=scope.role)


def _report_where(scope: Scope, division_code: str | None, lookup: str) -> Q:
    where = _report_scope(scope).q(lookup)
    if division_code:
        where &= Q(**{f"{lookup}__startswith": division_prefix(division_code)})
    return where


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
        "cases_cleared_on_spot": found & Q(closed_via="on_spot"),
        "cases_closed": Q(closed_at__gte=s, closed_at__lt=e),
        "cases_closed_of_found": found & Q(closed_at__lt=e),
        "cases_overdue": Q(found_at__lt=e, overdue_at__lt=e) & (Q(closed_at__isnull=True) | Q(closed_at__gte=e)),
        "litter": Q(removed_on__gte=period.first_date, removed_on__lte=period.last_date),
    }


def report_rows(
    *, scope: Scope, period: Period, figure: str, division_code: str | None = None, category: str | None = None
) -> QuerySet[Any]:
    """The rows a report figure summed (the drill-down), newest first."""
    model = REPORT_ROW_FIGURES.get(figure)
    if model is None:
        raise InvalidInput(
            _("Unknown figure %(figure)s.") % {"figure": repr(figure)},
            fields={
                "figure": [_("One of %(report_row_figures)s.") % {"report_row_figures": sorted(REPORT_ROW_FIGURES)}]
            },
        )
    where = report_row_filters(period=period)[figure] & _report_where(scope, division_code, "reach__division__code")
    if model == "patrols":
        return Patrol.objects.filter(where).select_related("chief", "reach").defer(*_HEAVY).order_by("-started_at")
    if category:
        where &= Q(category=category)
    if model == "cases":
        return Case.objects.filter(where).select_related("reach").order_by("-found_at", "id")
    return LitterRemoval.objects.filter(where).select_related("reach").order_by("-removed_on", "id")


def _patrol_sums() -> dict[str, Any]:
    from django.db.models import Count, Sum

    return {
        "patrols": Count("id"),
        "person_times": Sum("person_times"),
        "distance_m": Sum("distance_m"),
        "valid": Count("id", filter=Q(valid=True) & ~Q(review_status=ReviewStatus.REJECTED)),
        "flagged": Count("id", filter=~Q(review_status=ReviewStatus.NOT_REQUIRED)),
        "flagged_pending": Count("id", filter=Q(review_status=ReviewStatus.PENDING)),
        "flagged_rejected": Count("id", filter=Q(review_status=ReviewStatus.REJECTED)),
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


def patrol_report(*, scope: Scope, period: Period, division_code: str | None = None) -> dict[str, Any]:
    """Patrol effort, cases and litter of `period` inside the caller's jurisdiction (and
    `division_code`): plain numbers (km to the metre, tonnes to the kilogram). Eight queries.

    person_times counts each patrol's people once (chief + companions); km is the server-measured
    geodesic distance, never multiplied by them; both over completed patrols started in the period.
    """
    from decimal import Decimal

    from django.db.models import Count, Sum

    from patrols.choices import CaseCategory, CaseStatus

    f = report_row_filters(period=period)
    where = _report_where(scope, division_code, "reach__division__code")
    patrols = Patrol.objects.filter(where & f["patrols"]).order_by()
    total = _effort(patrols.aggregate(**_patrol_sums()))
    by_level = {lvl: _effort(dict.fromkeys(_patrol_sums(), 0)) for lvl in ChiefLevel.values}
    for row in patrols.values("level").annotate(**_patrol_sums()):
        by_level[row["level"]] = _effort(row)
    by_division = [
        {"code": row["reach__division__code"], "name": row["reach__division__name"], **_effort(row)}
        for row in patrols.values("reach__division__code", "reach__division__name")
        .annotate(**_patrol_sums())
        .order_by("reach__division__code")
    ]

    cases = Case.objects.filter(where).order_by()
    categories = {
        c: {"found": 0, "cleared_on_spot": 0, "closed": 0, "closed_of_found": 0, "overdue": 0} for c in CaseCategory
    }
    for row in (
        cases.filter(f["cases_found"])
        .values("category")
        .annotate(
            found=Count("id"),
            cleared_on_spot=Count("id", filter=Q(closed_via="on_spot")),
            closed_of_found=Count("id", filter=Q(closed_at__lt=period.end)),
        )
    ):
        categories[row["category"]].update(
            found=row["found"], cleared_on_spot=row["cleared_on_spot"], closed_of_found=row["closed_of_found"]
        )
    for key in ("cases_closed", "cases_overdue"):
        for row in cases.filter(f[key]).values("category").annotate(n=Count("id")):
            categories[row["category"]][key.removeprefix("cases_")] = row["n"]
    # Present state of the cases found in the period (the chart of cases by category and state).
    by_state: dict[str, dict[str, int]] = {c: dict.fromkeys(CaseStatus.values, 0) for c in CaseCategory.values}
    for row in cases.filter(f["cases_found"]).values("category", "status").annotate(n=Count("id")):
        by_state[row["category"]][row["status"]] = row["n"]
    tonnes = LitterRemoval.objects.filter(where & f["litter"]).aggregate(t=Sum("tonnes"), n=Count("id"))

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
        "cases_by_category": categories,
        "cases_by_state": by_state,
    }


def compliance_report(*, scope: Scope, period: Period, division_code: str | None = None) -> dict[str, Any]:
    """Frequency compliance summed over the chiefs appointed inside the jurisdiction (a chief reads
    their division's, as for the other report figures): required, done, valid and missing patrols, and
    the share of the required patrols that were made (valid ones, capped per period by `compliance`)."""
    agg = _report_scope(scope)
    if not agg.everything and agg.role == Role.CHIEF:
        agg = Scope(user_id=agg.user_id, role=Role.REVIEWER, prefix=agg.prefix)
    rows = compliance(
        scope=agg, start=period.first_date, end=period.last_date, division=division_code or None, detail=False
    )
    required = sum(r.required for r in rows)
    missing = sum(r.missing for r in rows)
    by_level: dict[str, dict[str, int]] = {}
    for r in rows:
        lvl = by_level.setdefault(r.level, {"chiefs": 0, "compliant_chiefs": 0, "required": 0, "missing": 0})
        lvl["chiefs"] += 1
        lvl["compliant_chiefs"] += int(r.compliant)
        lvl["required"] += r.required
        lvl["missing"] += r.missing
    return {
        "chiefs": len(rows),
        "compliant_chiefs": sum(1 for r in rows if r.compliant),
        "required": required,
        "done": sum(r.done for r in rows),
        "valid": sum(r.valid for r in rows),
        "missing": missing,
        "rate": ((required - missing) / required) if required else None,
        "by_level": by_level,
    }

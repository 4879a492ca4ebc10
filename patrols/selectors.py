"""Reads of the patrols app, each narrowed to the caller's scope (SPEC §4).

Who sees what:

* admin: everything;
* reviewer: rows on reaches and lakes inside their jurisdiction (division-code prefix);
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
from places.models import ChiefAssignment, Lake, Reach
from places.selectors import (
    assignment_list,
    filterable_lakes,
    filterable_reaches,
    lake_list,
    lakes_of_chief,
    reach_list,
    reaches_of_chief,
    site_filter_check,
)

_HEAVY = ("raw_track", "raw_times_ms", "dropped_points", "part_starts")


def _today() -> dt.date:
    return timezone.now().astimezone(BEIJING).date()


def _is_chief(scope: Scope) -> bool:
    return scope.role == Role.CHIEF and not scope.everything


def site_division_q(scope: Scope, prefix: str = "") -> Q:
    """Rows (patrols, cases, litter; ``prefix`` the path to them, e.g. ``case__``) whose reach or lake
    lies in the scope's jurisdiction: a row sits on exactly one of them."""
    return scope.q(f"{prefix}reach__division__code") | scope.q(f"{prefix}lake__division__code")


def site_within_division(prefix_code: str, prefix: str = "") -> Q:
    """Rows whose reach or lake lies inside the division whose significant prefix is given."""
    return Q(**{f"{prefix}reach__division__code__startswith": prefix_code}) | Q(
        **{f"{prefix}lake__division__code__startswith": prefix_code}
    )


def _chief_q(scope: Scope, own_field: str) -> Q:
    """What a chief reads (SPEC §4: "own patrols and cases; reaches assigned to them; read their
    division"): their own rows, every row on a reach or lake they are appointed to today, and every
    row in their jurisdiction (a district chief follows the township and village chiefs of the
    district). What a chief may act on is narrower: their own rows only (``*_writable``)."""
    today = _today()
    reaches = reaches_of_chief(chief_id=scope.user_id or 0, on=today).values("pk")
    lakes = lakes_of_chief(chief_id=scope.user_id or 0, on=today).values("pk")
    q = Q(**{own_field: scope.user_id}) | Q(reach_id__in=reaches) | Q(lake_id__in=lakes)
    if scope.prefix:
        q |= site_division_q(scope)
    return q


def _scoped(qs: QuerySet[Any], scope: Scope, own_field: str) -> QuerySet[Any]:
    if scope.everything:
        return qs
    if _is_chief(scope):
        return qs.filter(_chief_q(scope, own_field))
    if scope.role not in (Role.REVIEWER,) or not scope.prefix:
        return qs.none()
    return qs.filter(site_division_q(scope))


# --------------------------------------------------------------------------- patrols


def patrol_list(*, scope: Scope) -> QuerySet[Patrol]:
    """Patrols the caller may read, without the per-point columns (the preview is kept for maps)."""
    qs = Patrol.objects.select_related("chief", "reach", "reach__division", "lake", "lake__division").defer(*_HEAVY)
    return _scoped(qs, scope, "chief_id")


def patrol_detail(*, scope: Scope) -> QuerySet[Patrol]:
    """Patrols the caller may read, with the full tracks."""
    return _scoped(
        Patrol.objects.select_related("chief", "reach", "reach__division", "lake", "lake__division"), scope, "chief_id"
    )


def patrol_writable(*, scope: Scope) -> QuerySet[Patrol]:
    """Patrols the caller may act on: a chief their own; staff those in their jurisdiction."""
    qs = Patrol.objects.select_related("reach", "reach__division", "lake", "lake__division")
    if _is_chief(scope):
        return qs.filter(chief_id=scope.user_id)
    return _scoped(qs, scope, "chief_id")


# --------------------------------------------------------------------------- cases, photos, rechecks


def case_list(*, scope: Scope) -> QuerySet[Case]:
    return _scoped(
        Case.objects.select_related("reporter", "reach", "reach__division", "lake", "lake__division"),
        scope,
        "reporter_id",
    )


def case_writable(*, scope: Scope) -> QuerySet[Case]:
    """Cases the caller may act on: a chief only the cases they reported (another chief's case is a
    404); staff the cases in their jurisdiction."""
    qs = Case.objects.select_related("reporter", "reach", "reach__division", "lake", "lake__division")
    if _is_chief(scope):
        return qs.filter(reporter_id=scope.user_id)
    return _scoped(qs, scope, "reporter_id")


def recheck_list(*, scope: Scope) -> QuerySet[CaseRecheck]:
    qs = CaseRecheck.objects.select_related("case", "case__reach", "case__lake", "sampled_by", "checked_by")
    if scope.everything:
        return qs
    if scope.role != Role.REVIEWER or not scope.prefix:
        return qs.none()
    return qs.filter(site_division_q(scope, "case__"))


# --------------------------------------------------------------------------- litter


def litter_list(*, scope: Scope) -> QuerySet[LitterRemoval]:
    return _scoped(
        LitterRemoval.objects.select_related("reach", "reach__division", "lake", "lake__division", "recorded_by"),
        scope,
        "recorded_by_id",
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


def lake_for_write(*, scope: Scope, lake_id: int, on: dt.date | None = None) -> Lake:
    """The lake a write names, as ``reach_for_write``: for a chief one appointed to them (on `on`,
    default today); for staff one in their jurisdiction. Otherwise a 400 naming `lake`."""
    if _is_chief(scope):
        found = (
            lakes_of_chief(chief_id=scope.user_id or 0, on=on or _today())
            .select_related("division")
            .filter(pk=lake_id)
            .first()
        )
    else:
        found = lake_list(scope=scope).filter(pk=lake_id).first()
    if found is None:
        raise InvalidInput(
            _("No lake or reservoir %(lake_id)s you may record on.") % {"lake_id": lake_id},
            fields={"lake": [_("No such lake or reservoir in your scope.")]},
        )
    return found


def site_for_write(
    *, scope: Scope, reach_id: int | None, lake_id: int | None, on: dt.date | None = None
) -> tuple[Reach | None, Lake | None]:
    """The reach or the lake a write names (exactly one: both or neither is a 400 naming the
    member), each as ``reach_for_write`` / ``lake_for_write``."""
    if reach_id is not None and lake_id is not None:
        raise InvalidInput(
            _("Give a reach or a lake, not both."), fields={"lake": [_("Give a reach or a lake, not both.")]}
        )
    if lake_id is not None:
        return None, lake_for_write(scope=scope, lake_id=lake_id, on=on)
    if reach_id is None:
        raise InvalidInput(_("Give a reach or a lake."), fields={"reach": [_("Give a reach or a lake.")]})
    return reach_for_write(scope=scope, reach_id=reach_id, on=on), None


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


@dataclass(frozen=True, slots=True)
class RuleTerm:
    """One frequency rule a chief is held to, as figures (the pages word it in the reader's language;
    ComplianceRow.rule is the API's English text of the same terms): at least `required_count` patrols
    a `period` (FrequencyPeriod) in the months `season_start_month`–`season_end_month`."""

    required_count: int
    period: str
    season_start_month: int
    season_end_month: int


@dataclass(slots=True)
class ComplianceRow:
    """One chief at one level over the asked dates."""

    chief_id: int
    chief_username: str
    chief_name: str
    level: str
    jurisdiction: str
    rule: str
    # Which water the chief is appointed to at the level (issue 19): "rivers" (reaches only), "lakes"
    # (lakes and reservoirs only) or "rivers_and_lakes" (both: owed once, so counted on neither side).
    water: str = "rivers"
    periods: int = 0
    required: int = 0
    done: int = 0  # 巡河次数: the chief's completed patrols in the counted periods
    person_times: int = 0  # 巡河人次: the people on those patrols (the chief and each companion)
    valid: int = 0
    missing: int = 0
    detail: list[dict[str, Any]] = field(default_factory=list)
    terms: list[RuleTerm] = field(default_factory=list)

    @property
    def compliant(self) -> bool:
        return self.missing == 0


def _rules_for(rules: list[PatrolFrequencyRule], level: str, codes: set[str]) -> list[PatrolFrequencyRule]:
    """The rules of the most specific jurisdiction that contains one of the chief's reaches or lakes."""
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
    reach_id: int | None = None,
    lake_id: int | None = None,
) -> list[ComplianceRow]:
    """Patrol frequency per chief and level over [start, end] (Beijing dates): for each period of the
    level's rule that starts in the window, falls in the rule's season and finds the chief in office
    on its first day, the required count, the patrols done (巡河次数) and the people on them (巡河人次:
    the chief and each companion), the valid ones (passing the validity rules and not rejected on
    review) and the shortfall. ``missing`` sums the shortfall period by period, so
    three patrols in one week do not make up for a missed week.

    Four queries whatever the number of chiefs: appointments, rules, patrols, and nothing per row.
    """
    current = Q(valid_from__lte=end) & (Q(valid_until__isnull=True) | Q(valid_until__gte=start))
    related = ("chief", "reach__division", "lake__division")
    # Lake and reservoir chiefs (湖长) are held to the same frequency rules as river chiefs: their
    # level's rules of the most specific jurisdiction containing their lake; their patrols on the
    # lake count, as every completed patrol of the chief at the level does.
    assignments = assignment_list(scope=scope).filter(current).select_related(*related)
    if _is_chief(scope):
        # A chief: their own appointments and those of the chiefs in their jurisdiction.
        visible = Q(chief_id=scope.user_id)
        if scope.prefix:
            visible |= site_division_q(scope)
        assignments = ChiefAssignment.objects.select_related(*related).filter(visible, current)
    elif not scope.everything and scope.role != Role.REVIEWER:
        return []
    if chief_id is not None:
        assignments = assignments.filter(chief_id=chief_id)
    if level is not None:
        assignments = assignments.filter(level=level)
    if division:
        assignments = assignments.filter(site_within_division(division_prefix(division)))
    on_site: set[tuple[int, str]] | None = None
    if reach_id is not None or lake_id is not None:
        # The chiefs (at the level) appointed to that reach or lake in the window; each row still
        # counts the chief's patrols at the level wherever they were made (frequency is owed by the
        # chief, not by the reach).
        site_filter_check(scope=scope, reach_id=reach_id, lake_id=lake_id)
        site = ChiefAssignment.objects.filter(current)
        site = site.filter(reach_id=reach_id) if reach_id is not None else site
        site = site.filter(lake_id=lake_id) if lake_id is not None else site
        on_site = set(site.values_list("chief_id", "level"))

    groups: dict[tuple[int, str], list[ChiefAssignment]] = defaultdict(list)
    for a in assignments:
        if on_site is None or (a.chief_id, a.level) in on_site:
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
    patrols: dict[tuple[int, str], list[tuple[dt.datetime, bool, int]]] = defaultdict(list)
    for chief, lvl, started, valid, review, people in Patrol.objects.filter(
        chief_id__in={c for c, __ in groups},
        status=PatrolStatus.COMPLETED,
        started_at__gte=window_start,
        started_at__lt=window_end,
    ).values_list("chief_id", "level", "started_at", "valid", "review_status", "person_times"):
        patrols[(chief, lvl)].append((started, bool(valid) and review != ReviewStatus.REJECTED, people))

    units: dict[str, list[Period]] = {}  # the periods of each kind in the window, the same for every chief
    rows = []
    for (chief, lvl), group in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        user = group[0].chief
        codes = {a.reach.division.code for a in group if a.reach is not None}
        codes |= {a.lake.division.code for a in group if a.lake is not None}
        applicable = _rules_for(rules, lvl, codes)
        on_reach, on_lake = any(a.reach is not None for a in group), any(a.lake is not None for a in group)
        row = ComplianceRow(
            water="rivers_and_lakes" if on_reach and on_lake else "lakes" if on_lake else "rivers",
            chief_id=chief,
            chief_username=user.username,
            chief_name=user.display_name,
            level=lvl,
            jurisdiction=applicable[0].jurisdiction if applicable else "",
            rule="; ".join(
                f"≥{r.required_count}/{r.period} (months {r.season_start_month}–{r.season_end_month})"
                for r in applicable
            ),
            terms=[RuleTerm(r.required_count, r.period, r.season_start_month, r.season_end_month) for r in applicable],
        )
        mine = sorted(patrols.get((chief, lvl), []))
        times = [p[0] for p in mine]
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
                in_unit = mine[bisect_left(times, unit.start) : bisect_left(times, unit.end)]
                done = [p[1] for p in in_unit]
                people = sum(p[2] for p in in_unit)
                valid_count = sum(done)
                shortfall = max(0, rule.required_count - valid_count)
                row.periods += 1
                row.required += rule.required_count
                row.done += len(done)
                row.person_times += people
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
                            "person_times": people,
                            "valid": valid_count,
                            "missing": shortfall,
                        }
                    )
        rows.append(row)
    return rows


__all__ = [
    "ComplianceRow",
    "ReachChiefs",
    "case_list",
    "case_writable",
    "compliance",
    "filterable_lakes",
    "filterable_reaches",
    "frequency_rule_list",
    "lake_for_write",
    "litter_list",
    "patrol_detail",
    "patrol_list",
    "patrol_writable",
    "reach_chiefs",
    "reach_for_write",
    "recheck_list",
    "site_division_q",
    "site_filter_check",
    "site_for_write",
    "site_within_division",
    "sub_periods",
    "validity_rule_list",
]

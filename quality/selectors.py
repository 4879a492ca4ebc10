"""Reads of the quality app, each narrowed to the caller's scope.

`quality_summary(*, scope, period, division_code=None)` is the entry point the reports module reads:
per category (rivers, lakes, drinking_sources) the good-water share as an exact fraction and as a
Decimal, the counts by class group and by class, the qualitative status, and the evaluation of each
section (class, main pollutants, compliance). Classes are computed on read from the stored results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Round
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core.divisions import division_prefix, is_division_code
from core.exceptions import InvalidInput, NotFound
from core.periods import Period, split
from places.models import Division
from quality import conf, evaluation, gb3838
from quality.choices import CATEGORY_KEYS, SectionCategory, WaterBody
from quality.evaluation import MonthGroup, SectionPeriod, Shares
from quality.models import Measurement, Sample, Section, SectionExclusion


def section_list(*, scope: Scope) -> QuerySet[Section]:
    """Sections whose division lies in the caller's jurisdiction."""
    qs = Section.objects.select_related("division", "reach", "reach__river", "lake")
    return scope.filter(qs, "division__code")


def exclusion_list(*, scope: Scope) -> QuerySet[SectionExclusion]:
    """Exclusions from the statistics of sections in the caller's jurisdiction."""
    return scope.filter(SectionExclusion.objects.select_related("section"), "section__division__code")


def exclusions_in(*, section_ids: Sequence[int], period: Period) -> dict[int, list[SectionExclusion]]:
    """The exclusions of these sections that overlap the period, by section: one query."""
    first, last = period.first_date.replace(day=1), period.last_date.replace(day=1)
    out: dict[int, list[SectionExclusion]] = {}
    rows = SectionExclusion.objects.filter(
        section_id__in=section_ids, first_month__lte=last, last_month__gte=first
    ).order_by("section_id", "first_month")
    for e in rows:
        out.setdefault(e.section_id, []).append(e)
    return out


def sample_list(*, scope: Scope) -> QuerySet[Sample]:
    """Samples at sections in the caller's jurisdiction, with their results."""
    qs = Sample.objects.select_related("section", "section__division").prefetch_related("measurements")
    return scope.filter(qs, "section__division__code")


# Results are stored with 8 decimals; summing them scaled to integers is exact on both backends.
# SQLite keeps DECIMAL columns as REAL, whose SUM is exact only while the total fits in about 15
# significant digits (a year of hourly coliform counts does not), and a half-even tie must not drift.
_SCALE = 10**8


def _exact_sum(field_name: str) -> Sum:
    scaled = ExpressionWrapper(
        F(field_name) * Value(_SCALE), output_field=DecimalField(max_digits=30, decimal_places=0)
    )
    return Sum(Cast(Round(scaled), output_field=BigIntegerField()))


def month_groups(*, section_ids: Sequence[int], period: Period) -> tuple[list[MonthGroup], dict[int, int]]:
    """Results at these sections in [period.start, period.end), summed per section, Beijing month,
    item and source in the database (an automatic station's 2,000 records a year become 12 rows),
    and the number of samples per section: two queries."""
    in_period = {
        "sample__section_id__in": section_ids,
        "sample__sampled_at__gte": period.start,
        "sample__sampled_at__lt": period.end,
    }
    # Beijing months as a CASE over their UTC edges: plain comparisons on the indexed column, the same
    # on both backends (SQLite's TruncMonth calls back into Python for every row).
    months = list(split(period, "month"))
    month_of = Case(
        *[When(sample__sampled_at__lt=m.end, then=Value(n)) for n, m in enumerate(months)],
        output_field=IntegerField(),
    )
    rows = (
        Measurement.objects.filter(**in_period)
        .annotate(month=month_of)
        .values("sample__section_id", "month", "item", "sample__source")
        .annotate(
            n=Count("id"),
            nd=Count("id", filter=Q(below_detection_limit=True)),
            values=_exact_sum("value"),
            limits=_exact_sum("detection_limit"),
        )
        .order_by()
    )
    groups = [
        MonthGroup(
            section_id=row["sample__section_id"],
            month=months[row["month"]].label,
            item=row["item"],
            source=row["sample__source"],
            count=row["n"],
            non_detects=row["nd"],
            total=(Decimal(row["values"] or 0) + Decimal(row["limits"] or 0) / 2).scaleb(-8),
        )
        for row in rows
    ]
    samples = dict(
        Sample.objects.filter(section_id__in=section_ids, sampled_at__gte=period.start, sampled_at__lt=period.end)
        .values("section_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("section_id", "n")
    )
    return groups, samples


# --------------------------------------------------------------------------- evaluation results


def item_dict(result: gb3838.ItemResult, period_item: evaluation.ItemPeriod | None) -> dict[str, Any]:
    item = result.item
    exceed = result.exceedance_iii
    return {
        "item": item.code,
        "key": item.key,
        "name": item.label,
        "unit": str(item.unit),
        "role": str(item.role),
        "value": result.value,
        "rounded": result.rounded,
        "decimals": result.decimals,
        "class": result.cls,
        "class_label": gb3838.class_label(result.cls),
        "counted": result.counted,
        "limits": list(result.limits) if result.limits else None,
        "exceedance_multiple": None if exceed is None else gb3838.display_round(exceed, 2),
        "within_limit": result.within_limit,
        "months": period_item.months if period_item else None,
        "results": period_item.results if period_item else None,
        "non_detects": period_item.non_detects if period_item else None,
        "sources": list(period_item.sources) if period_item else None,
    }


def main_pollutant_dict(result: gb3838.ItemResult) -> dict[str, Any]:
    exceed = result.exceedance_iii
    return {
        "item": result.item.code,
        "key": result.item.key,
        "name": result.item.label,
        "class": result.cls,
        "class_label": gb3838.class_label(result.cls),
        "exceedance_multiple": None if exceed is None else gb3838.display_round(exceed, 2),
    }


def classification_dict(c: gb3838.Classification, *, target_class: int | None = None) -> dict[str, Any]:
    """A classification as the API shows it (also used by POST /classify/)."""
    compliance = c.compliance(target_class) if target_class is not None else None
    return {
        "class": c.cls,
        "class_label": c.label,
        "description": c.description,
        "status": c.status,
        "good": c.good,
        "main_pollutants": [main_pollutant_dict(r) for r in c.main_pollutants],
        "missing_items": list(c.missing),
        "compliance": None
        if compliance is None
        else {
            "target_class": compliance.target,
            "compliant": compliance.compliant,
            "failing": [
                {**main_pollutant_dict(r), "exceedance_over_target": None if m is None else gb3838.display_round(m, 2)}
                for r, m in compliance.failing
            ],
        },
        "drinking_source_ok": c.drinking_source_ok,
    }


@dataclass(frozen=True, slots=True)
class SectionEvaluation:
    """A section over a period: its period means and the classification of them."""

    section: Section
    period: Period
    means: SectionPeriod | None
    classification: gb3838.Classification | None
    # The exclusions overlapping the period, and the period's months they left out ("2024-07").
    exclusions: tuple[SectionExclusion, ...] = ()
    excluded_months: tuple[str, ...] = ()

    @property
    def wholly_excluded(self) -> bool:
        """Every month of the period was left out: the section is not in the period's statistics."""
        return bool(self.excluded_months) and len(self.excluded_months) == len(list(split(self.period, "month")))

    def exclusions_dict(self) -> list[dict[str, Any]]:
        return [
            {"first_month": e.months()[0], "last_month": e.months()[1], "reason": e.reason} for e in self.exclusions
        ]

    @property
    def evaluated(self) -> bool:
        return self.classification is not None and self.classification.cls is not None

    @property
    def cls(self) -> int | None:
        return self.classification.cls if self.classification else None

    @property
    def good(self) -> bool:
        """Counts as good in its category: classes I–III; for a drinking-water source, class III or
        better and every measured Table-2 item within its limit."""
        if self.classification is None or not self.evaluated:
            return False
        if self.section.category == SectionCategory.DRINKING_SOURCE:
            return self.classification.drinking_source_ok
        return self.classification.good

    @property
    def compliant(self) -> bool | None:
        if not self.evaluated or self.classification is None:
            return None
        compliance = self.classification.compliance(self.section.target_class)
        return None if compliance is None else compliance.compliant

    def to_dict(self, *, items: bool = False) -> dict[str, Any]:
        s = self.section
        out: dict[str, Any] = {
            "id": s.pk,
            "code": s.code,
            "name": s.name,
            "category": s.category,
            "water_body": s.water_body,
            "reach": s.reach.code if s.reach else None,
            "river": s.reach.river.code if s.reach else None,
            "lake": s.lake.code if s.lake else None,
            "division": s.division.code,
            "target_class": s.target_class,
            "counts_in_statistics": s.counts_in_statistics,
            "evaluated": self.evaluated,
            "samples": self.means.samples if self.means else 0,
            "months": list(self.means.months) if self.means else [],
            "good": self.good,
            "compliant": self.compliant,
            "excluded_months": list(self.excluded_months),
            "exclusions": self.exclusions_dict(),
        }
        if self.classification is None:
            out.update({"class": None, "class_label": None, "description": None, "main_pollutants": []})
        else:
            out.update(classification_dict(self.classification, target_class=s.target_class))
            if items:
                detail = self.means.items if self.means else {}
                out["items"] = [item_dict(r, detail.get(r.item.code)) for r in self.classification.items]
        return out


def evaluate_sections(*, sections: Sequence[Section], period: Period) -> list[SectionEvaluation]:
    """Evaluate sections over a period with one query for all their results."""
    if not sections:
        return []
    options = conf.classifier_options()
    ids = [s.pk for s in sections]
    groups, samples = month_groups(section_ids=ids, period=period)
    # Months left out with a reason (SectionExclusion): their results are not used.
    exclusions = exclusions_in(section_ids=ids, period=period)
    months = [m.label for m in split(period, "month")]
    left_out = {
        sid: tuple(m for m in months if any(f"{e.first_month:%Y-%m}" <= m <= f"{e.last_month:%Y-%m}" for e in rows))
        for sid, rows in exclusions.items()
    }
    if left_out:
        groups = [g for g in groups if g.month not in left_out.get(g.section_id, ())]
    means = evaluation.period_means(groups, automatic_priority=conf.automatic_priority_items(), samples=samples)
    out = []
    for section in sections:
        m = means.get(section.pk)
        classification = gb3838.classify(m.values, body=section.water_body, options=options) if m else None
        out.append(
            SectionEvaluation(
                section,
                period,
                m,
                classification,
                exclusions=tuple(exclusions.get(section.pk, ())),
                excluded_months=left_out.get(section.pk, ()),
            )
        )
    return out


def section_evaluation(*, section: Section, period: Period) -> SectionEvaluation:
    return evaluate_sections(sections=[section], period=period)[0]


def section_months(*, section: Section, period: Period) -> list[SectionEvaluation]:
    """The section evaluated over each Beijing month of `period` (a class history), from one read of
    its results and one count of its samples (a fixed few queries, not two per month). Each month's evaluation
    is the one `section_evaluation` gives for that month."""
    months = list(split(period, "month"))
    groups, _samples = month_groups(section_ids=[section.pk], period=period)
    month_of = Case(
        *[When(sampled_at__lt=m.end, then=Value(n)) for n, m in enumerate(months)],
        output_field=IntegerField(),
    )
    samples = dict(
        Sample.objects.filter(section_id=section.pk, sampled_at__gte=period.start, sampled_at__lt=period.end)
        .annotate(month=month_of)
        .values("month")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("month", "n")
    )
    options = conf.classifier_options()
    priority = conf.automatic_priority_items()
    out = []
    for n, month in enumerate(months):
        mine = [g for g in groups if g.month == month.label]
        m = evaluation.period_means(mine, automatic_priority=priority, samples={section.pk: samples.get(n, 0)})
        means = m.get(section.pk)
        classification = gb3838.classify(means.values, body=section.water_body, options=options) if means else None
        out.append(SectionEvaluation(section, month, means, classification))
    return out


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True, slots=True)
class CategorySummary:
    """One category's figures for a period. `good_fraction` is exact: compare it, or the counts, and
    never `good_percent` (display only, rounded half-up)."""

    key: str
    category: str
    sections: tuple[SectionEvaluation, ...]  # evaluated sections
    not_evaluated: tuple[Section, ...]  # counted sections without results in the period
    shares: Shares
    good: int
    status: str | None
    status_method: str | None
    display_decimals: int = 2
    # Sections left out of the period's statistics with a stated reason (every month excluded).
    excluded: tuple[SectionEvaluation, ...] = ()

    @property
    def evaluated(self) -> int:
        return self.shares.evaluated

    @property
    def good_fraction(self) -> Fraction | None:
        return Fraction(self.good, self.evaluated) if self.evaluated else None

    @property
    def good_ratio(self) -> Decimal | None:
        """The good-water share as a fraction 0–1 (SPEC: ratios as fractions)."""
        return evaluation.as_decimal(self.good_fraction)

    @property
    def good_percent(self) -> str | None:
        return evaluation.percent_display(self.good_fraction, self.display_decimals)

    def to_dict(self) -> dict[str, Any]:
        groups = self.shares.groups
        ratios = {g: evaluation.as_decimal(self.shares.ratio(g)) for g in evaluation.GROUPS}
        return {
            "category": self.category,
            "evaluated": self.evaluated,
            "good": self.good,
            "good_ratio": self.good_ratio,
            "good_percent": self.good_percent,
            "counts": groups,
            "ratios": ratios,
            "percents": {
                g: evaluation.percent_display(self.shares.ratio(g), self.display_decimals) for g in evaluation.GROUPS
            },
            "by_class": {gb3838.CLASS_LABELS_EN[c]: n for c, n in self.shares.by_class.items()},
            "status": self.status,
            "status_zh": evaluation.STATUS_ZH.get(self.status or ""),
            "status_method": self.status_method,
            "sections": [e.to_dict() for e in self.sections],
            "not_evaluated": [{"id": s.pk, "code": s.code, "name": s.name} for s in self.not_evaluated],
            "excluded": [
                {"id": e.section.pk, "code": e.section.code, "name": e.section.name, "exclusions": e.exclusions_dict()}
                for e in self.excluded
            ],
        }


@dataclass(frozen=True, slots=True)
class QualitySummary:
    """The good-water shares of a period (and division) per category."""

    period: Period
    division_code: str | None
    categories: dict[str, CategorySummary] = field(default_factory=dict)

    @property
    def rivers(self) -> CategorySummary:
        return self.categories["rivers"]

    @property
    def lakes(self) -> CategorySummary:
        return self.categories["lakes"]

    @property
    def drinking_sources(self) -> CategorySummary:
        return self.categories["drinking_sources"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": {
                "start": self.period.first_date,
                "end": self.period.last_date,
                "label": self.period.label,
            },
            "division": self.division_code,
            **{key: c.to_dict() for key, c in self.categories.items()},
        }


def _category_status(
    category: str, evaluated: Sequence[SectionEvaluation], shares: Shares, options: gb3838.Options
) -> tuple[str | None, str | None]:
    if category == SectionCategory.DRINKING_SOURCE or not evaluated:
        return None, None  # sources are judged by compliance, not by a status
    if shares.evaluated >= conf.share_method_min_sections():
        return evaluation.share_status(shares, conf.status_thresholds()), "section_share"
    body = WaterBody.LAKE if category == SectionCategory.LAKE else WaterBody.RIVER
    c = evaluation.mean_concentration_classification(
        [e.means.values for e in evaluated if e.means], body=body, options=options
    )
    return (c.status if c else None), "mean_concentration"


def resolve_division(*, scope: Scope, division_code: str | None) -> str | None:
    """A division filter: a malformed code is a 400; an unknown one or one outside the caller's
    jurisdiction a 404 (both look the same)."""
    if division_code is None:
        return None
    if not is_division_code(division_code):
        raise InvalidInput(_("Not a division code."), fields={"division": [_("A 6-, 9- or 12-digit GB/T 2260 code.")]})
    if not scope.covers_code(division_code) or not Division.objects.filter(code=division_code).exists():
        raise NotFound(_("No division %(division_code)s in your jurisdiction.") % {"division_code": division_code})
    return division_code


def quality_summary(
    *,
    scope: Scope,
    period: Period,
    division_code: str | None = None,
    reach_id: int | None = None,
    lake_id: int | None = None,
) -> QualitySummary:
    """Good-water shares per category (rivers, lakes, drinking_sources) over `period`, for the
    sections in the caller's scope that count in statistics, inside `division_code` when given, and
    only those on one reach or lake when `reach_id`/`lake_id` is given (a report of that reach or lake).
    Four queries (sections, results by month, sample counts, exclusions) whatever the number of sections."""
    code = resolve_division(scope=scope, division_code=division_code)
    qs = section_list(scope=scope).filter(counts_in_statistics=True)
    if code:
        qs = qs.filter(division__code__startswith=division_prefix(code))
    if reach_id is not None:
        qs = qs.filter(reach_id=reach_id)
    if lake_id is not None:
        qs = qs.filter(lake_id=lake_id)
    evaluations = evaluate_sections(sections=list(qs), period=period)
    options = conf.classifier_options()
    decimals = conf.share_display_decimals()
    summary = QualitySummary(period=period, division_code=code)
    for category, key in CATEGORY_KEYS.items():
        mine = [e for e in evaluations if e.section.category == category]
        excluded = tuple(e for e in mine if e.wholly_excluded)
        mine = [e for e in mine if not e.wholly_excluded]
        done = tuple(e for e in mine if e.evaluated)
        shares = Shares.of(e.cls for e in done if e.cls is not None)
        status, method = _category_status(category, done, shares, options)
        summary.categories[key] = CategorySummary(
            key=key,
            category=str(category),
            sections=done,
            not_evaluated=tuple(e.section for e in mine if not e.evaluated),
            shares=shares,
            good=sum(1 for e in done if e.good),
            status=status,
            status_method=method,
            display_decimals=decimals,
            excluded=excluded,
        )
    return summary

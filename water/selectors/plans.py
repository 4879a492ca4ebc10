"""Reads of water plans, their versions and allocations."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core.exceptions import NotFound
from water.models import (
    PlanAllocation,
    PlanVersion,
    WaterPlan,
)
from water.selectors.intakes import intake_scope_q
from water.selectors.plan_common import ZERO
from water.selectors.plan_scope import region_q

# ------------------------------------------------------------------------------------------- plans


def plan_list(*, scope: Scope) -> QuerySet[WaterPlan]:
    return WaterPlan.objects.filter(region_q(scope)).select_related("division")


def plan_get(*, scope: Scope, plan_id: int) -> WaterPlan:
    plan = plan_list(scope=scope).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("No such plan."))
    return plan


def plan_version_at(*, plan: WaterPlan, at: dt.datetime | None = None) -> PlanVersion | None:
    """The version in force at `at` (now when None): the last one created at or before it."""
    qs = PlanVersion.objects.filter(plan=plan)
    if at is not None:
        qs = qs.filter(created_at__lte=at)
    return qs.order_by("-number").first()


def plan_version_for(
    *, plan: WaterPlan, at: dt.datetime | None = None, version: int | None = None
) -> PlanVersion | None:
    """Version number `version`, or the one in force at `at`, or the current one."""
    if version is not None:
        return PlanVersion.objects.filter(plan=plan, number=version).first()
    if at is not None:
        return plan_version_at(plan=plan, at=at)
    return PlanVersion.objects.filter(plan=plan, number=plan.version).first()


def plan_allocations(
    *, scope: Scope, plan: WaterPlan, at: dt.datetime | None = None, version: int | None = None
) -> QuerySet[PlanAllocation]:
    """The plan's lines in force at `at` (or of version `version`; the current ones by default), of
    the intakes in the caller's scope."""
    ver = plan_version_for(plan=plan, at=at, version=version)
    if ver is None:
        return PlanAllocation.objects.none()
    return (
        PlanAllocation.objects.filter(intake_scope_q(scope, "intake__"), version=ver)
        .select_related("intake")
        .order_by("intake__code", "month", "use")
    )


def plan_history(*, scope: Scope, plan: WaterPlan) -> list[dict[str, Any]]:
    """Every version of a plan with who, when, why, and what it changed against the one before (the
    lines of the caller's intakes only). Two queries."""
    versions = list(PlanVersion.objects.filter(plan=plan).order_by("number"))
    by_version: dict[int, dict[tuple[int, int, str], tuple[str, Decimal]]] = defaultdict(dict)
    for number, iid, code, month, use, volume in PlanAllocation.objects.filter(
        intake_scope_q(scope, "intake__"), version__plan=plan
    ).values_list("version__number", "intake_id", "intake__code", "month", "use", "volume_m3"):
        by_version[number][(iid, month, use)] = (code, volume)
    out: list[dict[str, Any]] = []
    prev: dict[tuple[int, int, str], tuple[str, Decimal]] = {}
    for ver in versions:
        cur = by_version.get(ver.number, {})
        changes = []
        if ver.number > 1:
            for key in sorted(set(prev) | set(cur)):
                was, now = prev.get(key), cur.get(key)
                if (was and was[1]) != (now and now[1]):
                    changes.append(
                        {
                            "intake": key[0],
                            "code": (now or was or ("", ZERO))[0],
                            "month": key[1],
                            "use": key[2],
                            "before_m3": float(was[1]) if was else None,
                            "after_m3": float(now[1]) if now else None,
                        }
                    )
        out.append(
            {
                "number": ver.number,
                "reason": ver.reason,
                "created_by": ver.created_by_label,
                "created_at": ver.created_at,
                "current": ver.number == plan.version,
                "total_m3": float(sum((v for __, v in cur.values()), ZERO)),
                "changes": changes,
            }
        )
        prev = cur
    return out


def plan_months(lines: Iterable[PlanAllocation]) -> dict[str, Any]:
    """Per intake and in total: the months and the quarters, halves and year derived from them."""
    per: dict[int, dict[str, Any]] = {}
    total = [ZERO] * 12
    for line in lines:
        row = per.setdefault(
            line.intake_id,
            {"intake": line.intake_id, "code": line.intake.code, "name": line.intake.name, "months": [ZERO] * 12},
        )
        row["months"][line.month - 1] += line.volume_m3
        total[line.month - 1] += line.volume_m3
    rows = [_derived(r, r.pop("months")) for r in per.values()]
    return {"intakes": sorted(rows, key=lambda r: r["code"]), "total": _derived({}, total)}


def _derived(row: dict[str, Any], months: list[Decimal]) -> dict[str, Any]:
    row["months"] = months
    row["quarters"] = [sum(months[i : i + 3], ZERO) for i in (0, 3, 6, 9)]
    row["halves"] = [sum(months[:6], ZERO), sum(months[6:], ZERO)]
    row["year"] = sum(months, ZERO)
    return row

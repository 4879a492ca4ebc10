"""Reads of ledger locks."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core.divisions import division_prefix
from core.exceptions import NotFound
from water.models import (
    LedgerLock,
)
from water.selectors.plan_scope import region_q

# ------------------------------------------------------------------------------------------- locks


def lock_list(*, scope: Scope) -> QuerySet[LedgerLock]:
    return LedgerLock.objects.filter(region_q(scope)).select_related("division", "locked_by", "unlocked_by")


def lock_get(*, scope: Scope, lock_id: int) -> LedgerLock:
    lock = lock_list(scope=scope).filter(pk=lock_id).first()
    if lock is None:
        raise NotFound(_("No such lock."))
    return lock


def active_lock_prefixes(first: dt.date, last: dt.date) -> dict[dt.date, list[str]]:
    """{first day of month: [division prefixes locked that month]} for the active locks of the months
    touching [first, last]."""
    out: dict[dt.date, list[str]] = defaultdict(list)
    for month, code in LedgerLock.objects.filter(
        unlocked_at__isnull=True, month__gte=first.replace(day=1), month__lte=last
    ).values_list("month", "division__code"):
        out[month].append(division_prefix(code))
    return out


def _locked(prefixes: dict[dt.date, list[str]], month: dt.date, code: str) -> bool:
    return any(code.startswith(p) for p in prefixes.get(month, ()))

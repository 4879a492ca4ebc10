"""The demo data: patrols along the demo reach, cases in every state, litter adding up to 12.2 t; a
second load changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from core.models import AuditLog
from core.periods import BEIJING
from patrols.choices import CaseStatus
from patrols.models import Case, CasePhoto, CaseRecheck, LitterRemoval, Patrol

pytestmark = pytest.mark.django_db


def _load() -> None:
    call_command("load_demo", "--only", "accounts", "places", "patrols", stdout=None)


def test_demo_is_complete_and_idempotent(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.DEMO_PASSWORD = "demo-Pass-2024"
    _load()
    counts = (
        Patrol.objects.count(),
        Case.objects.count(),
        LitterRemoval.objects.count(),
        CasePhoto.objects.count(),
        CaseRecheck.objects.count(),
        AuditLog.objects.count(),
    )
    assert counts[0] > 40
    assert set(Case.objects.values_list("status", flat=True)) == set(CaseStatus.values)
    in_2024 = {"found_at__gte": dt.datetime(2024, 1, 1, tzinfo=BEIJING)}
    assert Case.objects.filter(closed_via="on_spot", **in_2024).count() == 2
    assert Case.objects.filter(closed_via="on_spot").count() == 3  # one in 2023
    assert Case.objects.filter(overdue_at__isnull=False).count() >= 1
    litter = LitterRemoval.objects.values_list("tonnes", flat=True)
    assert sum(litter.filter(removed_on__year=2024)) == Decimal("12.2")
    assert sum(litter.filter(removed_on__year=2023)) == Decimal("11.4")
    flagged = set()
    for flags in Patrol.objects.values_list("flags", flat=True):
        flagged.update(flags)
    assert {"stationary", "outside_reach", "teleport", "overlap"} <= flagged
    assert Patrol.objects.filter(valid=False).exists()
    assert Patrol.objects.filter(valid=True).exists()
    # 2024 and its year-on-year base 2023; the patrols a reviewer should look at are 2024's.
    assert {p.started_at.astimezone(BEIJING).year for p in Patrol.objects.all()} == {2023, 2024}
    assert {p.started_at.astimezone(BEIJING).year for p in Patrol.objects.all() if p.flags} == {2024}
    patrol_audit = AuditLog.objects.filter(entity__startswith="patrols.").count()
    _load()
    again = (
        Patrol.objects.count(),
        Case.objects.count(),
        LitterRemoval.objects.count(),
        CasePhoto.objects.count(),
        CaseRecheck.objects.count(),
    )
    assert again == counts[:5]
    # The second load wrote no patrol, case or litter audit rows either.
    assert AuditLog.objects.filter(entity__startswith="patrols.").count() == patrol_audit

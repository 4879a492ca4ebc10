"""The demo reproduces the seed's counts from rows: 9 tasks (6 completed, 3 in progress) and 811
petitions (808 closed, 3 in progress) as of 2024, through the report section; a second load changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.demo import load_accounts_demo
from accounts.scope import Scope
from core.models import AuditLog
from core.periods import half_year, year
from oversight.demo import load_oversight_demo
from oversight.models import Milestone, Petition, Task
from oversight.selectors import oversight_figures
from places.demo import load_places_demo

pytestmark = pytest.mark.django_db
EVERYTHING = Scope(user_id=None, role="admin", everything=True)


def test_demo_reproduces_the_seed_counts_and_is_idempotent() -> None:
    load_accounts_demo(password="demo-Pass-2024", stdout=None)
    load_places_demo()
    load_oversight_demo(password="demo-Pass-2024")
    for period in (year(2024), half_year(2024, 1)):
        f: dict[str, Any] = oversight_figures(scope=EVERYTHING, period=period, division_code="650100")
        assert (f["tasks"]["total"], f["tasks"]["completed"], f["tasks"]["in_progress"]) == (9, 6, 3)
        assert (f["petitions"]["received"], f["petitions"]["closed"], f["petitions"]["in_progress"]) == (811, 808, 3)
        assert f["petitions"]["stage_closed"] == 2
    assert f["rechecks"]["done"] == 43 and f["rechecks"]["relapses"] == 0
    assert Task.objects.filter(milestones__kind="month").distinct().count() == 9
    assert Task.objects.filter(milestones__kind="quarter").distinct().count() == 9
    assert Milestone.objects.filter(status="pending", task__status="signed_off").count() == 0
    assert Petition.objects.values("division").distinct().count() == 8
    assert Petition.objects.values("category").distinct().count() == 6
    assert Petition.objects.filter(location__isnull=False).exists()
    rows = AuditLog.objects.count()
    load_oversight_demo(password="demo-Pass-2024")
    assert AuditLog.objects.count() == rows

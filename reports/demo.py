"""Demo report snapshots (load_demo, after every domain app): the city's first-half-2024 report, the
shape of the seed report's section 五 (patrol person-times and km, cases cleared on the spot, litter
tonnes, water use against plan, reuse, good-water shares), built now and signed off by the demo
reviewer, and the 2024 Q1 report left ready for sign-off. Idempotent: existing snapshots are kept."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accounts.models import User
from accounts.scope import scope_for
from core import periods
from reports import conf, selectors, services
from reports.choices import SnapshotStatus
from reports.models import ReportSnapshot

ONE = Decimal(1)


def load_reports_demo(*, stdout: Any = None, **_: Any) -> None:
    def write(msg: str) -> None:
        if stdout is not None:
            stdout.write(msg)

    city = conf.city_division()
    reviewer = User.objects.filter(username="reviewer").first()
    if reviewer is None or not selectors.division_exists(city):
        write("demo: reports skipped (no demo reviewer or city division)")
        return
    scope = scope_for(reviewer)
    for period, sign in ((periods.half_year(2024, 1), True), (periods.quarter(2024, 1), False)):
        already = ReportSnapshot.objects.filter(
            period_start=period.first_date, period_end=period.last_date, division_code=city
        ).exists()
        if already:
            continue
        snap, _created = services.snapshot_request(
            actor=reviewer, scope=scope, period=period, division_code=city, reason="演示数据 demo"
        )
        # Built here rather than by the worker, so that the demo does not depend on one running (the
        # queued task then finds the snapshot built and does nothing).
        built = services.snapshot_build(snapshot_id=snap.pk)
        if sign and built is not None and built.status == SnapshotStatus.READY:
            services.snapshot_sign_off(actor=reviewer, snap=built)
    write("demo: reports — 2024-H1 city report signed off, 2024-Q1 ready")

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
from places.models import Division
from reports import conf, services
from reports.choices import SnapshotStatus
from reports.models import ReportSnapshot

ONE = Decimal(1)


def load_reports_demo(*, stdout: Any = None, **_: Any) -> None:
    def write(msg: str) -> None:
        if stdout is not None:
            stdout.write(msg)

    city = conf.city_division()
    reviewer = User.objects.filter(username="reviewer").first()
    if reviewer is None or not Division.objects.filter(code=city).exists():
        write("demo: reports skipped (no demo reviewer or city division)")
        return
    scope = scope_for(reviewer)
    _ensure_water_plan(city, write)
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


def _ensure_water_plan(city: str, write: Any) -> None:
    """The seed report's 《2024年供用水计划》: when the water demo has not issued a 2024 plan for the city,
    issue one here (through the water services) so that the demo report shows use against plan: each
    demo intake gets a twelfth of its permitted annual volume a month. Demo data only."""
    from accounts.choices import Role
    from accounts.scope import Scope
    from core.divisions import division_prefix
    from water.models import Intake, WaterPlan
    from water.plan_services import AllocationLine, plan_create

    division = Division.objects.filter(code=city).first()
    if division is None or WaterPlan.objects.filter(year=2024, division=division).exists():
        return
    lines = [
        AllocationLine(
            intake=intake, month=m, volume_m3=(Decimal(intake.permitted_annual_m3 or 0) / 12).quantize(Decimal(1))
        )
        for intake in Intake.objects.filter(division__code__startswith=division_prefix(city), permitted_annual_m3__gt=0)
        for m in range(1, 13)
    ]
    if not lines:
        return
    plan_create(
        actor="load_demo", scope=Scope(user_id=None, role=Role.ADMIN, everything=True), year=2024,
        division=division, title="2024年乌鲁木齐市供用水计划（演示）", allocations=lines,
    )  # fmt: skip
    write(f"demo: reports — issued the demo 2024 water plan of {city} ({len(lines)} lines)")

"""The plan, red-line and month-lock pages in a real browser (Debian's chromium, as
tests/console/test_browser.py): a reviewer locks a month from the calendar; a reading for that month
then arrives through the water service, as a meter's would, and shows on the lock page as an amendment
after lock. Any request to another host or console error fails the test. Screenshots of the plan page,
the red lines and the calendar go to var/browser/ for a person to look at."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from tests.console.browser import BROWSER_TESTS, log_in, shot, with_password
from tests.console.browser import browser_context_args as browser_context_args  # fixtures, re-exported
from tests.console.browser import browser_type_launch_args as browser_type_launch_args
from tests.console.browser import guarded as guarded
from tests.water.conftest import water as water
from tests.water.plan_fixtures import ALL, city_plan, midnight, q1_use, send_at
from water import plan_services
from water.models import LedgerLock, Reading

pytestmark = BROWSER_TESTS


def test_a_reviewer_locks_a_month_and_a_late_reading_shows_as_amendment(guarded, live_server, users, geography, water):
    page, base = guarded, live_server.url
    q1_use(water)
    plan = city_plan(geography, water)
    plan_services.plan_amend(
        plan=plan,
        actor=users["city_reviewer"],
        scope=ALL,
        reason="二月用水调增",
        allocations=[plan_services.AllocationLine(water.intake_e, 2, Decimal(5600))],
    )
    plan_services.redline_create(
        actor="t",
        scope=ALL,
        year=2024,
        division=geography["city"],
        total_use_cap_m3=Decimal(60000),
        per_gdp_target=Decimal(30),
        gdp_10k_yuan=Decimal(2000),
        gdp_source="市统计局2024年统计公报",
        irrigation_target=Decimal("0.56"),
        irrigation_coefficient=Decimal("0.571"),
        irrigation_source="自治区水利厅测算",
    )
    plan_services.ledger_lock(
        actor=users["city_reviewer"],
        scope=ALL,
        division=geography["city"],
        month=dt.date(2024, 1, 1),
        note="一月台账审核无误",
    )
    reviewer = with_password(users["city_reviewer"])
    log_in(page, base, reviewer.username)

    # The plan page: versions with the amendment's reason, use against plan by month.
    page.goto(f"{base}/water/plans/")
    page.click(f"[data-testid=ledger-table] a:text('{plan.year}')")
    page.wait_for_url(re.compile(rf".*/water/plans/{plan.pk}/$"))
    assert "二月用水调增" in page.text_content("[data-testid=versions]")
    assert page.locator("[data-testid=usage] td.over").count() > 0
    shot(page, "plans-plan")
    # A negative volume is refused beside its field, the reason kept, nothing written.
    page.click("[data-testid=open-amend]")
    page.select_option("select[name='allocations[0].intake']", str(water.intake_w.pk))
    page.fill("input[name='allocations[0].month']", "4")
    page.fill("input[name='allocations[0].volume_m3']", "-5")
    page.fill("input[name=reason]", "四月调减")
    page.click("[data-testid=act-amend]")
    page.wait_for_selector("[data-testid='error-allocations[0].volume_m3']")
    assert page.input_value("input[name=reason]") == "四月调减"
    shot(page, "plans-amend-error")

    page.goto(f"{base}/water/redlines/year/?year=2024&division=650100")
    assert "用水总量" in page.text_content("[data-testid=redlines]")
    page.click("[data-testid=open-edit]")
    shot(page, "plans-redlines")

    # The calendar: January locked; the reviewer locks February from the page.
    page.click("nav a:text('锁定月历')")
    page.wait_for_url(re.compile(r".*/water/locks/calendar/.*"))
    assert page.get_attribute("[data-testid=month-2024-01]", "data-state") == "locked"
    page.fill("[data-testid=lock-month]", "2024-02")
    page.fill("form[action$='/locks/lock/'] input[name=note]", "二月台账审核无误")
    page.click("[data-testid=act-lock]")
    page.wait_for_selector(".messages")
    assert page.get_attribute("[data-testid=month-2024-02]", "data-state") == "locked"
    assert LedgerLock.objects.filter(month=dt.date(2024, 2, 1), unlocked_at__isnull=True).count() == 1

    # A reading for 15 February arrives late, through the service a meter's batch goes through.
    result = send_at(water.meter_e, midnight(dt.date(2024, 2, 15)) + dt.timedelta(hours=12), 7000)
    assert result.created == 1
    assert Reading.objects.filter(after_lock=True).count() == 1
    page.reload()
    amendments = page.text_content("[data-testid=amendments]")
    assert "WM-E1" in amendments
    assert "2024年2月" in amendments
    assert "1" in page.text_content("[data-testid=late-2024-02]")
    shot(page, "plans-locks")
    page.click("[data-testid=late-2024-02]")
    page.wait_for_url(re.compile(r".*/water/readings/\?after_lock=true.*"))
    assert page.locator("[data-testid=ledger-table] tbody tr").count() == 1

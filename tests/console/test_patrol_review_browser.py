"""The patrol review in a real browser (Debian's chromium, as tests/console/test_browser.py): a
reviewer opens the queue from the menu, filters it, opens a flagged patrol, sees the track drawn with
the jump's two ends marked and the flags explained, rejects it with a comment; the queue no longer
lists it and the API shows the review. Then the reference-data pages (rules, appointments,
recompute) are opened and drawn. Any request to another host, any console error (an inline script or
style under the CSP) fails the test. Screenshots go to var/browser/ for a person to look at."""

from __future__ import annotations

import re

from patrols.choices import ReviewStatus
from patrols.models import Patrol, PatrolValidityRule
from tests.console.browser import BROWSER_TESTS, log_in, shot, with_password
from tests.console.browser import browser_context_args as browser_context_args  # fixtures, re-exported
from tests.console.browser import browser_type_launch_args as browser_type_launch_args
from tests.console.browser import guarded as guarded
from tests.console.test_patrol_review_views import flagged as flagged

pytestmark = BROWSER_TESTS


def test_a_reviewer_rejects_a_flagged_patrol_from_the_queue(guarded, live_server, flagged, users):
    page, base = guarded, live_server.url
    page.set_viewport_size({"width": 1366, "height": 768})
    reviewer = with_password(users["city_reviewer"])
    log_in(page, base, reviewer.username)
    badge = page.locator("nav.sidenav a.todo[href='/river/review/']")
    assert badge.text_content() == "3"
    page.click("nav a:text('巡河审核')")
    page.wait_for_url(re.compile(r".*/river/review/$"))
    assert page.locator("[data-testid=ledger-table] tbody tr").count() == 3
    shot(page, "patrol-review-queue")
    page.select_option("select[name=flag]", "teleport")
    page.click(".filters button[type=submit]")
    page.wait_for_url(re.compile(r".*flag=teleport.*"))
    assert page.locator("[data-testid=ledger-table] tbody tr").count() == 1
    page.click("[data-testid=ledger-table] tbody tr a")
    page.wait_for_url(re.compile(rf".*/river/review/{flagged.teleport.pk}/$"))
    # The map draws the reach and the track, and marks the jump's two ends.
    page.wait_for_selector(".hz-detail-map[data-drawn]")
    assert page.get_attribute(".hz-detail-map", "data-drawn") == "2"
    assert page.locator(".hz-mark-jump-from").count() == 1
    assert page.locator(".hz-mark-jump-to").count() == 1
    assert page.locator("[data-testid=flags] li[data-flag=teleport]").count() == 1
    assert page.locator("[data-testid=suspect-points] tr.mark-jump-to").count() == 1
    shot(page, "patrol-review-page")
    # Reject without a comment: refused beside the comment, the choice kept.
    page.check("[data-testid=decision-rejected]")
    page.click("[data-testid=review-submit]")
    page.wait_for_selector("[data-testid=error-note]")
    assert page.is_checked("[data-testid=decision-rejected]")
    page.fill("[data-testid=review-note]", "轨迹跳变约4.5公里，疑为代巡，退回")
    page.click("[data-testid=review-submit]")
    page.wait_for_url(re.compile(r".*/river/review/$"))
    page.wait_for_selector(".messages")
    assert page.locator("[data-testid=ledger-table] tbody tr").count() == 2
    assert page.locator(f"a[href='/river/review/{flagged.teleport.pk}/']").count() == 0
    assert badge.text_content() == "2"  # the reviewer's 待办 count follows at once
    shot(page, "patrol-review-queue-after")
    api = page.evaluate(f"fetch('/api/v1/patrols/{flagged.teleport.pk}/').then(r => r.json())")
    props = api.get("properties", api)
    assert props["review_status"] == "rejected"
    assert props["review_note"] == "轨迹跳变约4.5公里，疑为代巡，退回"
    assert Patrol.objects.get(pk=flagged.teleport.pk).review_status == ReviewStatus.REJECTED

    # The reference data pages draw (and are looked at).
    page.click("nav a:text('巡河规则')")
    page.wait_for_selector("[data-testid=validity-rules]")
    shot(page, "patrol-rules")
    page.click("[data-testid=new-validity]")
    page.fill("input[name=min_length_m]", "abc")
    page.fill("input[name=source]", "测试依据")
    page.click("[data-testid=rule-save]")
    page.wait_for_selector("[data-testid=error-min_length_m]")
    assert page.input_value("input[name=source]") == "测试依据"
    shot(page, "patrol-rule-form-error")
    page.click("nav a:text('河湖长任命')")
    page.wait_for_selector("[data-testid=appointments]")
    page.click("[data-testid=open-appoint]")
    shot(page, "chief-appointments")
    # The bureau raised the township minimum length: the recompute's dry run lists the 3 km patrol.
    # (update_or_create: a transactional test before this one flushed the rules the migration seeds.)
    PatrolValidityRule.objects.update_or_create(jurisdiction="", level="township", defaults={"min_length_m": 5000})
    page.click("nav a:text('巡河重算')")
    page.fill("input[name=start]", "2024-05-01")
    page.fill("input[name=end]", "2024-05-31")
    page.click("[data-testid=recompute-preview]")
    page.wait_for_selector("[data-testid=recompute-result]")
    assert page.locator(f"[data-testid=recompute-rows] a[href='/river/review/{flagged.valid.pk}/']").count() == 1
    shot(page, "patrol-recompute")
    page.click("[data-testid=recompute-apply]")
    page.wait_for_selector(".messages")
    assert Patrol.objects.get(pk=flagged.valid.pk).valid is False

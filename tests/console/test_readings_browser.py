"""The readings pages in a real browser (Debian's chromium, as tests/console/test_browser.py): an operator
enters a manual reading from their home (a bad value first: the error beside the field, the input kept;
then a good one: listed); a reviewer opens the flagged reading from the review queue, sees its chart,
corrects it with a reason and finds the correction in the page's history; an alert is acknowledged. Any
request to another host or console error fails the test; screenshots go to var/browser/."""

from __future__ import annotations

import re

from tests.console.browser import BROWSER_TESTS, log_in, shot, with_password
from tests.console.browser import browser_context_args as browser_context_args  # fixtures, re-exported
from tests.console.browser import browser_type_launch_args as browser_type_launch_args
from tests.console.browser import guarded as guarded
from tests.console.test_readings_views import HOUR, _bj
from tests.console.test_readings_views import desk as desk
from water.models import Alert, Reading

pytestmark = BROWSER_TESTS


def test_an_operator_enters_a_reading_from_their_home(guarded, live_server, desk, users):
    page, base = guarded, live_server.url
    op = with_password(users["operator"])
    log_in(page, base, op.username)
    assert page.text_content("h1") == "我的取水口"
    page.wait_for_selector("[data-testid=my-intakes] >> text=QSK-E")
    assert page.locator("[data-testid=my-alerts] tbody tr a").count() == 1
    shot(page, "readings-operator-home")
    page.click("[data-testid=enter-reading]")
    page.wait_for_url(re.compile(r".*/water/readings/new/"))
    at = desk.times[-1] + HOUR
    page.fill("input[name=observed_at]", _bj(at))
    page.fill("input[name=cumulative_m3]", "500")  # below the reading before
    page.fill("input[name=note]", "人工抄表")
    page.click("[data-testid=act-new]")
    error = page.wait_for_selector("[data-testid=error-cumulative_m3]")
    assert "90,200.000" in error.text_content()
    assert page.input_value("input[name=cumulative_m3]") == "500"
    assert page.input_value("input[name=note]") == "人工抄表"
    shot(page, "readings-entry-error")
    assert not Reading.objects.filter(meter_id=desk.meter_e.pk, observed_at=at).exists()
    page.fill("input[name=cumulative_m3]", "90350.5")
    page.click("[data-testid=act-new]")
    page.wait_for_selector(".messages")
    row = page.locator("[data-testid=recent-readings] tbody tr").first
    assert "90,350.500" in row.text_content()
    assert "人工" in row.text_content()
    shot(page, "readings-entry-done")
    assert Reading.objects.get(meter_id=desk.meter_e.pk, observed_at=at).source == "manual"


def test_a_reviewer_corrects_a_flagged_reading_and_acknowledges_its_alert(guarded, live_server, desk, users):
    page, base = guarded, live_server.url
    reviewer = with_password(users["city_reviewer"])
    log_in(page, base, reviewer.username)
    page.click("nav a[href='/water/readings/review/']")
    page.wait_for_url(re.compile(r".*/water/readings/review/"))
    page.fill("input[name=start]", "2024-05-01")
    page.click("[data-testid=queue-filters] button[type=submit]")
    page.wait_for_selector("[data-testid=review-queue] >> text=WM-E1")
    shot(page, "readings-review-queue")
    page.locator("[data-testid=review-queue] tbody tr a").first.click()
    page.wait_for_url(re.compile(r".*/water/readings/\d+/\d{8}T\d{6}Z/$"))
    page.wait_for_selector("[data-reading-chart][data-drawn] canvas")
    assert "不合理跳变" in page.text_content("[data-testid=flag]")
    shot(page, "readings-reading-page")
    page.click("[data-testid=open-correct]")
    page.fill("input[name=cumulative_m3]", "1400")
    page.fill("form[action$='/correct/'] input[name=reason]", "现场核对表盘读数，RTU误码")
    page.click("[data-testid=act-correct]")
    page.wait_for_selector(".messages")
    history = page.text_content("[data-testid=history]")
    assert "现场核对表盘读数，RTU误码" in history
    assert "t_city_reviewer" in history
    shot(page, "readings-reading-corrected")
    reading = Reading.objects.get(meter_id=desk.meter_e.pk, observed_at=desk.jump)
    assert reading.corrected
    assert reading.cumulative_m3 == 1400
    # The alert, from the ledger.
    page.goto(base + "/water/alerts/")
    page.locator("[data-testid=ledger-table] tbody tr a").first.click()
    page.wait_for_url(re.compile(r".*/water/alerts/\d+/$"))
    page.click("[data-testid=act-acknowledge]")
    page.wait_for_selector(".messages")
    assert page.locator("[data-testid=act-acknowledge]").count() == 0
    shot(page, "readings-alert-acknowledged")
    assert Alert.objects.get(pk=desk.alert.pk).acknowledged_by == reviewer

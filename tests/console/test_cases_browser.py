"""The case workflow in a real browser (Debian's chromium, as tests/console/test_browser.py): the reviewer
assigns a case from the board, the chief starts and submits its rectification with a photo, the reviewer
sends it back with a reason, the chief submits again, the reviewer verifies and closes it; the page's
history and the API's answer show the same steps in the same order. Any request to another host, any
console error fails the test. Screenshots go to var/browser/ for a person to look at."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from typing import Any

from django.utils import translation
from PIL import Image

from patrols.choices import CaseStatus
from patrols.models import Case
from tests.console.browser import BROWSER_TESTS, log_in, shot, with_password
from tests.console.browser import browser_context_args as browser_context_args  # fixtures, re-exported
from tests.console.browser import browser_type_launch_args as browser_type_launch_args
from tests.console.browser import guarded as guarded

pytestmark = BROWSER_TESTS


def _photo(tmp_path: Path) -> Path:
    path = tmp_path / "整改后.png"
    buf = io.BytesIO()
    Image.new("RGB", (120, 80), (40, 140, 60)).save(buf, format="PNG")
    path.write_bytes(buf.getvalue())
    return path


def _switch(page: Any, base: str, username: str) -> None:
    page.click("[data-testid=logout]")
    page.wait_for_url(re.compile(r".*/login/.*"))
    log_in(page, base, username)


def _done(page: Any) -> None:
    page.wait_for_selector(".messages li.success")


def _drawn(page: Any) -> None:
    """The small map drawn and the photos loaded (before a screenshot)."""
    page.wait_for_selector(".hz-detail-map[data-drawn]")
    # Polled from here: wait_for_function evaluates its predicate with eval, which the page's CSP refuses.
    deadline = time.monotonic() + 20
    while not page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"):
        assert time.monotonic() < deadline, "the photos did not load"
        page.wait_for_timeout(100)


def test_a_case_goes_through_the_whole_workflow_in_the_browser(
    guarded, live_server, console_data, users, chiefs, tmp_path
):
    page, base = guarded, live_server.url
    reviewer = with_password(users["city_reviewer"])
    chief = with_password(chiefs["township"])
    case_id = console_data.cases["township"]
    url = f"{base}/river/cases/{case_id}/"

    # The reviewer's board: the "reported" tab, the case ticked and assigned in bulk.
    log_in(page, base, reviewer.username)
    page.click("nav.sidenav a[href='/river/cases/']")
    page.wait_for_url(re.compile(r".*/river/cases/$"))
    page.click("[data-testid=case-tabs] a[data-tab=reported]")
    page.wait_for_url(re.compile(r".*status=reported.*"))
    assert page.locator("[data-testid=ledger-table] tbody tr").count() == 2
    page.check(f"input[name=case][value='{case_id}']")
    assert page.text_content("[data-bulk-count]") == "(1)"
    page.fill("#bulk-assign input[name=responsible_unit]", "天山区水务局")
    page.fill("#bulk-assign input[name=deadline]", "2030-06-30")
    shot(page, "cases-board-reviewer")
    page.click("[data-testid=act-bulk-assign]")
    _done(page)
    assert "天山区水务局" in page.text_content(".messages")
    assert page.locator("[data-testid=ledger-table] tbody tr").count() == 1  # only the west case is still reported
    shot(page, "cases-board-after-bulk-assign")

    # The chief: start the rectification, then submit it with a photo.
    _switch(page, base, chief.username)
    page.goto(url)
    assert page.locator("[data-testid=act-assign]").count() == 0
    assert page.locator("[data-testid=act-verify]").count() == 0
    page.click("[data-testid=act-rectify]")
    _done(page)
    page.click("[data-testid=open-submit]")
    page.fill("form[action$='/submit/'] textarea[name=note]", "已清理建筑垃圾")
    page.set_input_files("form[action$='/submit/'] input[name=photo]", str(_photo(tmp_path)))
    page.click("[data-testid=act-submit]")
    _done(page)
    assert page.locator("[data-testid=photos] img").count() == 1
    _drawn(page)
    shot(page, "case-page-chief-submitted")

    # The reviewer: a rejection without a reason is refused beside the field; with one it is recorded.
    _switch(page, base, reviewer.username)
    page.goto(url)
    page.click("[data-testid=open-reject]")
    page.click("[data-testid=act-reject]")
    page.wait_for_selector("[data-testid=error-note]")
    page.fill("form[action$='/reject/'] textarea[name=note]", "河岸仍有残留垃圾")
    page.click("[data-testid=act-reject]")
    _done(page)

    # The chief submits again.
    _switch(page, base, chief.username)
    page.goto(url)
    page.click("[data-testid=open-submit]")
    page.fill("form[action$='/submit/'] textarea[name=note]", "残留垃圾已清运")
    page.click("[data-testid=act-submit]")
    _done(page)

    # The reviewer verifies and closes.
    _switch(page, base, reviewer.username)
    page.goto(url)
    page.click("[data-testid=open-verify]")
    page.click("[data-testid=act-verify]")
    _done(page)
    page.click("[data-testid=open-close]")
    page.click("[data-testid=act-close]")
    _done(page)
    assert Case.objects.get(pk=case_id).status == "closed"
    assert page.locator("[data-testid=no-actions]").count() == 1
    _drawn(page)
    shot(page, "case-page-closed")

    # The page's history and the API's show the same steps in the same order.
    rows = page.locator("[data-testid=case-events] tbody tr")
    shown = [
        (rows.nth(i).locator("td").nth(3).inner_text(), rows.nth(i).locator("td").nth(4).inner_text())
        for i in range(rows.count())
    ]
    api = page.evaluate(
        f"fetch('/api/v1/patrols/cases/{case_id}/', {{headers: {{'Accept': 'application/json'}}}}).then(r => r.json())"
    )
    events = api["properties"]["events"]
    with translation.override("zh-hans"):
        labels = {s.value: str(s.label) for s in CaseStatus}
    assert [(labels[e["to_status"]], e["note"]) for e in events] == shown
    assert [e["to_status"] for e in events] == [
        "reported",
        "assigned",
        "rectifying",
        "submitted",
        "rectifying",
        "submitted",
        "verified",
        "closed",
    ]
    assert shown[4] == (labels["rectifying"], "河岸仍有残留垃圾")


def test_the_desk_reports_a_phoned_in_case(guarded, live_server, console_data, users, geography, tmp_path):
    page, base = guarded, live_server.url
    reviewer = with_password(users["city_reviewer"])
    log_in(page, base, reviewer.username)
    page.click("nav.sidenav a[href='/river/cases/new/']")
    page.wait_for_url(re.compile(r".*/river/cases/new/$"))
    page.select_option("select[name=category]", "occupation")
    page.select_option("select[name=source]", "complaint")
    page.select_option("select[name=reach]", str(geography["reach_e"].pk))
    page.fill("input[name=found_at]", "2024-05-06T10:30")
    # A click on the small map fills the position.
    page.wait_for_selector("[data-report-map][data-drawn='2']")
    box = page.locator("[data-report-map]").bounding_box()
    page.click("[data-report-map]", position={"x": box["width"] / 2 + 7, "y": box["height"] / 2 + 5})
    # The view fits the chosen reach (87.6–87.75 E, 43.8–43.95 N): the click lands near its middle.
    assert 87.55 < float(page.input_value("input[name=lon]")) < 87.8
    assert 43.75 < float(page.input_value("input[name=lat]")) < 44.0
    shot(page, "case-desk-report-map")
    page.fill("input[name=lon]", "87.66")
    page.fill("input[name=lat]", "95")
    page.fill("textarea[name=description]", "镇级河长电话报告：河岸违章搭建彩钢房")
    page.click("[data-testid=act-report]")
    page.wait_for_selector("[data-testid=error-lat]")
    assert page.input_value("textarea[name=description]") == "镇级河长电话报告：河岸违章搭建彩钢房"
    shot(page, "case-desk-report-error")
    page.fill("input[name=lat]", "43.86")
    page.set_input_files("input[name=photo]", str(_photo(tmp_path)))
    page.click("[data-testid=act-report]")
    page.wait_for_url(re.compile(r".*/river/cases/[0-9a-f-]{36}/$"))
    _done(page)
    assert page.locator("[data-testid=photos] img").count() == 1
    assert page.locator("[data-testid=act-assign]").count() == 1
    _drawn(page)
    shot(page, "case-page-desk-reported")

"""The console in a real browser: Playwright driving Debian's chromium (/usr/bin/chromium; Playwright's
own browser download is not used) against the live test server.

Every request to a host other than the server is aborted and fails the test (the console must work on
an intranet with no internet); the pages carry the project's CSP (script-src 'self', style-src 'self'),
so an inline script or style would be refused and logged as a console error; any console error or
uncaught page error fails the test. Screenshots are kept under var/browser/ for a
person to look at (CI artefacts)."""

from __future__ import annotations

import re

from accounts.demo import load_accounts_demo
from accounts.models import User
from accounts.scope import scope_for
from core import periods
from reports.builders import build_report
from tests.console.browser import BROWSER_TESTS, PASSWORD, log_in, shot, with_password
from tests.console.browser import browser_context_args as browser_context_args  # fixtures, re-exported
from tests.console.browser import browser_type_launch_args as browser_type_launch_args
from tests.console.browser import guarded as guarded

pytestmark = BROWSER_TESTS


def test_the_demo_reviewer_sees_the_reports_figures(guarded, live_server, console_data):
    page, base = guarded, live_server.url
    load_accounts_demo(password=PASSWORD, stdout=None)
    reviewer = User.objects.get(username="reviewer")
    log_in(page, base, "reviewer")
    csp = page.evaluate("fetch('/').then(r => r.headers.get('content-security-policy'))")
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    # Choose 2024 Q2 with the period picker.
    page.select_option("select[name=kind]", "quarter")
    page.fill("input[name=year]", "2024")
    page.fill("input[name=n]", "2")
    page.click(".period-picker button[type=submit]")
    page.wait_for_url(re.compile(r".*kind=quarter.*"))
    report = build_report(scope=scope_for(reviewer), period=periods.quarter(2024, 2))
    p = report["patrols"]
    assert page.text_content('[data-key="patrols.patrols"]') == str(p["patrols"])
    assert page.text_content('[data-key="patrols.person_times"]') == str(p["person_times"])
    assert page.text_content('[data-key="patrols.cases_found"]') == str(p["cases_found"])
    assert "2024年第2季度" in page.text_content("[data-testid=period]")
    # The charts draw (ECharts renders into a canvas).
    for chart in ("chart-intakes", "chart-monthly", "chart-cases"):
        assert page.locator(f"[data-testid={chart}] canvas").count() >= 1, chart
    shot(page, "dashboard-reviewer")
    # A figure links to the ledger rows behind it.
    page.click('a.tile:has([data-key="patrols.patrols"])')
    page.wait_for_url(re.compile(r".*/river/patrols/\?.*start=2024-04-01.*"))
    assert page.locator("[data-testid=ledger-table] tbody tr").count() == p["patrols"]
    shot(page, "patrols-ledger")


def test_a_patrol_page_shows_its_track(guarded, live_server, console_data, users):
    page, base = guarded, live_server.url
    with_password(users["city_reviewer"])
    log_in(page, base, users["city_reviewer"].username)
    page.goto(f"{base}/river/patrols/{console_data.patrols['township']}/")
    page.wait_for_selector(".hz-detail-map[data-drawn='2']", timeout=30_000)  # the map's own tag and feature URL
    track = page.locator(".hz-detail-map path.hz-f-patrols")
    assert track.count() == 1
    box = track.bounding_box()
    assert box is not None
    assert box["width"] + box["height"] > 30  # a drawn line, not an empty path
    assert page.locator(".hz-detail-map path.hz-f-context").count() == 1  # the reach under the track
    shot(page, "patrol-detail")


def test_the_language_switch(guarded, live_server, users):
    page, base = guarded, live_server.url
    with_password(users["city_reviewer"])
    log_in(page, base, users["city_reviewer"].username)
    assert page.text_content("h1") == "工作台"
    page.click("[data-testid=lang-en]")
    page.wait_for_load_state()
    assert page.text_content("h1") == "Dashboard"
    # The menu in English: the patrol ledger's item by its exact name (others, "Patrol review", contain it).
    assert page.locator("nav").get_by_role("link", name="Patrols", exact=True).count() == 1
    page.click("[data-testid=lang-zh-hans]")
    page.wait_for_load_state()
    assert page.text_content("h1") == "工作台"


def test_an_operator_sees_only_their_own_intake(guarded, live_server, console_data, users):
    page, base = guarded, live_server.url
    with_password(users["operator"])
    log_in(page, base, users["operator"].username)
    rows = page.locator("[data-testid=my-intakes] tbody tr")
    assert rows.count() == 1
    assert "QSK-E" in rows.first.text_content()
    assert page.locator("nav a", has_text="巡河").count() == 0
    page.goto(base + "/water/intakes/")
    assert page.locator("[data-testid=ledger-table] tbody tr").count() == 1
    shot(page, "operator-intakes")
    resp = page.goto(f"{base}/water/intakes/{console_data.intake_w.pk}/")
    assert resp.status == 404


def test_a_chief_of_another_division_gets_404_for_a_case_outside_it(guarded, live_server, console_data, chiefs):
    page, base = guarded, live_server.url
    with_password(chiefs["west"])
    log_in(page, base, chiefs["west"].username)
    resp = page.goto(f"{base}/river/cases/{console_data.cases['township']}/")
    assert resp.status == 404
    resp = page.goto(f"{base}/river/cases/{console_data.cases['west']}/")
    assert resp.status == 200
    shot(page, "case-detail-chief")


def test_a_filter_writes_the_url_and_a_bad_one_is_a_message(guarded, live_server, console_data, users, geography):
    page, base = guarded, live_server.url
    with_password(users["city_reviewer"])
    log_in(page, base, users["city_reviewer"].username)
    page.goto(base + "/river/patrols/")
    assert page.locator("[data-testid=ledger-table] tbody tr").count() == 2
    page.fill("input[name=division]", "650103")
    page.click(".filters button[type=submit]")
    page.wait_for_url(re.compile(r".*division=650103.*"))
    page.wait_for_function("document.querySelectorAll('[data-testid=ledger-table] tbody tr').length === 1")
    page.fill("input[name=division]", "12")
    page.click(".filters button[type=submit]")
    page.wait_for_selector("[data-testid=filter-error]")
    assert "division" in page.text_content("[data-testid=filter-error]")
    shot(page, "filter-error")
    # The reach filter is a list of the reaches the user may name; a lake that is none of them is a message.
    page.goto(base + "/river/patrols/")
    page.select_option("select[name=reach]", str(geography["reach_w"].pk))
    page.click(".filters button[type=submit]")
    page.wait_for_url(re.compile(rf".*reach={geography['reach_w'].pk}.*"))
    rows = "document.querySelectorAll('[data-testid=ledger-table] tbody tr').length"
    for _ in range(100):  # polled from Python: wait_for_function's string is an eval the CSP refuses
        if page.evaluate(rows) == 1:
            break
        page.wait_for_timeout(100)
    assert page.evaluate(rows) == 1
    page.goto(base + "/river/patrols/?lake=9000000")
    assert "lake" in page.text_content("[data-testid=filter-error]")
    shot(page, "lake-filter-error")


def test_the_menu_shows_what_awaits_the_reviewer(guarded, live_server, console_data, users):
    """待办: an overdue case puts a count beside 问题台账; the count opens exactly those rows."""
    import datetime as dt

    from patrols import services as patrol_services
    from patrols.models import Case

    case = Case.objects.get(pk=console_data.cases["township"])
    found = periods.to_beijing(case.found_at).date()
    case = patrol_services.case_assign(case=case, actor=users["admin"], responsible_unit="天山区水务局", deadline=found)
    assert patrol_services.case_flag_overdue(now=case.found_at + dt.timedelta(days=3)) == 1
    page, base = guarded, live_server.url
    with_password(users["city_reviewer"])
    log_in(page, base, users["city_reviewer"].username)
    badge = page.locator("nav.sidenav a.todo.urgent[href^='/river/cases/']")
    assert badge.count() == 1
    assert badge.inner_text() == "1"
    shot(page, "todo-badges")
    badge.click()
    page.wait_for_url(re.compile(r"/river/cases/\?overdue=true"))
    assert re.search(r"\d+", page.locator("[data-testid=row-count]").inner_text()).group(0) == "1"  # type: ignore[union-attr]

"""The oversight pages in a real browser (Debian's chromium, as tests/console/test_browser.py): a member
unit signs in to its inbox, opens its task, reports progress with a photo and completes it; the
office signs it off on the same page; a bad hand-over sheet is refused with its rows named. Any request
to another host, any console error (an inline script or style under the CSP) fails the test.
Screenshots go to var/browser/ for a person to look at."""

from __future__ import annotations

import re
from typing import Any

from oversight.models import Task
from tests.console.browser import BROWSER_TESTS, PASSWORD, log_in, shot, with_password
from tests.console.browser import browser_context_args as browser_context_args  # fixtures, re-exported
from tests.console.browser import browser_type_launch_args as browser_type_launch_args
from tests.console.browser import guarded as guarded
from tests.oversight.conftest import ledger as ledger
from tests.oversight.conftest import units as units

pytestmark = BROWSER_TESTS

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_unit_works_its_task_and_the_office_signs_it_off(guarded, live_server, ledger, users, tmp_path):
    page, base = guarded, live_server.url
    unit = with_password(ledger["units"]["tianshan"])
    task = ledger["t_e"]
    log_in_unit(page, base, unit.username)
    # The inbox: the overdue task first, marked, with what to do.
    assert page.text_content("h1") == "本单位待办"
    row = page.locator("[data-testid=inbox-tasks] tbody tr").first
    assert task.code in row.text_content()
    assert "overdue" in (row.get_attribute("class") or "")
    assert page.locator("nav a", has_text="巡河").count() == 0
    shot(page, "oversight-inbox-unit")
    row.locator("a", has_text=task.code).click()
    page.wait_for_url(re.compile(rf".*/oversight/tasks/{task.pk}/$"))
    assert page.locator("[data-testid=act-sign_off]").count() == 0
    page.click("[data-testid=act-start]")
    page.wait_for_selector(".messages")
    # Progress with a photo, on the first milestone.
    photo = tmp_path / "现场照片.png"
    photo.write_bytes(PNG)
    page.click("[data-testid=open-progress]")
    page.fill("textarea[name=text]", "已清理河道垃圾30吨")
    page.set_input_files("input[name=files]", str(photo))
    page.click("[data-testid=act-progress]")
    page.wait_for_selector("[data-testid=progress] >> text=现场照片.png")
    # A bad date is a message beside the field, the input kept.
    page.click("[data-testid=open-complete]")
    page.fill("input[name=completed_on]", "2099-01-01")
    page.fill("form[action$='/complete/'] input[name=note]", "按期完成")
    page.click("[data-testid=act-complete]")
    page.wait_for_selector("[data-testid=error-completed_on]")
    assert page.input_value("form[action$='/complete/'] input[name=note]") == "按期完成"
    page.fill("input[name=completed_on]", "2022-12-20")
    page.click("[data-testid=act-complete]")
    page.wait_for_selector(".messages")
    shot(page, "oversight-task-unit")
    assert Task.objects.get(pk=task.pk).status == "completed"
    page.click("[data-testid=logout]")

    office = with_password(users["city_reviewer"])
    log_in(page, base, office.username)
    page.goto(f"{base}/oversight/tasks/")
    assert page.locator("[data-testid=ledger-table] tbody tr").count() == 2
    page.select_option("select[name=status]", "completed")
    page.click(".filters button[type=submit]")
    page.wait_for_url(re.compile(r".*status=completed.*"))
    assert page.locator("[data-testid=ledger-table] tbody tr").count() == 1
    shot(page, "oversight-tasks-ledger")
    page.click(f"[data-testid=ledger-table] a:text('{task.code}')")
    page.wait_for_url(re.compile(rf".*/oversight/tasks/{task.pk}/$"))
    page.click("[data-testid=open-sign_off]")
    page.fill("form[action$='/sign_off/'] input[name=note]", "经现场核查，同意销号")
    page.click("[data-testid=act-sign_off]")
    page.wait_for_selector(".messages")
    assert Task.objects.get(pk=task.pk).status == "signed_off"
    assert "已销号" in page.text_content("dl.figures")
    shot(page, "oversight-task-signed-off")


def log_in_unit(page: Any, base: str, username: str) -> None:
    """A unit's home is its inbox: log-in lands on / and is sent on."""
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(base + "/oversight/inbox/")


def test_a_bad_hand_over_sheet_is_refused_with_its_rows_named(guarded, live_server, ledger, users, tmp_path):
    page, base = guarded, live_server.url
    office = with_password(users["city_reviewer"])
    log_in(page, base, office.username)
    page.click("nav a:text('导入交办批次')")
    page.wait_for_url(re.compile(r".*/oversight/petitions/import/$"))
    sheet = tmp_path / "交办清单.csv"
    sheet.write_text(
        "受理编号,来源渠道,反映问题,行政区划代码,污染类型,责任单位,办理时限\n"
        "B0001,热线,河道垃圾,650102,水,unit_tianshan,2022-05-31\n"
        "B0002,热线,河道垃圾,659999,水,unit_tianshan,2022-05-31\n",
        encoding="utf-8",
    )
    page.select_option("select[name=round]", "CI-2")
    page.fill("input[name=batch]", "5")
    page.fill("input[name=received_on]", "2022-04-02")
    page.set_input_files("input[name=file]", str(sheet))
    page.click("[data-testid=act-import]")
    page.wait_for_selector("[data-testid=import-errors]")
    assert "rows[1].division" in page.text_content("[data-testid=import-errors]")
    shot(page, "oversight-import-refused")
    page.goto(f"{base}/oversight/petitions/")
    assert page.locator("[data-testid=ledger-table] tbody tr").count() == 3
    page.locator("[data-testid=ledger-table] tbody tr a").first.click()
    page.wait_for_url(re.compile(r".*/oversight/petitions/\d+/$"))
    shot(page, "oversight-petition-detail")

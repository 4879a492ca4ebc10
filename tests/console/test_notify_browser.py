"""The bell and the inbox in a real browser (chromium, the production CSP, every request to another
host refused and failing the test): the unread count, the inbox in Chinese, mark one read, mark all
read."""

from __future__ import annotations

from tests.console.browser import BROWSER_TESTS, log_in, shot, with_password
from tests.console.browser import browser_context_args as browser_context_args  # fixtures, re-exported
from tests.console.browser import browser_type_launch_args as browser_type_launch_args
from tests.console.browser import guarded as guarded
from tests.console.test_notify_views import tell, unread

pytestmark = BROWSER_TESTS


def test_the_bell_and_the_inbox(guarded, live_server, users, geography):
    page, base = guarded, live_server.url
    me = with_password(users["city_reviewer"])
    tell(me, 3)
    tell(users["chief_650102"], 1, start=10)  # someone else's: never shown
    log_in(page, base, me.username)
    assert page.text_content("[data-testid=bell-count]") == "3"
    page.click("[data-testid=bell]")
    page.wait_for_url(base + "/notifications/")
    assert page.text_content("h1") == "通知"
    assert page.locator("[data-testid=inbox] li.note").count() == 3
    assert page.locator("[data-testid=inbox] li.note.unread").count() == 3
    assert "C002" in page.text_content("[data-testid=inbox] li.note >> nth=0")  # newest first
    assert "3 条未读" in page.text_content("[data-testid=inbox-unread]")
    shot(page, "notify-inbox")
    page.click("[data-testid=inbox] li.note >> nth=0 >> [data-testid=read]")
    page.wait_for_load_state()
    assert page.text_content("[data-testid=bell-count]") == "2"
    assert page.locator("[data-testid=inbox] li.note.unread").count() == 2
    page.click("[data-testid=read-all]")
    page.wait_for_load_state()
    assert page.locator("[data-testid=bell-count]").count() == 0
    assert page.locator("[data-testid=inbox] li.note.unread").count() == 0
    assert unread(me) == 0
    assert unread(users["chief_650102"]) == 1
    shot(page, "notify-inbox-read")
    # The row links to the case's console page.
    href = page.get_attribute("[data-testid=inbox] li.note >> nth=0 >> [data-testid=open]", "href")
    assert href.startswith("/river/cases/")

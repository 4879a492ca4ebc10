"""A chief's home in the browser: their reach, their patrol frequency as the compliance selector counts
it, their patrols and open cases, and the way to the one map (which then draws)."""

from __future__ import annotations

from typing import Any

from tests.console.browser import BROWSER_TESTS, log_in, shot, with_password
from tests.console.browser import browser_context_args as browser_context_args  # fixtures, re-exported
from tests.console.browser import browser_type_launch_args as browser_type_launch_args
from tests.console.browser import guarded as guarded

pytestmark = BROWSER_TESTS


def test_a_chief_sees_their_reach_frequency_patrols_and_cases(
    guarded: Any, live_server: Any, console_data: Any, chiefs: Any, geography: Any
) -> None:
    page, base = guarded, live_server.url
    chief = with_password(chiefs["township"])
    log_in(page, base, chief.username)
    assert geography["reach_e"].name in page.text_content("main")
    rows = page.locator("[data-testid=chief-compliance] tbody tr")
    assert rows.count() >= 1
    assert "2024年度" in page.text_content("[data-testid=chief-compliance]")
    shot(page, "chief-home")
    page.click("[data-testid=chief-map]")
    page.wait_for_url(base + "/map/")
    page.wait_for_selector(".leaflet-container")

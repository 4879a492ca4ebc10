"""A chief's home in the browser: their reach, their patrol frequency as the compliance selector counts
it, their patrols and open cases, and the way to the one map (which then draws)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.console.test_browser import CHROMIUM, PASSWORD, log_in, shot
from tests.console.test_browser import browser_context_args as browser_context_args  # fixtures, re-exported
from tests.console.test_browser import browser_type_launch_args as browser_type_launch_args
from tests.console.test_browser import guarded as guarded

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (scripts/system-deps.sh)"),
]


def test_a_chief_sees_their_reach_frequency_patrols_and_cases(guarded: Any, live_server: Any, console_data: Any,
                                                             chiefs: Any, geography: Any) -> None:  # fmt: skip
    page, base = guarded, live_server.url
    chief = chiefs["township"]
    chief.set_password(PASSWORD)
    chief.save()
    log_in(page, base, chief.username)
    assert geography["reach_e"].name in page.text_content("main")
    rows = page.locator("[data-testid=chief-compliance] tbody tr")
    assert rows.count() >= 1
    assert "2024年度" in page.text_content("[data-testid=chief-compliance]")
    shot(page, "chief-home")
    page.click("[data-testid=chief-map]")
    page.wait_for_url(base + "/map/")
    page.wait_for_selector(".leaflet-container")

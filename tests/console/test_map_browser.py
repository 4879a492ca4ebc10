"""The map in a real browser (Playwright driving Debian's /usr/bin/chromium, never a downloaded
browser): a reviewer's session opens the map, the reach and intake layers are drawn (their SVG paths
counted), a click opens a feature's card, a detail page's map draws a patrol's track, and no request
goes to any host but the test server (every other request is aborted and fails the test)."""

from __future__ import annotations

import os
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest

from accounts.models import User

# The live server answers in its own thread while Playwright's event loop runs in this one; the test's
# own ORM calls (fixtures) are plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.urls("tests.console.map_urls")
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "pw-for-map-browser-tests-1"
# What production sends (config.settings, core.csp): an inline script or style would be refused.
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/system-deps.sh does)")
    # --no-sandbox: CI runs as root, where chromium refuses its sandbox.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    }


@pytest.fixture
def offline_page(page: Any, live_server: Any) -> tuple[Any, list[str], list[str]]:
    """The page, with every request to a host other than the live server aborted and recorded, the
    production CSP on every document, and script errors and CSP refusals recorded."""
    own = urlsplit(live_server.url).netloc
    foreign: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        if urlsplit(url).netloc != own:
            foreign.append(url)
            r.abort()
        elif r.request.resource_type == "document":
            response = r.fetch(max_redirects=0)
            r.fulfill(response=response, headers={**response.headers, "content-security-policy": CSP})
        else:
            r.continue_()

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # A 400 is what the bad-period test asks for; any other console error (a CSP refusal among them) fails.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "status of 400" not in m.text else None)
    return page, foreign, errors


# A point along one of the matching paths where that path is what a click hits, in page pixels.
_TOPMOST_POINT_ON = """(selector) => {
  for (const path of document.querySelectorAll(selector)) {
    const total = path.getTotalLength();
    const ctm = path.getScreenCTM();
    for (let i = 1; i < 40; i++) {
      const p = path.getPointAtLength((total * i) / 40).matrixTransform(ctm);
      if (document.elementFromPoint(p.x, p.y) === path) { return { x: p.x, y: p.y }; }
    }
  }
  return null;
}"""


def log_in(page: Any, live_server: Any, user: User) -> None:
    """Through the console's log-in page, as a person does."""
    user.set_password(PASSWORD)
    user.save()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/")


def test_map_draws_reaches_and_intakes_with_no_other_host(
    offline_page: tuple[Any, list[str], list[str]],
    live_server: Any,
    users: dict[str, User],
    add_map_rows: Callable[[int], SimpleNamespace],
) -> None:
    city = add_map_rows(2)
    page, foreign, errors = offline_page
    log_in(page, live_server, users["city_reviewer"])
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#hz-map[data-ready='1']", timeout=30_000)
    assert page.locator("#hz-map path.hz-f-reaches").count() == 2
    assert page.locator("#hz-map path.hz-f-intakes").count() == 4
    assert page.locator("#hz-map .hz-pin.hz-f-cases").count() == 4
    assert page.get_attribute("#hz-map", "data-drawn-patrols") == "4"
    # The legend shows the entries in use, with their counts.
    assert page.locator('[data-legend-for="intakes"] li[data-sym="intake-offline"]').is_visible()
    assert not page.locator('[data-legend-for="intakes"] li[data-sym="intake-online"]').is_visible()
    # A click on a reach opens its card, with its chief.
    # Leaflet takes the click on the stroke, and other layers (tracks, pins) may lie over a reach,
    # so the mouse goes to a point of the line where the reach is the topmost element.
    point = page.evaluate(_TOPMOST_POINT_ON, "#hz-map path.hz-f-reaches")
    assert point is not None, "no point of a reach is clickable"
    page.mouse.click(point["x"], point["y"])
    page.wait_for_selector(".hz-card[data-kind='reach']", timeout=10_000)
    assert city.geography["reach_w"].name in page.inner_text(".hz-card") or city.geography[
        "reach_e"
    ].name in page.inner_text(".hz-card")
    # Switching a layer off removes its features and its legend.
    page.uncheck('input[name="layer"][value="intakes"]')
    assert page.locator("#hz-map path.hz-f-intakes").count() == 0
    assert not page.locator('[data-legend-for="intakes"]').is_visible()
    assert foreign == []
    assert errors == []


def test_bad_period_is_a_message_on_the_page(
    offline_page: tuple[Any, list[str], list[str]],
    live_server: Any,
    users: dict[str, User],
    add_map_rows: Callable[[int], SimpleNamespace],
) -> None:
    add_map_rows(1)
    page, foreign, errors = offline_page
    log_in(page, live_server, users["city_reviewer"])
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#hz-map[data-ready='1']", timeout=30_000)
    page.fill('input[name="start"]', "2024-06-30")
    page.fill('input[name="end"]', "2024-06-01")
    page.click("#hz-map-filter button[type=submit]")
    page.wait_for_selector("#hz-map-error:not([hidden])", timeout=10_000)
    assert "end" in page.inner_text("#hz-map-error")
    assert foreign == []
    assert errors == []


def test_detail_page_map_draws_a_patrol_track_over_its_reach(
    offline_page: tuple[Any, list[str], list[str]],
    live_server: Any,
    users: dict[str, User],
    add_map_rows: Callable[[int], SimpleNamespace],
) -> None:
    city = add_map_rows(1)
    page, foreign, errors = offline_page
    log_in(page, live_server, users["city_reviewer"])
    page.goto(f"{live_server.url}/test/detail/patrol/{city.patrols['e'][0].pk}/")
    page.wait_for_selector(".hz-detail-map[data-drawn='2']", timeout=30_000)
    assert page.locator(".hz-detail-map path.hz-f-patrols").count() == 1
    assert page.locator(".hz-detail-map path.hz-f-context").count() == 1
    assert foreign == []
    assert errors == []

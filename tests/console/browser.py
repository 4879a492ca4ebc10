"""What the console's browser tests share: Debian's chromium (/usr/bin/chromium; Playwright's own
browser download is not used), the marks every browser test module carries, the fixtures that launch
it as a bureau desktop and guard the page (every request to a host other than the server aborted and
failing the test, any console error failing it), log-in, and screenshots under var/browser/ for a
person to look at (CI artefacts).

A test module takes the fixtures by re-exporting them (`from tests.console.browser import guarded as
guarded`), so pytest finds them in the module; tests/console/test_map_browser.py keeps its own, as it
runs against its own URL conf."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from accounts.models import User

# Playwright's event loop runs in this thread while the test's own ORM calls (the database set-up,
# fixtures, the report it compares with) are plain synchronous code, which Django would refuse as if it
# were async code. Set when this module is imported, so for the rest of the run: it only turns off that
# check, which no other test relies on.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "pw-for-browser-tests-1"
SHOTS = Path(settings.BASE_DIR) / "var" / "browser"

# Every browser test module's marks: `pytestmark = BROWSER_TESTS`.
BROWSER_TESTS = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (scripts/system-deps.sh)"),
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    # --no-sandbox: CI runs as root, where chromium refuses its sandbox; --disable-dev-shm-usage: small
    # /dev/shm in containers.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # A bureau desktop: Chinese browser, 1366×768 screen.
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1366, "height": 768}}


@pytest.fixture
def guarded(page: Any, live_server: Any) -> Iterator[Any]:
    """The page, with foreign hosts refused, the production CSP on every document, and console errors
    collected; the test fails at the end if any occurred."""
    host = urlsplit(live_server.url).netloc
    foreign: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        if urlsplit(r.request.url).netloc != host:
            foreign.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    page.route("**/*", route)
    # A 404 (a row outside the scope) and a 400 (a bad filter, answered to htmx) are what some tests ask
    # for; the browser logs them as failed loads. Any other console error fails the test.
    expected = ("status of 404", "status of 400")
    page.on(
        "console",
        lambda m: errors.append(m.text) if m.type == "error" and not any(e in m.text for e in expected) else None,
    )
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.set_default_timeout(20_000)
    yield page
    assert foreign == [], f"requests to other hosts: {foreign}"
    assert errors == [], f"console errors: {errors}"


def with_password(user: User) -> User:
    """The user, with the password log_in types."""
    user.set_password(PASSWORD)
    user.save()
    return user


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(base + "/")


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

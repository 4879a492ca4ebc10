"""Shared fixtures: API clients per role and a small geography.

The geography: city 650100 with districts 650102 (Tianshan) and 650103 (Saybagh) side by side; a river
managed by the city with one reach in each district; a lake in each district. A chief of 650102, a
reviewer of 650103 and a city reviewer cover the scoping cases.

Language rule of the suite: the product speaks Chinese first (LANGUAGE_CODE zh-hans), but the suite's
assertions on messages and labels are written in English, the source language of every catalogue. So
each test runs with English active (`_english_by_default`), and the API clients of `client_for` send
`Accept-Language: en` (so do the admin clients the tests make). A test about language asks for it:
`client_for(user, lang="zh-hans")`, a client of its own (no header: the server's default), or
`translation.override("zh-hans")`. Pages and API calls still pick their language from the request
(LocaleMiddleware), not from the test's active language.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import translation
from rest_framework.test import APIClient

from accounts.authentication import token_cache
from accounts.choices import Role, TokenKind
from accounts.models import User
from accounts.services import token_issue
from places.models import Division, Lake, Reach, River
from places.services import division_upsert, lake_upsert, reach_upsert, river_upsert
from tests.factories import UserFactory, box, line


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Throttle counters live in the cache; one test's logins must not throttle the next. Tokens are
    # remembered per process for API_TOKEN_CACHE_SECONDS; a test's rows are gone after it.
    cache.clear()
    token_cache.clear()


@pytest.fixture(autouse=True)
def _english_by_default() -> Iterator[None]:
    # Also makes each test's language independent of the requests earlier tests made on this thread
    # (LocaleMiddleware activates the request's language and leaves it active).
    with translation.override("en"):
        yield


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    def make(role: Role = Role.CHIEF, jurisdiction: str = "650100", **kw: Any) -> User:
        return UserFactory(role=role, jurisdiction=jurisdiction, **kw)

    return make


@pytest.fixture
def client_for(db: Any) -> Callable[[User | None], APIClient]:
    """An APIClient authenticated with a real token of `user` (anonymous for None), asking for English
    answers unless `lang` says otherwise (None: no Accept-Language, the server's default language)."""

    def make(user: User | None, *, kind: TokenKind = TokenKind.LOGIN, lang: str | None = "en") -> APIClient:
        client = APIClient()
        if lang is not None:
            client.defaults["HTTP_ACCEPT_LANGUAGE"] = lang
        if user is not None:
            _, secret = token_issue(user=user, kind=kind)
            client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
        return client

    return make


@pytest.fixture
def users(make_user: Callable[..., User]) -> dict[str, User]:
    """One user per role and scope used by the permission matrices."""
    return {
        "admin": make_user(Role.ADMIN, "", username="t_admin"),
        "city_reviewer": make_user(Role.REVIEWER, "650100", username="t_city_reviewer"),
        "reviewer_650103": make_user(Role.REVIEWER, "650103", username="t_rev_saybagh"),
        "chief_650102": make_user(Role.CHIEF, "650102", username="t_chief_tianshan"),
        "operator": make_user(Role.OPERATOR, "650100", username="t_operator"),
        "device": make_user(Role.DEVICE, "", username="t_device"),
        "no_jurisdiction": make_user(Role.REVIEWER, "", username="t_nowhere"),
    }


@pytest.fixture
def geography(db: Any) -> dict[str, Any]:
    actor = "test"
    city, _ = division_upsert(code="650100", name="乌鲁木齐市", boundary=box(87.4, 43.6, 87.8, 44.0), actor=actor)
    tianshan, _ = division_upsert(code="650102", name="天山区", boundary=box(87.6, 43.6, 87.8, 44.0), actor=actor)
    saybagh, _ = division_upsert(code="650103", name="沙依巴克区", boundary=box(87.4, 43.6, 87.6, 44.0), actor=actor)
    river, _ = river_upsert(
        code="HL-01",
        name="乌鲁木齐河",
        division_code="650100",
        geometry=line((87.45, 43.65), (87.55, 43.75), (87.65, 43.85), (87.75, 43.95)),
        actor=actor,
    )
    reach_w, _ = reach_upsert(
        code="HL-01-01",
        name="乌鲁木齐河沙依巴克区段",
        river_code="HL-01",
        division_code="650103",
        geometry=line((87.45, 43.65), (87.55, 43.75), (87.6, 43.8)),
        actor=actor,
    )
    reach_e, _ = reach_upsert(
        code="HL-01-02",
        name="乌鲁木齐河天山区段",
        river_code="HL-01",
        division_code="650102",
        geometry=line((87.6, 43.8), (87.65, 43.85), (87.75, 43.95)),
        actor=actor,
    )
    lake_e, _ = lake_upsert(
        code="HK-01",
        name="红雁池水库",
        kind="reservoir",
        division_code="650102",
        geometry=box(87.62, 43.70, 87.64, 43.72),
        actor=actor,
    )
    lake_w, _ = lake_upsert(
        code="HK-02",
        name="西湖",
        kind="lake",
        division_code="650103",
        geometry=box(87.42, 43.70, 87.44, 43.72),
        actor=actor,
    )
    return {
        "city": city,
        "tianshan": tianshan,
        "saybagh": saybagh,
        "river": river,
        "reach_e": reach_e,
        "reach_w": reach_w,
        "lake_e": lake_e,
        "lake_w": lake_w,
    }


__all__ = ["Division", "Lake", "Reach", "River"]


@pytest.fixture
def redis_broker_url() -> str:
    """The Redis that the real-worker tests use as Celery's broker (TEST_CELERY_BROKER_URL; one Redis
    database, 15 by default). Redis is part of the stack: when it is not there the test fails, naming
    the URL, rather than skipping and hiding the gap."""
    import redis

    url = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.fail(f"the real-worker tests need Redis at {url}: {exc}")
    return url


@pytest.hookimpl(trylast=True)  # after pytest-django's own ordering by database use
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests last: pytest-playwright's sync API keeps an asyncio loop running in the main thread
    for the rest of the session, and the gateway tests after it call asyncio.run()."""
    items.sort(key=lambda item: item.nodeid.split("::")[0].endswith("_browser.py"))

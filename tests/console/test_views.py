"""Console pages through Django's test client: sign-in, menus per role, scope (outside is 404), bad
filters (a message and 400), the dashboard's figures against the report JSON, and query counts that do
not grow with the rows shown. Runs on SpatiaLite and PostGIS."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from accounts.scope import scope_for
from console.ledgers.base import PAGE_SIZE
from console.views.ledgers import LEDGER_URLS
from core import periods
from reports.builders import build_report
from tests.patrols.conftest import patrol_body

pytestmark = pytest.mark.django_db

LEDGER_PATHS = ["/" + route for route, _slug in LEDGER_URLS.values()]


def test_anonymous_is_sent_to_the_login_page(web):
    resp = web(None).get("/")
    assert resp.status_code == 302
    assert resp.url.startswith("/login/")
    page = web(None).get("/login/")
    assert page.status_code == 200
    assert "登录" in page.content.decode()  # Chinese first


def test_log_in_and_out_with_the_api_accounts(users, web):
    user = users["city_reviewer"]
    user.set_password("pw-123-secret")
    user.save()
    client = web(None)
    resp = client.post("/login/", {"username": user.username, "password": "pw-123-secret"})
    assert resp.status_code == 302
    assert resp.url == "/"
    assert client.get("/").status_code == 200
    bad = web(None).post("/login/", {"username": user.username, "password": "wrong"})
    assert bad.status_code == 200
    assert "用户名或密码错误" in bad.content.decode()
    out = client.post("/logout/")
    assert out.status_code == 302
    assert client.get("/").status_code == 302


def test_a_device_account_cannot_sign_in(users, web):
    device = users["device"]
    device.set_password("pw-123-secret")
    device.save()
    resp = web(None).post("/login/", {"username": device.username, "password": "pw-123-secret"})
    assert resp.status_code == 200
    assert "遥测设备账号不能登录" in resp.content.decode()


def test_logout_needs_post_and_csrf(users):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(users["city_reviewer"])
    assert client.post("/logout/").status_code == 403  # no CSRF token


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        ("admin", ["/river/patrols/", "/water/locks/", "/admin/"], []),
        ("city_reviewer", ["/river/patrols/", "/water/locks/", "/reuse/plants/"], ["/admin/"]),
        ("chief_650102", ["/river/patrols/", "/river/cases/"], ["/water/intakes/", "/admin/", "/water/locks/"]),
        ("operator", ["/water/intakes/", "/water/readings/"], ["/river/patrols/", "/admin/", "/water/plans/"]),
    ],
)
def test_the_menu_shows_each_role_what_it_may_use(users, web, who, shown, hidden):
    html = web(users[who]).get("/").content.decode()
    for path in shown:
        assert f'href="{path}"' in html, path
    for path in hidden:
        assert f'href="{path}"' not in html, path


def test_a_reviewer_opens_every_ledger_and_never_meets_a_403(console_data, users, web):
    client = web(users["city_reviewer"])
    for path in ["/", *LEDGER_PATHS]:
        assert client.get(path).status_code == 200, path
    assert client.get(f"/river/patrols/{console_data.patrols['west']}/").status_code == 200
    assert client.get(f"/river/cases/{console_data.cases['township']}/").status_code == 200
    assert client.get(f"/water/intakes/{console_data.intake_w.pk}/").status_code == 200


def test_an_operator_sees_only_their_own_intake(console_data, users, web):
    client = web(users["operator"])
    home = client.get("/").content.decode()
    assert "QSK-E" in home
    assert "QSK-W" not in home
    ledger = client.get("/water/intakes/").content.decode()
    assert "QSK-E" in ledger
    assert "QSK-W" not in ledger
    assert client.get(f"/water/intakes/{console_data.intake_e.pk}/").status_code == 200
    assert client.get(f"/water/intakes/{console_data.intake_w.pk}/").status_code == 404
    # Pages that are not for operators are refused by role (the menu never offers them).
    assert client.get("/river/patrols/").status_code == 403


def test_a_chief_of_another_division_gets_404_for_a_case_outside_it(console_data, chiefs, web):
    west = web(chiefs["west"])
    assert west.get(f"/river/cases/{console_data.cases['township']}/").status_code == 404
    assert west.get(f"/river/patrols/{console_data.patrols['township']}/").status_code == 404
    assert west.get(f"/river/cases/{console_data.cases['west']}/").status_code == 200
    cases = west.get("/river/cases/").content.decode()
    assert console_data.cases["west"] in cases
    assert console_data.cases["township"] not in cases
    assert west.get("/river/cases/not-a-uuid/").status_code == 404


def test_the_chief_home_lists_their_reaches_patrols_and_open_cases(console_data, chiefs, geography, web):
    html = web(chiefs["township"]).get("/").content.decode()
    assert geography["reach_e"].name in html
    assert console_data.cases["township"] in html
    assert console_data.patrols["township"] in html


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/river/patrols/?start=2024-13-01", "start"),
        ("/river/patrols/?start=2024-05-02&end=2024-05-01", "end"),
        ("/river/cases/?division=12", "division"),
        ("/river/cases/?status=nonsense", "status"),
        ("/water/intakes/?online_required=perhaps", "online_required"),
        ("/water/locks/?month=2024-13", "month"),
        ("/river/patrols/?sort=password", "sort"),
        ("/river/patrols/?page=99", "page"),
        ("/river/patrols/?page=x", "page"),
    ],
)
def test_a_bad_filter_is_a_message_and_400_never_a_500(console_data, users, web, path, field):
    client = web(users["city_reviewer"])
    resp = client.get(path)
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'data-testid="filter-error"' in html
    assert field in html
    htmx = client.get(path, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 400
    assert "<html" not in htmx.content.decode()  # the table part only


def test_a_division_outside_the_jurisdiction_is_a_message(console_data, users, web):
    resp = web(users["reviewer_650103"]).get("/river/cases/?division=650102")
    assert resp.status_code == 400
    assert "650102" in resp.content.decode()
    # The city that contains the jurisdiction is fine: the scope still narrows the rows.
    assert web(users["reviewer_650103"]).get("/river/cases/?division=650100").status_code == 200


def test_filters_and_sorting_are_the_apis(console_data, users, web, geography):
    client = web(users["city_reviewer"])
    html = client.get(f"/river/patrols/?reach={geography['reach_w'].pk}").content.decode()
    assert console_data.patrols["west"] in html
    assert console_data.patrols["township"] not in html
    asc = client.get("/water/intakes/?sort=code").content.decode()
    desc = client.get("/water/intakes/?sort=-code").content.decode()
    assert asc.index("QSK-E") < asc.index("QSK-W")
    assert desc.index("QSK-W") < desc.index("QSK-E")


def test_exports_are_the_apis_with_the_same_filters(console_data, users, web, geography):
    client = web(users["city_reviewer"])
    html = client.get(f"/river/patrols/?reach={geography['reach_e'].pk}").content.decode()
    assert f"/api/v1/patrols/export/?reach={geography['reach_e'].pk}&amp;format=csv" in html
    csv = client.get(f"/api/v1/patrols/export/?reach={geography['reach_e'].pk}&format=csv")
    assert csv.status_code == 200
    assert console_data.patrols["township"] in csv.content.decode("utf-8-sig")


def test_choice_labels_not_codes(console_data, users, web):
    html = web(users["city_reviewer"]).get("/river/cases/").content.decode()
    assert ">dumping<" not in html
    from django.utils import translation

    from patrols.choices import CaseCategory

    with translation.override("zh-hans"):
        zh_label = str(CaseCategory.DUMPING.label)
    assert f"<td>{zh_label}</td>" in html


def test_the_dashboard_shows_the_report_figures_for_its_period(console_data, users, web):
    user = users["city_reviewer"]
    client = web(user)
    resp = client.get("/?kind=quarter&year=2024&n=2")
    assert resp.status_code == 200
    html = resp.content.decode()
    report = build_report(scope=scope_for(user), period=periods.quarter(2024, 2))
    assert report["patrols"]["patrols"] == 2
    assert f'data-key="patrols.patrols">{report["patrols"]["patrols"]}<' in html
    assert f'data-key="patrols.person_times">{report["patrols"]["person_times"]}<' in html
    assert f'data-key="patrols.cases_found">{report["patrols"]["cases_found"]}<' in html
    assert "2024年第2季度" in html
    # Remembered in the session: the next visit without a period shows the same one.
    assert "2024年第2季度" in client.get("/").content.decode()


def test_the_dashboard_keeps_its_figures_for_the_configured_time(
    console_data, users, web, settings, client_for, chiefs, geography
):
    settings.CONSOLE_DASHBOARD_CACHE_SECONDS = 300
    client = web(users["city_reviewer"])
    first = client.get("/?kind=year&year=2024").content.decode()
    assert 'data-key="patrols.patrols">2<' in first
    _more_patrols(chiefs["township"], geography["reach_e"], client_for, 1, 10)
    assert 'data-key="patrols.patrols">2<' in client.get("/").content.decode()  # kept
    settings.CONSOLE_DASHBOARD_CACHE_SECONDS = 0
    from django.core.cache import cache

    cache.clear()
    assert 'data-key="patrols.patrols">3<' in client.get("/").content.decode()


def test_a_newcomer_lands_on_a_year_with_data(console_data, users, web):
    html = web(users["city_reviewer"]).get("/").content.decode()
    assert "2024年" in html  # the patrols are in 2024, not in the current year


def test_a_bad_period_is_a_message(users, web):
    resp = web(users["city_reviewer"]).get("/?kind=month&year=2024&n=13")
    assert resp.status_code == 400
    assert 'data-testid="filter-error"' in resp.content.decode()


def test_the_language_switch(users, web):
    client = web(users["city_reviewer"])
    resp = client.post("/i18n/setlang/", {"language": "en", "next": "/water/intakes/"})
    assert resp.status_code == 302
    html = client.get("/water/intakes/").content.decode()
    assert "<h1>Intakes</h1>" in html
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "<h1>取水口</h1>" in client.get("/water/intakes/").content.decode()


def test_detail_pages_say_what_they_show(console_data, users, web):
    client = web(users["city_reviewer"])
    patrol = client.get(f"/river/patrols/{console_data.patrols['township']}/").content.decode()
    # The map is the one map's tag: the page names the feature URL (scoped) and holds no geometry.
    patrol_id = console_data.patrols["township"]
    assert f'data-feature-url="/map/features/patrol/{patrol_id}/"' in patrol
    assert "&quot;coordinates&quot;" not in patrol
    case = client.get(f"/river/cases/{console_data.cases['township']}/").content.decode()
    assert "已上报" in case  # the workflow's first step, in words
    assert f'data-feature-url="/map/features/case/{console_data.cases["township"]}/"' in case
    intake = client.get(f"/water/intakes/{console_data.intake_e.pk}/").content.decode()
    assert "WM-E1" in intake
    assert 'data-chart="use-plan"' in intake
    assert f'data-feature-url="/map/features/intake/{console_data.intake_e.pk}/"' in intake
    # What the page's map then fetches is the patrol's track over its reach.
    features = client.get(f"/map/features/patrol/{patrol_id}/").json()["features"]
    assert features[0]["properties"]["sym"] == "reach-context"
    assert features[1]["geometry"]["type"] in ("LineString", "MultiLineString")


def test_no_inline_script_or_style_for_the_csp(console_data, users, web):
    client = web(users["city_reviewer"])
    pages = [client.get(p) for p in ["/", "/river/patrols/", f"/river/patrols/{console_data.patrols['township']}/"]]
    for resp in [*pages, web(None).get("/login/")]:
        path = resp.wsgi_request.path
        html = resp.content.decode()
        assert "<script>" not in html, path
        assert "<style" not in html, path
        assert " style=" not in html, path
        assert "<script src=" in html


def _more_patrols(chief: Any, reach: Any, client_for: Any, n: int, day0: int) -> None:
    for i in range(n):
        start = dt.datetime(2024, 6, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(days=day0 + i)
        body = patrol_body(reach, n=60, length_m=3000.0, step_s=60.0, start=start)
        assert client_for(chief).post("/api/v1/patrols/", body, format="json").status_code == 201


def test_no_page_query_count_grows_with_the_rows_shown(
    console_data, chiefs, geography, users, web, client_for, settings
):
    settings.CONSOLE_DASHBOARD_CACHE_SECONDS = 0  # the dashboard builds its figures on every view
    settings.CONSOLE_TODO_CACHE_SECONDS = 0  # and every page counts the menu's 待办
    client = web(users["city_reviewer"])
    paths = ["/", *LEDGER_PATHS]

    def counts() -> dict[str, int]:
        out = {}
        for path in paths:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(path).status_code == 200, path
            out[path] = len(ctx)
        return out

    before = counts()
    _more_patrols(chiefs["township"], geography["reach_e"], client_for, 6, 0)
    after = counts()
    assert after == before
    assert max(after.values()) <= 80
    assert PAGE_SIZE >= 20


def test_admin_role_keeps_the_django_admin(users, web):
    admin = users["admin"]
    admin.is_staff = True
    admin.save()
    assert web(admin).get("/admin/").status_code == 200
    assert users["city_reviewer"].role == Role.REVIEWER


def test_repeated_failures_lock_the_console_log_in(users, web, settings):
    user = users["city_reviewer"]
    user.set_password("pw-123-secret")
    user.save()
    client = web(None)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert client.post("/login/", {"username": user.username, "password": "wrong"}).status_code in (200, 429)
    locked = client.post("/login/", {"username": user.username, "password": "pw-123-secret"})
    assert locked.status_code == 429
    assert client.get("/").status_code == 302  # not signed in

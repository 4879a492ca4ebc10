"""The report pages (指标报告) through the Django client, on both backends: the menu and the list per role
and scope, the build form (bad input beside its field with the input kept and nothing written; the
build queued on commit and followed by the progress box), the report page with the stored figures and
their drill-downs, the files, the sign-off (roles, another division, double submit, stale), the
versions and the diff between two of them."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.scope import scope_for
from core.models import AuditLog
from core.periods import quarter
from reports import services
from reports.models import ReportSnapshot
from tests.reports.conftest import bj, make_patrol
from tests.reports.conftest import dataset as dataset  # the report tests' fixed dataset, re-exported
from tests.water.conftest import water as water

pytestmark = pytest.mark.django_db


def _snap(user: Any, code: str, *, q: int = 2, build: bool = True) -> ReportSnapshot:
    """A snapshot requested by `user` through the service (the on-commit build never runs inside the
    test's transaction), built here when asked."""
    snap, _ = services.snapshot_request(actor=user, scope=scope_for(user), period=quarter(2024, q), division_code=code)
    if build:
        services.snapshot_build(snapshot_id=snap.pk)
    return ReportSnapshot.objects.get(pk=snap.pk)


def _sign_offs(snap: ReportSnapshot) -> int:
    return AuditLog.objects.filter(entity="reports.reportsnapshot", entity_id=str(snap.pk), reason="signed off").count()


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        ("city_reviewer", ["/reports/", "/reports/new/"], []),
        ("chief_650102", ["/reports/"], ["/reports/new/"]),
        ("operator", [], ["/reports/", "/reports/new/"]),
    ],
)
def test_the_menu_offers_the_report_pages_to_the_api_roles(geography, users, web, who, shown, hidden):
    html = web(users[who]).get("/").content.decode()
    for path in shown:
        assert f'href="{path}"' in html, path
    for path in hidden:
        assert f'href="{path}"' not in html, path


def test_the_list_is_scoped_and_says_the_state(geography, users, web, django_assert_max_num_queries):
    city = _snap(users["city_reviewer"], "650100", build=False)
    west = _snap(users["reviewer_650103"], "650103", q=1, build=False)
    html = web(users["city_reviewer"]).get("/reports/").content.decode()
    assert f'href="/reports/{city.pk}/"' in html
    assert f'href="/reports/{west.pk}/"' in html
    assert "沙依巴克区" in html
    assert 'data-testid="state">生成中' in html
    west_html = web(users["reviewer_650103"]).get("/reports/").content.decode()
    assert f'href="/reports/{west.pk}/"' in west_html
    assert f'href="/reports/{city.pk}/"' not in west_html
    chief = web(users["chief_650102"]).get("/reports/")
    assert chief.status_code == 200
    assert f'href="/reports/{city.pk}/"' not in chief.content.decode()
    assert 'data-testid="build-link"' not in chief.content.decode()
    assert web(users["operator"]).get("/reports/").status_code == 403
    for q in range(1, 5):  # more rows, the same queries
        _snap(users["city_reviewer"], "650102", q=q, build=False)
    reviewer = web(users["city_reviewer"])
    with django_assert_max_num_queries(12):
        listed = reviewer.get("/reports/?status=building")
    assert listed.content.decode().count('data-testid="state"') == 6


def test_a_reviewer_builds_a_report_and_follows_its_progress(geography, users, web, django_capture_on_commit_callbacks):
    client = web(users["city_reviewer"])
    form = client.get("/reports/new/").content.decode()
    assert 'name="quarter"' in form
    assert 'value="650100"' in form
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        resp = client.post(
            "/reports/new/", {"kind": "quarter", "quarter": "2024-Q2", "division": "650100", "reason": "季度通报"}
        )
    assert len(callbacks) == 1  # the build, queued on commit
    snap = ReportSnapshot.objects.get()
    assert resp.status_code == 302
    assert resp["Location"] == f"/reports/{snap.pk}/progress/"
    assert (snap.status, snap.period_label, snap.division_code, snap.reason) == (
        "ready",
        "2024-Q2",
        "650100",
        "季度通报",
    )
    page = client.get(resp["Location"]).content.decode()
    assert 'data-testid="open-report"' in page
    assert f'href="/reports/{snap.pk}/"' in page
    assert "hx-trigger" not in page  # built: nothing left to poll
    # A plain visit of the status URL is the progress page; htmx gets the box alone.
    assert client.get(f"/reports/{snap.pk}/status/").status_code == 302
    box = client.get(f"/reports/{snap.pk}/status/", HTTP_HX_REQUEST="true").content.decode()
    assert box.startswith('<div class="report-progress"')
    assert 'value="100"' in box


def test_the_progress_box_polls_while_the_build_runs(geography, users, web):
    snap = _snap(users["city_reviewer"], "650100", build=False)
    ReportSnapshot.objects.filter(pk=snap.pk).update(progress=40)
    client = web(users["city_reviewer"])
    box = client.get(f"/reports/{snap.pk}/status/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in box
    assert f'hx-get="/reports/{snap.pk}/status/"' in box
    assert 'value="40"' in box
    assert "open-report" not in box
    assert web(users["reviewer_650103"]).get(f"/reports/{snap.pk}/status/", HTTP_HX_REQUEST="true").status_code == 404
    assert web(users["operator"]).get(f"/reports/{snap.pk}/status/", HTTP_HX_REQUEST="true").status_code == 403
    services.snapshot_build(snapshot_id=snap.pk)
    done = client.get(f"/reports/{snap.pk}/status/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done
    assert 'data-testid="open-report"' in done


@pytest.mark.parametrize(
    ("post", "field"),
    [
        ({"kind": "quarter", "quarter": "2024-Q5", "division": "650100"}, "quarter"),
        ({"kind": "quarter", "quarter": "第二季度", "division": "650100"}, "quarter"),
        ({"kind": "range", "start": "2024-06-30", "end": "2024-04-01", "division": "650100"}, "end"),
        ({"kind": "range", "start": "2024-13-01", "end": "2024-06-30", "division": "650100"}, "start"),
        ({"kind": "quarter", "quarter": "2024-Q2", "division": "650102x"}, "division"),
        ({"kind": "quarter", "quarter": "2024-Q2", "division": "650102"}, "division"),  # outside 650103
    ],
)
def test_bad_input_is_a_message_beside_the_field_and_nothing_is_written(geography, users, web, post, field):
    resp = web(users["reviewer_650103"]).post("/reports/new/", {**post, "reason": "复核"})
    assert resp.status_code == 400
    html = resp.content.decode()
    assert f'data-testid="error-{field}"' in html
    for name in ("quarter", "start", "end"):
        if name in post:
            assert f'value="{post[name]}"' in html, name  # the input kept
    assert 'value="复核"' in html
    assert not ReportSnapshot.objects.exists()
    assert not AuditLog.objects.filter(entity="reports.reportsnapshot").exists()


def test_only_the_office_builds_reports(geography, users, web):
    body = {"kind": "quarter", "quarter": "2024-Q2", "division": "650102"}
    assert web(users["chief_650102"]).post("/reports/new/", body).status_code == 403
    assert web(users["operator"]).post("/reports/new/", body).status_code == 403
    assert web(users["chief_650102"]).get("/reports/new/").status_code == 403
    assert not ReportSnapshot.objects.exists()


def test_the_report_page_shows_the_stored_figures_with_drill_downs(dataset, users, web):
    snap = _snap(users["city_reviewer"], "650100")
    html = web(users["city_reviewer"]).get(f"/reports/{snap.pk}/").content.decode()
    assert 'data-key="patrols.person_times">6<' in html  # the hand-computed figure of the dataset
    assert 'data-key="water.use_m3">21,840<' in html
    # Drill-downs are console ledgers filtered to the period and the division.
    assert 'href="/river/patrols/?status=completed&amp;start=2024-04-01&amp;end=2024-06-30&amp;division=650100' in html
    assert f'href="/reports/{snap.pk}/file/pdf/"' in html
    assert f'href="/reports/{snap.pk}/file/xlsx/"' in html
    assert 'data-testid="act-sign_off"' in html
    # A chief of the district reads their division's report, without the sign-off button.
    east = _snap(users["city_reviewer"], "650102")
    chief = web(users["chief_650102"]).get(f"/reports/{east.pk}/")
    assert chief.status_code == 200
    assert 'data-testid="act-sign_off"' not in chief.content.decode()
    assert web(users["chief_650102"]).get(f"/reports/{snap.pk}/").status_code == 404
    assert web(users["reviewer_650103"]).get(f"/reports/{snap.pk}/").status_code == 404


def test_the_files_are_the_stored_ones_with_the_api_headers(geography, users, web):
    snap = _snap(users["city_reviewer"], "650100")
    client = web(users["city_reviewer"])
    pdf = client.get(f"/reports/{snap.pk}/file/pdf/")
    assert (pdf.status_code, pdf["Content-Type"], pdf.content[:4]) == (200, "application/pdf", b"%PDF")
    assert pdf["Content-Disposition"] == 'attachment; filename="report-2024-Q2-650100-v1.pdf"'
    assert pdf.content == bytes(ReportSnapshot.objects.get(pk=snap.pk).pdf)
    xlsx = client.get(f"/reports/{snap.pk}/file/xlsx/")
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx["Content-Disposition"] == 'attachment; filename="report-2024-Q2-650100-v1.xlsx"'
    assert xlsx.content.startswith(b"PK")
    assert client.get(f"/reports/{snap.pk}/file/csv/").status_code == 404
    assert web(users["reviewer_650103"]).get(f"/reports/{snap.pk}/file/pdf/").status_code == 404
    assert web(users["operator"]).get(f"/reports/{snap.pk}/file/pdf/").status_code == 403
    building = _snap(users["city_reviewer"], "650100", q=3, build=False)
    assert client.get(f"/reports/{building.pk}/file/pdf/").status_code == 404


def test_sign_off_roles_and_scope(geography, users, web):
    snap = _snap(users["city_reviewer"], "650102")
    assert web(users["chief_650102"]).post(f"/reports/{snap.pk}/sign-off/").status_code == 403
    assert web(users["operator"]).post(f"/reports/{snap.pk}/sign-off/").status_code == 403
    assert web(users["reviewer_650103"]).post(f"/reports/{snap.pk}/sign-off/").status_code == 404
    snap.refresh_from_db()
    assert (snap.status, snap.signed_off_by_id, _sign_offs(snap)) == ("ready", None, 0)


def test_sign_off_once_even_when_submitted_twice(geography, users, web):
    snap = _snap(users["city_reviewer"], "650100")
    client = web(users["city_reviewer"])
    first = client.post(f"/reports/{snap.pk}/sign-off/", {"version": "1"})
    assert first.status_code == 302
    assert first["Location"] == f"/reports/{snap.pk}/"
    second = client.post(f"/reports/{snap.pk}/sign-off/", {"version": "1"})
    assert second.status_code == 409
    assert 'data-testid="action-error"' in second.content.decode()
    snap.refresh_from_db()
    assert (snap.status, snap.signed_off_by_id, _sign_offs(snap)) == ("signed_off", users["city_reviewer"].pk, 1)
    page = client.get(f"/reports/{snap.pk}/").content.decode()
    assert "已签发" in page or "signed" in page.lower()
    assert 'data-testid="act-sign_off"' not in page


def test_a_stale_sign_off_is_a_409_message_and_writes_nothing(geography, users, web):
    snap = _snap(users["city_reviewer"], "650100")
    mine = web(users["city_reviewer"])
    assert 'data-testid="act-sign_off"' in mine.get(f"/reports/{snap.pk}/").content.decode()
    services.snapshot_sign_off(actor=users["admin"], snap=snap)  # someone else, meanwhile
    resp = mine.post(f"/reports/{snap.pk}/sign-off/", {"version": "1"})
    assert resp.status_code == 409
    html = resp.content.decode()
    assert 'data-testid="action-error"' in html
    assert "已签发" in html
    snap.refresh_from_db()
    assert (snap.signed_off_by_id, _sign_offs(snap)) == (users["admin"].pk, 1)


def test_versions_and_the_diff_between_two(dataset, users, web):
    v1 = _snap(users["city_reviewer"], "650100")
    make_patrol(dataset.chief_e, dataset.sections["river_e"].reach, "township", bj(2024, 6, 28), 2000, 3)
    v2 = _snap(users["city_reviewer"], "650100")
    assert (v2.version, v2.previous_id) == (2, v1.pk)
    client = web(users["city_reviewer"])
    page = client.get(f"/reports/{v2.pk}/").content.decode()
    assert f'href="/reports/{v1.pk}/"' in page
    assert "v2" in page
    assert f'<option value="{v1.pk}" selected>' in page
    diff = client.get(f"/reports/{v2.pk}/diff/", {"against": v1.pk})
    assert diff.status_code == 200
    rows = diff.content.decode().split('data-testid="diff"', 1)[1]
    person_times = rows.split("patrols.person_times", 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">6</td><td class="num">10</td>' in person_times
    assert 'href="/river/patrols/?' in person_times
    assert "巡河、问题或垃圾清理记录有新增或变动" in person_times  # the service's reason, in the page's language
    assert ".label" not in rows  # the labels are stored in one language whoever builds
    assert client.get(f"/reports/{v2.pk}/diff/").content.decode().count("<tr>") >= 2  # the previous by default
    assert client.get(f"/reports/{v2.pk}/diff/", {"against": 999999}).status_code == 404
    assert web(users["reviewer_650103"]).get(f"/reports/{v2.pk}/diff/").status_code == 404

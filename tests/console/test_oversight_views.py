"""The oversight pages (督察整改与信访) through the Django client: the menu per role, the ledgers scoped
like the API (a unit sees what is handed to it, a reviewer of another district gets 404), the workflow
actions posted to the services (CSRF), bad input as a message beside the form with nothing written,
the hand-over import refused whole with each bad row named, and the member unit's inbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from core.models import AuditLog
from oversight import services
from oversight.models import Petition, Task
from oversight.services.common import SYSTEM
from tests.oversight.conftest import ledger as ledger  # the fixtures, re-exported for these tests
from tests.oversight.conftest import units as units

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LEDGERS = ["/oversight/findings/", "/oversight/tasks/", "/oversight/petitions/", "/oversight/orders/"]


def _petition(number: str) -> Petition:
    return Petition.objects.get(number=number)


def _rows(html: str) -> int:
    body = html.split('data-testid="ledger-table"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.count("<tr>") - body.count('class="empty"')


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        (
            "city_reviewer",
            ["/oversight/tasks/", "/oversight/petitions/import/", "/oversight/circulars/"],
            ["/oversight/inbox/"],
        ),
        ("chief_650102", [], ["/oversight/tasks/", "/oversight/petitions/"]),
        ("operator", [], ["/oversight/tasks/"]),
    ],
)
def test_the_menu_shows_oversight_to_the_roles_that_use_it(users, web, who, shown, hidden):
    html = web(users[who]).get("/").content.decode()
    for path in shown:
        assert f'href="{path}"' in html, path
    for path in hidden:
        assert f'href="{path}"' not in html, path


def test_a_unit_lands_on_its_inbox_and_its_menu_is_oversight_only(ledger, web):
    client = web(ledger["units"]["tianshan"])
    resp = client.get("/")
    assert resp.status_code == 302
    assert resp["Location"] == "/oversight/inbox/"
    html = client.get("/oversight/inbox/").content.decode()
    for path in ["/oversight/inbox/", "/oversight/tasks/", "/oversight/petitions/", "/oversight/orders/"]:
        assert f'href="{path}"' in html, path
    for path in ["/river/patrols/", "/water/intakes/", "/oversight/petitions/import/", "/oversight/circulars/"]:
        assert f'href="{path}"' not in html, path
    assert client.get("/oversight/petitions/import/").status_code == 403
    assert client.get("/river/patrols/").status_code == 403


def test_a_chief_is_refused_the_oversight_pages(ledger, users, web):
    client = web(users["chief_650102"])
    for path in [*LEDGERS, "/oversight/inbox/", f"/oversight/tasks/{ledger['t_e'].pk}/"]:
        assert client.get(path).status_code == 403, path


def test_a_reviewer_opens_every_oversight_page(ledger, users, web):
    client = web(users["city_reviewer"])
    petition = _petition("X650000202203300001")
    for path in [
        *LEDGERS,
        "/oversight/circulars/",
        "/oversight/circulars/new/",
        "/oversight/petitions/import/",
        f"/oversight/tasks/{ledger['t_e'].pk}/",
        f"/oversight/petitions/{petition.pk}/",
    ]:
        resp = client.get(path)
        assert resp.status_code == 200, path
    html = client.get("/oversight/tasks/").content.decode()
    assert _rows(html) == 2
    assert "清理河道垃圾" in html
    assert "天山区人民政府" in html
    assert "已逾期" in html or "逾期" in html  # the timeliness label, not the code "overdue"
    assert _rows(client.get("/oversight/petitions/").content.decode()) == 3


@pytest.mark.parametrize(("unit", "tasks", "petitions"), [("tianshan", 1, 2), ("water", 2, 1), ("other", 0, 0)])
def test_a_unit_sees_exactly_what_is_handed_to_it(ledger, web, unit, tasks, petitions):
    client = web(ledger["units"][unit])
    assert _rows(client.get("/oversight/tasks/").content.decode()) == tasks
    assert _rows(client.get("/oversight/petitions/").content.decode()) == petitions


def test_a_unit_gets_404_for_items_not_handed_to_it(ledger, web):
    other = web(ledger["units"]["other"])
    t, p = ledger["t_e"], _petition("X650000202203300001")
    assert other.get(f"/oversight/tasks/{t.pk}/").status_code == 404
    assert other.get(f"/oversight/petitions/{p.pk}/").status_code == 404
    assert other.post(f"/oversight/tasks/{t.pk}/start/").status_code == 404
    assert other.post(f"/oversight/petitions/{p.pk}/submit/", {"result": "x"}).status_code == 404
    assert Task.objects.get(pk=t.pk).status == "not_started"


def test_a_reviewer_of_another_district_gets_404(ledger, users, web):
    client = web(users["reviewer_650103"])
    assert client.get(f"/oversight/tasks/{ledger['t_e'].pk}/").status_code == 404
    assert client.get(f"/oversight/petitions/{_petition('X650000202203300001').pk}/").status_code == 404
    assert client.get(f"/oversight/tasks/{ledger['t_w'].pk}/").status_code == 200
    assert client.get(f"/oversight/petitions/{_petition('X650000202203300002').pk}/").status_code == 200
    assert _rows(client.get("/oversight/tasks/").content.decode()) == 1
    resp = client.get("/oversight/tasks/?division=650102")
    assert resp.status_code == 400  # outside the jurisdiction: a message, not an empty table
    assert "650102" in resp.content.decode()


def test_actions_need_the_csrf_token(ledger):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ledger["units"]["tianshan"])
    assert client.post(f"/oversight/tasks/{ledger['t_e'].pk}/start/").status_code == 403
    assert Task.objects.get(pk=ledger["t_e"].pk).status == "not_started"


def test_a_task_goes_through_the_workflow_on_its_page(ledger, users, web):
    unit, office = web(ledger["units"]["tianshan"]), web(users["city_reviewer"])
    task = ledger["t_e"]
    url = f"/oversight/tasks/{task.pk}/"
    page = unit.get(url).content.decode()
    assert 'data-testid="act-start"' in page
    assert 'data-testid="act-sign_off"' not in page
    assert unit.post(url + "start/").status_code == 302
    ms = task.milestones.order_by("due_on").first()
    resp = unit.post(
        url + "progress/",
        {"text": "已完成清理方案", "milestone": str(ms.pk), "files": SimpleUploadedFile("现场.png", PNG, "image/png")},
    )
    assert resp.status_code == 302
    assert unit.post(url + "milestone_complete/", {"milestone": ms.pk, "done_on": "2022-07-20"}).status_code == 302
    page = unit.get(url).content.decode()
    assert "已完成清理方案" in page
    assert "现场.png" in page
    # A unit may not sign off: no button, and a typed POST is refused.
    assert unit.post(url + "sign_off/").status_code == 403
    assert unit.post(url + "complete/", {"completed_on": "2022-12-20"}).status_code == 302
    # The office returns it without a reason: the message beside the form, the page again, nothing written.
    resp = office.post(url + "return/", {"reason": "  "})
    assert resp.status_code == 400
    assert 'data-testid="error-reason"' in resp.content.decode()
    assert Task.objects.get(pk=task.pk).status == "completed"
    assert office.post(url + "sign_off/", {"note": "经现场核查，同意销号"}).status_code == 302
    task.refresh_from_db()
    assert task.status == "signed_off"
    assert task.signed_off_by == users["city_reviewer"]
    history = office.get(url).content.decode().split('data-testid="history"', 1)[1]
    assert history.count("<tr>") >= 5  # created, started, completed, signed off, milestone steps
    assert "已完成 → 已销号" in history  # the status change in words
    assert "7月完成清理方案" in history  # the milestone's own rows, named


def test_a_bad_date_and_a_status_jump_are_messages(ledger, web):
    unit = web(ledger["units"]["tianshan"])
    url = f"/oversight/tasks/{ledger['t_e'].pk}/"
    unit.post(url + "start/")
    resp = unit.post(url + "complete/", {"completed_on": "2022-13-45", "note": "kept"})
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'data-testid="error-completed_on"' in html
    assert 'value="kept"' in html
    resp = unit.post(url + "complete/", {"completed_on": "2099-01-01"})
    assert resp.status_code == 400
    assert 'data-testid="error-completed_on"' in resp.content.decode()
    assert Task.objects.get(pk=ledger["t_e"].pk).status == "in_progress"
    # The water bureau's task is not started: completing it is a jump the workflow refuses (409, `status`).
    water = web(ledger["units"]["water"])
    resp = water.post(f"/oversight/tasks/{ledger['t_w'].pk}/complete/", {"completed_on": "2022-12-01"})
    assert resp.status_code == 409
    assert 'data-testid="action-error"' in resp.content.decode()
    assert "status" in resp.content.decode()


def test_an_attachment_that_is_not_a_document_is_refused(ledger, web):
    unit = web(ledger["units"]["tianshan"])
    url = f"/oversight/tasks/{ledger['t_e'].pk}/progress/"
    resp = unit.post(url, {"text": "进展", "files": SimpleUploadedFile("a.exe", b"MZ\x90\x00", "image/png")})
    assert resp.status_code == 400
    assert "files[0]" in resp.content.decode()
    assert not ledger["t_e"].progress.exists()


def test_attachments_are_read_only_by_whom_may_see_them(ledger, web):
    unit = web(ledger["units"]["tianshan"])
    task = ledger["t_e"]
    unit.post(f"/oversight/tasks/{task.pk}/progress/", {"text": "照片", "files": SimpleUploadedFile("p.png", PNG)})
    att = task.progress.get().attachments.get()
    resp = unit.get(f"/oversight/attachments/{att.pk}/")
    assert resp.status_code == 200
    assert b"".join(resp.streaming_content) == PNG
    assert web(ledger["units"]["other"]).get(f"/oversight/attachments/{att.pk}/").status_code == 404


def test_a_petition_result_is_submitted_and_accepted(ledger, users, web):
    unit, office = web(ledger["units"]["tianshan"]), web(users["city_reviewer"])
    p = _petition("X650000202203300001")
    url = f"/oversight/petitions/{p.pk}/"
    resp = unit.post(url + "submit/", {"result": "经核查属实", "substantiated": "maybe", "status": "closed"})
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'data-testid="error-substantiated"' in html
    assert "经核查属实" in html
    assert _petition(p.number).review == "none"
    resp = unit.post(
        url + "submit/",
        {"result": "经核查属实", "substantiated": "yes", "measures": "已清理", "reply": "已回复", "status": "closed"},
    )
    assert resp.status_code == 302
    assert 'data-testid="act-accept"' not in unit.get(url).content.decode()
    assert unit.post(url + "accept/").status_code == 403
    assert office.post(url + "accept/", {"closed_on": "2022-05-20"}).status_code == 302
    p.refresh_from_db()
    assert (p.status, p.closed_on) == ("closed", dt.date(2022, 5, 20))


def test_a_petition_opens_a_case_from_its_page(ledger, users, web):
    office = web(users["city_reviewer"])
    p = _petition("X650000202203300001")
    assert office.post(f"/oversight/petitions/{p.pk}/open_case/", {"category": "dumping"}).status_code == 302
    p.refresh_from_db()
    assert p.case_id is not None
    assert f"/river/cases/{p.case_id}/" in office.get(f"/oversight/petitions/{p.pk}/").content.decode()


CSV_HEAD = "受理编号,来源渠道,反映问题,行政区划代码,污染类型,责任单位,办理时限\n"


def _sheet(body: str, name: str = "交办清单.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (CSV_HEAD + body).encode(encoding), "text/csv")


def test_the_import_page_refuses_a_batch_whole_and_names_each_bad_row(ledger, users, web):
    office = web(users["city_reviewer"])
    before = Petition.objects.count()
    body = (
        "Y0001,热线,河道垃圾,650102,水,unit_tianshan,2022-05-31\n"
        "Y0002,热线,河道垃圾,659999,水,unit_tianshan,2022-05-31\n"
        "Y0003,传真,河道垃圾,650102,水,unit_nobody,2022-05-31\n"
    )
    resp = office.post(
        "/oversight/petitions/import/",
        {"round": "CI-2", "batch": "2", "received_on": "2022-04-01", "file": _sheet(body)},
    )
    assert resp.status_code == 400
    html = resp.content.decode()
    for name in ("rows[1].division", "rows[2].channel", "rows[2].unit"):
        assert name in html, name
    assert Petition.objects.count() == before
    first_row = _sheet(body.splitlines()[0] + "\n", encoding="gb18030")
    resp = office.post(
        "/oversight/petitions/import/", {"round": "CI-2", "batch": "2", "received_on": "2022-04-01", "file": first_row}
    )
    assert resp.status_code == 302
    assert "batch=2" in resp["Location"]
    assert Petition.objects.filter(number="Y0001", batch__number=2).exists()
    assert _rows(office.get(resp["Location"]).content.decode()) == 1


def test_the_import_page_names_missing_form_fields(ledger, users, web):
    resp = web(users["city_reviewer"]).post("/oversight/petitions/import/", {"round": "CI-2", "batch": "x"})
    assert resp.status_code == 400
    assert "batch" in resp.content.decode()


def test_the_inbox_lists_what_waits_overdue_first(ledger, web):
    t = ledger["t_e"]
    later = timezone.localdate() + dt.timedelta(days=400)
    late = services.task_create(
        actor="test",
        scope=SYSTEM,
        finding=ledger["f_e"],
        code="T-9",
        title="尚未到期的任务",
        lead_unit="unit_tianshan",
        deadline=later,
    )
    html = web(ledger["units"]["tianshan"]).get("/oversight/inbox/").content.decode()
    tasks = html.split('data-testid="inbox-tasks"', 1)[1].split("</section>", 1)[0]
    assert tasks.index(t.code) < tasks.index(late.code)  # the overdue one first
    assert 'class="overdue"' in tasks
    petitions = html.split('data-testid="inbox-petitions"', 1)[1].split("</section>", 1)[0]
    assert "X650000202203300001" in petitions
    assert "X650000202203300002" not in petitions
    assert "T-2" not in html  # the water bureau's task
    # A task not started yet is started from the inbox (a POST to the task's start action).
    assert f'data-testid="inbox-start-{t.code}"' in tasks
    assert web(ledger["units"]["tianshan"]).post(f"/oversight/tasks/{t.pk}/start/").status_code == 302
    assert Task.objects.get(pk=t.pk).status == "in_progress"
    other = web(ledger["units"]["other"]).get("/oversight/inbox/").content.decode()
    assert other.count("Nothing waiting") + other.count("暂无待办") + other.count("没有待办") >= 1


def test_a_unit_replies_to_a_supervision_order(ledger, users, web):
    due = timezone.localdate() + dt.timedelta(days=5)
    order = services.order_issue(
        actor=users["city_reviewer"], subject="task", item=ledger["t_e"], text="请于5日内报送整改进展", reply_due=due
    )
    unit = web(ledger["units"]["tianshan"])
    assert order.number in unit.get("/oversight/inbox/").content.decode()
    assert web(ledger["units"]["other"]).get(f"/oversight/orders/{order.pk}/").status_code == 404
    assert unit.post(f"/oversight/orders/{order.pk}/reply/", {"reply": ""}).status_code == 400
    assert unit.post(f"/oversight/orders/{order.pk}/reply/", {"reply": "已加快推进"}).status_code == 302
    order.refresh_from_db()
    assert order.reply == "已加快推进"
    assert unit.post(f"/oversight/orders/{order.pk}/reply/", {"reply": "again"}).status_code == 409


def test_a_circular_is_drafted_and_signed_from_the_console(ledger, users, web):
    office = web(users["city_reviewer"])
    resp = office.post("/oversight/circulars/new/", {"start": "2023-01-01", "end": "2023-12-31"})
    assert resp.status_code == 302
    url = resp["Location"]
    page = office.get(url).content.decode()
    assert "天山区人民政府" in page
    assert 'data-testid="act-sign"' in page
    pdf = office.get(page.split('data-testid="circular-pdf"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0])
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert office.post(url + "sign/").status_code == 302
    page = office.get(url).content.decode()
    assert 'data-testid="act-sign"' not in page
    assert office.post(url + "sign/").status_code == 409
    assert office.post("/oversight/circulars/new/", {"start": "2023-12-31", "end": "2023-01-01"}).status_code == 400


def test_a_report_figure_drills_down_to_the_console_ledger(ledger, users, web):
    from console.views.home import ledger_link

    link = ledger_link("/api/v1/oversight/tasks/?figure=overdue&start=2023-01-01&end=2023-12-31")
    assert link.startswith("/oversight/tasks/?")
    html = web(users["city_reviewer"]).get(link).content.decode()
    assert _rows(html) == 2  # both tasks were open past their deadline at the end of 2023
    link = ledger_link("/api/v1/oversight/petitions/?figure=received&start=2022-01-01&end=2022-12-31&division=650103")
    assert _rows(web(users["city_reviewer"]).get(link).content.decode()) == 1


def test_exports_are_the_apis_with_the_same_filters(ledger, users, web):
    html = web(users["city_reviewer"]).get("/oversight/petitions/?status=open").content.decode()
    assert "/api/v1/oversight/petitions/export/?status=open&amp;format=csv" in html


def test_no_inline_script_or_style_on_the_oversight_pages(ledger, users, web):
    office, unit = web(users["city_reviewer"]), web(ledger["units"]["tianshan"])
    p = _petition("X650000202203300001")
    pages = [office.get(p) for p in [*LEDGERS, "/oversight/petitions/import/", f"/oversight/tasks/{ledger['t_e'].pk}/"]]
    pages += [unit.get("/oversight/inbox/"), unit.get(f"/oversight/petitions/{p.pk}/")]
    for resp in pages:
        html = resp.content.decode()
        assert resp.status_code == 200, resp.wsgi_request.path
        for bad in ("<script>", "<style", " style="):
            assert bad not in html, (bad, resp.wsgi_request.path)


def test_an_action_is_audited_once(ledger, web):
    unit = web(ledger["units"]["tianshan"])
    t = ledger["t_e"]
    before = AuditLog.objects.filter(entity="oversight.task", entity_id=str(t.pk)).count()
    unit.post(f"/oversight/tasks/{t.pk}/start/")
    assert AuditLog.objects.filter(entity="oversight.task", entity_id=str(t.pk)).count() == before + 1


def test_ledger_query_counts_do_not_grow_with_rows(ledger, users, web, django_assert_max_num_queries):
    rows = [
        {
            "number": f"Z{i:04d}",
            "channel": "hotline",
            "complaint": "x",
            "division": "650102",
            "category": "water",
            "unit": "unit_tianshan",
            "deadline": "2022-05-31",
        }
        for i in range(60)
    ]
    services.petition_import(
        actor="test", scope=SYSTEM, round=ledger["round"], batch_number=3, received_on=dt.date(2022, 4, 2), rows=rows
    )
    office, unit = web(users["city_reviewer"]), web(ledger["units"]["tianshan"])
    office.get("/oversight/petitions/"), unit.get("/oversight/inbox/")  # the session's first-request queries
    with django_assert_max_num_queries(10):
        assert office.get("/oversight/petitions/").status_code == 200
    with django_assert_max_num_queries(12):
        assert unit.get("/oversight/inbox/").status_code == 200


def test_a_petition_page_map_reads_its_point_through_the_scoped_feature_endpoint(ledger, users, web):
    """The petition page draws its point with the console's map tag (console:map_feature), scoped as the
    page: another district's reviewer gets 404 for the feature too."""
    located = Petition.objects.exclude(location=None).first()
    assert located is not None
    html = web(users["admin"]).get(f"/oversight/petitions/{located.pk}/").content.decode()
    url = f"/map/features/petition/{located.pk}/"
    assert url in html
    body = web(users["admin"]).get(url).json()
    assert f"petition.{located.pk}" in [f["id"] for f in body["features"]]
    outsider = users["reviewer_650103"] if located.division.code.startswith("650102") else users["chief_650102"]
    assert web(outsider).get(url).status_code == 404

"""The case board and the case page (issue 15 items 1, 7): tabs and filters over the API's FilterSet, the
steps each role may take (button shown only then, POST refused otherwise), another division's case a 404,
a stale form a 409 message with nothing written, bad input beside its field with the input kept, a double
submit one step, bulk assignment with mixed results, and the desk report through case_report."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.models import AuditLog
from core.periods import to_beijing
from patrols import services
from patrols.models import Case, CaseEvent, CasePhoto

pytestmark = pytest.mark.django_db


def png(colour: tuple[int, int, int] = (200, 90, 10), name: str = "site.png") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buf, format="PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def _case(data: Any, who: str = "township") -> Case:
    return Case.objects.get(pk=data.cases[who])


def _found(case: Case) -> dt.date:
    return to_beijing(case.found_at).date()


def _steps(case: Case) -> list[tuple[str, str]]:
    return list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("from_status", "to_status"))


def _assign(case: Case, actor: Any, days: int = 30) -> Case:
    return services.case_assign(
        case=case, actor=actor, responsible_unit="天山区水务局", deadline=_found(case) + dt.timedelta(days=days)
    )


def _post(client: Any, case: Case, action: str, **data: Any) -> Any:
    return client.post(f"/river/cases/{case.pk}/{action}/", data)


# --------------------------------------------------------------------------- the board


def test_the_board_has_tabs_with_counts_and_the_apis_filters(console_data, users, web, geography):
    admin = users["admin"]
    east = _assign(_case(console_data), admin)
    client = web(users["city_reviewer"])
    resp = client.get("/river/cases/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'data-tab="reported"' in html
    assert 'data-tab="assigned"' in html
    tabs = {t["key"]: t["count"] for t in resp.context["data"]["tabs"]}
    assert tabs["reported"] == 1
    assert tabs["assigned"] == 1
    assert tabs["open"] == 2
    assert tabs["all"] == 2
    assigned = client.get("/river/cases/?status=assigned").content.decode()
    assert str(east.pk) in assigned
    assert console_data.cases["west"] not in assigned
    # Reach, category, deadline window: the API's own filters; counts follow the other filters.
    by_reach = client.get(f"/river/cases/?reach={geography['reach_w'].pk}")
    assert [r["id"] for r in by_reach.context["data"]["rows"]] == [console_data.cases["west"]]
    assert {t["key"]: t["count"] for t in by_reach.context["data"]["tabs"]}["assigned"] == 0
    due = east.deadline
    window = client.get(f"/river/cases/?deadline_from={due}&deadline_to={due}").context["data"]["rows"]
    assert [r["id"] for r in window] == [str(east.pk)]
    assert client.get(f"/river/cases/?deadline_from={due + dt.timedelta(days=1)}").context["data"]["rows"] == []
    assert client.get("/river/cases/?category=occupation").context["data"]["rows"] == []
    # The API accepts the same deadline filter.
    api = client.get(f"/api/v1/patrols/cases/?deadline_from={due}")
    assert api.status_code == 200
    assert [f["id"] for f in api.json()["features"]] == [str(east.pk)]


def test_overdue_cases_are_marked_and_filtered(console_data, users, web):
    east = _assign(_case(console_data), users["admin"], days=0)
    assert services.case_flag_overdue(now=east.found_at + dt.timedelta(days=3)) == 1
    client = web(users["city_reviewer"])
    html = client.get("/river/cases/").content.decode()
    assert html.count('data-testid="overdue-mark"') == 1
    assert f'class="overdue" data-case="{east.pk}"' in html
    only = client.get("/river/cases/?overdue=true").context["data"]["rows"]
    assert [r["id"] for r in only] == [str(east.pk)]


def test_a_bad_filter_is_a_message_and_400(console_data, users, web):
    client = web(users["city_reviewer"])
    for path, field in (
        ("/river/cases/?deadline_from=2024-13-01", "deadline_from"),
        ("/river/cases/?sort=x", "sort"),
        ("/river/cases/?overdue=perhaps", "overdue"),
        ("/river/cases/?page=9", "page"),
    ):
        resp = client.get(path)
        assert resp.status_code == 400, path
        assert 'data-testid="filter-error"' in resp.content.decode()
        assert field in resp.content.decode()
    htmx = client.get("/river/cases/?status=assigned", HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200
    assert "<html" not in htmx.content.decode()


def test_the_board_pages(console_data, users, web, chiefs, geography):
    from django.contrib.gis.geos import Point

    for k in range(55):
        services.case_report(
            actor=chiefs["west"],
            case_id=uuid.uuid4(),
            category="dumping",
            source="complaint",
            reach=geography["reach_w"],
            location=Point(87.5, 43.7, srid=4326),
            description=f"c{k}",
            found_at=dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC) + dt.timedelta(hours=k),
        )
    client = web(users["city_reviewer"])
    first = client.get("/river/cases/").context["data"]
    assert len(first["rows"]) == 50
    assert first["count"] == 57
    assert first["next_url"]
    second = client.get("/river/cases/" + first["next_url"]).context["data"]
    assert len(second["rows"]) == 7
    assert not second["next_url"]


def test_a_chief_sees_their_scope_and_no_office_controls(console_data, chiefs, web):
    west = web(chiefs["west"])
    resp = west.get("/river/cases/")
    html = resp.content.decode()
    assert [r["id"] for r in resp.context["data"]["rows"]] == [console_data.cases["west"]]
    assert 'id="bulk-assign"' not in html
    assert 'name="case"' not in html
    assert "/river/cases/new/" not in html
    assert west.get("/river/cases/new/").status_code == 403


# --------------------------------------------------------------------------- the case page: who may do what


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("city_reviewer", {"assign", "clear", "photo"}),
        ("admin", {"assign", "clear", "photo"}),
        ("chief", {"clear", "photo"}),
        ("village", set()),
    ],
)
def test_only_the_steps_the_user_may_take_are_shown(console_data, users, chiefs, web, who, expected):
    user = {"chief": chiefs["township"], "village": chiefs["village"]}.get(who) or users[who]
    resp = web(user).get(f"/river/cases/{console_data.cases['township']}/")
    assert resp.status_code == 200
    assert set(resp.context["actions"]) == expected
    html = resp.content.decode()
    for action in ("assign", "verify", "close", "reject"):
        assert (f'data-testid="act-{action}"' in html) == (action in expected)


def test_a_chief_may_not_assign_verify_or_close(console_data, chiefs, web):
    case = _case(console_data)
    chief = web(chiefs["township"])
    for action in ("assign", "verify", "reject", "close"):
        resp = _post(chief, case, action, state=case.status, responsible_unit="x", deadline="2099-01-01", note="n")
        assert resp.status_code == 403, action
    assert _steps(case) == [("", "reported")]


def test_a_reviewer_may_not_submit(console_data, users, web):
    case = services.case_rectify(case=_assign(_case(console_data), users["admin"]), actor=users["admin"])
    client = web(users["city_reviewer"])
    assert "submit" not in client.get(f"/river/cases/{case.pk}/").context["actions"]
    assert _post(client, case, "submit", state="rectifying").status_code == 403


def test_another_divisions_case_is_404(console_data, users, chiefs, web):
    east = _case(console_data)
    saybagh = web(users["reviewer_650103"])
    assert saybagh.get(f"/river/cases/{east.pk}/").status_code == 404
    assert (
        _post(saybagh, east, "assign", state="reported", responsible_unit="u", deadline="2099-01-01").status_code == 404
    )
    assert _post(web(chiefs["west"]), east, "clear", state="reported").status_code == 404
    # Another chief of the same reach reads it but acts only on their own cases.
    village = web(chiefs["village"])
    assert village.get(f"/river/cases/{east.pk}/").status_code == 200
    assert _post(village, east, "clear", state="reported").status_code == 404
    assert web(users["operator"]).get(f"/river/cases/{east.pk}/").status_code == 403
    assert _steps(east) == [("", "reported")]


# --------------------------------------------------------------------------- the steps


def test_the_whole_workflow_from_the_page(console_data, users, chiefs, web):
    case = _case(console_data)
    office, chief = web(users["city_reviewer"]), web(chiefs["township"])
    due = (_found(case) + dt.timedelta(days=10)).isoformat()
    resp = _post(
        office, case, "assign", state="reported", responsible_unit="天山区水务局", deadline=due, note="限期整改"
    )
    assert resp.status_code == 302
    assert resp["Location"] == f"/river/cases/{case.pk}/"
    assert _post(chief, case, "rectify", state="assigned").status_code == 302
    resp = chief.post(f"/river/cases/{case.pk}/submit/", {"state": "rectifying", "note": "已清理", "photo": png()})
    assert resp.status_code == 302
    assert CasePhoto.objects.get(case=case).stage == "rectifying"
    assert _post(office, case, "reject", state="submitted", note="仍有残留").status_code == 302
    assert _post(chief, case, "submit", state="rectifying", note="再次清理").status_code == 302
    assert _post(office, case, "verify", state="submitted").status_code == 302
    assert _post(office, case, "close", state="verified").status_code == 302
    case.refresh_from_db()
    assert case.status == "closed"
    assert case.closed_via == "verified"
    assert [t for _f, t in _steps(case)] == [
        "reported",
        "assigned",
        "rectifying",
        "submitted",
        "rectifying",
        "submitted",
        "verified",
        "closed",
    ]
    page = office.get(f"/river/cases/{case.pk}/")
    assert "仍有残留" in page.content.decode()
    assert page.context["actions"] == []
    assert len(page.context["history"]) >= 8  # the audit rows: create, seven steps, the photo


def test_clear_on_the_spot_with_the_photo_in_the_same_form(console_data, chiefs, web):
    case = _case(console_data)
    chief = web(chiefs["township"])
    resp = _post(chief, case, "clear", state="reported", note="当场清理")
    assert resp.status_code == 400
    assert 'data-testid="error-photos"' in resp.content.decode()
    assert "当场清理" in resp.content.decode()  # the input kept
    resp = chief.post(f"/river/cases/{case.pk}/clear/", {"state": "reported", "note": "当场清理", "photo": png()})
    assert resp.status_code == 302
    case.refresh_from_db()
    assert case.status == "closed"
    assert case.closed_via == "on_spot"


def test_a_stale_form_is_a_409_message_and_nothing_is_written(console_data, users, web):
    case = _case(console_data)
    other = users["admin"]
    _assign(case, other)  # another reviewer assigned it while this page was open
    before = (list(CaseEvent.objects.values_list("pk", flat=True)), AuditLog.objects.count())
    client = web(users["city_reviewer"])
    resp = _post(client, case, "assign", state="reported", responsible_unit="另一单位", deadline="2099-01-01")
    assert resp.status_code == 409
    html = resp.content.decode()
    assert 'data-testid="action-error"' in html
    assert "已交办" in html
    resp = _post(client, case, "clear", state="reported")
    assert resp.status_code == 409
    # The same state shown, but the case moved on through the whole cycle: still 409 from the service.
    case = services.case_rectify(case=Case.objects.get(pk=case.pk), actor=other)
    resp = _post(client, case, "rectify", state="assigned")
    assert resp.status_code == 409
    assert list(CaseEvent.objects.filter(pk__in=before[0]).values_list("pk", flat=True)) == before[0]
    assert CaseEvent.objects.filter(case=case).count() == 3  # reported, assigned (admin), rectifying (admin)
    assert Case.objects.get(pk=case.pk).responsible_unit == "天山区水务局"


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("assign", {"responsible_unit": "天山区水务局", "note": "请尽快"}, "deadline"),
        ("assign", {"responsible_unit": "天山区水务局", "deadline": "2020-01-01", "note": "请尽快"}, "deadline"),
        ("assign", {"responsible_unit": "", "deadline": "2099-01-01", "note": "请尽快"}, "responsible_unit"),
    ],
)
def test_bad_assign_input_is_shown_beside_the_field_and_kept(console_data, users, web, action, data, field):
    case = _case(console_data)
    resp = _post(web(users["city_reviewer"]), case, action, state="reported", **data)
    assert resp.status_code == 400
    html = resp.content.decode()
    assert f'data-testid="error-{field}"' in html
    assert 'value="请尽快"' in html
    assert _steps(case) == [("", "reported")]


def test_reject_needs_a_reason(console_data, users, chiefs, web):
    case = _assign(_case(console_data), users["admin"])
    case = services.case_submit(case=services.case_rectify(case=case, actor=users["admin"]), actor=chiefs["township"])
    resp = _post(web(users["city_reviewer"]), case, "reject", state="submitted", note="  ")
    assert resp.status_code == 400
    assert 'data-testid="error-note"' in resp.content.decode()
    assert Case.objects.get(pk=case.pk).status == "submitted"


def test_a_photo_that_is_not_an_image_or_too_large_is_refused(console_data, chiefs, web, settings):
    case = _case(console_data)
    client = web(chiefs["township"])
    fake = SimpleUploadedFile("site.png", b"not an image at all", content_type="image/png")
    resp = client.post(f"/river/cases/{case.pk}/photo/", {"photo": fake})
    assert resp.status_code == 400
    assert 'data-testid="error-photo"' in resp.content.decode()
    settings.PATROL_PHOTO_MAX_BYTES = 100
    resp = client.post(f"/river/cases/{case.pk}/photo/", {"photo": png()})
    assert resp.status_code == 413
    assert 'data-testid="error-photo"' in resp.content.decode()
    # A bad photo with a step: neither is recorded.
    case = _assign(case, _admin(), days=5)
    case = services.case_rectify(case=case, actor=chiefs["township"])
    resp = client.post(f"/river/cases/{case.pk}/submit/", {"state": "rectifying", "note": "已整改", "photo": fake})
    assert resp.status_code == 400
    assert "已整改" in resp.content.decode()
    assert Case.objects.get(pk=case.pk).status == "rectifying"
    assert not CasePhoto.objects.filter(case=case).exists()


def _admin() -> Any:
    from accounts.models import User

    return User.objects.get(username="t_admin")


def test_a_photo_is_added_and_shown(console_data, chiefs, web):
    case = _case(console_data)
    client = web(chiefs["township"])
    assert client.post(f"/river/cases/{case.pk}/photo/", {"photo": png()}).status_code == 302
    html = client.get(f"/river/cases/{case.pk}/").content.decode()
    photo = CasePhoto.objects.get(case=case)
    assert f"/api/v1/patrols/cases/{case.pk}/photos/{photo.pk}/file/" in html


def test_a_double_submit_records_one_step(console_data, users, web):
    case = _case(console_data)
    client = web(users["city_reviewer"])
    data = {"state": "reported", "responsible_unit": "天山区水务局", "deadline": "2099-01-01"}
    first = _post(client, case, "assign", **data)
    second = _post(client, case, "assign", **data)
    assert first.status_code == second.status_code == 302
    assert _steps(case) == [("", "reported"), ("reported", "assigned")]
    assert AuditLog.objects.filter(entity="patrols.case", entity_id=str(case.pk), action="transition").count() == 1


# --------------------------------------------------------------------------- bulk assignment


def test_bulk_assign_reports_who_was_assigned_and_who_was_refused(console_data, users, web):
    east, west = _case(console_data), _case(console_data, "west")
    _assign(west, users["admin"])  # already assigned: refused with the service's reason
    client = web(users["city_reviewer"])
    resp = client.post(
        "/river/cases/assign/",
        {
            "case": [str(east.pk), str(west.pk), str(uuid.uuid4())],
            "responsible_unit": "市河长办",
            "deadline": "2099-01-01",
            "query": "status=reported",
        },
        follow=True,
    )
    assert resp.redirect_chain[-1][0] == "/river/cases/?status=reported"
    texts = [str(m) for m in resp.context["messages"]]
    assert any("1" in t and "市河长办" in t for t in texts)
    refused = [t for t in texts if t.startswith("未交办")]
    assert len(refused) == 2
    assert any("已交办" in t for t in refused)  # the state it is in, from the service's message
    east.refresh_from_db()
    west.refresh_from_db()
    assert east.status == "assigned"
    assert east.responsible_unit == "市河长办"
    assert west.responsible_unit == "天山区水务局"


def test_bulk_assign_without_a_deadline_writes_nothing_and_keeps_the_ticks(console_data, users, web):
    east = _case(console_data)
    resp = web(users["city_reviewer"]).post(
        "/river/cases/assign/", {"case": [str(east.pk)], "responsible_unit": "市河长办"}
    )
    assert resp.status_code == 400
    html = resp.content.decode()
    assert 'data-testid="error-deadline"' in html
    assert 'value="市河长办"' in html
    row = html[html.index(f'value="{east.pk}" form="bulk-assign"') :]
    assert row[: row.index(">")].endswith("checked")
    assert _steps(east) == [("", "reported")]


def test_bulk_assign_is_for_the_office_only(console_data, chiefs, users, web):
    east = _case(console_data)
    resp = web(chiefs["township"]).post(
        "/river/cases/assign/", {"case": [str(east.pk)], "responsible_unit": "u", "deadline": "2099-01-01"}
    )
    assert resp.status_code == 403
    # A district reviewer's bulk assign of another district's case: refused by name, nothing written.
    body = {"case": [str(east.pk)], "responsible_unit": "u", "deadline": "2099-01-01"}
    resp = web(users["reviewer_650103"]).post("/river/cases/assign/", body, follow=True)
    assert any(str(m).startswith("未交办") for m in resp.context["messages"])
    assert _steps(east) == [("", "reported")]


# --------------------------------------------------------------------------- the desk report


def _report(client: Any, geography: Any, **over: Any) -> Any:
    data = {
        "id": str(uuid.uuid4()),
        "category": "occupation",
        "source": "complaint",
        "reach": str(geography["reach_e"].pk),
        "lon": "87.66",
        "lat": "43.86",
        "description": "村级河长电话报告：河岸违章搭建",
        "found_at": "2024-05-06T10:30",
    }
    data.update(over)
    return client.post("/river/cases/new/", data)


def test_the_desk_reports_a_phoned_in_case_as_the_api_does(console_data, users, geography, web):
    client = web(users["city_reviewer"])
    assert client.get("/river/cases/new/").status_code == 200
    case_id = str(uuid.uuid4())
    resp = _report(client, geography, id=case_id, photo=png())
    assert resp.status_code == 302
    assert resp["Location"] == f"/river/cases/{case_id}/"
    case = Case.objects.get(pk=case_id)
    assert case.reporter == users["city_reviewer"]
    assert case.source == "complaint"
    assert case.status == "reported"
    assert (round(case.location.x, 5), round(case.location.y, 5)) == (87.66, 43.86)
    assert to_beijing(case.found_at).strftime("%Y-%m-%d %H:%M") == "2024-05-06 10:30"
    assert CasePhoto.objects.filter(case=case).count() == 1
    # The same form sent twice: one case.
    again = _report(client, geography, id=case_id, photo=png())
    assert again.status_code == 302
    assert Case.objects.filter(description__startswith="村级河长").count() == 1
    api = client.get(f"/api/v1/patrols/cases/{case_id}/").json()
    assert api["properties"]["reporter_username"] == users["city_reviewer"].username


@pytest.mark.parametrize(
    ("over", "field", "status"),
    [
        ({"lon": "east"}, "lon", 400),
        ({"lat": "95"}, "lat", 400),
        ({"found_at": "2099-01-01T00:00"}, "found_at", 400),
        ({"description": ""}, "description", 400),
        ({"reach": ""}, "reach", 400),
        ({"source": "patrol"}, "patrol", 400),
    ],
)
def test_a_bad_desk_report_is_shown_beside_the_field(console_data, users, geography, web, over, field, status):
    before = Case.objects.count()
    resp = _report(web(users["city_reviewer"]), geography, **over)
    assert resp.status_code == status
    html = resp.content.decode()
    assert f'data-testid="error-{field}"' in html or f"{field}:" in html
    if "description" not in over:
        assert "村级河长电话报告" in html  # the input kept
    assert Case.objects.count() == before


def test_a_desk_report_outside_the_jurisdiction_is_refused(console_data, users, geography, web):
    resp = _report(web(users["reviewer_650103"]), geography)  # the east reach lies in 650102
    assert resp.status_code == 400
    assert 'data-testid="error-reach"' in resp.content.decode()
    resp = _report(
        web(users["reviewer_650103"]),
        geography,
        photo=SimpleUploadedFile("x.png", b"no"),
        reach=str(geography["reach_w"].pk),
        lon="87.5",
        lat="43.7",
    )
    assert resp.status_code == 400
    assert 'data-testid="error-photo"' in resp.content.decode()
    assert Case.objects.count() == 2

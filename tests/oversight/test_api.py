"""The oversight API: the permission matrix (every role, incl. the member unit), scoping (out of scope
is 404), the hand-over import in every format, bad input, exports, GeoJSON and query ceilings."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from oversight.models import Petition, Task

BASE = "/api/v1/oversight"
LISTS = ["rounds", "findings", "tasks", "milestones", "progress", "petitions", "orders", "circulars", "rechecks"]
HEADER = "受理编号,来源渠道,反映问题,行政区划代码,污染类型,责任单位,办理时限,经度,纬度,河段编码,是否公开"


# --------------------------------------------------------------------------- permission matrix


@pytest.mark.parametrize("who", ["anon", "chief", "operator", "device"])
@pytest.mark.parametrize("path", [*LISTS, "figures"])
def test_outsiders_are_refused(ledger: dict[str, Any], api: dict[str, Any], who: str, path: str) -> None:
    r = api[who].get(f"{BASE}/{path}/", {"start": "2022-01-01", "end": "2022-12-31"})
    assert r.status_code == (401 if who == "anon" else 403), r.content


@pytest.mark.parametrize(
    ("who", "tasks", "petitions"),
    [
        ("admin", {"T-1", "T-2"}, 3),
        ("city_reviewer", {"T-1", "T-2"}, 3),
        ("reviewer_650103", {"T-2"}, 1),
        ("unit_tianshan", {"T-1"}, 2),  # lead of T-1; the two Tianshan petitions
        ("unit_water", {"T-1", "T-2"}, 1),  # responsible unit of T-1, lead of T-2
        ("unit_other", set(), 0),
    ],
)
def test_each_role_sees_exactly_its_items(
    ledger: dict[str, Any], api: dict[str, Any], who: str, tasks: set[str], petitions: int
) -> None:
    r = api[who].get(f"{BASE}/tasks/")
    assert r.status_code == 200
    assert {t["code"] for t in r.json()["results"]} == tasks
    r = api[who].get(f"{BASE}/petitions/")
    assert r.status_code == 200
    assert r.json()["type"] == "FeatureCollection"
    assert len(r.json()["features"]) == petitions


def test_out_of_scope_and_not_handed_items_are_404(ledger: dict[str, Any], api: dict[str, Any]) -> None:
    t_e = ledger["t_e"]
    assert api["reviewer_650103"].get(f"{BASE}/tasks/{t_e.pk}/").status_code == 404
    assert api["unit_other"].get(f"{BASE}/tasks/{t_e.pk}/").status_code == 404
    r = api["unit_other"].post(f"{BASE}/tasks/{t_e.pk}/start/")
    assert r.status_code == 404
    p = Petition.objects.get(number="X650000202203300001")
    r = api["unit_water"].post(
        f"{BASE}/petitions/{p.pk}/submit/", {"result": "x", "substantiated": "yes", "status": "closed"}
    )
    assert r.status_code == 404
    assert Petition.objects.get(pk=p.pk).review == "none"


def test_units_act_but_may_not_review(ledger: dict[str, Any], api: dict[str, Any]) -> None:
    t = ledger["t_e"]
    unit, reviewer = api["unit_tianshan"], api["city_reviewer"]
    assert unit.post(f"{BASE}/tasks/{t.pk}/start/").json()["status"] == "in_progress"
    pdf = SimpleUploadedFile("report.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    r = unit.post(f"{BASE}/tasks/{t.pk}/progress/", {"text": "进展", "files": [pdf]}, format="multipart")
    assert r.status_code == 201
    assert len(r.json()["attachments"]) == 1
    r = unit.post(f"{BASE}/tasks/{t.pk}/complete/", {"completed_on": "2022-12-01"})
    assert r.status_code == 200
    assert r.json()["review"] == "submitted"
    for action, body in (("sign-off", {}), ("return", {"reason": "x"}), ("milestones", {})):
        assert unit.post(f"{BASE}/tasks/{t.pk}/{action}/", body).status_code == 403
    assert unit.post(f"{BASE}/rounds/", {}).status_code == 403
    r = reviewer.post(f"{BASE}/tasks/{t.pk}/sign-off/", {"note": "验收合格"})
    assert r.status_code == 200
    assert r.json()["status"] == "signed_off"
    r = reviewer.post(f"{BASE}/tasks/{t.pk}/sign-off/", {})
    assert r.status_code == 409
    assert "status" in r.json()["error"]["fields"]


# --------------------------------------------------------------------------- bad input


def test_task_bad_input_names_the_field(ledger: dict[str, Any], api: dict[str, Any]) -> None:
    body = {
        "finding": ledger["f_e"].pk,
        "code": "T-5",
        "title": "x",
        "lead_unit": "ghost",
        "deadline": "2021-01-01",
        "milestones": [{"kind": "month", "title": "m", "due_on": "2020-01-01"}],
    }
    r = api["city_reviewer"].post(f"{BASE}/tasks/", body, format="json")
    assert r.status_code == 400
    assert {"lead_unit", "deadline"} <= set(r.json()["error"]["fields"])
    body.update(lead_unit="unit_water", deadline="2022-12-31")
    r = api["city_reviewer"].post(f"{BASE}/tasks/", body, format="json")
    assert r.status_code == 400
    assert "milestones[0].due_on" in r.json()["error"]["fields"]
    r = api["city_reviewer"].post(f"{BASE}/tasks/", {**body, "milestones": [], "surprise": 1}, format="json")
    assert r.status_code == 400
    assert "surprise" in r.json()["error"]["fields"]
    assert not Task.objects.filter(code="T-5").exists()
    # a Saybagh reviewer may not file a task on a Tianshan finding
    r = api["reviewer_650103"].post(f"{BASE}/tasks/", {**body, "milestones": []}, format="json")
    assert r.status_code == 400
    assert "finding" in r.json()["error"]["fields"]


def test_attachment_not_a_document_is_refused(ledger: dict[str, Any], api: dict[str, Any]) -> None:
    t = ledger["t_e"]
    exe = SimpleUploadedFile("x.png", b"GIF89a" + b"\x00" * 20)
    r = api["unit_tianshan"].post(f"{BASE}/tasks/{t.pk}/progress/", {"text": "x", "files": [exe]}, format="multipart")
    assert r.status_code == 400
    assert "files[0]" in r.json()["error"]["fields"]
    assert not t.progress.exists()


# --------------------------------------------------------------------------- import


def _csv(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


ROW1 = "Y1,热线,河道倾倒垃圾,650102,水,天山区人民政府,2022-05-31,87.7,43.9,HL-01-02,是"
ROW2 = "Y2,来信,噪声扰民,650103,噪声,unit_water,2022-05-31,,,,否"


@pytest.mark.parametrize("charset", ["utf-8-sig", "gb18030"])
def test_import_csv_in_both_charsets_then_again_changes_nothing(
    ledger: dict[str, Any], api: dict[str, Any], charset: str
) -> None:
    body = _csv(ROW1, ROW2).encode(charset)
    q = "?round=CI-2&batch=2&received_on=2022-04-02"
    r = api["city_reviewer"].generic("POST", f"{BASE}/petitions/import/{q}", body, content_type="text/csv")
    assert r.status_code == 201, r.content
    assert r.json() == {"round": "CI-2", "batch": 2, "created": 2, "unchanged": 0}
    p = Petition.objects.get(number="Y1")
    assert (p.channel, p.category, p.unit.username, p.reach.code, p.public) == (
        "hotline",
        "water",
        "unit_tianshan",
        "HL-01-02",
        True,
    )
    r = api["city_reviewer"].generic("POST", f"{BASE}/petitions/import/{q}", body, content_type="text/csv")
    assert r.status_code == 200
    assert r.json()["unchanged"] == 2


def test_import_xlsx_and_the_409_names_the_row(ledger: dict[str, Any], api: dict[str, Any]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    ws.append(ROW1.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    upload = SimpleUploadedFile("第2批交办.xlsx", buf.getvalue())
    form = {"round": "CI-2", "batch": 2, "received_on": "2022-04-02", "file": upload}
    r = api["city_reviewer"].post(f"{BASE}/petitions/import/", form, format="multipart")
    assert r.status_code == 201, r.content
    changed = _csv(ROW2, ROW1.replace("河道倾倒垃圾", "另一件事")).encode()
    r = api["city_reviewer"].generic(
        "POST", f"{BASE}/petitions/import/?round=CI-2&batch=3&received_on=2022-04-03", changed, content_type="text/csv"
    )
    assert r.status_code == 409
    assert list(r.json()["error"]["fields"]) == ["rows[1].number"]
    assert "Y1" in r.json()["error"]["message"]
    assert not Petition.objects.filter(number="Y2").exists()


def test_import_refused_whole_and_bad_headers(ledger: dict[str, Any], api: dict[str, Any]) -> None:
    bad = _csv(ROW1, "Y3,传真,x,659999,水,nobody,2021-01-01,,,,也许")
    r = api["city_reviewer"].generic(
        "POST",
        f"{BASE}/petitions/import/?round=CI-2&batch=2&received_on=2022-04-02",
        bad.encode(),
        content_type="text/csv",
    )
    assert r.status_code == 400
    assert {"rows[1].channel", "rows[1].division", "rows[1].unit", "rows[1].deadline", "rows[1].public"} <= set(
        r.json()["error"]["fields"]
    )
    assert not Petition.objects.filter(number="Y1").exists()
    r = api["city_reviewer"].generic(
        "POST",
        f"{BASE}/petitions/import/?round=CI-2&batch=2&received_on=2022-04-02",
        "受理编号,颜色\nY1,red\n".encode(),
        content_type="text/csv",
    )
    assert r.status_code == 400
    assert "header" in r.json()["error"]["fields"]
    r = api["city_reviewer"].generic(
        "POST",
        f"{BASE}/petitions/import/?round=CI-9&batch=2&received_on=2022-04-02",
        _csv(ROW1).encode(),
        content_type="text/csv",
    )
    assert r.status_code == 400
    assert "round" in r.json()["error"]["fields"]
    r = api["unit_tianshan"].generic(
        "POST",
        f"{BASE}/petitions/import/?round=CI-2&batch=2&received_on=2022-04-02",
        _csv(ROW1).encode(),
        content_type="text/csv",
    )
    assert r.status_code == 403


# --------------------------------------------------------------------------- reads


def test_petition_geojson_figures_filter_and_export(ledger: dict[str, Any], api: dict[str, Any]) -> None:
    admin = api["admin"]
    r = admin.get(f"{BASE}/petitions/", {"bbox": "87.6,43.8,87.8,44.0"})
    features = r.json()["features"]
    assert [f["properties"]["number"] for f in features] == ["X650000202203300001"]
    assert features[0]["geometry"]["coordinates"] == [87.7, 43.9]
    r = admin.get(
        f"{BASE}/petitions/",
        {"figure": "in_progress", "start": "2022-01-01", "end": "2022-12-31", "division": "650102"},
    )
    assert len(r.json()["features"]) == 2
    r = admin.get(f"{BASE}/petitions/", {"figure": "nonsense", "start": "2022-01-01", "end": "2022-12-31"})
    assert r.status_code == 400
    assert "figure" in r.json()["error"]["fields"]
    r = admin.get(f"{BASE}/figures/", {"start": "2022-01-01", "end": "2022-12-31"})
    assert r.json()["petitions"]["received"] == 3
    assert r.json()["tasks"]["total"] == 2
    r = admin.get(f"{BASE}/petitions/export/", {"format": "xlsx"})
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws["A1"].value == "受理编号"
    assert ws.max_row == 5
    r = admin.get(f"{BASE}/tasks/export/", {"format": "csv"})
    assert r.status_code == 200
    assert "清理河道垃圾" in r.content.decode("utf-8-sig")


def test_list_query_ceilings(ledger: dict[str, Any], api: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    for path in ("tasks", "petitions", "milestones", "findings"):
        with django_assert_max_num_queries(8):
            assert api["admin"].get(f"{BASE}/{path}/").status_code == 200


def test_ogc_petitions_collection_is_scoped_like_the_ledger(ledger: dict[str, Any], api: dict[str, Any]) -> None:
    r = api["admin"].get("/ogc/collections/petitions/items", {"f": "json"})
    assert r.status_code == 200
    assert [f["properties"]["number"] for f in r.json()["features"]] == ["X650000202203300001"]
    assert api["unit_tianshan"].get("/ogc/collections/petitions/items", {"f": "json"}).json()["numberMatched"] == 1
    assert api["unit_water"].get("/ogc/collections/petitions/items", {"f": "json"}).json()["numberMatched"] == 0
    assert api["chief"].get("/ogc/collections/petitions/items", {"f": "json"}).status_code == 403


@pytest.mark.parametrize("code", ["0", "65010", "abcdef", "6501020000000"])
def test_a_malformed_division_code_is_a_400_naming_it_not_a_500(
    ledger: dict[str, Any], api: dict[str, Any], code: str
) -> None:
    """Found by schemathesis: `{"division": "0"}` on the look-back sample reached division_prefix and was a
    500. Every oversight input that takes a division code checks it."""
    from oversight.models import Recheck

    r = api["admin"].post(f"{BASE}/rechecks/sample/", {"item": "task", "count": 1, "division": code}, format="json")
    assert r.status_code == 400, r.content
    assert "division" in r.json()["error"]["fields"]
    assert not Recheck.objects.exists()


def test_import_csv_header_by_key_alias_or_label_and_bad_headers_are_400(
    ledger: dict[str, Any], api: dict[str, Any]
) -> None:
    # csvread's aliases: a key ("number"), a Chinese alias (渠道) and "label key" (反映问题 complaint) all name
    # their column; a column named twice or a required one missing is refused on `header`, nothing written.
    q = "?round=CI-2&batch=2&received_on=2022-04-02"
    mixed = "number,渠道,反映问题 complaint,行政区划代码,污染类型,责任单位,办理时限,经度,纬度,河段编码,是否公开"
    body = (mixed + "\n" + ROW1 + "\n").encode()
    r = api["city_reviewer"].generic("POST", f"{BASE}/petitions/import/{q}", body, content_type="text/csv")
    assert r.status_code == 201, r.content
    assert Petition.objects.get(number="Y1").channel == "hotline"
    bad = {
        mixed.replace("渠道", "来源渠道,channel", 1): "Repeated column(s) channel",
        mixed.replace(",办理时限", "", 1): "Missing column(s) deadline",
    }
    for header, problem in bad.items():
        before = Petition.objects.count()
        r = api["city_reviewer"].generic(
            "POST", f"{BASE}/petitions/import/{q}", (header + "\nY9\n").encode(), content_type="text/csv"
        )
        assert r.status_code == 400, r.content
        assert problem in " ".join(r.json()["error"]["fields"]["header"]), r.json()
        assert Petition.objects.count() == before

"""/api/v1/quality/samples/ and /samples/import/: permissions, scoping, bad input naming the item
with nothing written, resends and conflicts, atomic CSV import, query ceilings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditLog
from quality.models import Measurement, Sample
from tests.quality.conftest import beijing

pytestmark = pytest.mark.django_db
URL = "/api/v1/quality/samples/"
IMPORT = f"{URL}import/"


def body(target, **kw):
    return {
        "section": target.pk,
        "sampled_at": "2024-03-05T10:00:00+08:00",
        "source": "manual",
        "values": {"w21003": 0.52, "COD": 18, "Hg": {"value": 0.04, "unit": "ug/L"}, "TP": "0.01L"},
        **kw,
    }


def nothing_written():
    return not Sample.objects.exists() and not AuditLog.objects.filter(entity="quality.sample").exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        ("device", 403),
        ("chief_650102", 403),
        ("operator", 403),
        ("reviewer_650103", 400),
        ("city_reviewer", 201),
        ("admin", 201),
    ],
)
def test_create_permission_matrix(client_for, users, sections, who, status):
    resp = client_for(users[who] if who else None).post(URL, body(sections["river_e"]), format="json")
    assert resp.status_code == status, resp.content
    if status == 201:
        data = resp.json()
        assert data["section_code"] == "QS-E-R"
        results = {m["item"]: m for m in data["measurements"]}
        assert results["w20111"]["value"] == 0.00004
        assert results["w20111"]["unit"] == "mg/L"
        assert results["w20111"]["reported_unit"] == "ug/L"
        assert results["w21011"]["below_detection_limit"] is True
        assert results["w21011"]["detection_limit"] == 0.01
        assert results["w01018"]["name"] == "chemical oxygen demand"
    else:
        assert nothing_written()
    if status == 400:
        assert "section" in resp.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"values": {"w99999": 1}}, "values.w99999"),
        ({"values": {"NH3-N": -0.2}}, "values.NH3-N"),
        ({"values": {"pH": 15}}, "values.pH"),
        ({"values": {"pH": -0.5}}, "values.pH"),
        ({"values": {"Cd": 0.002}}, "values.Cd"),  # ambiguous unit
        ({"values": {"COD": 18, "w01018": 18}}, "values.w01018"),
        ({"values": {}}, "values"),
        ({"values": [1, 2]}, "values"),
        ({"sampled_at": "2024-03-05T10:00:00"}, "sampled_at"),  # naive
        ({"sampled_at": "not a time"}, "sampled_at"),
        ({"source": "satellite"}, "source"),
        ({"section": 999999999}, "section"),
        ({"section": "abc"}, "section"),
        ({"depth": 0.5}, "depth"),
    ],
)
def test_bad_input_is_400_naming_the_item_and_writes_nothing(client_for, users, sections, change, field):
    resp = client_for(users["admin"]).post(URL, body(sections["river_e"], **change), format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json()["error"]["fields"], resp.json()
    assert nothing_written()


def test_a_future_sample_is_refused(client_for, users, sections):
    future = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    resp = client_for(users["admin"]).post(URL, body(sections["river_e"], sampled_at=future), format="json")
    assert resp.status_code == 400
    assert resp.json()["error"]["fields"] == {"sampled_at": ["In the future."]}
    assert nothing_written()


def test_resend_200_and_conflict_409(client_for, users, sections):
    c = client_for(users["admin"])
    first = c.post(URL, body(sections["river_e"]), format="json")
    again = c.post(URL, body(sections["river_e"]), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    changed = body(sections["river_e"], values={"w21003": 0.6, "DO": 7.2})
    conflict = c.post(URL, changed, format="json")
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "sample_conflict"
    assert list(conflict.json()["error"]["fields"]) == ["values.NH3-N"]
    assert Sample.objects.count() == 1
    assert Measurement.objects.count() == 4  # the new DO was not added either
    assert AuditLog.objects.filter(entity="quality.sample").count() == 1
    more = c.post(URL, body(sections["river_e"], values={"w21003": 0.52, "DO": 7.2}), format="json")
    assert more.status_code == 200
    assert len(more.json()["measurements"]) == 5


@pytest.mark.parametrize(
    ("who", "codes"),
    [
        ("admin", {"QS-E-R", "QS-W-R"}),
        ("chief_650102", {"QS-E-R"}),
        ("reviewer_650103", {"QS-W-R"}),
        ("no_jurisdiction", set()),
    ],
)
def test_list_is_scoped(client_for, users, sections, record, who, codes):
    record(sections["river_e"], beijing(2024, 1), {"COD": 10})
    record(sections["river_w"], beijing(2024, 1), {"COD": 12})
    data = client_for(users[who]).get(URL).json()
    assert {r["section_code"] for r in data["results"]} == codes


def test_filters(client_for, users, sections, record):
    record(sections["river_e"], beijing(2024, 1, 31, 23), {"COD": 10})
    record(sections["river_e"], beijing(2024, 2, 1, 1), {"COD": 11})
    record(sections["river_e"], beijing(2024, 2, 1, 1), {"NH3-N": 0.3}, source="automatic")
    c = client_for(users["admin"])
    assert c.get(f"{URL}?start=2024-02-01").json()["count"] == 2
    assert c.get(f"{URL}?end=2024-01-31").json()["count"] == 1
    assert c.get(f"{URL}?source=automatic").json()["count"] == 1
    assert c.get(f"{URL}?section_code=QS-W-R").json()["count"] == 0
    assert c.get(f"{URL}?start=yesterday").status_code == 400


def test_detail_and_delete(client_for, users, sections, record):
    sample = record(sections["river_e"], beijing(2024, 1), {"COD": 10})
    assert client_for(users["reviewer_650103"]).get(f"{URL}{sample.pk}/").status_code == 404
    assert client_for(users["chief_650102"]).get(f"{URL}{sample.pk}/").status_code == 200
    assert client_for(users["chief_650102"]).delete(f"{URL}{sample.pk}/").status_code == 403
    assert client_for(users["reviewer_650103"]).delete(f"{URL}{sample.pk}/").status_code == 404
    assert client_for(users["city_reviewer"]).delete(f"{URL}{sample.pk}/").status_code == 204
    assert not Sample.objects.exists()
    assert AuditLog.objects.filter(entity="quality.sample", action="delete").count() == 1


def test_list_query_count_does_not_grow(client_for, users, sections, record):
    for month in range(1, 13):
        record(sections["river_e"], beijing(2024, month), {"COD": 10, "NH3-N": 0.2, "TP": 0.05})
    c = client_for(users["city_reviewer"])
    with CaptureQueriesContext(connection) as ctx:
        resp = c.get(URL)
    assert resp.json()["count"] == 12
    # auth, count, page, results of the page: not one query per sample.
    assert len(ctx.captured_queries) <= 6, [q["sql"] for q in ctx.captured_queries]


CSV = """section,sampled_at,source,item,value,unit,below_detection_limit,detection_limit,note
QS-E-R,2024-03-05T10:00:00+08:00,manual,w21003,0.42,mg/L,,,bottle 7
QS-E-R,2024-03-05T10:00:00+08:00,manual,Hg,0.00004L,mg/L,,,
QS-E-R,2024-03-05T10:00:00+08:00,manual,TP,,mg/L,true,0.01,
QS-E-R,2024-03-05T10:00:00+08:00,,COD,18,,,,
QS-E-L,2024-03-06T11:00:00+08:00,automatic,DO,8.1,,,,
"""


class TestImport:
    def test_csv_body(self, client_for, users, sections):
        resp = client_for(users["city_reviewer"]).post(IMPORT, CSV.encode(), content_type="text/csv")
        assert resp.status_code == 201, resp.content
        assert resp.json() == {"samples_created": 2, "samples_amended": 0, "results_created": 5, "duplicates": 0}
        sample = Sample.objects.get(section__code="QS-E-R")
        assert sample.note == "bottle 7"
        assert {m.item for m in sample.measurements.all()} == {"w21003", "w20111", "w21011", "w01018"}
        assert AuditLog.objects.filter(entity="quality.sample", action="import").count() == 2
        again = client_for(users["city_reviewer"]).post(IMPORT, CSV.encode(), content_type="text/csv")
        assert again.status_code == 200
        assert again.json() == {"samples_created": 0, "samples_amended": 0, "results_created": 0, "duplicates": 2}

    def test_a_value_under_an_hj212_code_needs_no_unit(self, client_for, users, sections):
        text = "section,sampled_at,item,value\nQS-E-R,2024-03-05T10:00:00+08:00,w20115,0.004\n"
        resp = client_for(users["admin"]).post(IMPORT, text.encode(), content_type="text/csv")
        assert resp.status_code == 201, resp.content
        assert Measurement.objects.get().value == Decimal("0.004")
        by_name = "section,sampled_at,item,value\nQS-E-R,2024-03-06T10:00:00+08:00,Pb,0.004\n"
        refused = client_for(users["admin"]).post(IMPORT, by_name.encode(), content_type="text/csv")
        assert refused.status_code == 400
        fields = refused.json()["error"]["fields"]
        assert "rows[0].value" in fields, fields  # the first data row; its message names the file's line
        assert fields["rows[0].value"][0].endswith("(line 2)")

    def test_multipart_and_gbk_with_chinese_headers(self, client_for, users, sections):
        text = "断面编码,采样时间,来源,项目,结果,单位\nQS-E-R,2024-04-01T09:00:00+08:00,手工,氨氮,0.3,mg/L\n"
        upload = SimpleUploadedFile("lab.csv", text.encode("gb18030"), content_type="text/csv")
        resp = client_for(users["admin"]).post(IMPORT, {"file": upload}, format="multipart")
        assert resp.status_code == 201, resp.content
        assert Measurement.objects.get().item == "w21003"

    @pytest.mark.parametrize(
        ("line", "field"),
        [
            ("QS-E-R,2024-03-05T10:00:00+08:00,manual,w21003,-1,mg/L,,,", "rows[5].value"),
            ("QS-E-R,2024-03-05T10:00:00+08:00,manual,pH,15,,,,", "rows[5].value"),
            ("QS-E-R,2024-03-05T10:00:00+08:00,manual,Pb,0.01,,,,", "rows[5].value"),  # unit needed
            ("QS-E-R,2024-03-05T10:00:00+08:00,manual,w77777,1,,,,", "rows[5].item"),
            ("QS-E-R,2024-03-05T10:00:00,manual,COD,1,,,,", "rows[5].sampled_at"),
            ("QS-E-R,2099-03-05T10:00:00+08:00,manual,COD,1,,,,", "rows[5].sampled_at"),
            ("QS-NOPE,2024-03-05T10:00:00+08:00,manual,COD,1,,,,", "rows[5].section"),
            ("QS-E-R,2024-03-05T10:00:00+08:00,lab,COD,1,,,,", "rows[5].source"),
            ("QS-E-R,2024-03-05T10:00:00+08:00,manual,w21003,0.5,mg/L,,,", "rows[5].item"),  # twice
            ("QS-E-R,2024-03-05T10:00:00+08:00,manual,TP,,mg/L,maybe,0.01,", "rows[5].below_detection_limit"),
        ],
    )
    def test_one_bad_line_refuses_the_file_naming_it(self, client_for, users, sections, line, field):
        text = CSV + line + "\n"
        resp = client_for(users["admin"]).post(IMPORT, text.encode(), content_type="text/csv")
        assert resp.status_code == 400, resp.content
        assert field in resp.json()["error"]["fields"], resp.json()
        assert nothing_written()
        assert not Measurement.objects.exists()

    def test_a_section_outside_the_jurisdiction_is_unknown(self, client_for, users, sections):
        resp = client_for(users["reviewer_650103"]).post(IMPORT, CSV.encode(), content_type="text/csv")
        assert resp.status_code == 400
        fields = resp.json()["error"]["fields"]
        assert set(fields) == {f"rows[{n}].section" for n in range(5)}  # data rows from 0 (lines 2-6)
        assert nothing_written()

    @pytest.mark.parametrize(
        ("text", "field"),
        [
            ("", "file"),
            ("section,sampled_at,item\n", "file"),
            ("section,when,item,value\nQS-E-R,2024-01-01T00:00:00+08:00,COD,1\n", "header"),
            ("section,sampled_at,item,value,colour\n", "header"),
        ],
    )
    def test_bad_files(self, client_for, users, sections, text, field):
        resp = client_for(users["admin"]).post(IMPORT, text.encode(), content_type="text/csv")
        assert resp.status_code == 400
        assert field in resp.json()["error"]["fields"]
        assert nothing_written()

    def test_not_text(self, client_for, users, sections):
        resp = client_for(users["admin"]).post(IMPORT, b"\xff\xfe\x00\x81\x30", content_type="text/csv")
        assert resp.status_code == 400
        assert resp.json()["error"]["fields"], resp.json()
        assert nothing_written()

    def test_a_conflict_with_a_stored_sample_is_409_and_nothing_written(self, client_for, users, sections, record):
        record(sections["river_e"], beijing(2024, 3, 5, 10), {"COD": 30})
        resp = client_for(users["admin"]).post(IMPORT, CSV.encode(), content_type="text/csv")
        assert resp.status_code == 409
        assert resp.json()["error"]["fields"] == {
            "rows[0].values.COD": [
                f"Sample {Sample.objects.get().pk} at this section, time and source holds another COD result; "
                "delete the sample to correct it."
            ]
        }
        assert Sample.objects.count() == 1
        assert Measurement.objects.count() == 1

    def test_later_results_complete_a_stored_sample(self, client_for, users, sections, record):
        # Field parameters first, lab results for the same sampling later.
        sample = record(sections["river_e"], beijing(2024, 3, 5, 10), {"COD": 18})
        resp = client_for(users["admin"]).post(IMPORT, CSV.encode(), content_type="text/csv")
        assert resp.status_code == 201
        assert resp.json() == {"samples_created": 1, "samples_amended": 1, "results_created": 4, "duplicates": 0}
        assert sample.measurements.count() == 4
        log = AuditLog.objects.get(entity="quality.sample", entity_id=str(sample.pk), action="update")
        assert len(log.before["measurements"]) == 1
        assert len(log.after["measurements"]) == 4

    def test_permissions(self, client_for, users, sections):
        assert client_for(None).post(IMPORT, CSV.encode(), content_type="text/csv").status_code == 401
        assert client_for(users["device"]).post(IMPORT, CSV.encode(), content_type="text/csv").status_code == 403
        chief = client_for(users["chief_650102"])
        assert chief.post(IMPORT, CSV.encode(), content_type="text/csv").status_code == 403
        assert nothing_written()
        wrong_type = client_for(users["admin"]).post(IMPORT, "x", content_type="application/xml")
        assert wrong_type.status_code == 415

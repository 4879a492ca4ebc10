"""Reports of one reach or lake (issue 19 item 4): `reach=`/`lake=` on /summary/ and /quarterly/, scoped;
figures that cannot be attributed to one reach or lake left out and said so; the compliance split by
river chiefs and lake chiefs. On the fixed dataset of conftest.py (2024 Q2)."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pytest

from patrols.models import LitterRemoval

pytestmark = pytest.mark.django_db
SUMMARY = "/api/v1/reports/summary/"
Q2 = "/api/v1/reports/quarterly/2024/2/"
Q2_RANGE = {"start": "2024-04-01", "end": "2024-06-30"}


def test_reach_report_has_only_the_reachs_figures(dataset, client_for, users, geography):
    reach_e = geography["reach_e"]
    body = client_for(users["admin"]).get(Q2, {"reach": reach_e.pk}).json()
    assert body["site"] == {
        "kind": "reach",
        "id": reach_e.pk,
        "code": "HL-01-02",
        "name": reach_e.name,
        "division_code": "650102",
    }
    p = body["patrols"]
    # P1 and P2 (reach_e): 2 patrols, 3 + 1 people, 7.5 km; not P3 on reach_w.
    assert (p["patrols"], p["person_times"], p["km"], p["flagged"]) == (2, 4, 7.5, 0)
    # Cases on reach_e found in Q2: C1, C2, C5 (C4 is on reach_w); litter 1.25 t (not reach_w's 0.5 t).
    assert (p["cases_found"], p["cases_cleared_on_spot"], p["litter_tonnes"]) == (3, 1, 1.25)
    # Its chiefs only: chief_e (township, one a month: 3 owed, 2 valid); chief_w (village) is not on it.
    assert (p["compliance"]["chiefs"], p["compliance"]["required"], p["compliance"]["missing"]) == (1, 3, 1)
    # Quality: the section on the reach only (river_e, class III): 1 of 1 good; no lake sections.
    assert (body["quality"]["rivers"]["good"], body["quality"]["rivers"]["evaluated"]) == (1, 1)
    assert body["quality"]["lakes"]["evaluated"] == 0
    # Water: the intakes on the reach's river (QSK-E on HL-01): its use; monitoring and red lines left out.
    assert body["water"]["use_m3"] == 21_840.0
    assert [i["code"] for i in body["water"]["intakes"]] == ["QSK-E"]
    assert body["water"]["monitoring"]["available"] is False
    assert body["water"]["redlines"]["available"] is False
    assert "reuse" not in body
    assert "oversight" not in body
    assert {x["figure"] for x in body["left_out"]} >= {"reuse", "oversight", "water.redlines", "water.monitoring"}
    # Its drill-downs name the reach.
    assert f"reach={reach_e.pk}" in body["links"]["patrols.patrols"]
    assert f"reach={reach_e.pk}" in body["links"]["patrols.cases_closed"]


def test_lake_report(dataset, client_for, users, geography):
    lake_e = geography["lake_e"]
    LitterRemoval.objects.create(
        lake=lake_e, removed_on=dt.date(2024, 5, 3), tonnes=Decimal("0.400"), recorded_by=users["admin"]
    )
    body = client_for(users["admin"]).get(SUMMARY, {**Q2_RANGE, "lake": lake_e.pk}).json()
    assert body["site"]["kind"] == "lake"
    assert body["site"]["code"] == lake_e.code
    p = body["patrols"]
    assert (p["patrols"], p["cases_found"], p["litter_tonnes"], p["litter_records"]) == (0, 0, 0.4, 1)
    # Sections on the lake: lake_e (class III) and the drinking-water source on it; no river section.
    assert (body["quality"]["lakes"]["good"], body["quality"]["lakes"]["evaluated"]) == (1, 1)
    assert body["quality"]["drinking_sources"]["evaluated"] == 1
    assert body["quality"]["rivers"]["evaluated"] == 0
    # No intake on the lake.
    assert body["water"]["intakes"] == []
    assert body["water"]["use_m3"] == 0


def test_division_report_is_unchanged_by_the_site_machinery(dataset, client_for, users):
    body = client_for(users["admin"]).get(Q2).json()
    assert body["site"] is None
    assert "left_out" not in body
    assert body["patrols"]["person_times"] == 6
    assert "reuse" in body


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_reach_report_files_name_the_reach(dataset, client_for, users, geography, fmt):
    reach_e = geography["reach_e"]
    r = client_for(users["admin"]).get(Q2, {"reach": reach_e.pk, "format": fmt})
    assert r.status_code == 200
    assert f"-reach-{reach_e.code}.{fmt}" in r["Content-Disposition"]
    if fmt == "xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(r.content))
        assert reach_e.name in wb["封面 Cover"]["A1"].value
        assert "再生水 Reuse" not in wb.sheetnames
        cover = [c.value for row in wb["封面 Cover"].iter_rows() for c in row if c.value]
        assert any("Reclaimed water is counted by plant" in str(v) for v in cover)
    else:
        from pypdf import PdfReader

        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
        assert reach_e.name in text
        assert "未列入本报告" in text
        assert "二、再生水利用" not in text


def test_reach_and_lake_are_scoped_400_naming_the_field(dataset, client_for, users, geography):
    reviewer_w = client_for(users["reviewer_650103"])  # Saybagh: reach_w, lake_w
    for url, params in ((SUMMARY, Q2_RANGE), (Q2, {})):
        r = reviewer_w.get(url, {**params, "reach": geography["reach_e"].pk})
        assert r.status_code == 400, r.content
        assert "reach" in r.json()["error"]["fields"]
        r = reviewer_w.get(url, {**params, "lake": geography["lake_e"].pk})
        assert r.status_code == 400, r.content
        assert "lake" in r.json()["error"]["fields"]
        r = reviewer_w.get(url, {**params, "reach": 987654321})
        assert r.status_code == 400
        assert "reach" in r.json()["error"]["fields"]
        r = reviewer_w.get(url, {**params, "reach": geography["reach_w"].pk, "lake": geography["lake_w"].pk})
        assert r.status_code == 400
        assert "lake" in r.json()["error"]["fields"]
        r = reviewer_w.get(url, {**params, "reach": "x"})
        assert r.status_code == 400
        assert "reach" in r.json()["error"]["fields"]
        ok = reviewer_w.get(url, {**params, "reach": geography["reach_w"].pk})
        assert ok.status_code == 200
        assert ok.json()["site"]["code"] == geography["reach_w"].code


def test_snapshots_are_of_divisions_only(dataset, client_for, users, geography):
    """A stored report is keyed by period and division: one cannot be asked for a reach (so a reach's
    report is never served from a division's snapshot, nor the reverse)."""
    r = client_for(users["admin"]).post(
        "/api/v1/reports/snapshots/",
        {"period": "2024-Q2", "division": "650102", "reach": geography["reach_e"].pk},
        format="json",
    )
    assert r.status_code == 400
    assert "reach" in r.json()["error"]["fields"]


def test_compliance_split_by_river_and_lake_chiefs(dataset, client_for, users, geography, make_user):
    from accounts.choices import Role
    from places.choices import ChiefLevel
    from places.services import chief_assign

    lake_chief = make_user(Role.CHIEF, "650102", username="t_lake_chief")
    chief_assign(
        chief=lake_chief,
        level=ChiefLevel.TOWNSHIP,
        lake=geography["lake_e"],
        valid_from=dt.date(2023, 1, 1),
        actor="t",
    )
    body = client_for(users["admin"]).get(Q2).json()
    split = {row["water"]: row for row in body["patrols"]["compliance"]["by_water"]}
    # River chiefs: chief_e (township, reach_e: 3 owed, 1 missing) and chief_w (village: no rule, 0 owed);
    # the lake chief: 3 owed, none made.
    assert (split["rivers"]["chiefs"], split["rivers"]["required"], split["rivers"]["missing"]) == (2, 3, 1)
    assert (split["lakes"]["chiefs"], split["lakes"]["required"], split["lakes"]["missing"]) == (1, 3, 3)
    assert split["lakes"]["rate"] == 0
    assert split["rivers_and_lakes"]["chiefs"] == 0
    assert split["lakes"]["label_zh"] == "湖长"
    # The ledger: each row says which, and the totals split the same way.
    r = (
        client_for(users["admin"])
        .get("/api/v1/patrols/compliance/", {"start": "2024-04-01", "end": "2024-06-30"})
        .json()
    )
    waters = {row["chief_username"]: row["water"] for row in r["results"]}
    assert waters["t_lake_chief"] == "lakes"
    assert waters[users["chief_650102"].username] == "rivers"
    assert r["totals"]["by_water"]["lakes"]["missing"] == 3
    assert r["totals"]["by_water"]["rivers"]["required"] == 3
    assert r["totals"]["required"] == 6
    # A lake's report: its chiefs only.
    lake = client_for(users["admin"]).get(Q2, {"lake": geography["lake_e"].pk}).json()
    assert lake["patrols"]["compliance"]["chiefs"] == 1
    assert lake["patrols"]["compliance"]["missing"] == 3
    # Excel and PDF show the split.
    xlsx = client_for(users["admin"]).get(Q2, {"format": "xlsx"})
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(xlsx.content))["巡河 Patrols"]
    values = [c.value for row in ws.iter_rows() for c in row]
    assert "湖长" in values
    assert "河长" in values
    from pypdf import PdfReader

    pdf = client_for(users["admin"]).get(Q2, {"format": "pdf"})
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "巡河频次达标" in text
    assert "湖长" in text


def test_compliance_ledger_refuses_reach_and_lake_together(dataset, client_for, users, geography):
    r = client_for(users["admin"]).get(
        "/api/v1/patrols/compliance/",
        {"start": "2024-04-01", "end": "2024-06-30", "reach": geography["reach_e"].pk, "lake": geography["lake_e"].pk},
    )
    assert r.status_code == 400
    assert "lake" in r.json()["error"]["fields"]


@pytest.mark.parametrize("field", ["reach", "lake"])
def test_a_reach_or_lake_outside_the_division_given_is_a_400_naming_it(dataset, client_for, users, geography, field):
    """`division=650103` with a 650102 reach or lake could only give empty patrol figures: refused."""
    admin = client_for(users["admin"])
    east = geography[f"{field}_e"]
    for url, params in (
        (SUMMARY, Q2_RANGE),
        (Q2, {}),
        ("/api/v1/reports/rows/", {**Q2_RANGE, "figure": "patrols"}),
    ):
        r = admin.get(url, {**params, "division": "650103", field: east.pk})
        assert r.status_code == 400, (url, r.content)
        error = r.json()["error"]
        assert error["code"] == "invalid"
        assert list(error["fields"]) == [field]
        # Inside the division (itself or a parent): answered.
        for division in ("650102", "650100"):
            ok = admin.get(url, {**params, "division": division, field: east.pk})
            assert ok.status_code == 200, (url, division, ok.content)
    # The report inside its division keeps the reach's patrol figures (P1, P2).
    body = admin.get(Q2, {"division": "650102", "reach": geography["reach_e"].pk}).json()
    assert body["patrols"]["patrols"] == 2


_HEADINGS = re.compile(r"([一二三四五六七八九十])、(用水总量|再生水利用|河湖长巡河|水质优良比例|督察整改)")


@pytest.mark.parametrize("site", [None, "reach", "lake"])
def test_pdf_sections_are_numbered_consecutively(dataset, client_for, users, geography, site):
    """A reach's or lake's report leaves reuse and oversight out: the sections shown still run 一、二、三."""
    from pypdf import PdfReader

    params: dict[str, Any] = {"format": "pdf"}
    if site:
        params[site] = geography[f"{site}_e"].pk
    r = client_for(users["admin"]).get(Q2, params)
    assert r.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(r.content)).pages)
    found = _HEADINGS.findall(text.replace("\n", ""))
    numerals = [n for n, _ in found]
    assert numerals == list("一二三四五六七八九十"[: len(found)]), found
    names = [name for _, name in found]
    if site:
        assert names == ["用水总量", "河湖长巡河", "水质优良比例"]
    else:
        assert names[:4] == ["用水总量", "再生水利用", "河湖长巡河", "水质优良比例"]

"""A section left out of the statistics for some months, with a reason (the seed leaves a drinking-water
source out for the weather): its results in those months are not used, the summary and the report say
so, and the API writes it with bad input refused whole."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.scope import scope_for
from core.audit import AuditLog
from core.exceptions import InvalidInput
from core.periods import date_range, half_year, month
from quality.models import SectionExclusion
from quality.selectors import quality_summary
from quality.services import section_exclusion_create
from tests.quality.conftest import beijing
from tests.quality.test_summary import GOOD_RIVER, IV_RIVER, SOURCE

pytestmark = pytest.mark.django_db


def _url(section) -> str:
    return f"/api/v1/quality/sections/{section.pk}/exclusions/"


@pytest.fixture
def half_year_of_samples(sections, record):
    """East river class III every month but June (class IV); the source good every month."""
    for m in range(1, 7):
        record(sections["river_e"], beijing(2024, m), IV_RIVER if m == 6 else GOOD_RIVER)
        record(sections["source_e"], beijing(2024, m), SOURCE)
    return sections


def test_excluded_months_are_not_used_and_are_listed(users, half_year_of_samples):
    s = half_year_of_samples
    # NH3-N: five months at 0.8 and June at 1.3 → mean 0.883 → class III either way; with June left
    # out the mean is 0.8 exactly, and June's value no longer counts.
    before = quality_summary(scope=scope_for(users["admin"]), period=half_year(2024, 1))
    assert str(before.rivers.sections[0].means.values["w21003"]).startswith("0.883")
    section_exclusion_create(
        section=s["river_e"],
        first_month=dt.date(2024, 6, 1),
        last_month=dt.date(2024, 6, 30),
        reason="汛期断面冲毁，停测",
        actor=users["admin"],
    )
    after = quality_summary(scope=scope_for(users["admin"]), period=half_year(2024, 1))
    east = after.rivers.sections[0]
    assert east.means.values["w21003"] == Decimal("0.8")
    assert east.means.months == ("2024-01", "2024-02", "2024-03", "2024-04", "2024-05")
    assert east.excluded_months == ("2024-06",)
    assert east.to_dict()["exclusions"] == [
        {"first_month": "2024-06", "last_month": "2024-06", "reason": "汛期断面冲毁，停测"}
    ]
    assert after.rivers.excluded == ()  # still evaluated on its other months


def test_a_section_excluded_for_the_whole_period_leaves_the_statistics_with_its_reason(users, half_year_of_samples):
    s = half_year_of_samples
    section_exclusion_create(
        section=s["source_e"],
        first_month=dt.date(2024, 4, 1),
        last_month=dt.date(2024, 9, 1),
        reason="天气原因未采样",
        actor=users["admin"],
    )
    q2 = quality_summary(scope=scope_for(users["admin"]), period=date_range(dt.date(2024, 4, 1), dt.date(2024, 6, 30)))
    assert q2.drinking_sources.evaluated == 0
    assert q2.drinking_sources.not_evaluated == ()
    assert [e.section.code for e in q2.drinking_sources.excluded] == ["QS-E-S"]
    body = q2.to_dict()["drinking_sources"]
    assert body["excluded"][0]["exclusions"][0]["reason"] == "天气原因未采样"
    # Q1 is untouched by an exclusion that starts in April.
    q1 = quality_summary(scope=scope_for(users["admin"]), period=date_range(dt.date(2024, 1, 1), dt.date(2024, 3, 31)))
    assert (q1.drinking_sources.good, q1.drinking_sources.evaluated) == (1, 1)
    assert q1.drinking_sources.sections[0].excluded_months == ()


def test_the_report_says_which_sections_were_left_out_and_why(client_for, users, half_year_of_samples):
    s = half_year_of_samples
    section_exclusion_create(
        section=s["source_e"],
        first_month=dt.date(2024, 6, 1),
        last_month=dt.date(2024, 6, 1),
        reason="天气原因未采样",
        actor=users["admin"],
    )
    june = quality_summary(scope=scope_for(users["admin"]), period=month(2024, 6))
    assert [e.section.code for e in june.drinking_sources.excluded] == ["QS-E-S"]
    from reports.builders import quality as quality_builder

    out, _ = quality_builder.build(
        scope=scope_for(users["admin"]), period=month(2024, 6), previous=month(2023, 6), division_code=None
    )
    assert out["drinking_sources"]["excluded"] == [
        {"code": "QS-E-S", "name": "红雁池水源地", "months": ["2024-06"], "reasons": ["天气原因未采样"]}
    ]
    h1, _ = quality_builder.build(
        scope=scope_for(users["admin"]), period=half_year(2024, 1), previous=half_year(2023, 1), division_code=None
    )
    assert h1["drinking_sources"]["excluded"] == []
    assert h1["drinking_sources"]["partly_excluded"][0]["months"] == ["2024-06"]
    assert h1["drinking_sources"]["sections"][0]["excluded_months"] == ["2024-06"]


def test_overlap_order_and_reason_are_checked(users, sections):
    ok = section_exclusion_create(
        section=sections["river_e"],
        first_month=dt.date(2024, 7, 9),
        last_month=dt.date(2024, 8, 2),
        reason="冰封",
        actor=users["admin"],
    )
    assert (ok.first_month, ok.last_month) == (dt.date(2024, 7, 1), dt.date(2024, 8, 1))
    with pytest.raises(InvalidInput) as err:
        section_exclusion_create(
            section=sections["river_e"],
            first_month=dt.date(2024, 8, 1),
            last_month=dt.date(2024, 9, 1),
            reason="x",
            actor=users["admin"],
        )
    assert "first_month" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        section_exclusion_create(
            section=sections["river_w"],
            first_month=dt.date(2024, 9, 1),
            last_month=dt.date(2024, 8, 1),
            reason="x",
            actor=users["admin"],
        )
    assert "last_month" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        section_exclusion_create(
            section=sections["river_w"],
            first_month=dt.date(2024, 9, 1),
            last_month=dt.date(2024, 9, 1),
            reason="  ",
            actor=users["admin"],
        )
    assert "reason" in err.value.fields
    assert SectionExclusion.objects.count() == 1


class TestApi:
    def test_create_list_delete_audited(self, client_for, users, sections):
        api = client_for(users["city_reviewer"])
        resp = api.post(
            _url(sections["river_e"]),
            {"first_month": "2024-07", "last_month": "2024-08", "reason": "冰封期"},
            format="json",
        )
        assert resp.status_code == 201, resp.content
        body = resp.json()
        assert (body["first_month"], body["last_month"], body["reason"]) == ("2024-07", "2024-08", "冰封期")
        assert body["created_by"] == users["city_reviewer"].username
        listed = api.get(_url(sections["river_e"])).json()
        assert [x["id"] for x in listed] == [body["id"]]
        assert AuditLog.objects.filter(entity="quality.sectionexclusion", action="create").count() == 1
        gone = api.delete(f"{_url(sections['river_e'])}{body['id']}/")
        assert gone.status_code == 204
        assert not SectionExclusion.objects.exists()
        assert AuditLog.objects.filter(entity="quality.sectionexclusion", action="delete").count() == 1

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"first_month": "2024-13", "last_month": "2024-12", "reason": "x"}, "first_month"),
            ({"first_month": "2024-07", "last_month": "July", "reason": "x"}, "last_month"),
            ({"first_month": "2024-07", "last_month": "2024-06", "reason": "x"}, "last_month"),
            ({"first_month": "2024-07", "last_month": "2024-07"}, "reason"),
            ({"first_month": "2024-07", "last_month": "2024-07", "reason": "x", "extra": 1}, "extra"),
            ({"first_month": 202407, "last_month": "2024-07", "reason": "x"}, "first_month"),
        ],
    )
    def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(self, client_for, users, sections, body, field):
        resp = client_for(users["admin"]).post(_url(sections["river_e"]), body, format="json")
        assert resp.status_code == 400
        assert field in resp.json()["error"]["fields"]
        assert not SectionExclusion.objects.exists()

    def test_scope_and_roles(self, client_for, users, sections):
        body = {"first_month": "2024-07", "last_month": "2024-07", "reason": "x"}
        # A reviewer of another district does not find the section; a chief and an operator may not write.
        assert (
            client_for(users["reviewer_650103"]).post(_url(sections["river_e"]), body, format="json").status_code == 404
        )
        assert client_for(users["chief_650102"]).post(_url(sections["river_e"]), body, format="json").status_code == 403
        assert client_for(users["operator"]).get(_url(sections["river_e"])).status_code == 403
        assert client_for(None).get(_url(sections["river_e"])).status_code == 401
        own = client_for(users["reviewer_650103"]).post(_url(sections["river_w"]), body, format="json")
        assert own.status_code == 201
        # Another district's reviewer cannot delete it through their own section's URL either.
        other = client_for(users["city_reviewer"]).post(_url(sections["river_e"]), body, format="json").json()
        assert (
            client_for(users["reviewer_650103"]).delete(f"{_url(sections['river_w'])}{other['id']}/").status_code == 404
        )
        assert SectionExclusion.objects.count() == 2


def test_the_quarterly_pdf_and_xlsx_say_which_sections_were_left_out_and_why(users, half_year_of_samples):
    """The exclusions reach the report's PDF (a note under the quality table) and its XLSX (the sections
    table: a row for a section left out of the whole quarter, the months for one left out of some)."""
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    from core.periods import quarter
    from reports.builders import build_report
    from reports.pdf import render_pdf
    from reports.xlsx import render_xlsx

    s = half_year_of_samples
    section_exclusion_create(
        section=s["source_e"],
        first_month=dt.date(2024, 4, 1),
        last_month=dt.date(2024, 6, 1),
        reason="天气原因未采样",
        actor=users["admin"],
    )
    section_exclusion_create(
        section=s["river_e"],
        first_month=dt.date(2024, 6, 1),
        last_month=dt.date(2024, 6, 1),
        reason="汛期断面冲毁，停测",
        actor=users["admin"],
    )
    report = build_report(scope=scope_for(users["admin"]), period=quarter(2024, 2))
    q = report["quality"]
    assert [x["code"] for x in q["drinking_sources"]["excluded"]] == ["QS-E-S"]
    assert [x["months"] for x in q["rivers"]["partly_excluded"]] == [["2024-06"]]

    text = "".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(render_pdf(report))).pages).split())
    assert "红雁池水源地（QS-E-S）2024-04、2024-05、2024-06不参与本期统计，原因：天气原因未采样" in text
    assert "2024-06不参与统计（其余月份参与），原因：汛期断面冲毁，停测" in text

    ws = load_workbook(io.BytesIO(render_xlsx(report)))["水质 Quality"]
    rows = {r[1]: r for r in ws.iter_rows(values_only=True) if r and r[1] in ("QS-E-S", s["river_e"].code)}
    assert rows["QS-E-S"][3] == "不参与统计"
    assert rows["QS-E-S"][6] == "2024-04、2024-05、2024-06：天气原因未采样"
    assert rows[s["river_e"].code][6] == "2024-06"

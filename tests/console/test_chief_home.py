"""A chief's home (issue 15, item 7): their reaches and lakes with a way to the map, their patrols and
cases, and their patrol frequency — the compliance selector's own rows for the month and the year of
their latest patrol."""

from __future__ import annotations

import datetime as dt

from accounts.scope import scope_for
from patrols import selectors as patrol_selectors
from places.choices import ChiefLevel
from places.services import chief_assign


def test_a_chief_sees_their_frequency_as_the_compliance_selector_counts_it(console_data, chiefs, web):
    chief = chiefs["township"]
    html = web(chief).get("/").content.decode()
    assert 'data-testid="chief-compliance"' in html
    assert 'data-testid="chief-map"' in html
    # The year of the chief's latest patrol (the fixture's patrols are in 2024), as the API counts it.
    rows = patrol_selectors.compliance(
        scope=scope_for(chief), start=dt.date(2024, 1, 1), end=dt.date(2024, 12, 31), chief_id=chief.pk
    )
    assert rows, "the fixture's chief is held to a frequency rule"
    year = rows[0]
    assert "2024年度" in html
    assert f'<td class="num">{year.done}</td><td class="num">{year.person_times}</td>' in html
    assert year.person_times > year.done  # the fixture's patrols have companions: the two counts differ
    assert '<th class="num">巡河次数</th><th class="num">巡河人次</th>' in html
    assert str(ChiefLevel(year.level).label) in html
    # The rule in the reader's words, from the selector's terms (the API keeps its English text).
    assert year.terms
    assert year.rule.startswith("≥")
    table = html.split('data-testid="chief-compliance"', 1)[1].split("</table>", 1)[0]
    term = year.terms[0]
    assert term.period == "month"  # the township chief's seeded rule
    assert f"每月至少{term.required_count}次（{term.season_start_month}–{term.season_end_month}月）" in table
    assert "≥" not in table
    assert "/month" not in table
    english = web(chief).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    span = f"{term.season_start_month}–{term.season_end_month}"
    assert f"at least {term.required_count} a month (months {span})" in english


def test_a_lake_chief_sees_their_lake(console_data, chiefs, web, geography):
    chief = chiefs["township"]
    lake = geography["lake_e"]
    chief_assign(chief=chief, level=ChiefLevel.TOWNSHIP, lake=lake, valid_from=dt.date(2020, 1, 1), actor="test")
    html = web(chief).get("/").content.decode()
    assert lake.name in html
    assert f"?lake={lake.pk}" in html

"""Period means and category shares as a plain module: no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from fractions import Fraction

import pytest

from core.periods import BEIJING
from quality import evaluation
from quality.conf import DEFAULT_STATUS_THRESHOLDS
from quality.evaluation import Observation, Shares, percent_display, period_means_of, share_status
from quality.gb3838 import DEFAULT_AUTOMATIC_PRIORITY, Body, Options

THRESHOLDS = {k: Fraction(D(v)) for k, v in DEFAULT_STATUS_THRESHOLDS.items()}


def at(month, day=10, hour=10):
    return dt.datetime(2024, month, day, hour, tzinfo=BEIJING)


def obs(item, value, when, *, source="manual", section=1, dl=None):
    if dl is not None:
        return Observation(section, when, source, item, None, True, D(dl))
    return Observation(section, when, source, item, D(value))


def means(observations):
    return period_means_of(observations, automatic_priority=DEFAULT_AUTOMATIC_PRIORITY)


class TestPeriodMeans:
    def test_mean_of_monthly_means(self):
        # January has two samples (1.0, 2.0 → 1.5), February one (0.5): the period value is the mean
        # of the monthly values, 1.0 — not the mean of the three samples (1.1666…).
        out = means([obs("w21003", "1.0", at(1, 5)), obs("w21003", "2.0", at(1, 20)), obs("w21003", "0.5", at(2))])
        item = out[1].items["w21003"]
        assert item.value == D("1.0")
        assert item.months == 2
        assert item.results == 3
        assert out[1].samples == 3
        assert out[1].months == ("2024-01", "2024-02")

    def test_months_are_beijing_months(self):
        # 2024-01-31T17:00Z is 1 February 01:00 in Beijing.
        late = dt.datetime(2024, 1, 31, 17, tzinfo=dt.UTC)
        out = means([obs("w21003", "1.0", at(1)), obs("w21003", "3.0", late)])
        assert out[1].months == ("2024-01", "2024-02")
        assert out[1].items["w21003"].months == 2

    def test_automatic_values_take_priority_for_the_2020_items(self):
        out = means(
            [
                obs("w21003", "0.9", at(3)),  # manual, March
                obs("w21003", "0.4", at(3, 1), source="automatic"),
                obs("w21003", "0.6", at(3, 2), source="automatic"),
                obs("w21003", "0.8", at(4)),  # manual only in April
            ]
        )
        item = out[1].items["w21003"]
        assert item.value == D("0.65")  # mean(March automatic 0.5, April manual 0.8)
        assert item.sources == ("automatic", "manual")
        assert item.results == 3

    def test_manual_values_take_priority_for_other_items(self):
        out = means([obs("w01018", "18", at(3)), obs("w01018", "30", at(3, 2), source="automatic")])
        assert out[1].items["w01018"].value == D(18)
        only_auto = means([obs("w01018", "30", at(3, 2), source="automatic")])
        assert only_auto[1].items["w01018"].value == D(30)

    def test_non_detects_enter_at_half_the_limit(self):
        out = means([obs("w20111", None, at(1), dl="0.00004"), obs("w20111", "0.00006", at(2))])
        item = out[1].items["w20111"]
        assert item.value == D("0.00004")  # mean(0.00002, 0.00006)
        assert item.non_detects == 1

    def test_sections_are_kept_apart(self):
        out = means([obs("w21003", "1", at(1), section=1), obs("w21003", "3", at(1), section=2)])
        assert out[1].values == {"w21003": D(1)}
        assert out[2].values == {"w21003": D(3)}


class TestShares:
    def test_counts_and_exact_fractions(self):
        shares = Shares.of([1, 2, 3, 3, 2, 2, 3, 5, 6])
        assert shares.evaluated == 9
        assert shares.groups == {"I_III": 7, "IV_V": 1, "worse_than_V": 1}
        assert shares.good_ratio == Fraction(7, 9)
        assert shares.ratio("worse_than_V") == Fraction(1, 9)

    def test_nothing_evaluated(self):
        shares = Shares.of([])
        assert shares.good_ratio is None
        assert percent_display(shares.good_ratio, 2) is None
        assert share_status(shares, THRESHOLDS) is None

    @pytest.mark.parametrize(
        ("ratio", "decimals", "shown"),
        [
            (Fraction(7, 9), 2, "77.78"),
            (Fraction(7, 9), 1, "77.8"),
            (Fraction(7, 8), 2, "87.50"),
            (Fraction(7, 8), 1, "87.5"),
            (Fraction(1, 1), 2, "100.00"),
            (Fraction(0, 3), 2, "0.00"),
            # Half-up for display (domain.md §1.5), not half-even: 12.5 → 13, 0.125 % → 0.13.
            (Fraction(1, 8), 0, "13"),
            (Fraction(1, 800), 2, "0.13"),
            (Fraction(2, 3), 2, "66.67"),
        ],
    )
    def test_percent_display(self, ratio, decimals, shown):
        assert percent_display(ratio, decimals) == shown

    def test_decimal_for_json(self):
        assert evaluation.as_decimal(Fraction(7, 8)) == D("0.875")
        assert str(evaluation.as_decimal(Fraction(7, 9))).startswith("0.77777777")


class TestStatus:
    @pytest.mark.parametrize(
        ("classes", "status"),
        [
            ([1] * 9 + [4], "excellent"),  # 90 %
            ([1] * 8 + [4, 4], "good"),  # 80 %
            ([1] * 6 + [4] * 4, "light"),  # 60 %, no 劣Ⅴ
            ([1] * 6 + [4, 4, 6, 6], "moderate"),  # 60 %, 劣Ⅴ 20 %
            ([1] * 5 + [4] + [6] * 4, "heavy"),  # 50 %, 劣Ⅴ 40 %
        ],
    )
    def test_section_share_method(self, classes, status):
        assert share_status(Shares.of(classes), THRESHOLDS) == status

    def test_a_rounded_share_is_never_compared(self):
        # 7,496 good of 10,000 is 74.96 %: shown as 75.0 % at one decimal, but it is below 75 %.
        shares = Shares(by_class={1: 7496, 2: 0, 3: 0, 4: 2504, 5: 0, 6: 0})
        assert percent_display(shares.good_ratio, 1) == "75.0"
        assert share_status(shares, THRESHOLDS) == "light"
        exactly = Shares(by_class={1: 7500, 2: 0, 3: 0, 4: 2500, 5: 0, 6: 0})
        assert share_status(exactly, THRESHOLDS) == "good"

    def test_fewer_than_five_sections_average_the_concentrations(self):
        values = [{"w21003": D("0.8"), "w01018": D("14")}, {"w21003": D("1.4"), "w01018": D("16")}]
        c = evaluation.mean_concentration_classification(values, body=Body.RIVER, options=Options())
        assert c is not None
        assert c.cls == 4  # NH3-N mean 1.1 → IV although one section is class III
        assert c.status == "light"

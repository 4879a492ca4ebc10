"""The GB 3838-2002 classifier as a plain module: no database.

Every limit of every classed item is walked just below, at and just above, for rivers and for lakes,
both raw (item_class) and through classify() with its rounding. The expected class is derived by a
different rule from the one the module uses (count the limits the value is worse than), and the
limits themselves are checked against a literal copy of domain.md §1.2.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from quality import gb3838
from quality.gb3838 import ITEMS_BY_CODE, Body, Options, classify, item_class, parse_values

# domain.md §1.2, copied by hand (classes I..V): a transcription error in the module fails here.
DOMAIN_TABLE = {
    "w01009": ("min", ["7.5", "6", "5", "3", "2"]),
    "w01019": ("max", ["2", "4", "6", "10", "15"]),
    "w01018": ("max", ["15", "15", "20", "30", "40"]),
    "w01017": ("max", ["3", "3", "4", "6", "10"]),
    "w21003": ("max", ["0.15", "0.5", "1.0", "1.5", "2.0"]),
    "w21011": ("max", ["0.02", "0.1", "0.2", "0.3", "0.4"]),
    "w21001": ("max", ["0.2", "0.5", "1.0", "1.5", "2.0"]),
    "w20122": ("max", ["0.01", "1.0", "1.0", "1.0", "1.0"]),
    "w20123": ("max", ["0.05", "1.0", "1.0", "2.0", "2.0"]),
    "w21017": ("max", ["1.0", "1.0", "1.0", "1.5", "1.5"]),
    "w20128": ("max", ["0.01", "0.01", "0.01", "0.02", "0.02"]),
    "w20141": ("max", ["0.05", "0.05", "0.05", "0.1", "0.1"]),
    "w20111": ("max", ["0.00005", "0.00005", "0.0001", "0.001", "0.001"]),
    "w20115": ("max", ["0.001", "0.005", "0.005", "0.005", "0.01"]),
    "w20117": ("max", ["0.01", "0.05", "0.05", "0.05", "0.1"]),
    "w20120": ("max", ["0.01", "0.01", "0.05", "0.05", "0.1"]),
    "w21016": ("max", ["0.005", "0.05", "0.2", "0.2", "0.2"]),
    "w23002": ("max", ["0.002", "0.002", "0.005", "0.01", "0.1"]),
    "w22001": ("max", ["0.05", "0.05", "0.05", "0.5", "1.0"]),
    "w19002": ("max", ["0.2", "0.2", "0.2", "0.3", "0.3"]),
    "w21019": ("max", ["0.05", "0.1", "0.2", "0.5", "1.0"]),
    "w02003": ("max", ["200", "2000", "10000", "20000", "40000"]),
}
LAKE_TP = ["0.01", "0.025", "0.05", "0.1", "0.2"]
TABLE_2 = {"w21038": "250", "w21022": "250", "w21007": "10", "w20125": "0.3", "w20124": "0.1"}
EVALUATED_21 = {
    "w01001",
    "w01009",
    "w01019",
    "w01018",
    "w01017",
    "w21003",
    "w21011",
    "w20122",
    "w20123",
    "w21017",
    "w20128",
    "w20141",
    "w20111",
    "w20115",
    "w20117",
    "w20120",
    "w21016",
    "w23002",
    "w22001",
    "w19002",
    "w21019",
}


def test_limits_match_domain_reference():
    for code, (direction, limits) in DOMAIN_TABLE.items():
        item = ITEMS_BY_CODE[code]
        assert item.direction == direction, code
        assert item.limits == tuple(D(v) for v in limits), code
    assert ITEMS_BY_CODE["w21011"].lake_limits == tuple(D(v) for v in LAKE_TP)
    assert ITEMS_BY_CODE["w01001"].limits == (D(6), D(9))
    for code, limit in TABLE_2.items():
        assert ITEMS_BY_CODE[code].limits == (D(limit),)


def test_the_21_evaluated_items():
    assert gb3838.BASIC_EVALUATED == EVALUATED_21
    # Reference only: water temperature, total nitrogen, fecal coliform.
    assert {"w01010", "w21001", "w02003"}.isdisjoint(gb3838.BASIC_EVALUATED)


def expected_class(direction: str, limits: list[D], value: D) -> int:
    """An independent statement of the rule: a ≤ item is one class worse for every limit strictly
    below the value; a ≥ item (DO) for every limit strictly above it. Capped at 劣Ⅴ (6)."""
    if direction == "max":
        return min(6, 1 + sum(1 for lim in limits if lim < value))
    return min(6, 1 + sum(1 for lim in limits if lim > value))


def _boundary_cases():
    tiny = D("1e-9")
    for code, (direction, limits) in DOMAIN_TABLE.items():
        if code == "w21001":
            continue  # TN has no class on a river; its lake column is walked below
        for body in ("river", "lake"):
            lims = [D(v) for v in (LAKE_TP if (code == "w21011" and body == "lake") else limits)]
            for k, lim in enumerate(lims, start=1):
                for label, value in (("below", lim - tiny), ("equal", lim), ("above", lim + tiny)):
                    yield pytest.param(
                        code, body, value, expected_class(direction, lims, value), id=f"{code}-{body}-{k}-{label}"
                    )
    lims = [D(v) for v in DOMAIN_TABLE["w21001"][1]]
    for k, lim in enumerate(lims, start=1):
        for label, value in (("below", lim - tiny), ("equal", lim), ("above", lim + tiny)):
            yield pytest.param("w21001", "lake", value, expected_class("max", lims, value), id=f"TN-lake-{k}-{label}")


@pytest.mark.parametrize(("code", "body", "value", "expected"), list(_boundary_cases()))
def test_every_limit_below_equal_above(code, body, value, expected):
    assert item_class(ITEMS_BY_CODE[code], value, body=body) == expected


def _rounded_boundary_cases():
    # Through classify(): a step of one unit in the last decimal kept survives the rounding.
    for code, (direction, limits) in DOMAIN_TABLE.items():
        if code in {"w21001", "w02003"}:
            continue  # reference items: no class in the section
        item = ITEMS_BY_CODE[code]
        step = D(1).scaleb(-item.decimals)
        for body in ("river", "lake"):
            lims = [D(v) for v in (LAKE_TP if (code == "w21011" and body == "lake") else limits)]
            for k, lim in enumerate(lims, start=1):
                for label, value in (("below", lim - step), ("equal", lim), ("above", lim + step)):
                    yield pytest.param(
                        code, body, value, expected_class(direction, lims, value), id=f"{code}-{body}-{k}-{label}"
                    )


@pytest.mark.parametrize(("code", "body", "value", "expected"), list(_rounded_boundary_cases()))
def test_every_limit_through_the_classifier(code, body, value, expected):
    result = classify({code: value}, body=body)
    assert result.cls == expected
    assert result.items[0].rounded == value


@pytest.mark.parametrize(
    ("code", "value", "expected"),
    [
        # A value equal to a limit shared by two or more classes goes to the better class.
        ("w01018", "15", 1),
        ("w01017", "3", 1),
        ("w20122", "1.0", 2),
        ("w20123", "1.0", 2),
        ("w20123", "2.0", 4),
        ("w21017", "1.0", 1),
        ("w21017", "1.5", 4),
        ("w20128", "0.01", 1),
        ("w20128", "0.02", 4),
        ("w20141", "0.05", 1),
        ("w20141", "0.1", 4),
        ("w20111", "0.00005", 1),
        ("w20111", "0.001", 4),
        ("w20115", "0.005", 2),
        ("w20117", "0.05", 2),
        ("w20120", "0.01", 1),
        ("w20120", "0.05", 3),
        ("w21016", "0.2", 3),
        ("w23002", "0.002", 1),
        ("w22001", "0.05", 1),
        ("w19002", "0.2", 1),
        ("w19002", "0.3", 4),
        # domain.md §1.9, checked there: COD 15 → I; DO 1.9 → 劣Ⅴ.
        ("w01009", "1.9", 6),
        ("w01009", "7.5", 1),
        ("w01009", "7.4", 2),
        ("w01009", "2", 5),
    ],
)
def test_shared_limits_and_hand_checked_values(code, value, expected):
    assert item_class(ITEMS_BY_CODE[code], D(value)) == expected


class TestPH:
    def test_range_6_to_9_inclusive_any_class_else_worse_than_v(self):
        ph = ITEMS_BY_CODE["w01001"]
        assert item_class(ph, D("6.0")) == 1
        assert item_class(ph, D("9.0")) == 1
        assert item_class(ph, D("5.99")) == 6
        assert item_class(ph, D("9.01")) == 6
        assert item_class(ph, D("9.2")) == 6  # domain.md §1.9 (unrounded)

    def test_default_rounding_keeps_no_decimals_half_even(self):
        # pH is kept to 0 decimals before comparing (§1.4 table, configurable): 9.4 → 9, in range;
        # 9.5 → 10 (half to even), out; 5.5 → 6, in; 8.5 → 8.
        assert classify({"w01001": D("9.4")}).cls == 1
        assert classify({"w01001": D("9.5")}).cls == 6
        assert classify({"w01001": D("5.5")}).cls == 1
        assert classify({"w01001": D("5.4")}).cls == 6
        assert classify({"w01001": D("8.5")}).items[0].rounded == D(8)

    def test_with_two_decimals_configured_9_2_is_worse_than_v(self):
        options = Options(decimals={**gb3838.DEFAULT_DECIMALS, "w01001": 2})
        assert classify({"w01001": D("9.2")}, options=options).cls == 6
        assert classify({"w01001": D("9.00")}, options=options).cls == 1

    def test_ph_has_no_exceedance_multiple(self):
        result = classify({"w01001": D("10.2"), "w01018": D("25")})
        assert [r.item.key for r in result.main_pollutants] == ["pH", "COD"]  # 劣Ⅴ before Ⅳ
        assert result.main_pollutants[0].exceedance_iii is None
        assert result.main_pollutants[1].exceedance_iii == D("0.25")


class TestDissolvedOxygen:
    def test_not_less_than(self):
        do = ITEMS_BY_CODE["w01009"]
        assert [item_class(do, D(v)) for v in ("9", "7.5", "6.5", "6", "5.9", "5", "3", "2.9", "2", "1.99")] == [
            1,
            1,
            2,
            2,
            3,
            3,
            4,
            5,
            5,
            6,
        ]

    def test_rounded_to_one_decimal_half_even_before_comparing(self):
        assert classify({"w01009": D("7.45")}).cls == 2  # → 7.4
        assert classify({"w01009": D("7.55")}).cls == 1  # → 7.6
        assert classify({"w01009": D("7.46")}).cls == 1  # → 7.5, equal to the limit

    def test_no_exceedance_multiple(self):
        result = classify({"w01009": D("2.5")})
        assert result.cls == 5
        assert result.main_pollutants[0].exceedance_iii is None


class TestLakeVersusRiverTP:
    @pytest.mark.parametrize(
        ("value", "river", "lake"),
        [
            ("0.01", 1, 1),
            ("0.02", 1, 2),
            ("0.025", 2, 2),
            ("0.05", 2, 3),
            ("0.09", 2, 4),
            ("0.1", 2, 4),
            ("0.15", 3, 5),
            ("0.2", 3, 5),
            ("0.21", 4, 6),
            ("0.4", 5, 6),
            ("0.41", 6, 6),
        ],
    )
    def test_columns(self, value, river, lake):
        assert classify({"w21011": D(value)}, body=Body.RIVER).cls == river
        assert classify({"w21011": D(value)}, body=Body.LAKE).cls == lake

    def test_lake_exceedance_uses_the_lake_class_iii_limit(self):
        # domain.md §1.9: lake TP 0.09 → IV; (0.09 − 0.05) / 0.05 = 0.8
        result = classify({"w21011": D("0.09")}, body="lake")
        assert result.cls == 4
        assert result.main_pollutants[0].exceedance_iii == D("0.8")


class TestReferenceItems:
    def test_total_nitrogen_has_no_class_on_a_river(self):
        result = classify({"w21001": D("5"), "w21003": D("0.3")}, body="river")
        tn = next(r for r in result.items if r.item.code == "w21001")
        assert tn.cls is None
        assert not tn.counted
        assert result.cls == 2

    def test_total_nitrogen_is_reported_for_a_lake_but_not_counted(self):
        result = classify({"w21001": D("2.5"), "w21003": D("0.3")}, body="lake")
        tn = next(r for r in result.items if r.item.code == "w21001")
        assert tn.cls == 6
        assert not tn.counted
        assert result.cls == 2
        assert result.main_pollutants == ()

    def test_fecal_coliform_and_temperature_do_not_count(self):
        result = classify({"w02003": D("90000"), "w01010": D("25"), "w21003": D("0.1")})
        fc = next(r for r in result.items if r.item.code == "w02003")
        wt = next(r for r in result.items if r.item.code == "w01010")
        assert fc.cls == 6
        assert not fc.counted
        assert wt.cls is None
        assert not wt.counted
        assert result.cls == 1

    def test_only_reference_items_give_no_class(self):
        assert classify({"w02003": D("100"), "w01010": D("12")}).cls is None


class TestMissingItems:
    def test_nothing_measured_is_not_class_i(self):
        result = classify({})
        assert result.cls is None
        assert result.description is None
        assert len(result.missing) == 21

    def test_a_missing_item_does_not_count_as_best(self):
        result = classify({"w21003": D("1.2")})
        assert result.cls == 4
        assert "w01018" in result.missing
        assert "w21003" not in result.missing


class TestRounding:
    @pytest.mark.parametrize(
        ("code", "value", "rounded", "expected"),
        [
            ("w21003", "1.005", "1.00", 3),  # half to even: 0 is even, stays
            ("w21003", "1.015", "1.02", 4),  # 1 is odd, goes up
            ("w21003", "1.0049", "1.00", 3),
            ("w21003", "1.0051", "1.01", 4),
            ("w01018", "20.05", "20.0", 3),
            ("w01018", "20.15", "20.2", 4),
            ("w21011", "0.2005", "0.200", 3),
            ("w21011", "0.2015", "0.202", 4),
            ("w20111", "0.000105", "0.00010", 3),  # Hg, 5 decimals
            ("w20111", "0.000115", "0.00012", 4),
            ("w01019", "6.05", "6.0", 3),
            ("w01019", "6.25", "6.2", 4),
        ],
    )
    def test_half_even_before_comparison(self, code, value, rounded, expected):
        result = classify({code: D(value)})
        assert result.items[0].rounded == D(rounded)
        assert str(result.items[0].rounded) == rounded
        assert result.cls == expected

    def test_decimals_are_configurable(self):
        three = Options(decimals={**gb3838.DEFAULT_DECIMALS, "w21003": 3})
        assert classify({"w21003": D("1.005")}).cls == 3
        assert classify({"w21003": D("1.005")}, options=three).cls == 4
        one = Options(decimals={**gb3838.DEFAULT_DECIMALS, "w21003": 1})
        assert classify({"w21003": D("1.04")}, options=one).cls == 3

    def test_round_value_is_gb_t_8170(self):
        assert gb3838.round_value(D("2.5"), 0) == D(2)
        assert gb3838.round_value(D("3.5"), 0) == D(4)
        assert gb3838.round_value(D("0.125"), 2) == D("0.12")
        assert gb3838.round_value(D("0.135"), 2) == D("0.14")


class TestNonDetects:
    def test_half_the_detection_limit_enters(self):
        hg = ITEMS_BY_CODE["w20111"]
        m = gb3838.parse_measurement(hg, "<0.0001", unit="mg/L")
        assert m.below_detection_limit
        assert m.value is None
        assert m.effective == D("0.00005")
        assert classify({"w20111": m.effective}).cls == 1

    def test_a_coarse_detection_limit_can_decide_the_class(self):
        # DL 0.0003 → 0.00015 mg/L enters: class IV although nothing was detected.
        m = gb3838.parse_measurement(ITEMS_BY_CODE["w20111"], "0.0003L", unit="mg/L")
        assert classify({"w20111": m.effective}).cls == 4

    def test_flag_and_limit_fields(self):
        tp = ITEMS_BY_CODE["w21011"]
        m = gb3838.parse_measurement(tp, None, below_detection_limit=True, detection_limit="0.01")
        assert m.effective == D("0.005")
        # The "DL with an L flag" convention: the value column holds the limit.
        m2 = gb3838.parse_measurement(tp, "0.01", below_detection_limit=True)
        assert m2.detection_limit == D("0.01")


class TestSectionClassAndMainPollutants:
    def test_section_class_is_the_worst_item(self):
        result = classify({"w01009": D("8"), "w21003": D("0.4"), "w01018": D("35"), "w21011": D("0.15")})
        assert [r.cls for r in result.items] == [1, 5, 2, 3]
        assert result.cls == 5
        assert result.description == "meets class V"
        assert classify({"w01018": D("41")}).description == "does not meet class V"

    def test_no_main_pollutants_at_class_iii_or_better(self):
        assert classify({"w01018": D("20"), "w21003": D("1.0")}).main_pollutants == ()

    def test_worst_class_first_then_exceedance_multiple(self):
        values = {
            "w01018": D("28"),  # IV, (28-20)/20 = 0.4
            "w21003": D("1.4"),  # IV, 0.4 → tie with COD … (1.4-1)/1 = 0.4
            "w01019": D("9.6"),  # IV, (9.6-6)/6 = 0.6
            "w01017": D("5.2"),  # IV, (5.2-4)/4 = 0.3
            "w21011": D("0.35"),  # V (river), (0.35-0.2)/0.2 = 0.75
        }
        result = classify(values)
        assert result.cls == 5
        keys = [r.item.key for r in result.main_pollutants]
        assert keys == ["TP", "CODMn", keys[2]]
        assert keys[2] in {"COD", "NH3-N"}
        assert [r.exceedance_iii for r in result.main_pollutants[:2]] == [D("0.75"), D("0.6")]

    def test_at_most_three_and_configurable(self):
        values = {"w01018": D("28"), "w21003": D("1.4"), "w01019": D("9.6"), "w01017": D("5.2")}
        assert len(classify(values).main_pollutants) == 3
        two = Options(max_main_pollutants=2)
        assert [r.item.key for r in classify(values, options=two).main_pollutants] == ["CODMn", "COD"]

    def test_cyanide_and_heavy_metals_come_first_when_they_exceed(self):
        values = {"w01018": D("45"), "w20120": D("0.06"), "w21016": D("0.21")}
        # COD 劣Ⅴ (multiple 1.25); lead Ⅴ (0.2) and cyanide 劣Ⅴ (0.05) are priority items.
        keys = [r.item.key for r in classify(values).main_pollutants]
        assert keys == ["CN", "Pb", "COD"]
        no_priority = Options(main_pollutant_priority=frozenset())
        assert [r.item.key for r in classify(values, options=no_priority).main_pollutants] == ["COD", "CN", "Pb"]

    def test_items_without_a_multiple_follow_those_with_one_in_a_class(self):
        result = classify({"w01009": D("2.5"), "w01018": D("35")})  # both class V
        assert [r.item.key for r in result.main_pollutants] == ["COD", "DO"]


class TestCompliance:
    def test_against_the_target_class(self):
        result = classify({"w21003": D("1.2"), "w01018": D("18")})
        assert result.cls == 4
        missed = result.compliance(3)
        assert missed is not None
        assert not missed.compliant
        assert [(r.item.key, m) for r, m in missed.failing] == [("NH3-N", D("0.2"))]
        met = result.compliance(4)
        assert met is not None
        assert met.compliant
        assert met.failing == ()

    def test_drinking_source_needs_class_iii_and_table_2_within_limits(self):
        ok = classify({"w21003": D("0.4"), "w21038": D("250"), "w20125": D("0.3")})
        assert ok.drinking_source_ok
        over = classify({"w21003": D("0.4"), "w21038": D("250.01")})
        assert not over.drinking_source_ok
        assert next(r for r in over.items if r.item.code == "w21038").within_limit is False
        class_iv = classify({"w21003": D("1.2")})
        assert not class_iv.drinking_source_ok


class TestParseValues:
    def test_codes_and_aliases(self):
        out, errors = parse_values(
            {"W21003": 0.5, "COD": "18", "dissolved_oxygen": 7.1, "总磷": 0.1, "Cr(VI)": {"value": 4, "unit": "µg/L"}}
        )
        assert errors == {}
        assert set(out) == {"w21003", "w01018", "w01009", "w21011", "w20117"}
        assert out["w20117"].value == D("0.004")
        assert out["w21003"].value == D("0.5")  # the float's shortest repr, not 0.5000000000000001

    def test_fecal_coliform_per_100_ml(self):
        out, errors = parse_values({"fecal_coliform": {"value": 250, "unit": "MPN/100mL"}})
        assert errors == {}
        assert out["w02003"].value == D(2500)

    @pytest.mark.parametrize(
        ("values", "key", "fragment"),
        [
            ({"w99999": 1}, "w99999", "Unknown item"),
            ({"NH3-N": -0.1}, "NH3-N", "negative"),
            ({"pH": 14.5}, "pH", "between 0 and 14"),
            ({"pH": -1}, "pH", "between 0 and 14"),
            ({"Hg": 0.00004}, "Hg", "unit"),
            ({"fecal_coliform": 200}, "fecal_coliform", "unit"),
            ({"Hg": {"value": 1, "unit": "furlong"}}, "Hg", "Unknown unit"),
            ({"COD": "abc"}, "COD", "not a number"),
            ({"COD": "NaN"}, "COD", "finite"),
            ({"COD": True}, "COD", "A number"),
            ({"COD": None}, "COD", "A number"),
            ({"COD": [1]}, "COD", "A number"),
            ({"TP": {"below_detection_limit": True}}, "TP", "detection limit"),
            ({"TP": {"value": 0.1, "below_detection_limit": "yes"}}, "TP", "true or false"),
            ({"TP": {"value": 0.1, "colour": "red"}}, "TP", "Unknown member"),
            ({"TP": {"value": 0.1, "detection_limit": 0.01}}, "TP", "only given for a non-detect"),
            ({"TP": "<0"}, "TP", "positive"),
            ({"pH": "<1"}, "pH", "no detection limit"),
            ({"water_temperature": 80}, "water_temperature", "plausible"),
        ],
    )
    def test_refusals_name_the_item(self, values, key, fragment):
        out, errors = parse_values(values)
        assert key in errors
        assert fragment in errors[key]
        assert key not in {m.item.key for m in out.values()}

    def test_the_same_item_twice_is_refused(self):
        _, errors = parse_values({"w21003": 0.5, "NH3-N": 0.6})
        assert "NH3-N" in errors
        assert "twice" in errors["NH3-N"]

    def test_zero_is_a_value(self):
        out, errors = parse_values({"w21019": 0})
        assert errors == {}
        assert out["w21019"].value == D(0)


class TestHj212CodeNamesItsUnit:
    """domain.md §1.2: an HJ 212 code carries its unit, so a bare value under the code is in that unit;
    a free-text name (Hg, 汞) is ambiguous and still needs the unit."""

    def test_bare_value_under_a_code_is_in_the_codes_unit(self):
        out, errors = parse_values({"w20111": 0.00008, "W02003": 2500, " w20115 ": "0.004"})
        assert errors == {}
        assert out["w20111"].value == D("0.00008")
        assert out["w02003"].value == D(2500)
        assert out["w20115"].value == D("0.004")

    def test_a_bare_non_detect_under_a_code(self):
        out, errors = parse_values({"w20111": "0.00001L"})
        assert errors == {}
        assert out["w20111"].below_detection_limit is True
        assert out["w20111"].detection_limit == D("0.00001")

    def test_an_explicit_unit_under_a_code_is_still_converted(self):
        out, errors = parse_values({"w20111": {"value": 0.08, "unit": "µg/L"}})
        assert errors == {}
        assert out["w20111"].value == D("0.00008")

    @pytest.mark.parametrize("name", ["Hg", "汞", "mercury"])
    def test_free_text_names_still_need_the_unit(self, name):
        out, errors = parse_values({name: 0.00008})
        assert out == {}
        assert "unit" in errors[name]

    def test_is_code(self):
        hg = ITEMS_BY_CODE["w20111"]
        assert gb3838.is_code("W20111", hg)
        assert not gb3838.is_code("Hg", hg)
        assert not gb3838.is_code("w21003", hg)

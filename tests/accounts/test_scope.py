"""Scopes by role and jurisdiction, and GB/T 2260 code arithmetic."""

from __future__ import annotations

import pytest

from accounts.choices import Role
from accounts.scope import scope_for
from core.divisions import DivisionLevel, division_level, division_prefix, is_within, parent_code


@pytest.mark.parametrize(
    ("code", "level", "prefix", "parent"),
    [
        ("650000", DivisionLevel.PROVINCE, "65", None),
        ("650100", DivisionLevel.CITY, "6501", "650000"),
        ("650102", DivisionLevel.COUNTY, "650102", "650100"),
        ("650121", DivisionLevel.COUNTY, "650121", "650100"),
        ("650102010", DivisionLevel.TOWNSHIP, "650102010", "650102"),
        ("650102010001", DivisionLevel.VILLAGE, "650102010001", "650102010"),
    ],
)
def test_division_code_hierarchy(code, level, prefix, parent):
    assert division_level(code) == level
    assert division_prefix(code) == prefix
    assert parent_code(code) == parent


@pytest.mark.parametrize("bad", ["", "6501", "65010", "6501000", "abcdef", "6501020100"])
def test_malformed_codes_are_refused(bad):
    with pytest.raises(ValueError, match="GB/T 2260"):
        division_level(bad)


def test_is_within():
    assert is_within("650102010", "650100")
    assert is_within("650102", "650102")
    assert not is_within("650103", "650102")
    assert not is_within("650201", "650100")  # Karamay is not in Urumqi


@pytest.mark.django_db
def test_scope_for_roles(make_user):
    admin = scope_for(make_user(Role.ADMIN, "", username="a"))
    assert admin.everything
    assert admin.covers_code("110000")
    reviewer = scope_for(make_user(Role.REVIEWER, "650102", username="r"))
    assert reviewer.prefix == "650102"
    assert reviewer.covers_code("650102010")
    assert not reviewer.covers_code("650103")
    nowhere = scope_for(make_user(Role.REVIEWER, "", username="n"))
    assert nowhere.nothing
    disabled = scope_for(make_user(Role.REVIEWER, "650100", username="d", is_active=False))
    assert disabled.nothing
    assert scope_for(None).nothing

"""The service kernel (core.kernel, core.csvread): scoped lookup, row errors, audited writes, actors,
the CSV reader. Plain tests against the real database; the models are places' divisions."""

from __future__ import annotations

import codecs
from typing import Any

import pytest
from django.db import transaction

from accounts.choices import Role
from accounts.scope import NO_SCOPE, Scope, scope_for
from core.csvread import read_csv, read_csv_records
from core.exceptions import Conflict, InvalidInput, NotFound
from core.kernel import (
    Errors,
    actor_label,
    actor_user,
    audit_many,
    audited_save,
    audited_update,
    audited_upsert,
    get_in_scope,
    reference,
    references,
    row_key,
)
from core.models import AuditLog
from places.models import Division

ALL = Scope(user_id=None, role=Role.ADMIN, everything=True)
URUMQI = Scope(user_id=None, role=Role.REVIEWER, prefix="6501")


def _division(code: str, name: str = "x") -> Division:
    d = Division(code=code, name=name, level="county")
    d.save()
    return d


# ------------------------------------------------------------------------------- row errors


def test_errors_keys_and_message() -> None:
    errors = Errors()
    assert not errors
    errors.add("division", "No such division.")
    errors.row(3, "treated_m3", "Not a number.")
    errors.row(4, None, "Expected 4 cells, found 5.", path="volumes", line=12)
    assert list(errors.fields) == ["division", "rows[3].treated_m3", "volumes[4]"]
    assert errors.fields["volumes[4]"] == ["Expected 4 cells, found 5. (line 12)"]
    assert row_key("readings", 0, "observed_at") == "readings[0].observed_at"
    with pytest.raises(InvalidInput) as exc:
        errors.raise_if_any("The plant was not saved.")
    assert str(exc.value) == "The plant was not saved. division: No such division."
    assert exc.value.fields is errors.fields


def test_errors_limit_counts_and_truncates() -> None:
    errors = Errors(limit=2)
    for i in range(5):
        errors.row(i, "value", "Bad.")
    assert len(errors) == 2
    assert errors.truncated
    with pytest.raises(Conflict) as exc:
        errors.raise_if_any("Refused:", error=Conflict, code="batch")
    assert exc.value.code == "batch"
    assert exc.value.message == "Refused: rows[0].value: Bad. (and more: only the first 2 are listed)"
    two = Errors(limit=10)
    two.add("a", "x")
    two.add("b", "y")
    with pytest.raises(InvalidInput, match=r"a: x \(and 1 more\)$"):
        two.raise_if_any("Refused:")
    Errors().raise_if_any()  # nothing collected: no error


# ------------------------------------------------------------------------------ actors


def test_actor_resolution(make_user: Any) -> None:
    user = make_user(Role.REVIEWER)
    assert actor_user(user) is user
    assert actor_user("beat:water.alerts") is None
    assert actor_user(None) is None
    assert actor_label(user) == user.username
    assert actor_label("import_places") == "import_places"
    assert actor_label(None) == "system"


# --------------------------------------------------------------------------- scoped lookup


@pytest.mark.django_db
def test_scoped_lookup_404_and_400() -> None:
    inside, outside = _division("650102"), _division("650202")
    qs = URUMQI.filter(Division.objects.all(), "code")
    assert get_in_scope(qs, pk=inside.pk) == inside
    with pytest.raises(NotFound):
        get_in_scope(qs, pk=outside.pk)  # outside looks exactly like missing
    assert reference(qs, "650102", field="division", by="code") == inside
    with pytest.raises(InvalidInput) as exc:
        reference(qs, "650202", field="division", by="code")
    assert exc.value.fields == {"division": ["No such division in your jurisdiction."]}
    # Not a valid id for the column: the same answer, not a 500.
    with pytest.raises(InvalidInput):
        reference(qs, "abc", field="division")
    errors = Errors()
    assert reference(qs, 10**9, field="parent", noun="division", errors=errors) is None
    assert errors.fields == {"parent": ["No such division in your jurisdiction."]}
    assert references(qs, ["650102"], field="divisions", by="code", noun="division") == [inside]
    with pytest.raises(InvalidInput, match="650202"):
        references(qs, ["650102", "650202"], field="divisions", by="code", noun="division")


@pytest.mark.django_db
def test_no_scope_sees_nothing() -> None:
    _division("650102")
    # An account without a jurisdiction (NO_SCOPE, an anonymous caller) sees nothing: a missing scope
    # is never "everything".
    assert not NO_SCOPE.filter(Division.objects.all(), "code").exists()
    assert scope_for(None) == NO_SCOPE
    assert ALL.filter(Division.objects.all(), "code").count() == 1


# --------------------------------------------------------------------------- audited writes


@pytest.mark.django_db(transaction=True)
def test_audited_save_create_update_noop() -> None:
    with transaction.atomic():
        d = Division(code="650102", name="天山区", level="county")
        assert audited_save(d, actor="test", before=None, reason="new")
    log = AuditLog.objects.get(entity="places.division", entity_id=str(d.pk))
    assert (log.action, log.actor_label, log.reason, log.before) == ("create", "test", "new", None)
    assert log.after is not None
    assert log.after["name"] == "天山区"
    with transaction.atomic():
        assert not audited_update(d, actor="test", changes={"name": "天山区"})  # nothing changed: nothing written
        assert audited_update(d, actor="test", changes={"name": "天山区 Tianshan"}, reason="rename")
    assert AuditLog.objects.filter(entity="places.division").count() == 2
    last = AuditLog.objects.filter(entity="places.division").latest("id")
    assert last.before is not None
    assert last.after is not None
    assert (last.before["name"], last.after["name"]) == ("天山区", "天山区 Tianshan")


@pytest.mark.django_db(transaction=True)
def test_audited_save_bad_input_writes_nothing() -> None:
    with pytest.raises(InvalidInput) as exc, transaction.atomic():
        audited_save(Division(code="650102", name="", level="nowhere"), actor="test", before=None)
    assert set(exc.value.fields) == {"name", "level"}
    assert exc.value.message.startswith("Invalid input: ")
    assert not Division.objects.exists()
    assert not AuditLog.objects.exists()
    # The audit row belongs to the change's transaction: outside one, nothing is written.
    with pytest.raises(RuntimeError):
        audited_save(Division(code="650103", name="x", level="county"), actor="test", before=None)
    assert not AuditLog.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_audited_upsert() -> None:
    with transaction.atomic():
        d, written = audited_upsert(
            Division, key={"code": "650102"}, values={"name": "a", "level": "county"}, actor="t"
        )
        assert written
        assert d.pk
        same, written = audited_upsert(
            Division, key={"code": "650102"}, values={"name": "a", "level": "county"}, actor="t"
        )
        assert same.pk == d.pk
        assert not written
        _, written = audited_upsert(Division, key={"code": "650102"}, values={"name": "b"}, actor="t")
        assert written
    assert Division.objects.get().name == "b"
    assert list(AuditLog.objects.order_by("id").values_list("action", flat=True)) == ["create", "update"]


@pytest.mark.django_db(transaction=True)
def test_audit_many(make_user: Any) -> None:
    user = make_user(Role.ADMIN)
    rows = [_division(f"65010{i}") for i in range(2, 5)]
    with transaction.atomic():
        assert audit_many(actor=user, action="create", changes=[(r, None) for r in rows], reason="import") == 3
        assert audit_many(actor=user, action="create", changes=[]) == 0
    logs = list(AuditLog.objects.order_by("id"))
    assert [log.entity_id for log in logs] == [str(r.pk) for r in rows]
    assert {(log.actor_id, log.reason) for log in logs} == {(user.pk, "import")}
    assert logs[0].after is not None
    assert logs[0].after["code"] == "650102"


# ------------------------------------------------------------------------------- CSV reader

COLUMNS = ("plant", "month", "treated_m3")


def test_csv_rows_and_lines() -> None:
    text = '水厂编码 plant,Month,treated_m3\n\nP1,2024-01,10\n"P2",2024-02,"2\n0"\nP3,2024-03\n'
    header, rows = read_csv(text, columns=COLUMNS, required=("plant",))
    assert header == ["plant", "month", "treated_m3"]
    got = [(r.index, r.line, r.cells) for r in rows]
    assert got == [
        (0, 3, {"plant": "P1", "month": "2024-01", "treated_m3": "10"}),
        (1, 5, {"plant": "P2", "month": "2024-02", "treated_m3": "2\n0"}),  # a quoted newline: ends on line 5
        (2, 6, {"plant": "P3", "month": "2024-03"}),
    ]


def test_csv_records_are_the_same_rows_unstripped() -> None:
    """read_csv_records: the rows read_csv gives, as (index, line, cells) with the cells as in the file."""
    text = 'plant,month\n , \n P1 ,2024-01\n\n,2024-02\n"P2\n",2024-03,extra\n'
    header, records = read_csv_records(text, columns=COLUMNS)
    assert header == ["plant", "month"]
    assert list(records) == [
        (0, 3, [" P1 ", "2024-01"]),  # " , " (blank cells only) is a blank line
        (1, 5, ["", "2024-02"]),  # a blank first cell is not a blank line
        (2, 7, ["P2\n", "2024-03", "extra"]),
    ]
    __, rows = read_csv(text, columns=COLUMNS)
    assert [(r.index, r.line, r.cells, r.width) for r in rows] == [
        (0, 3, {"plant": "P1", "month": "2024-01"}, 2),
        (1, 5, {"plant": "", "month": "2024-02"}, 2),
        (2, 7, {"plant": "P2", "month": "2024-03"}, 3),
    ]


def test_csv_records_limit_and_unreadable_line() -> None:
    __, records = read_csv_records("plant\nP1\n\nP2\nP3\n", columns=COLUMNS, max_rows=2, field="csv")
    assert next(records) == (0, 2, ["P1"])
    assert next(records) == (1, 4, ["P2"])
    with pytest.raises(InvalidInput) as exc:
        next(records)
    assert exc.value.fields == {"csv": ["Too many rows."]}
    __, records = read_csv_records('plant\nP1\n"P2"x\n', columns=COLUMNS, field="csv")
    with pytest.raises(InvalidInput) as exc:
        list(records)
    assert exc.value.code == "malformed_csv"
    assert exc.value.fields["csv"][0].startswith("Line 3: ")


@pytest.mark.parametrize(
    ("encoded", "charset"),
    [
        (codecs.BOM_UTF8 + "plant,month\n水厂一,2024-01\n".encode(), None),
        ("plant,month\n水厂一,2024-01\n".encode("gb18030"), None),
        ("plant,month\n水厂一,2024-01\n".encode("gbk"), "gbk"),
    ],
)
def test_csv_charsets(encoded: bytes, charset: str | None) -> None:
    header, rows = read_csv(encoded, columns=COLUMNS, charset=charset)
    assert header == ["plant", "month"]
    assert [r.cells["plant"] for r in rows] == ["水厂一"]


def test_csv_refusals() -> None:
    with pytest.raises(InvalidInput) as exc:
        read_csv("plant,plant,colour\n", columns=COLUMNS, required=("month",))
    assert exc.value.code == "invalid_header"
    assert exc.value.fields["header"] == [
        "Unknown column(s) 'colour'; expected plant, month, treated_m3.",
        "Repeated column(s) plant.",
        "Missing column(s) month.",
    ]
    with pytest.raises(InvalidInput, match="empty") as exc:
        read_csv("\n\n", columns=COLUMNS)
    assert exc.value.fields == {"file": ["No header row."]}
    with pytest.raises(InvalidInput) as exc:
        read_csv(b"\xff\xfe\x00", columns=COLUMNS, charset="utf-8", field="body")
    assert "body" in exc.value.fields
    _, rows = read_csv("plant\nP1\nP2\nP3\n", columns=COLUMNS, max_rows=2)
    with pytest.raises(InvalidInput, match="More than 2 rows"):
        list(rows)
    _, rows = read_csv('plant\n"P1\n', columns=COLUMNS)
    with pytest.raises(InvalidInput) as exc:
        list(rows)
    assert exc.value.fields["file"][0].startswith("Line ")

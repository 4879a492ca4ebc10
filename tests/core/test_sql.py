"""core.sql.cursor: raw SQL that the query log sees (COPY and server-bound statements included)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import sql
from core.models import AuditLog

pytestmark = pytest.mark.django_db


def test_statements_are_logged() -> None:
    table = AuditLog._meta.db_table
    with CaptureQueriesContext(connection) as ctx, sql.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE entity = %s", ["x"])  # noqa: S608 - name from the model
        assert cursor.fetchone()[0] == 0
    assert len(ctx.captured_queries) == 1
    assert table in ctx.captured_queries[0]["sql"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY and binary binding are PostgreSQL's")
def test_postgresql_copy_and_binary_are_logged() -> None:
    with CaptureQueriesContext(connection) as ctx, sql.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE kernel_t (n int)")
        with cursor.copy("COPY kernel_t (n) FROM STDIN") as copy:
            copy.write("1\n2\n3\n")
        cursor.execute("SELECT sum(n) FROM kernel_t WHERE n = ANY(%s)", [[1, 2, 3]], binary=True)
        assert cursor.fetchone()[0] == 6
    statements = [q["sql"] for q in ctx.captured_queries]
    assert statements[1] == "COPY kernel_t (n) FROM STDIN"
    assert len(statements) == 3


def test_errors_are_django_errors() -> None:
    from django.db import DatabaseError

    with pytest.raises(DatabaseError), sql.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table_kernel")

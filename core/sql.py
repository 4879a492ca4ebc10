"""The instrumented cursor: the one way raw SQL runs (ARCHITECTURE rule 16, core/README.md).

Raw SQL is kept only where a benchmark shows it pays (the additive upsert, the COPY ingest, the
station counters, the patrol post's insert), in one module per app, with `Model._meta.db_table`.
It runs through `cursor()` so that it is seen like the ORM's statements: Django's execute wrappers
run around it and, when queries are logged (DEBUG, `CaptureQueriesContext`, the query-count tests),
every statement is logged — including COPY and the binary, server-bound statements that a bare
psycopg cursor would hide.

On PostgreSQL the cursor binds parameters on the server (psycopg sends the values apart from the
statement instead of composing a literal SQL text in Python: a third of a millisecond per query on
the benchmark machine, and tens of milliseconds for arrays of thousands of values), and passes
psycopg's own keywords (`binary=True`) and `copy()` through. Elsewhere it is Django's cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorDebugWrapper

__all__ = ["InstrumentedCursor", "cursor", "db"]


def db(using: str = DEFAULT_DB_ALIAS) -> Any:
    """The database wrapper itself: ``django.db.connection`` is a proxy that looks the wrapper up in a
    context-local store on every attribute access (3 µs each, dozens per patrol post)."""
    return connections[using]


class InstrumentedCursor(CursorDebugWrapper):
    """Django's cursor wrapper around a server-binding psycopg cursor: execute wrappers always, the
    query log only when queries are logged (as Django's own cursors do), psycopg keywords allowed."""

    def execute(self, sql: Any, params: Any = None, **kwargs: Any) -> Any:
        return self._run(sql, params, lambda s, p, many, context: self.cursor.execute(s, p, **kwargs))

    def executemany(self, sql: Any, param_list: Any, **kwargs: Any) -> Any:
        return self._run(
            sql, param_list, lambda s, p, many, context: self.cursor.executemany(s, p, **kwargs), many=True
        )

    @contextmanager
    def copy(self, statement: str, params: Any = None, **kwargs: Any) -> Iterator[Any]:
        """psycopg's COPY, logged as one statement (its data rows are not)."""
        with self.db.wrap_database_errors:
            if self.db.queries_logged:
                with self.debug_sql(statement, params), self.cursor.copy(statement, params, **kwargs) as copy:
                    yield copy
            else:
                with self.cursor.copy(statement, params, **kwargs) as copy:
                    yield copy

    def _run(self, sql: Any, params: Any, executor: Callable[..., Any], *, many: bool = False) -> Any:
        def run(s: Any, p: Any, m: bool, context: Any) -> Any:
            self.db.validate_no_broken_transaction()
            with self.db.wrap_database_errors:
                return executor(s, p, m, context)

        if not self.db.queries_logged:
            return self._execute_with_wrappers(sql, params, many, run)
        with self.debug_sql(sql, params, many=many):
            return self._execute_with_wrappers(sql, params, many, run)


@contextmanager
def cursor(using: str = DEFAULT_DB_ALIAS) -> Iterator[Any]:
    """A cursor on the connection `using` (same transaction as the ORM): instrumented and binding on
    the server on PostgreSQL, Django's cursor elsewhere."""
    wrapper = db(using)
    if wrapper.vendor != "postgresql":
        with wrapper.cursor() as c:
            yield c
        return
    import psycopg

    wrapper.ensure_connection()
    with InstrumentedCursor(psycopg.Cursor(wrapper.connection), wrapper) as c:
        yield c

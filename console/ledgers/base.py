"""The List pattern (台账) once, for every ledger: the app's selector scoped by the caller, the API's own
FilterSet on the query string, a whitelisted sort, a page, and cells formatted for reading.

A bad filter value is a `LedgerError` naming the field (the page shows it; an htmx request gets 400):
never a 500 and never a silent default. A division outside the caller's jurisdiction is such an error.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import django_filters
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django_filters import FilterSet
from rest_framework.exceptions import ValidationError as DRFValidationError

from accounts.scope import Scope
from core.divisions import division_prefix, is_division_code

PAGE_SIZE = 50


@dataclass(frozen=True)
class Column:
    label: str | Promise
    value: Callable[[Any], Any]
    sort: str = ""  # ORM field to order by; empty: not sortable
    numeric: bool = False


@dataclass(frozen=True)
class Filter:
    """A filter of the bar: the FilterSet's parameter name and the label people read."""

    name: str
    label: str | Promise
    kind: str = "text"  # text | date | choice | bool | month
    # For a choice whose values are rows the caller may name (reaches, lakes): read with the caller's
    # scope from the app's selector, the same one its FilterSet checks a value against.
    options: Callable[[Scope], list[tuple[str, str]]] | None = None


@dataclass(frozen=True)
class Ledger:
    slug: str
    title: str | Promise
    queryset: Callable[[Scope], QuerySet[Any]]
    filterset: type[FilterSet]
    columns: tuple[Column, ...]
    filters: tuple[Filter, ...] = ()
    default_sort: tuple[str, ...] = ("-pk",)
    export: str = ""  # URL name of the API's CSV/XLSX export of the same rows
    detail: Callable[[Any], str] | None = None
    # False for ledgers of millions of rows (readings): no COUNT(*) over the scope, only "next page".
    count_rows: bool = True


@dataclass
class Cell:
    text: str
    numeric: bool = False
    url: str = ""


@dataclass
class Header:
    label: str | Promise
    sort_url: str = ""
    direction: str = ""  # "asc" | "desc" when the table is sorted by this column


@dataclass
class LedgerPage:
    rows: list[list[Cell]]
    headers: list[Header]
    count: int | None = 0
    number: int = 1
    errors: list[str] = field(default_factory=list)
    exports: list[tuple[str, str]] = field(default_factory=list)
    filters: list[dict[str, Any]] = field(default_factory=list)
    prev_url: str = ""
    next_url: str = ""


class LedgerError(Exception):
    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


def _drf_messages(exc: DRFValidationError) -> list[str]:
    detail = exc.detail
    if isinstance(detail, dict):
        return [f"{k}: {' '.join(str(m) for m in (v if isinstance(v, list) else [v]))}" for k, v in detail.items()]
    return [str(m) for m in (detail if isinstance(detail, list) else [detail])]


def _url(params: QueryDict, **changes: Any) -> str:
    q = params.copy()
    for key, value in changes.items():
        if value in (None, ""):
            q.pop(key, None)
        else:
            q[key] = str(value)
    return "?" + q.urlencode() if q else "?"


def make_filterset(filterset: type[FilterSet], data: QueryDict, *, queryset: QuerySet[Any], scope: Scope) -> FilterSet:
    """The API's FilterSet over the page's query string. One that checks the members it is given
    (a `reach=` or `lake=` outside the caller's reach is a 400 in the API) takes the caller's scope,
    as its API view gives it the request: the page refuses what the API refuses."""
    if "scope" in inspect.signature(filterset.__init__).parameters:
        return filterset(data, queryset=queryset, scope=scope)
    return filterset(data, queryset=queryset)


def _filter_bar(ledger: Ledger, fs: FilterSet, params: QueryDict, scope: Scope | None) -> list[dict[str, Any]]:
    out = []
    for f in ledger.filters:
        form_field = fs.form.fields.get(f.name)
        choices: list[tuple[str, str]] = []
        if f.options is not None:
            choices = f.options(scope) if scope is not None else []
        elif f.kind == "choice" and form_field is not None:
            choices = [(str(v), str(label)) for v, label in getattr(form_field, "choices", []) if v != ""]
        if f.kind == "bool":
            choices = [("true", _("yes")), ("false", _("no"))]
        out.append(
            {"name": f.name, "label": f.label, "kind": f.kind, "value": params.get(f.name, ""), "choices": choices}
        )
    return out


def check_division(scope: Scope, params: QueryDict) -> None:
    """A `division` filter outside the caller's jurisdiction is an error on the page, not an empty table.
    A division that contains the whole jurisdiction (the city, for a district reviewer) is fine: the
    scope still narrows the rows. A malformed code is left to the FilterSet, which names it."""
    code = params.get("division", "")
    if not code or not is_division_code(code) or scope.everything:
        return
    inside = scope.covers_code(code)
    above = bool(scope.prefix) and str(scope.prefix).startswith(division_prefix(code))
    if not (inside or above):
        raise LedgerError([_("division: %(code)s is outside your jurisdiction.") % {"code": code}])


BOOLEAN_WORDS = frozenset({"", "true", "false", "True", "False", "1", "0"})


def _check_booleans(fs: FilterSet, params: QueryDict) -> None:
    """django-filter reads any other word as "no filter" (NullBooleanField): a silent default that a
    page must not make. Refused here with the field's name."""
    bad = [
        name
        for name, flt in fs.filters.items()
        if isinstance(flt, django_filters.BooleanFilter) and params.get(name, "") not in BOOLEAN_WORDS
    ]
    if bad:
        raise LedgerError([_("%(field)s: true or false.") % {"field": name} for name in bad])


def ledger_page(*, ledger: Ledger, scope: Scope, params: QueryDict) -> LedgerPage:
    """Rows of one page of the ledger for this caller and query string. Raises LedgerError on bad input."""
    check_division(scope, params)
    filter_params = params.copy()
    for key in ("sort", "page"):
        filter_params.pop(key, None)
    fs = make_filterset(ledger.filterset, filter_params, queryset=ledger.queryset(scope), scope=scope)
    _check_booleans(fs, filter_params)
    if not fs.is_valid():
        raise LedgerError([f"{k}: {' '.join(v)}" for k, v in fs.errors.items()])
    try:
        qs = fs.qs
    except DRFValidationError as exc:
        raise LedgerError(_drf_messages(exc)) from exc

    sortable = {c.sort: c for c in ledger.columns if c.sort}
    sort = params.get("sort", "")
    if sort:
        if sort.lstrip("-") not in sortable:
            raise LedgerError([_("sort: not a sortable column: %(value)s") % {"value": sort}])
        qs = qs.order_by(sort, "-pk")
    else:
        qs = qs.order_by(*ledger.default_sort)

    raw_page = params.get("page", "1")
    if not raw_page.isdigit() or int(raw_page) < 1:
        raise LedgerError([_("page: no such page.")])
    number = int(raw_page)
    count: int | None
    if ledger.count_rows:
        paginator = Paginator(qs, PAGE_SIZE)
        try:
            page = paginator.page(number)
        except (PageNotAnInteger, EmptyPage) as exc:
            raise LedgerError([_("page: no such page.")]) from exc
        objects = list(page.object_list)
        count, has_next = paginator.count, page.has_next()
    else:
        objects = list(qs[(number - 1) * PAGE_SIZE : number * PAGE_SIZE + 1])
        if number > 1 and not objects:
            raise LedgerError([_("page: no such page.")])
        has_next = len(objects) > PAGE_SIZE
        objects, count = objects[:PAGE_SIZE], None

    rows = []
    for obj in objects:
        row = [Cell(_text(c.value(obj)), c.numeric) for c in ledger.columns]
        if ledger.detail is not None and row:
            row[0].url = ledger.detail(obj)
        rows.append(row)

    headers = []
    for c in ledger.columns:
        if not c.sort:
            headers.append(Header(c.label))
            continue
        direction = "asc" if sort == c.sort else "desc" if sort == "-" + c.sort else ""
        next_sort = "-" + c.sort if direction == "asc" else c.sort
        headers.append(Header(c.label, _url(params, sort=next_sort, page=None), direction))

    exports = []
    if ledger.export:
        try:
            base = reverse(ledger.export)
        except NoReverseMatch:
            base = ""
        if base:
            for fmt, label in (("csv", "CSV"), ("xlsx", "Excel")):
                exports.append((label, base + _url(filter_params, format=fmt)))

    return LedgerPage(
        rows=rows,
        headers=headers,
        count=count,
        number=number,
        exports=exports,
        filters=_filter_bar(ledger, fs, params, scope),
        prev_url=_url(params, page=number - 1) if number > 1 else "",
        next_url=_url(params, page=number + 1) if has_next else "",
    )


def empty_page(*, ledger: Ledger, params: QueryDict, errors: list[str], scope: Scope | None = None) -> LedgerPage:
    """The page of a refused query: the errors, no rows, the filter bar as sent (its options read
    with `scope` when given)."""
    fs = ledger.filterset(params.copy(), queryset=ledger.filterset._meta.model.objects.none())
    return LedgerPage(
        rows=[],
        headers=[Header(c.label) for c in ledger.columns],
        errors=errors,
        filters=_filter_bar(ledger, fs, params, scope),
    )


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return str(value)

"""No silent query parameters (issue 19): a GET on a list, an export or a report that names a parameter
the endpoint does not know is a 400 naming it, as /ogc/ answers, so a misspelt or unsupported filter
(`?reach=` where there is none) cannot quietly return the whole jurisdiction.

What an endpoint knows is read from the view, not listed twice: the FilterSet's filters, the paginator's
page parameters, the filter backends' own (bbox, ordering, search), DRF's `format`, and for actions and
plain API views that read parameters themselves, `query_params` on the view: a set (the view's GET),
or a dict action → set. Views and actions that declare nothing and are not lists are not checked (a
retrieve takes no parameters that could narrow anything).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

ALWAYS = frozenset({"format"})
CHECKED_ACTIONS = frozenset({"list", "export"})


def _filterset_params(view_cls: type) -> set[str]:
    filterset_class = getattr(view_cls, "filterset_class", None)
    if filterset_class is not None:
        return set(filterset_class.base_filters)
    fields = getattr(view_cls, "filterset_fields", None)
    if isinstance(fields, dict):
        return {
            name if lookup == "exact" else f"{name}__{lookup}" for name, lookups in fields.items() for lookup in lookups
        }
    return set(fields or ())


def _paginator_params(view_cls: type) -> set[str]:
    pagination_class = getattr(view_cls, "pagination_class", None)
    if pagination_class is None:
        return set()
    names = (
        "page_query_param",
        "page_size_query_param",
        "limit_query_param",
        "offset_query_param",
        "cursor_query_param",
    )
    return {p for p in (getattr(pagination_class, n, None) for n in names) if p}


def _backend_params(view_cls: type) -> set[str]:
    out: set[str] = set()
    for backend in getattr(view_cls, "filter_backends", ()) or ():
        for attr in ("param", "ordering_param", "search_param"):
            value = getattr(backend, attr, None)
            if isinstance(value, str):
                out.add(value)
        out |= set(getattr(backend, "query_params", ()) or ())
    return out


def known_params(view_cls: type, action: str | None) -> set[str] | None:
    """The query parameters the view's `action` (None for a plain APIView's GET) takes, or None when the
    endpoint is not checked."""
    declared = getattr(view_cls, "query_params", None)
    if isinstance(declared, dict):
        if action in declared:
            return set(declared[action]) | ALWAYS | (_paginator_params(view_cls) if action == "list" else set())
    elif declared is not None and action in (None, "list"):
        return set(declared) | ALWAYS | (_paginator_params(view_cls) if action == "list" else set())
    if action not in CHECKED_ACTIONS:
        return None
    return set(ALWAYS) | _filterset_params(view_cls) | _paginator_params(view_cls) | _backend_params(view_cls)


def unknown_params(query: Iterable[str], known: Iterable[str]) -> list[str]:
    return sorted(set(query) - set(known))


class KnownQueryParams(BasePermission):
    """Runs after the role check (DEFAULT_PERMISSION_CLASSES, last): a caller who may not use the endpoint
    hears 401/403 first; one who may, and names a parameter the endpoint does not know, a 400 naming it."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method not in ("GET", "HEAD") or not request.query_params:
            return True
        known = known_params(type(view), getattr(view, "action", None))
        if known is None:
            return True
        names = unknown_params(request.query_params, known)
        if names:
            raise ValidationError({name: [_("Unknown query parameter.")] for name in names})
        return True

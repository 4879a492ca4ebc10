"""`GET …/export/?format=csv|xlsx`: a ledger list's rows as a file, with the list's own filters and scope.

A viewset mixes in ExportMixin and names its file, title and columns and how a row is built; the file
itself comes from core.exports. `?format=` is free for this because URL_FORMAT_OVERRIDE is off.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request

from core.exceptions import InvalidInput
from core.exports import XLSX_MIME, Column, export_response

# The two files an export answers with (?format=csv or xlsx), for every export's schema.
EXPORT_RESPONSES = {
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="UTF-8 CSV with BOM"),
    (200, XLSX_MIME): OpenApiResponse(OpenApiTypes.BINARY, description="Excel workbook"),
}
EXPORT_SCHEMA = extend_schema(
    summary="Export the filtered ledger as CSV or Excel",
    parameters=[OpenApiParameter("format", str, enum=["csv", "xlsx"], description="file format (default csv)")],
    responses=EXPORT_RESPONSES,
)


class ExportMixin:
    """Adds the `export` list action to a GenericViewSet."""

    export_name = ""
    export_title: str | Promise = ""  # gettext_lazy: the sheet's name in the request's language
    export_columns: tuple[Column, ...] = ()
    # A ledger export is for people; past this many rows the caller should narrow the filters.
    export_max_rows: int = 100_000

    def export_rows(self, queryset: QuerySet[Any]) -> Iterable[dict[str, Any]]:  # pragma: no cover
        raise NotImplementedError

    def get_export_max_rows(self) -> int:
        return self.export_max_rows

    @EXPORT_SCHEMA
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request: Request) -> HttpResponse:
        view: Any = self
        queryset = view.filter_queryset(view.get_queryset())
        limit = self.get_export_max_rows()
        if queryset.count() > limit:
            raise InvalidInput(
                _("More than %(limit)s rows; narrow the filters (e.g. start and end).") % {"limit": limit},
                code="too_many_rows",
                fields={"end": [_("Narrow the selection to at most %(limit)s rows.") % {"limit": limit}]},
            )
        return export_response(
            fmt=request.query_params.get("format", "csv"),
            filename=self.export_name,
            columns=self.export_columns,
            rows=self.export_rows(queryset),
            title=self.export_title or self.export_name,
        )

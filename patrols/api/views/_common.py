"""What the patrols views share: the role sets, the JSON body and input validation, the export mixin."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from accounts.choices import Role
from core.api.export_views import ExportMixin as CoreExportMixin
from patrols import conf, fastjson

READ_ROLES = frozenset({Role.ADMIN, Role.REVIEWER, Role.CHIEF})
CHIEF_ONLY = frozenset({Role.CHIEF})
CHIEF_AND_STAFF = frozenset({Role.CHIEF, Role.REVIEWER, Role.ADMIN})
UUID_REGEX = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def _json_body(request: Request) -> Any:
    """The JSON body parsed by the fast parser when it is plain UTF-8 JSON, else by DRF's parsers
    (which answer 415 for another media type and name any JSON error), so the result and every
    error are DRF's. Parsed into a local, not kept on the request (docs/conventions.md, bulk bodies)."""
    media_type, _sep, params = request.content_type.partition(";")
    charset = params.strip().lower()
    if media_type.strip().lower() == "application/json" and charset in ("", "charset=utf-8"):
        data = fastjson.loads_or_unparsed(request.body)
        if data is not fastjson.UNPARSED:
            return data
    return request.data


def _validated(serializer_class: type, request: Request, data: Any = None) -> dict[str, Any]:
    serializer = serializer_class(data=request.data if data is None else data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ExportMixin(CoreExportMixin):
    def get_export_max_rows(self) -> int:
        return conf.export_max_rows()

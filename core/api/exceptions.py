"""One error shape for the whole API (SPEC section 3):

    {"error": {"code": "...", "message": "...", "fields": {"<field or row path>": ["..."]}}}

with a 4xx status. DRF's exceptions, Django's ValidationError (from full_clean in services), the
services' own errors and an oversize body all come out in this shape. Messages are in the request's
language (LocaleMiddleware: the language cookie, else Accept-Language, else LANGUAGE_CODE): DRF's and
Django's own from their catalogues, the project's from the apps' catalogues; codes and field paths
never change with the language.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.defaults import page_not_found
from rest_framework import exceptions as drf
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.exceptions import ServiceError


class ConflictError(drf.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with what is stored.")
    default_code = "conflict"


class PayloadTooLarge(drf.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is larger than the server accepts.")
    default_code = "payload_too_large"


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested ValidationError detail → {"a.b[2].c": ["msg", …]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            # DRF reports errors of list items (ListField, many=True children) as {index: errors}.
            name = f"[{key}]" if isinstance(key, int) else str(key)
            path = name if not prefix else (f"{prefix}{name}" if name.startswith("[") else f"{prefix}.{name}")
            if name == "non_field_errors" and prefix:
                path = prefix
            for k, v in _flatten(value, path).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(v, (dict, list)) for v in detail):
            out[prefix or "non_field_errors"] = [str(v) for v in detail]
        else:
            for i, value in enumerate(detail):
                if value in ({}, []):
                    continue
                for k, v in _flatten(value, f"{prefix}[{i}]").items():
                    out.setdefault(k, []).extend(v)
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def _summary(fields: dict[str, list[str]]) -> str:
    if not fields:
        return _("Invalid input.")
    first = next(iter(fields))
    if len(fields) == 1:
        return _("Invalid input: %(field)s: %(message)s") % {"field": first, "message": fields[first][0]}
    return _("Invalid input: %(field)s: %(message)s (and %(more)s more)") % {
        "field": first,
        "message": fields[first][0],
        "more": len(fields) - 1,
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF EXCEPTION_HANDLER. Unexpected exceptions return None and become a 500 (and are logged)."""
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, RecursionError):
        # A body nested deeper than any parser (json, orjson, the GeoJSON reader) recurses: 100,000 '['
        # gave a 500 on five endpoints (issue 14). It is the input's fault; nothing was written.
        exc = drf.ParseError(_("The request body is nested too deeply."))

    if isinstance(exc, ServiceError):
        set_rollback()
        fields = {k: (v if isinstance(v, list) else [str(v)]) for k, v in exc.fields.items()}
        return Response(error_body(exc.code, exc.message, fields), status=exc.status_code)

    if isinstance(exc, DjangoValidationError):
        set_rollback()
        if hasattr(exc, "error_dict"):
            fields = {k: [str(m) for e in errs for m in e.messages] for k, errs in exc.error_dict.items()}
        else:
            fields = {"non_field_errors": [str(m) for m in exc.messages]}
        return Response(error_body("invalid", _summary(fields), fields), status=status.HTTP_400_BAD_REQUEST)

    if not isinstance(exc, drf.APIException):
        return None

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
    set_rollback()

    if isinstance(exc, drf.ValidationError):
        fields = _flatten(exc.detail)
        body = error_body("invalid", _summary(fields), fields)
    elif isinstance(exc, drf.ParseError):
        body = error_body("malformed_request", str(exc.detail))
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        body = error_body(str(code), str(exc.detail))
    return Response(body, status=exc.status_code, headers=headers)


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """handler404 for URLs outside any view: JSON in the API's shape under /api/ and /ogc/ (the OGC API –
    Features), Django's page elsewhere."""
    if not request.path.startswith(("/api/", "/ogc/")):
        return page_not_found(request, exception or Http404())  # type: ignore[return-value]
    return JsonResponse(error_body("not_found", _("No such resource.")), status=404)


def api_bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """handler400 (e.g. a Host header outside ALLOWED_HOSTS): JSON in the API's shape."""
    return JsonResponse(error_body("bad_request", _("Bad request.")), status=400)


def api_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body("server_error", _("Internal server error.")), status=500)

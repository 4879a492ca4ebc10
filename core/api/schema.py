"""OpenAPI post-processing: every operation documents the error answers it can give, in the one error
shape (SPEC section 3), so clients and fuzzers know them."""

from __future__ import annotations

import threading
from typing import Any

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.generators import SchemaGenerator as _SchemaGenerator

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "description": "Field or row path (e.g. readings[3].observed_at) → messages",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}

_ALL = {
    "400": "Invalid input or query parameters; nothing was written.",
    "401": "Not authenticated, or the token is invalid or expired.",
    "403": "Your role may not do this.",
    "404": "No such row in your scope.",
}
_WRITES = {
    "409": "Conflicts with what is stored (e.g. Idempotency-Key reused for another body).",
    "413": "Request body too large.",
    "415": "Unsupported content type.",
}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            wanted = dict(_ALL)
            if method != "get":
                wanted.update(_WRITES)
            if path.endswith("/auth/token/") and method == "post":
                wanted["429"] = "Too many login attempts; retry after the Retry-After seconds."
            for code, description in wanted.items():
                responses.setdefault(code, {"description": description, "content": ref})
            if method == "get":
                # Answered by the HTTP server or proxy before the API (gunicorn's and nginx's request-line
                # limits), as their own page: documented without a body schema.
                responses.setdefault("414", {"description": "The URL (query string) is too long for the server."})
    return result


IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": (
        "A key the client chooses per logical request (e.g. a UUID). A resend with the same key and body "
        "within the retention window answers the first answer's status and bytes without doing the work "
        "again; the same key with another body is a 409 (idempotency_key_reused)."
    ),
}


def add_idempotency_header(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry: declare Idempotency-Key on every write operation whose
    view honours it (core.api.idempotency.IdempotencyMixin), and on no other."""
    from core.api.idempotency import IdempotencyMixin

    honoured = {
        (path, method.lower())
        for path, _regex, method, callback in getattr(generator, "endpoints", None) or []
        if isinstance(getattr(callback, "cls", None), type) and issubclass(callback.cls, IdempotencyMixin)
    }
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method in {"post", "put", "patch", "delete"} and (path, method) in honoured:
                params = operation.setdefault("parameters", [])
                if not any(p.get("name") == "Idempotency-Key" for p in params):
                    params.append(IDEMPOTENCY_PARAMETER)
    return result


class FilterParametersMayBeEmpty(DjangoFilterExtension):
    """django-filter reads an empty value (``?start=``) as "not given", the way an HTML form sends a
    field left blank (the console's filter forms do). The schema says so with ``allowEmptyValue``,
    so a client (or a fuzzer) knows ``?start=`` is no filter rather than a malformed date. Registered
    when core is ready (core/apps.py); a higher priority than drf-spectacular's own."""

    priority = 1

    def get_schema_operation_parameters(self, auto_schema: Any, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        params: list[dict[str, Any]] = super().get_schema_operation_parameters(auto_schema, *args, **kwargs)
        for param in params:
            # A multiple choice (an array, ?category=a&category=b) is refused empty.
            if param.get("in") == "query" and not param.get("required") and param["schema"].get("type") != "array":
                param["allowEmptyValue"] = True
        return params


_GENERATING = threading.Lock()


class SchemaGenerator(_SchemaGenerator):
    """drf-spectacular's generator, one at a time per process. Its extensions load their target class
    lazily on first use and are not thread-safe: two first requests for /api/schema/ in a threaded
    worker (gunicorn --threads 4, the image's command) raced and one was a 500 (AttributeError on a
    half-loaded extension; found by schemathesis, issue 14). Building the document is rare and slow
    anyway; serialising it costs nothing that matters."""

    def get_schema(self, request: Any = None, public: bool = False) -> dict[str, Any]:
        with _GENERATING:
            schema: dict[str, Any] = super().get_schema(request=request, public=public)
        return schema

"""Errors that services raise. They know nothing of HTTP beyond a suggested status; the API's
exception handler (core.api.exceptions) turns them into the error shape of SPEC section 3."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base of the errors a service raises on purpose. `fields` maps a field (or a row path such as
    "readings[3].observed_at") to a list of messages."""

    status_code = 400
    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.fields = fields or {}


class InvalidInput(ServiceError):
    """The input breaks a rule; nothing was written."""


class Conflict(ServiceError):
    """The input contradicts what is stored (same id or instant with another value)."""

    status_code = 409
    default_code = "conflict"


class NotFound(ServiceError):
    """A referenced row does not exist or is outside the caller's scope (both look the same)."""

    status_code = 404
    default_code = "not_found"


class Forbidden(ServiceError):
    """The caller's role may not do this to a row it can see."""

    status_code = 403
    default_code = "permission_denied"

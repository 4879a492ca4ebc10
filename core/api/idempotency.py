"""`Idempotency-Key` for write endpoints (SPEC section 3).

A phone that loses signal resends; a replay must not write twice. For a write request carrying the
header, the view runs inside one transaction and its first successful (2xx) response is stored with
the key, the user and a hash of method, path and body, in that same transaction. Then:

* same user, same key, same request → the stored response, marked `Idempotent-Replayed: true`;
* same user, same key, another request → 409 `idempotency_key_reused`;
* two identical requests racing → the unique (user, key) constraint lets one commit; the other's
  transaction rolls back and it answers with the winner's stored response.

Failed requests (4xx/5xx) are not stored, so a client can fix its body and retry under a new key.

What is stored is the response as it was sent (its rendered body and content type), and a replay sends
those bytes again: re-rendering the stored data changed JSON types (issue 14: 0.25 came back as
"0.250", because the JSON column keeps a Decimal as a string).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.exceptions import ConflictError
from core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
RAW = "__hz_raw_body__"  # marks a stored response kept as the bytes that were sent
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255


class _Replay(APIException):
    """Raised from `initial()` to short-circuit the handler with a stored response."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__()
        self.record = record


def request_fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() if request.method else b"")
    digest.update(b"\0" + request.get_full_path().encode() + b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def _stored_body(response: Any) -> dict[str, Any] | None:
    """The response as sent: its rendered text (JSON is UTF-8 text) and content type."""
    if isinstance(response, Response):
        if not getattr(response, "accepted_renderer", None):
            return {"data": None}
        content = response.rendered_content
    else:
        content = getattr(response, "content", b"")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return {RAW: text, "content_type": response.get("Content-Type")}


def idempotency_cutoff() -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)


class IdempotencyMixin:
    """Mix into every API view that writes. Requires an authenticated caller for the key to apply."""

    _idem_key: str | None = None
    _idem_hash: str | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        key = request.headers.get(HEADER)
        if request.method not in WRITE_METHODS or key is None:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        try:
            # Read the body now: DRF's parser later reads it from the cached copy.
            self._idem_hash = request_fingerprint(request)
        except RequestDataTooBig:
            self._idem_hash = None  # the handler's parse raises it again → 413
        self._idem_key = key.strip()
        try:
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        except IntegrityError:
            # A concurrent request with the same key won the race; answer as a replay of it.
            if self._idem_lookup(getattr(request, "user", None)) is None:
                raise
            # Dispatching again finds its stored record in initial() and replays it; a different
            # IntegrityError (not ours) surfaces again from the handler.
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def _idem_lookup(self, user: Any) -> IdempotencyRecord | None:
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        return (
            IdempotencyRecord.objects.filter(user=user, key=self._idem_key, created_at__gte=idempotency_cutoff())
            .order_by("-created_at")
            .first()
        )

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if self._idem_key is None or self._idem_hash is None:
            return
        method = (request.method or "").lower()
        if method not in self.http_method_names or not hasattr(self, method):  # type: ignore[attr-defined]
            return  # the view answers 405 Method Not Allowed, whatever the key (not 409 key reused)
        from rest_framework.exceptions import ValidationError

        if not self._idem_key or len(self._idem_key) > MAX_KEY_LENGTH:
            raise ValidationError(
                {HEADER: [_("Give 1 to %(max_key_length)s characters.") % {"max_key_length": MAX_KEY_LENGTH}]}
            )
        record = self._idem_lookup(request.user)
        if record is None:
            return
        if record.request_hash != self._idem_hash:
            raise ConflictError(
                _("This Idempotency-Key was used for a different request."), code="idempotency_key_reused"
            )
        raise _Replay(record)

    @staticmethod
    def _replay_response(record: IdempotencyRecord) -> HttpResponseBase:
        stored = record.response
        if isinstance(stored, dict) and RAW in stored:
            response: HttpResponseBase = HttpResponse(
                stored[RAW].encode("utf-8"), status=record.status_code, content_type=stored.get("content_type")
            )
        else:  # a record stored before bytes were kept
            response = Response(stored, status=record.status_code)
        response["Idempotent-Replayed"] = "true"
        return response

    def handle_exception(self, exc: Exception) -> Any:
        if isinstance(exc, _Replay):
            return self._replay_response(exc.record)
        return super().handle_exception(exc)  # type: ignore[misc]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if (
            self._idem_key
            and self._idem_hash
            and status.is_success(response.status_code)
            and not response.has_header("Idempotent-Replayed")
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
        ):
            # Stale records past the TTL are replaced, not replayed.
            IdempotencyRecord.objects.filter(
                user=request.user, key=self._idem_key, created_at__lt=idempotency_cutoff()
            ).delete()
            IdempotencyRecord.objects.create(
                user=request.user,
                key=self._idem_key,
                request_hash=self._idem_hash,
                status_code=response.status_code,
                response=_stored_body(response),
            )
        return response

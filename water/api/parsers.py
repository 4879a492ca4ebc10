"""Request parsers for the readings batch: the body is read once and parsed once, with the API's body
limit (API_MAX_BODY_BYTES) enforced, since DRF streams bodies past Django's own check."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser


def read_body(stream: IO[bytes] | None) -> bytes:
    if stream is None:
        return b""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return stream.read()
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise RequestDataTooBig("Request body exceeded API_MAX_BODY_BYTES.")
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(_("%(name)s is not a JSON number") % {"name": name})


def parse_json(body: bytes) -> Any:
    """JSON without NaN or Infinity, numbers with a fraction as Decimal (see JSONParser)."""
    try:
        return json.loads(body, parse_constant=_refuse_constant, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(_("JSON parse error - %(exc)s") % {"exc": exc}) from exc


def decode_csv(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(_("The CSV must be UTF-8.")) from exc


class JSONParser(BaseParser):
    """JSON without NaN or Infinity (which Python's json accepts and no client should send), with
    numbers that have a fraction read as Decimal: a register value goes to the database as the
    digits that were sent, with no binary floating-point round trip, and it is cheaper than making a
    float and then a Decimal of it."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return parse_json(read_body(stream))


class CSVText(str):
    """A CSV body, told apart from JSON data by its type."""


class CSVParser(BaseParser):
    """text/csv, UTF-8 (a BOM, as Excel writes it, is allowed)."""

    media_type = "text/csv"

    # The stubs type parse() as returning a mapping; a CSV body is text (the batch view reads it itself).
    def parse(  # type: ignore[override]
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> CSVText:
        return CSVText(decode_csv(read_body(stream)))

"""The JSON parser of the readings batch: the body is read once and parsed once, with the API's body
limit (API_MAX_BODY_BYTES) enforced (core.api.parsers.read_body), since DRF streams bodies past
Django's own check. A text/csv body is core.api.parsers.CSVParser's, read by core.csvread."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from core.api.parsers import read_body


def _refuse_constant(name: str) -> Any:
    raise ValueError(_("%(name)s is not a JSON number") % {"name": name})


def parse_json(body: bytes) -> Any:
    """JSON without NaN or Infinity, numbers with a fraction as Decimal (see JSONParser)."""
    try:
        return json.loads(body, parse_constant=_refuse_constant, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(_("JSON parse error - %(exc)s") % {"exc": exc}) from exc


class JSONParser(BaseParser):
    """JSON without NaN or Infinity (which Python's json accepts and no client should send), with
    numbers that have a fraction read as Decimal: a register value goes to the database as the
    digits that were sent, with no binary floating-point round trip, and it is cheaper than making a
    float and then a Decimal of it."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return parse_json(read_body(stream))

"""Request parsing and response negotiation the reuse API needs beyond the project defaults."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from core.exceptions import InvalidInput
from reuse.csvio import decode_csv


class CSVParser(BaseParser):
    """`text/csv` bodies (monthly volume and delivery imports) → their text; see reuse.csvio."""

    media_type = "text/csv"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read() if stream is not None else b""
        charset = None
        for param in (media_type or "").split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset":
                charset = value.strip().strip('"') or None
        try:
            return decode_csv(raw, charset)
        except InvalidInput as exc:
            raise ParseError(exc.message) from None

"""A parser for `text/csv` bodies: the raw bytes, decoded by the import (UTF-8 or GB 18030)."""

from __future__ import annotations

from typing import Any

from rest_framework.parsers import BaseParser


class CSVBytesParser(BaseParser):
    media_type = "text/csv"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        # The raw bytes, not a mapping: the import decodes and parses them itself.
        return stream.read() if stream is not None else b""

"""Request parsers shared by the apps' import endpoints.

A `text/csv` body is read once, within the API's body limit (DATA_UPLOAD_MAX_MEMORY_SIZE, set from
API_MAX_BODY_BYTES: DRF streams request bodies past Django's own check), and decoded by
`decode_text`: the charset the client declared, else UTF-8 (with or without the BOM Excel writes), else
GB 18030 (core.textio).
"""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from core.textio import decode_text

__all__ = ["CSVBody", "CSVParser", "charset_of", "decode_text", "read_body"]


def read_body(stream: IO[bytes] | None) -> bytes:
    """The whole body, refused with 413 beyond the configured limit."""
    if stream is None:
        return b""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return stream.read()
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise RequestDataTooBig("Request body exceeded API_MAX_BODY_BYTES.")
    return data


def charset_of(media_type: str | None) -> str | None:
    """The `charset=` parameter of a Content-Type, if any."""
    for param in (media_type or "").split(";")[1:]:
        name, __, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None


class CSVBody(bytes):
    """A `text/csv` body as received, with the charset the client declared (None if it did not)."""

    charset: str | None = None


class CSVParser(BaseParser):
    """`text/csv` → CSVBody (bytes): the view decodes it with `decode_text` and parses the rows."""

    media_type = "text/csv"

    # The stubs type parse() as returning a mapping; a CSV body is bytes (the view reads it itself).
    def parse(  # type: ignore[override]
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> CSVBody:
        try:
            body = CSVBody(read_body(stream))
        except RequestDataTooBig:
            raise
        except OSError as exc:  # a client that hangs up mid-body
            raise ParseError(_("Could not read the body: %(exc)s") % {"exc": exc}) from None
        body.charset = charset_of(media_type)
        return body

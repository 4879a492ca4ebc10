"""Decoding uploaded text files (CSV imports from the API and from management commands)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.exceptions import InvalidInput


def decode_text(raw: bytes, charset: str | None = None, *, field: str = "body") -> str:
    """Text of an uploaded file: the declared charset, else UTF-8 (with or without the BOM Excel writes),
    else GB 18030 (a superset of GBK, the code page Chinese Excel saves "CSV" in).
    InvalidInput naming `field` when it is text in none of them."""
    if charset:
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError) as exc:
            raise InvalidInput(
                _("The %(field)s is not valid %(charset)s.") % {"field": field, "charset": charset},
                fields={field: [str(exc)]},
            ) from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        _("The %(field)s is neither UTF-8 nor GB 18030 text.") % {"field": field},
        fields={field: [_("Save the file as CSV UTF-8 (or give charset= in Content-Type).")]},
    )

"""Reading a CSV ledger upload into rows, through the kernel's one CSV reader (core.csvread).

The header names the columns by their keys (`plant,month,treated_m3,produced_m3`) or as the ledger
exports write them ("水厂编码 plant": the last word is the key), so an exported sheet can be edited and
sent back. Unknown or repeated columns are refused rather than ignored: a misspelt optional column
("sub_uses") would otherwise drop its values without a word.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from django.utils.translation import gettext as _

from core import csvread
from core.exceptions import InvalidInput
from core.kernel import Errors


def read_rows(
    text: str, *, columns: Sequence[str], required: Collection[str], prefix: str
) -> tuple[list[dict[str, str]], list[int]]:
    """Rows of `text` as dicts of non-empty, stripped cells, and the file line each row ends on.

    Blank lines are skipped. A header problem is an error on `header`; an unreadable file on `body`; a
    row with the wrong number of cells is an error on `<prefix>[i]` (i counts data rows from 0), naming
    its line, and every such row is listed before the file is refused.
    """
    if not text.strip():
        raise InvalidInput(_("The CSV file is empty."), fields={"header": [_("No header row.")]})
    header, records = csvread.read_csv(text, columns=columns, required=required, field="body")
    width = len(header)
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    errors = Errors()
    for row in records:
        if row.width != width:
            errors.row(
                row.index,
                None,
                _("Expected %(columns)s cells, found %(cells)s.") % {"columns": width, "cells": row.width},
                path=prefix,
                line=row.line,
            )
        rows.append({k: v for k, v in row.cells.items() if v})
        lines.append(row.line)
    errors.raise_if_any(_("The file was refused; nothing was written."))
    return rows, lines

"""Reading a CSV ledger upload into rows (pure: no database, no DRF).

The header names the columns by their keys (`plant,month,treated_m3,produced_m3`) or as the ledger
exports write them ("水厂编码 plant": the last word is the key), so an exported sheet can be edited and
sent back. Unknown or repeated columns are refused rather than ignored: a misspelt optional column
("sub_uses") would otherwise drop its values without a word.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Sequence

from django.utils.translation import gettext as _

from core.exceptions import InvalidInput


def _column_key(cell: str, columns: Collection[str]) -> str | None:
    cell = cell.strip().lstrip("\ufeff")
    if cell in columns:
        return cell
    last = cell.split()[-1] if cell.split() else ""
    return last if last in columns else None


def read_rows(
    text: str, *, columns: Sequence[str], required: Collection[str], prefix: str
) -> tuple[list[dict[str, str]], list[int]]:
    """Rows of `text` as dicts of non-empty, stripped cells, and the file line each row ends on.

    Blank lines are skipped. A header problem is an error on `header`; a row with the wrong number of
    cells is an error on `<prefix>[i]` (i counts data rows from 0), naming its line.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    errors: dict[str, list[str]] = {}
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                keys = [_column_key(cell, columns) for cell in record]
                unknown = [cell for cell, key in zip(record, keys, strict=True) if key is None]
                repeated = sorted({k for k in keys if k is not None and keys.count(k) > 1})
                missing = [c for c in required if c not in keys]
                problems = []
                if unknown:
                    problems.append(
                        _("Unknown column(s) %(values)s; expected %(values2)s.")
                        % {"values": ", ".join(map(repr, unknown)), "values2": ", ".join(columns)}
                    )
                if repeated:
                    problems.append(_("Repeated column(s) %(values)s.") % {"values": ", ".join(repeated)})
                if missing:
                    problems.append(_("Missing column(s) %(values)s.") % {"values": ", ".join(missing)})
                if problems:
                    raise InvalidInput(
                        _("Bad CSV header: %(problems)s") % {"problems": problems[0]}, fields={"header": problems}
                    )
                header = [k for k in keys if k is not None]
                continue
            i = len(rows)
            if len(record) != len(header):
                errors[f"{prefix}[{i}]"] = [
                    _("Expected %(header)s cells, found %(record)s (CSV line %(line_num)s).")
                    % {"header": len(header), "record": len(record), "line_num": reader.line_num}
                ]
            rows.append({k: v.strip() for k, v in zip(header, record, strict=False) if v.strip()})
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise InvalidInput(
            _("Unreadable CSV at line %(line_num)s: %(exc)s") % {"line_num": reader.line_num, "exc": exc},
            fields={"body": [_("Line %(line_num)s: %(exc)s") % {"line_num": reader.line_num, "exc": exc}]},
        ) from None
    if header is None:
        raise InvalidInput(_("The CSV file is empty."), fields={"header": [_("No header row.")]})
    if errors:
        first = next(iter(errors))
        raise InvalidInput(
            _("The file was refused; nothing was written. %(first)s: %(errors)s")
            % {"first": first, "errors": errors[first][0]},
            fields=errors,
        )
    return rows, lines

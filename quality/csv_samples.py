"""CSV import of samples: one result per line, lines grouped into samples by (section, time, source).

    section,sampled_at,source,item,value,unit,below_detection_limit,detection_limit,note
    HL-01-S01,2024-03-05T10:00:00+08:00,manual,w21003,0.42,mg/L,,,
    HL-01-S01,2024-03-05T10:00:00+08:00,manual,Hg,0.00004L,mg/L,,,
    HL-01-S01,2024-03-05T10:00:00+08:00,manual,TP,,mg/L,true,0.01,

Columns are matched without regard to case; the Chinese headers of a lab's export (断面编码, 采样时间,
来源, 项目, 结果, 单位, 未检出, 检出限, 备注) are accepted too. `source` defaults to manual. A file is all or
nothing: every bad line is reported as `rows[<i>].<column>` (data rows counted from 0, as in a JSON
body; the message names the file line, `(line 12)`, as a spreadsheet numbers it; the kernel's
convention, core/README.md) and nothing is written. The file is read by core.csvread (charset: the
declared one, else UTF-8, else GB 18030).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core import csvread
from core.choices import AuditAction
from core.csvread import CsvRow
from core.exceptions import InvalidInput
from core.kernel import Errors, row_key
from quality import gb3838
from quality.choices import SampleSource
from quality.models import Section
from quality.services import RecordResult, SampleInput, samples_record

COLUMNS = (
    "section",
    "sampled_at",
    "source",
    "item",
    "value",
    "unit",
    "below_detection_limit",
    "detection_limit",
    "note",
)
REQUIRED = ("section", "sampled_at", "item")
_HEADER_ALIASES = {
    "断面编码": "section",
    "断面": "section",
    "section_code": "section",
    "采样时间": "sampled_at",
    "时间": "sampled_at",
    "来源": "source",
    "项目": "item",
    "监测项目": "item",
    "item_code": "item",
    "结果": "value",
    "监测值": "value",
    "单位": "unit",
    "未检出": "below_detection_limit",
    "检出限": "detection_limit",
    "备注": "note",
}
_TRUE = {"1", "true", "yes", "y", "是", "t"}
_FALSE = {"", "0", "false", "no", "n", "否", "f"}
_SOURCE_ALIASES = {"手工": SampleSource.MANUAL, "自动": SampleSource.AUTOMATIC, "auto": SampleSource.AUTOMATIC}
MAX_ERRORS = 100
DEFAULT_MAX_ROWS = 200_000


def _parse_time(text: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(_("Give the time with its UTC offset, e.g. 2024-03-05T10:00:00+08:00."))
    return parsed


def parse_rows(
    data: bytes | str, *, sections: QuerySet[Section], charset: str | None = None, max_rows: int = DEFAULT_MAX_ROWS
) -> list[SampleInput]:
    """Check the whole file and group it into samples; InvalidInput naming every bad line otherwise.
    `sections` is the caller's scoped section list: a code outside it is "no such section"."""
    header, records = csvread.read_csv(
        data, columns=COLUMNS, required=REQUIRED, aliases=_HEADER_ALIASES, charset=charset, max_rows=max_rows
    )
    errors = Errors(limit=MAX_ERRORS)
    raw_rows: list[tuple[CsvRow, dict[str, str]]] = []
    for record in records:
        if record.width > len(header):
            errors.row(
                record.index,
                None,
                f"{record.width} values for {len(header)} columns.",
                line=record.line,
            )
            continue
        raw_rows.append((record, record.cells))
    if not raw_rows and not errors:
        raise InvalidInput(_("The file has a header but no results."), fields={"file": [_("No results.")]})

    def refuse(record: CsvRow, column: str, message: str) -> None:
        errors.row(record.index, column, message, line=record.line)

    codes = {row.get("section", "") for __, row in raw_rows}
    known = {s.code: s for s in sections.filter(code__in=codes)}
    # (section code, time, source) → [(line, measurement)], and the first line and note of each.
    groups: dict[tuple[str, dt.datetime, str], list[tuple[CsvRow, gb3838.Measurement]]] = defaultdict(list)
    first_row: dict[tuple[str, dt.datetime, str], int] = {}
    notes: dict[tuple[str, dt.datetime, str], str] = {}
    for record, row in raw_rows:
        ok = True
        code = row.get("section", "")
        section = known.get(code)
        if section is None:
            refuse(record, "section", f"No section {code!r} in your jurisdiction." if code else "Required.")
            ok = False
        try:
            at = _parse_time(row.get("sampled_at", ""))
        except ValueError as exc:
            refuse(record, "sampled_at", str(exc) if "offset" in str(exc) else "An ISO 8601 time with offset.")
            ok = False
        source_raw = row.get("source", "") or SampleSource.MANUAL
        source = _SOURCE_ALIASES.get(source_raw, source_raw.lower())
        if source not in SampleSource.values:
            refuse(record, "source", f"One of {', '.join(SampleSource.values)}.")
            ok = False
        item = gb3838.lookup_item(row.get("item", ""))
        if item is None:
            refuse(record, "item", f"Unknown item {row.get('item', '')!r}.")
            continue
        below_text = row.get("below_detection_limit", "").lower()
        if below_text not in _TRUE | _FALSE:
            refuse(record, "below_detection_limit", "true or false.")
            continue
        try:
            measurement = gb3838.parse_measurement(
                item,
                row.get("value", ""),
                unit=row.get("unit") or None,
                below_detection_limit=below_text in _TRUE,
                detection_limit=row.get("detection_limit") or None,
                named_by_code=gb3838.is_code(row.get("item", ""), item),
            )
        except gb3838.ValueRefused as exc:
            refuse(record, "value", exc.message)
            continue
        if not ok:
            continue
        key = (code, at, source)
        if any(m.item.code == item.code for __, m in groups[key]):
            other = next(r for r, m in groups[key] if m.item.code == item.code)
            refuse(record, "item", f"{item.key} appears twice in this sample (also line {other.line}).")
            continue
        groups[key].append((record, measurement))
        first_row.setdefault(key, record.index)
        if row.get("note"):
            notes.setdefault(key, row["note"])
    errors.raise_if_any("The file was refused, nothing written:")
    out = []
    for (code, at, source), results in groups.items():
        key = (code, at, source)
        out.append(
            SampleInput(
                section=known[code],
                sampled_at=at,
                source=source,
                measurements=tuple(m for __, m in results),
                note=notes.get(key, ""),
                path=row_key("rows", first_row[key]),
            )
        )
    return out


def samples_import_csv(
    *, data: bytes | str, sections: QuerySet[Section], actor: Any, charset: str | None = None, reason: str = ""
) -> RecordResult:
    """Import a CSV of results atomically (see the module docstring)."""
    samples = parse_rows(data, sections=sections, charset=charset)
    return samples_record(samples=samples, actor=actor, action=AuditAction.IMPORT, reason=reason or "csv import")

"""CSV import of samples: one result per line, lines grouped into samples by (section, time, source).

    section,sampled_at,source,item,value,unit,below_detection_limit,detection_limit,note
    HL-01-S01,2024-03-05T10:00:00+08:00,manual,w21003,0.42,mg/L,,,
    HL-01-S01,2024-03-05T10:00:00+08:00,manual,Hg,0.00004L,mg/L,,,
    HL-01-S01,2024-03-05T10:00:00+08:00,manual,TP,,mg/L,true,0.01,

Columns are matched without regard to case; the Chinese headers of a lab's export (断面编码, 采样时间,
来源, 项目, 结果, 单位, 未检出, 检出限, 备注) are accepted too. `source` defaults to manual. A file is all or
nothing: every bad line is reported as `rows[<line>].<column>` (line 1 is the header, as a spreadsheet
numbers it) and nothing is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.choices import AuditAction
from core.exceptions import InvalidInput
from quality import gb3838
from quality.choices import SampleSource
from quality.models import Section
from quality.services import RecordResult, SampleInput, samples_record

COLUMNS = ("section", "sampled_at", "source", "item", "value", "unit", "below_detection_limit",
           "detection_limit", "note")  # fmt: skip
REQUIRED = ("section", "sampled_at", "item")
_HEADER_ALIASES = {
    "断面编码": "section", "断面": "section", "section_code": "section",
    "采样时间": "sampled_at", "时间": "sampled_at",
    "来源": "source", "项目": "item", "监测项目": "item", "item_code": "item",
    "结果": "value", "监测值": "value", "单位": "unit", "未检出": "below_detection_limit",
    "检出限": "detection_limit", "备注": "note",
}  # fmt: skip
_TRUE = {"1", "true", "yes", "y", "是", "t"}
_FALSE = {"", "0", "false", "no", "n", "否", "f"}
_SOURCE_ALIASES = {"手工": SampleSource.MANUAL, "自动": SampleSource.AUTOMATIC, "auto": SampleSource.AUTOMATIC}
MAX_ERRORS = 100
DEFAULT_MAX_ROWS = 200_000


def _header(names: Iterable[str]) -> list[str]:
    out = []
    for raw in names:
        name = (raw or "").strip().lstrip("\ufeff")
        out.append(_HEADER_ALIASES.get(name, name.lower()))
    return out


def _parse_time(text: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(_("Give the time with its UTC offset, e.g. 2024-03-05T10:00:00+08:00."))
    return parsed


def parse_rows(text: str, *, sections: QuerySet[Section], max_rows: int = DEFAULT_MAX_ROWS) -> list[SampleInput]:
    """Check the whole file and group it into samples; InvalidInput naming every bad line otherwise.
    `sections` is the caller's scoped section list: a code outside it is "no such section"."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = _header(next(reader))
    except StopIteration:
        raise InvalidInput(_("The file is empty."), fields={"file": [_("Empty file.")]}) from None
    except csv.Error as exc:
        raise InvalidInput(_("Not a CSV file: %(exc)s.") % {"exc": exc}, fields={"file": [str(exc)]}) from None
    unknown = sorted({h for h in header if h and h not in COLUMNS})
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        fields: dict[str, list[str]] = {}
        for c in missing:
            fields[f"columns.{c}"] = ["Missing column."]
        for c in unknown:
            fields[f"columns.{c}"] = [f"Unknown column; expected {', '.join(COLUMNS)}."]
        if len(set(header)) != len(header):
            fields["columns"] = ["A column appears twice."]
        raise InvalidInput(_("The header is not one this import understands."), fields=fields)

    errors: dict[str, list[str]] = {}

    def refuse(line: int, column: str, message: str) -> None:
        if len(errors) < MAX_ERRORS:
            errors.setdefault(f"rows[{line}].{column}", []).append(message)

    raw_rows: list[tuple[int, dict[str, str]]] = []
    try:
        for values in reader:
            line_no = reader.line_num  # the physical line, as a spreadsheet or editor numbers it
            if not any(v.strip() for v in values):
                continue
            if len(raw_rows) >= max_rows:
                raise InvalidInput(
                    _("More than %(max_rows)s result lines; split the file.") % {"max_rows": max_rows},
                    fields={"file": [_("Too many lines.")]},
                )
            if len(values) > len(header):
                refuse(line_no, "columns", f"{len(values)} values for {len(header)} columns.")
                continue
            raw_rows.append((line_no, dict(zip(header, (v.strip() for v in values), strict=False))))
    except csv.Error as exc:
        raise InvalidInput(_("Not a CSV file: %(exc)s.") % {"exc": exc}, fields={"file": [str(exc)]}) from None
    if not raw_rows and not errors:
        raise InvalidInput(_("The file has a header but no results."), fields={"file": [_("No results.")]})

    codes = {row.get("section", "") for __, row in raw_rows}
    known = {s.code: s for s in sections.filter(code__in=codes)}
    # (section code, time, source) → [(line, measurement)], and the first line and note of each.
    groups: dict[tuple[str, dt.datetime, str], list[tuple[int, gb3838.Measurement]]] = defaultdict(list)
    first_line: dict[tuple[str, dt.datetime, str], int] = {}
    notes: dict[tuple[str, dt.datetime, str], str] = {}
    for line, row in raw_rows:
        ok = True
        code = row.get("section", "")
        section = known.get(code)
        if section is None:
            refuse(line, "section", f"No section {code!r} in your jurisdiction." if code else "Required.")
            ok = False
        try:
            at = _parse_time(row.get("sampled_at", ""))
        except ValueError as exc:
            refuse(line, "sampled_at", str(exc) if "offset" in str(exc) else "An ISO 8601 time with offset.")
            ok = False
        source_raw = row.get("source", "") or SampleSource.MANUAL
        source = _SOURCE_ALIASES.get(source_raw, source_raw.lower())
        if source not in SampleSource.values:
            refuse(line, "source", f"One of {', '.join(SampleSource.values)}.")
            ok = False
        item = gb3838.lookup_item(row.get("item", ""))
        if item is None:
            refuse(line, "item", f"Unknown item {row.get('item', '')!r}.")
            continue
        below_text = row.get("below_detection_limit", "").lower()
        if below_text not in _TRUE | _FALSE:
            refuse(line, "below_detection_limit", "true or false.")
            continue
        try:
            measurement = gb3838.parse_measurement(
                item, row.get("value", ""), unit=row.get("unit") or None,
                below_detection_limit=below_text in _TRUE, detection_limit=row.get("detection_limit") or None,
                named_by_code=gb3838.is_code(row.get("item", ""), item),
            )  # fmt: skip
        except gb3838.ValueRefused as exc:
            refuse(line, "value", exc.message)
            continue
        if not ok:
            continue
        key = (code, at, source)
        if any(m.item.code == item.code for __, m in groups[key]):
            other = next(n for n, m in groups[key] if m.item.code == item.code)
            refuse(line, "item", f"{item.key} appears twice in this sample (also line {other}).")
            continue
        groups[key].append((line, measurement))
        first_line.setdefault(key, line)
        if row.get("note"):
            notes.setdefault(key, row["note"])
    if errors:
        raise InvalidInput(_message(errors), fields=errors)
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
                path=f"rows[{first_line[key]}]",
            )
        )
    return out


def _message(errors: dict[str, list[str]]) -> str:
    first = next(iter(errors))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"The file was refused, nothing written: {first}: {errors[first][0]}{more}"


def samples_import_csv(*, text: str, sections: QuerySet[Section], actor: Any, reason: str = "") -> RecordResult:
    """Import a CSV of results atomically (see the module docstring)."""
    samples = parse_rows(text, sections=sections)
    return samples_record(samples=samples, actor=actor, action=AuditAction.IMPORT, reason=reason or "csv import")

"""manage.py import_readings FILE: meter readings from a CSV file, through the same service as the API.

The file has the API's CSV layout (header `meter,observed_at,cumulative_m3[,flow_m3s]`, UTF-8, a BOM
allowed). It is read twice: first every row is checked and every serial resolved, so a bad file is
refused with each bad line named and nothing written; then it is stored in batches (one transaction
each), with a progress bar. A conflict (another value for a stored instant) stops the import at that
batch; the batches before it stay, and running the command again after fixing the file is safe
(rows already stored count as duplicates).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from accounts.scope import SYSTEM_SCOPE
from core.exceptions import ServiceError
from water import conf
from water.choices import ReadingSource
from water.ingest import Row, RowErrors, check_csv_cells, csv_header
from water.models import Meter
from water.services import reading_ingest_batch

ACTOR = "import_readings"


class Command(BaseCommand):
    help = "Import meter readings from a CSV file (meter,observed_at,cumulative_m3[,flow_m3s])."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--batch-size", type=int, default=5000, help="rows per transaction (default 5000)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs, CI)")

    def handle(self, *args: Any, **opts: Any) -> None:
        path: Path = opts["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        size = max(1, int(opts["batch_size"]))
        now = timezone.now()
        latest = now + dt.timedelta(seconds=conf.get("WATER_FUTURE_TOLERANCE_S"))

        # Pass 1: every row checked, every serial resolved; nothing written.
        errors = RowErrors()
        serials: set[str] = set()
        lines: dict[int, int] = {}
        count = 0
        for i, line, row in self._rows(path, latest, errors):
            count = i + 1
            lines[i] = line
            if row is not None:
                serials.add(row.serial)
        if count == 0:
            raise CommandError(f"{path}: no readings")
        known = set(Meter.objects.filter(serial__in=serials).values_list("serial", flat=True))
        for serial in sorted(serials - known):
            errors.fields[f"meter {serial!r}"] = ["No such meter."]
        if errors:
            raise CommandError(self._describe(errors, lines))

        # Pass 2: batches through the ingest service.
        created = duplicates = 0
        batch: list[Row] = []
        bar = tqdm(total=count, unit="rows", disable=opts["no_progress"], file=self.stderr)
        try:
            for _, _, row in self._rows(path, latest, RowErrors()):
                assert row is not None  # noqa: S101 - pass 1 checked every row
                batch.append(row)
                if len(batch) >= size:
                    c, d = self._store(batch, lines)
                    created, duplicates = created + c, duplicates + d
                    bar.update(len(batch))
                    batch = []
            if batch:
                c, d = self._store(batch, lines)
                created, duplicates = created + c, duplicates + d
                bar.update(len(batch))
        finally:
            bar.close()
        self.stdout.write(f"{path}: {count} rows, {created} new, {duplicates} duplicates")

    @staticmethod
    def _rows(path: Path, latest: dt.datetime, errors: RowErrors) -> Iterator[tuple[int, int, Row | None]]:
        """(data row index, file line, row or None when bad) for each data row."""
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            try:
                header = next(reader)
            except StopIteration:
                return
            try:
                columns = csv_header(header)
            except ServiceError as exc:
                raise CommandError(f"{path}: {exc.message}") from exc
            i = 0
            for cells in reader:
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                yield i, reader.line_num, check_csv_cells(i, columns, cells, latest, errors)
                i += 1

    def _store(self, batch: list[Row], lines: dict[int, int]) -> tuple[int, int]:
        try:
            result = reading_ingest_batch(rows=batch, scope=SYSTEM_SCOPE, source=ReadingSource.CSV, actor=ACTOR)
        except ServiceError as exc:
            detail = RowErrors()
            detail.fields = {k: v if isinstance(v, list) else [str(v)] for k, v in exc.fields.items()}
            raise CommandError(
                f"stopped at the batch starting on line {lines[batch[0].pos]} (that batch was not written; "
                f"the ones before it were): {exc.message}\n" + self._describe(detail, lines, heading="")
            ) from exc
        return result.created, result.duplicates

    @staticmethod
    def _describe(
        errors: RowErrors, lines: dict[int, int], heading: str = "The file was refused, nothing was written:\n"
    ) -> str:
        out = []
        for key, messages in list(errors.fields.items())[:50]:
            where = key
            if key.startswith("readings["):
                index = int(key[len("readings[") : key.index("]")])
                field = key.split("].", 1)[1] if "]." in key else ""
                where = f"line {lines.get(index, index + 2)}" + (f" {field}" if field else "")
            out.append(f"  {where}: {'; '.join(messages)}")
        more = len(errors.fields) - 50
        if more > 0:
            out.append(f"  … and {more} more")
        return heading + "\n".join(out)

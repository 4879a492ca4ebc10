"""manage.py import_readings FILE: meter readings from a CSV file, through the same service as the API.

The file has the API's CSV layout (header `meter,observed_at,cumulative_m3[,flow_m3s]`). Its charset is
found as the API finds an upload's (core.textio): UTF-8 with or without a BOM, else GB 18030 (what Excel
saves "CSV" in on a Chinese Windows); `--encoding` names another. It is read twice: first every row is
checked and every serial resolved, so a bad file is refused with each bad line named and nothing
written; then it is stored in batches (one transaction each). Progress is a bar on a terminal, and a
plain line per batch otherwise (a log, a cron mail), never the error stream's colours. A conflict
(another value for a stored instant) stops the import at that
batch; the batches before it stay, and running the command again after fixing the file is safe
(rows already stored count as duplicates).
"""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from tqdm import tqdm

from accounts.scope import SYSTEM_SCOPE
from core.exceptions import ServiceError
from core.kernel import Errors
from water import conf
from water.choices import ReadingSource
from water.ingest import Row, check_csv_rows, csv_rows, row_errors
from water.models import Meter
from water.services import reading_ingest_batch

ACTOR = "import_readings"


class Command(BaseCommand):
    help = "Import meter readings from a CSV file (meter,observed_at,cumulative_m3[,flow_m3s])."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--batch-size", type=int, default=5000, help="rows per transaction (default 5000)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar or lines")
        parser.add_argument(
            "--encoding", default=None, help="the file's charset (default: UTF-8, else GB 18030, found by reading it)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        path: Path = opts["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        size = max(1, int(opts["batch_size"]))
        encoding = self._encoding(path, opts["encoding"])
        now = timezone.now()
        latest = now + dt.timedelta(seconds=conf.future_tolerance_s())

        # Pass 1: every row checked, every serial resolved; nothing written.
        errors = row_errors()
        serials: set[str] = set()
        lines: dict[int, int] = {}
        count = 0
        for i, line, row in self._rows(path, encoding, latest, errors):
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
        progress = _Progress(self, total=count, quiet=opts["no_progress"])
        try:
            for _, _, row in self._rows(path, encoding, latest, row_errors()):
                assert row is not None  # noqa: S101 - pass 1 checked every row
                batch.append(row)
                if len(batch) >= size:
                    c, d = self._store(batch, lines)
                    created, duplicates = created + c, duplicates + d
                    progress.update(len(batch))
                    batch = []
            if batch:
                c, d = self._store(batch, lines)
                created, duplicates = created + c, duplicates + d
                progress.update(len(batch))
        finally:
            progress.close()
        self.stdout.write(f"{path}: {count} rows, {created} new, {duplicates} duplicates")

    @staticmethod
    def _encoding(path: Path, declared: str | None) -> str:
        """The charset to read the file in: the declared one, else UTF-8 (BOM or not), else GB 18030,
        the first that decodes the whole file (read in chunks: a meter history may be gigabytes)."""
        candidates = [declared] if declared else ["utf-8-sig", "gb18030"]
        for name in candidates:
            try:
                decoder = codecs.getincrementaldecoder(name)()
            except LookupError:
                raise CommandError(f"--encoding {name}: no such charset") from None
            try:
                with path.open("rb") as fh:
                    while chunk := fh.read(1 << 20):
                        decoder.decode(chunk)
                    decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                if declared:
                    raise CommandError(f"{path}: not {name} text ({exc.reason})") from None
                continue
            return name
        raise CommandError(f"{path}: neither UTF-8 nor GB 18030 text; save it as CSV UTF-8 or give --encoding")

    @staticmethod
    def _rows(path: Path, encoding: str, latest: dt.datetime, errors: Errors) -> Iterator[tuple[int, int, Row | None]]:
        """(data row index, file line, row or None when bad) for each data row, read as it is iterated
        by the kernel's CSV reader (core.csvread)."""
        with path.open(encoding=encoding, newline="") as fh:
            try:
                header, records = csv_rows(fh)
                yield from check_csv_rows(header, records, latest, errors)
            except ServiceError as exc:
                raise CommandError(f"{path}: {exc.message}") from exc

    def _store(self, batch: list[Row], lines: dict[int, int]) -> tuple[int, int]:
        try:
            result = reading_ingest_batch(rows=batch, scope=SYSTEM_SCOPE, source=ReadingSource.CSV, actor=ACTOR)
        except ServiceError as exc:
            detail = row_errors()
            detail.fields = {k: v if isinstance(v, list) else [str(v)] for k, v in exc.fields.items()}
            raise CommandError(
                f"stopped at the batch starting on line {lines[batch[0].pos]} (that batch was not written; "
                f"the ones before it were): {exc.message}\n" + self._describe(detail, lines, heading="")
            ) from exc
        return result.created, result.duplicates

    @staticmethod
    def _describe(
        errors: Errors, lines: dict[int, int], heading: str = "The file was refused, nothing was written:\n"
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


class _Progress:
    """A bar on a terminal (tqdm, drawn on the raw error stream, not through Django's red ERROR style);
    elsewhere a plain line on standard output per batch, which a log keeps readably."""

    def __init__(self, command: BaseCommand, *, total: int, quiet: bool) -> None:
        self.total, self.done, self.quiet = total, 0, quiet
        self.stdout = command.stdout
        raw: TextIO = command.stderr._out  # type: ignore[assignment]  # OutputWrapper's stream, unstyled
        self.bar: tqdm[Any] | None = tqdm(total=total, unit="rows", file=raw) if not quiet and raw.isatty() else None

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif not self.quiet:
            self.stdout.write(f"{self.done}/{self.total} rows ({100 * self.done // max(1, self.total)} %)")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

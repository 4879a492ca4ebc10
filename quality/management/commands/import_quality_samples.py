"""manage.py import_quality_samples FILE [--dry-run]: load lab or station results from CSV.

The same import as POST /api/v1/quality/samples/import/ (quality.csv_samples), with the whole city in
scope: one result per line, a file with any bad line is refused whole and writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.exceptions import ServiceError
from quality.csv_samples import samples_import_csv
from quality.models import Section


class _DryRun(Exception):
    pass


class Command(BaseCommand):
    help = "Import water-quality results from CSV (see quality.csv_samples for the columns). All or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV in UTF-8 or GB 18030")
        parser.add_argument("--dry-run", action="store_true", help="check and report, then roll back")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}")
        try:
            with transaction.atomic():
                result = samples_import_csv(
                    data=path.read_bytes(),
                    sections=Section.objects.all(),
                    actor="import_quality_samples",
                    reason=path.name,
                )
                self.stdout.write(
                    f"{len(result.created)} samples with {result.measurements_created} results, "
                    f"{len(result.amended)} samples completed, {len(result.duplicates)} already stored"
                )
                if opts["dry_run"]:
                    raise _DryRun
        except _DryRun:
            self.stdout.write("dry run: nothing written")
        except ServiceError as exc:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in list(exc.fields.items())[:20])
            raise CommandError(f"{exc.message}\n{details}") from exc

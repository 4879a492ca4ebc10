"""manage.py import_places FILE --kind division|river|reach|lake [--layer NAME] [--map TARGET=FIELD ...]
[--dry-run] [--no-progress]: load reference geography from GeoJSON, Shapefile or GeoPackage.

The reading, checking and writing live in places.gis_import; this command parses options, shows
progress and turns a refusal into a CommandError.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, TextIO, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from places.choices import PlaceKind
from places.gis_import import ImportRefused, import_places, parse_mapping

T = TypeVar("T")


class Command(BaseCommand):
    help = (
        "Import divisions, rivers, reaches or lakes from a GeoJSON, Shapefile (.shp with .dbf/.prj/.cpg) "
        "or GeoPackage. Upserts by code; a file with any bad feature is refused whole and writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the .geojson, .shp or .gpkg file")
        parser.add_argument("--kind", required=True, choices=PlaceKind.values, help="what the file holds")
        parser.add_argument("--layer", help="layer name (required when the file has several layers)")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="TARGET=FIELD",
            help="read attribute TARGET from field FIELD, e.g. --map code=DM --map name=MC (repeatable)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check and report, then roll back")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args: Any, **opts: Any) -> None:
        kind: str = opts["kind"]
        stream = self._progress_stream()
        show = not opts["no_progress"] and stream.isatty()

        def progress(iterable: Iterable[T], *, total: int, desc: str) -> Iterable[T]:
            return tqdm(iterable, total=total, desc=desc, unit="feature", file=stream, disable=not show)

        try:
            result = import_places(
                opts["file"],
                kind,
                layer=opts["layer"],
                mapping=parse_mapping(opts["map"], kind),
                dry_run=opts["dry_run"],
                progress=progress,
            )
        except ImportRefused as exc:
            raise CommandError(exc.render()) from None
        self.stdout.write(result.summary())

    def _progress_stream(self) -> TextIO:
        """The raw stderr stream: tqdm redraws with carriage returns, which Django's OutputWrapper
        would break by appending a newline to every write."""
        out = getattr(self.stderr, "_out", None)
        return out if out is not None else sys.stderr

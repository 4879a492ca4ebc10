"""`import_places`: both passes in one transaction; a bad file (or a dry run) writes nothing."""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from places.gis_import.reading import open_layer, read_features, resolve_fields
from places.gis_import.records import KIND_SPECS, ImportRefused, ImportResult, Progress, no_progress
from places.gis_import.writing import write_records


class _Rollback(Exception):
    """Raised inside the transaction to undo a dry run."""


def import_places(
    path: str | Path,
    kind: str,
    *,
    layer: str | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Import the features of a GeoJSON, Shapefile or GeoPackage layer as places of ``kind``.

    Args:
        path: the file (for a shapefile, the .shp; its .dbf, .prj and .cpg sit next to it).
        kind: one of :class:`places.choices.PlaceKind`.
        layer: the layer's name; required when the file has several.
        mapping: ``{target: field}`` overrides of the default field names (see :data:`KIND_SPECS`).
        dry_run: check and write everything, then roll back.
        progress: wraps the feature iterables to show progress (e.g. with tqdm); none by default.

    Returns:
        The counts of created, updated and unchanged rows.

    Raises:
        ImportRefused: the file, or at least one feature, was refused; nothing was written.
    """
    if kind not in KIND_SPECS:
        raise ImportRefused(f"unknown kind {kind!r}; one of {', '.join(KIND_SPECS)}")
    path = Path(path)
    wrap: Progress = progress or no_progress
    source = f"import_places:{path.name}"

    opened = open_layer(path, layer)
    fields = resolve_fields(opened, kind, mapping or {})
    outcome = read_features(opened, kind, fields, wrap)
    if outcome.count == 0:
        raise ImportRefused(f"layer {opened.name!r} has no features")

    result = ImportResult(kind=kind, dry_run=dry_run, layer=opened.name)
    try:
        with transaction.atomic():
            # The features that failed the read pass are skipped here, but the others are still
            # written so that unknown references are reported in the same run; then rolled back.
            errors = outcome.errors + write_records(
                kind, outcome.records, actor=source, source=source, result=result, progress=wrap
            )
            if errors:
                errors.sort(key=lambda e: e.index)
                bad = len({e.index for e in errors})
                raise ImportRefused(
                    f"{path.name}: {bad} of {outcome.count} feature(s) refused, nothing was written:", errors
                )
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return result

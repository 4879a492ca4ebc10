"""Import of reference geography (divisions, rivers, reaches, lakes) from GIS files through GDAL.

Used by ``manage.py import_places``; kept free of the management framework so that it can be called
and tested on its own.

The import runs in two passes:

1. *Read*: every feature is read, its attributes mapped, its geometry checked (type, emptiness,
   validity) and transformed from the layer's CRS to EPSG:4326. Nothing touches the database.
2. *Write*: the features that passed are written through the places services (which compute the
   geodesic measures and audit), all inside one transaction.

Errors from both passes are collected per feature (so that one run reports everything wrong with a
file, not just the first problem) and, if there are any, the transaction is rolled back and
:class:`ImportRefused` is raised: a bad file writes nothing.

Encoding: GDAL's shapefile driver recodes a .dbf to UTF-8 when its .cpg names the code page (GBK,
936 and CP936 checked with GDAL 3.6), so every attribute arrives as UTF-8 and the DataSource is
opened with the default UTF-8 decoding. A .dbf without a .cpg (or LDID) is passed through as raw
bytes; those that are not UTF-8 are refused with a hint to add the .cpg rather than guessed at.

The package: `records` (kinds, records, errors, result), `reading` (pass 1), `writing` (pass 2), `importer`
(`import_places`).
"""

from places.gis_import.importer import import_places
from places.gis_import.reading import parse_mapping
from places.gis_import.records import KIND_SPECS, MAX_ERROR_LINES, FeatureError, ImportRefused, ImportResult

__all__ = [
    "KIND_SPECS",
    "MAX_ERROR_LINES",
    "FeatureError",
    "ImportRefused",
    "ImportResult",
    "import_places",
    "parse_mapping",
]

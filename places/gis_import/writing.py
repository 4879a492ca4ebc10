"""Pass 2, writing: the records that passed go through the places services (parents first), errors collected
per feature.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from core.divisions import DivisionLevel, division_level, is_division_code
from core.exceptions import InvalidInput
from places.choices import PlaceKind
from places.gis_import.records import KIND_SPECS, FeatureError, ImportResult, PlaceRecord, Progress
from places.services import division_upsert, lake_upsert, reach_upsert, river_upsert

# Parents before children, so that a division's parent is in the database when it is written
# whatever the order of the features in the file.
_LEVEL_RANK = {level: rank for rank, level in enumerate(DivisionLevel)}


def _division_order(record: PlaceRecord) -> tuple[int, int]:
    code = record.code
    rank = _LEVEL_RANK[division_level(code)] if is_division_code(code) else len(_LEVEL_RANK)
    return rank, record.index


def _upsert(kind: str, record: PlaceRecord, *, actor: str, reason: str) -> bool:
    """Write one record through its service; returns whether the row changed."""
    a = record.attrs
    if kind == PlaceKind.DIVISION:
        _, changed = division_upsert(
            code=record.code,
            name=a["name"],
            name_en=a.get("name_en", ""),
            # None lets the service take the parent from the code; a blank column means the same.
            parent_code_=a.get("parent"),
            boundary=record.geometry,
            actor=actor,
            reason=reason,
        )
    elif kind == PlaceKind.RIVER:
        _, changed = river_upsert(
            code=record.code,
            name=a["name"],
            name_en=a.get("name_en", ""),
            division_code=a["division"],
            geometry=record.geometry,
            actor=actor,
            reason=reason,
        )
    elif kind == PlaceKind.REACH:
        _, changed = reach_upsert(
            code=record.code,
            name=a["name"],
            river_code=a["river"],
            division_code=a["division"],
            geometry=record.geometry,
            start_description=a.get("start_desc", ""),
            end_description=a.get("end_desc", ""),
            actor=actor,
            reason=reason,
        )
    else:
        _, changed = lake_upsert(
            code=record.code,
            name=a["name"],
            name_en=a.get("name_en", ""),
            kind=a["kind"],
            division_code=a["division"],
            geometry=record.geometry,
            actor=actor,
            reason=reason,
        )
    return changed


def _validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items())
    return " ".join(exc.messages)


def write_records(
    kind: str, records: list[PlaceRecord], *, actor: str, source: str, result: ImportResult, progress: Progress
) -> list[FeatureError]:
    """The write pass (inside the caller's transaction); returns the features the services refused."""
    if kind == PlaceKind.DIVISION:
        records = sorted(records, key=_division_order)
    model = KIND_SPECS[kind].model
    existing = set(model.objects.filter(code__in=[r.code for r in records]).values_list("code", flat=True))
    errors: list[FeatureError] = []
    for record in progress(records, total=len(records), desc="writing"):
        try:
            # Each service call is its own savepoint, so a refused feature leaves the outer
            # transaction usable and the remaining features can still be checked.
            changed = _upsert(kind, record, actor=actor, reason=f"{source} feature {record.index}")
        except InvalidInput as exc:
            errors.append(FeatureError(record.index, record.code, exc.message))
            continue
        except ValidationError as exc:
            errors.append(FeatureError(record.index, record.code, _validation_text(exc)))
            continue
        if record.code not in existing:
            result.created += 1
        elif changed:
            result.updated += 1
        else:
            result.unchanged += 1
    return errors

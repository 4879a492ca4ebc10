"""Monthly volumes: the plant-volume and delivery batches (rows validated one by one, errors named by
row), the batch result, and the stored rows with their flags."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from core.api.serializers import StrictSerializer
from core.kernel import Errors, row_key, with_line
from reuse import conf, selectors
from reuse.api.serializers.fields import (
    MonthField,
    volume_field,
)
from reuse.models import MonthlyDelivery, MonthlyPlantVolume


def validate_rows(
    rows: Any, row_serializer: type[serializers.Serializer], *, key: str, lines: list[int] | None = None
) -> list[dict[str, Any]]:
    """Each row through `row_serializer`; every bad row named `key[i].field` (with its CSV line), so the
    paths do not depend on how DRF nests a list serializer's errors."""
    if not isinstance(rows, list) or not rows:
        raise serializers.ValidationError({key: [_("Give a non-empty list of rows.")]})
    limit = conf.max_batch_rows()
    if len(rows) > limit:
        raise serializers.ValidationError(
            {key: [_("%(rows)s rows; at most %(limit)s per batch.") % {"rows": len(rows), "limit": limit}]}
        )
    out: list[dict[str, Any]] = []
    errors = Errors()
    # One serializer for every row, as a ListSerializer does: building one per row deep-copies its
    # fields each time, which was most of the cost of a 6,000-row import.
    child = row_serializer()
    for i, raw in enumerate(rows):
        where = with_line("", lines[i]) if lines else ""  # the kernel's ` (line 12)`
        if not isinstance(raw, dict):
            errors.add(row_key(key, i), _("Expected an object%(where)s.") % {"where": where})
            continue
        try:
            out.append(dict(child.run_validation(raw)))
        except serializers.ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            for name, messages in detail.items():
                items = messages if isinstance(messages, list) else [messages]
                for m in items:
                    errors.add(row_key(key, i, str(name)), f"{m}{where}")
    if errors:
        raise serializers.ValidationError(errors.fields)
    return out


class _BatchSerializer(StrictSerializer):
    """A batch as documented in the schema; `validate_batch` does the validation row by row."""

    key = ""

    @classmethod
    def validate_batch(cls, data: Any) -> tuple[list[dict[str, Any]], bool]:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Expected an object with '%(key)s'.") % {"key": cls.key}]}
            )
        unknown = sorted(set(data) - {cls.key, "replace"})
        if unknown:
            raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        replace = serializers.BooleanField(default=False).run_validation(data.get("replace", False))
        rows = validate_rows(data.get(cls.key), cls.row_serializer, key=cls.key)
        return rows, bool(replace)

    row_serializer: type[serializers.Serializer] = serializers.Serializer


class VolumeRowSerializer(StrictSerializer):
    plant = serializers.CharField(max_length=32, help_text="plant code")
    month = MonthField()
    treated_m3 = volume_field(help_text="wastewater treated in the month")
    produced_m3 = volume_field(help_text="reclaimed water produced in the month (at most treated_m3)")


class VolumeBatchSerializer(_BatchSerializer):
    """POST /reuse/volumes/ as JSON (or text/csv with the row columns and ?replace=)."""

    key = "volumes"
    row_serializer = VolumeRowSerializer
    volumes = VolumeRowSerializer(many=True, allow_empty=False)
    replace = serializers.BooleanField(
        default=False, help_text="correct months already stored with other figures (audited) instead of a 409"
    )


class DeliveryRowSerializer(StrictSerializer):
    plant = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="plant code; default: the user's plant"
    )
    month = MonthField()
    user = serializers.CharField(max_length=32, required=False, allow_blank=True, help_text="metered user's code")
    # Plain strings checked by the service (reuse.services.resolve_use), which names the row and field.
    use_class = serializers.CharField(
        max_length=24, required=False, allow_blank=True, help_text="for rows without a user"
    )
    sub_use = serializers.CharField(max_length=32, required=False, allow_blank=True)
    volume_m3 = volume_field(help_text="reclaimed water used in the month")


class DeliveryBatchSerializer(_BatchSerializer):
    """POST /reuse/deliveries/ as JSON (or text/csv with the row columns and ?replace=)."""

    key = "deliveries"
    row_serializer = DeliveryRowSerializer
    deliveries = DeliveryRowSerializer(many=True, allow_empty=False)
    replace = serializers.BooleanField(
        default=False, help_text="correct deliveries already stored with another volume (audited) instead of a 409"
    )


class WarningSerializer(serializers.Serializer):
    plant = serializers.CharField()
    month = serializers.CharField()
    flag = serializers.CharField()
    message = serializers.CharField()
    treated_m3 = serializers.DecimalField(max_digits=18, decimal_places=3, allow_null=True)
    produced_m3 = serializers.DecimalField(max_digits=18, decimal_places=3, allow_null=True)
    delivered_m3 = serializers.DecimalField(max_digits=18, decimal_places=3)


class BatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    warnings = WarningSerializer(many=True)


class PlantVolumeSerializer(serializers.ModelSerializer):
    plant = serializers.CharField(source="plant.code", read_only=True)
    plant_name = serializers.CharField(source="plant.name", read_only=True)
    division = serializers.CharField(source="plant.division.code", read_only=True)
    month = MonthField(read_only=True)
    delivered_m3 = serializers.DecimalField(max_digits=18, decimal_places=3, read_only=True)
    source = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a declared field, not Field.source
    flags = serializers.SerializerMethodField()

    class Meta:
        model = MonthlyPlantVolume
        fields = [
            "id",
            "plant",
            "plant_name",
            "division",
            "month",
            "treated_m3",
            "produced_m3",
            "delivered_m3",
            "flags",
            "source",
            "updated_at",
        ]
        read_only_fields = fields

    def get_flags(self, obj: MonthlyPlantVolume) -> list[str]:
        return selectors.volume_flags(obj, obj.delivered_m3)  # type: ignore[attr-defined]


class DeliverySerializer(serializers.ModelSerializer):
    plant = serializers.CharField(source="plant.code", read_only=True)
    division = serializers.CharField(source="plant.division.code", read_only=True)
    month = MonthField(read_only=True)
    user = serializers.CharField(source="user.code", read_only=True, allow_null=True, default=None)
    user_name = serializers.CharField(source="user.name", read_only=True, allow_null=True, default=None)
    use_class = serializers.CharField(read_only=True)
    sub_use = serializers.CharField(read_only=True)
    source = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a declared field, not Field.source

    class Meta:
        model = MonthlyDelivery
        fields = [
            "id",
            "plant",
            "division",
            "month",
            "user",
            "user_name",
            "use_class",
            "sub_use",
            "volume_m3",
            "source",
            "updated_at",
        ]
        read_only_fields = fields

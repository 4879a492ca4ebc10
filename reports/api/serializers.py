"""Input and output shapes of the reports API."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers

from patrols.choices import CaseCategory
from reports.choices import ReportFormat
from reports.models import ReportSnapshot


class FormatQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=ReportFormat.choices, required=False, default=ReportFormat.JSON)


class SiteQueryMixin(serializers.Serializer):
    """`reach=` or `lake=`: the report of one reach or lake (in the caller's scope, else a 400 naming it)."""

    reach = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="the report of one reach (id), in your scope"
    )
    lake = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        help_text="the report of one lake or reservoir (id), in your scope; not with reach",
    )


class SummaryQuerySerializer(SiteQueryMixin, FormatQuerySerializer):
    start = serializers.DateField(help_text="first Beijing date of the period (included)")
    end = serializers.DateField(help_text="last Beijing date of the period (included)")
    division = serializers.CharField(required=False, allow_blank=False, max_length=12)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("Must be on or after start.")]})
        if attrs["start"].year < 2 or attrs["end"].year > 9998:
            raise serializers.ValidationError({"start": [_("Out of range.")]})
        return attrs


class QuarterlyQuerySerializer(SiteQueryMixin, FormatQuerySerializer):
    division = serializers.CharField(required=False, allow_blank=False, max_length=12)


class RowsQuerySerializer(SummaryQuerySerializer):
    figure = serializers.CharField(max_length=40)
    category = serializers.ChoiceField(choices=CaseCategory.choices, required=False)
    water = serializers.ChoiceField(
        choices=["rivers", "lakes"], required=False, help_text="rows on reaches (rivers) or on lakes and reservoirs"
    )


class SnapshotRequestSerializer(serializers.Serializer):
    period = serializers.CharField(max_length=32, help_text="2024-Q1, 2024-H1, 2024 or 2024-01-01/2024-03-31")
    division = serializers.CharField(required=False, max_length=12)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)


class SnapshotSerializer(serializers.ModelSerializer):
    # A plain string in the schema: another "status" enum would collide with the ledgers' enums.
    status = serializers.CharField(read_only=True, help_text="building, ready, failed or signed_off")
    requested_by = serializers.CharField(source="requested_label", read_only=True)
    signed_off_by = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = ReportSnapshot
        fields = [
            "id",
            "period_label",
            "period_kind",
            "period_start",
            "period_end",
            "division_code",
            "version",
            "status",
            "progress",
            "error",
            "reason",
            "requested_by",
            "requested_at",
            "built_at",
            "signed_off_by",
            "signed_off_at",
            "previous",
            "links",
        ]
        read_only_fields = fields

    def get_signed_off_by(self, obj: ReportSnapshot) -> str | None:
        return obj.signed_off_by.username if obj.signed_off_by_id and obj.signed_off_by else None

    def get_links(self, obj: ReportSnapshot) -> dict[str, str]:
        base = reverse("reports:snapshot", kwargs={"pk": obj.pk})
        return {
            "self": base,
            "xlsx": f"{base}?format=xlsx",
            "pdf": f"{base}?format=pdf",
            "sign_off": reverse("reports:snapshot-sign-off", kwargs={"pk": obj.pk}),
        }


class SnapshotDetailSerializer(SnapshotSerializer):
    figures = serializers.JSONField(read_only=True)
    diff = serializers.JSONField(read_only=True)

    class Meta(SnapshotSerializer.Meta):
        fields = [*SnapshotSerializer.Meta.fields, "figures", "diff"]
        read_only_fields = fields

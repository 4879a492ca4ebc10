"""Input and output shapes of the oversight API. Inputs are StrictSerializers (unknown fields
refused) naming units by username or display name and divisions, reaches, lakes, intakes, plants by code."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from core.api.serializers import StrictSerializer
from core.divisions import is_division_code
from oversight.choices import (
    FindingCategory,
    MilestoneKind,
    OrderSubject,
    PetitionStatus,
    RecheckItem,
    RecheckOutcome,
    RoundKind,
    Substantiated,
)
from oversight.models import (
    Attachment,
    Circular,
    Finding,
    InspectionRound,
    Milestone,
    Petition,
    Progress,
    Recheck,
    SupervisionOrder,
    Task,
)
from patrols.choices import CaseCategory

API = "/api/v1"

# --------------------------------------------------------------------------- outputs


def _division_code(value: str) -> None:
    """A GB/T 2260 code, checked here: an arbitrary string reached division_prefix and was a 500."""
    if value and not is_division_code(value):
        raise serializers.ValidationError(_("A 6-, 9- or 12-digit GB/T 2260 code."))


class RoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = InspectionRound
        fields = ["id", "code", "name", "kind", "started_on", "ended_on", "feedback_on", "document_no"]


class FindingSerializer(serializers.ModelSerializer):
    round = serializers.CharField(source="round.code")
    division = serializers.CharField(source="division.code")
    division_name = serializers.CharField(source="division.name")

    class Meta:
        model = Finding
        fields = ["id", "round", "code", "text", "category", "division", "division_name"]


class MilestoneSerializer(serializers.ModelSerializer):
    task = serializers.CharField(source="task.code")

    class Meta:
        model = Milestone
        fields = ["id", "task", "kind", "title", "due_on", "status", "done_on", "note"]


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "name", "sha256", "content_type", "size_bytes", "uploaded_at"]


class ProgressSerializer(serializers.ModelSerializer):
    task = serializers.CharField(source="task.code")
    author = serializers.CharField(source="author.username")
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Progress
        fields = ["id", "task", "milestone", "text", "author", "at", "attachments"]


class TaskSerializer(serializers.ModelSerializer):
    finding = serializers.CharField(source="finding.code")
    round = serializers.CharField(source="finding.round.code")
    division = serializers.CharField(source="finding.division.code")
    lead_unit = serializers.CharField(source="lead_unit.username")
    lead_unit_name = serializers.CharField(source="lead_unit.display_name")
    responsible_units: Any = serializers.SlugRelatedField(many=True, read_only=True, slug_field="username")
    timeliness = serializers.CharField(read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "code",
            "title",
            "round",
            "finding",
            "division",
            "lead_unit",
            "lead_unit_name",
            "responsible_units",
            "measures",
            "target",
            "starts_on",
            "deadline",
            "status",
            "review",
            "return_reason",
            "completed_on",
            "timeliness",
            "signed_off_at",
            "sign_off_note",
            "reopened_count",
        ]


class TaskDetailSerializer(TaskSerializer):
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "milestones"]


class PetitionSerializer(GeoFeatureModelSerializer):
    """A petition as a GeoJSON Feature (geometry null when the petition has no point)."""

    round = serializers.CharField(source="batch.round.code")
    batch = serializers.IntegerField(source="batch.number")
    division = serializers.CharField(source="division.code")
    division_name = serializers.CharField(source="division.name")
    unit = serializers.CharField(source="unit.username")
    unit_name = serializers.CharField(source="unit.display_name")
    reach = serializers.CharField(source="reach.code", default=None)
    lake = serializers.CharField(source="lake.code", default=None)
    intake = serializers.CharField(source="intake.code", default=None)
    case_link = serializers.SerializerMethodField()

    class Meta:
        model = Petition
        geo_field = "location"
        fields = [
            "id",
            "number",
            "round",
            "batch",
            "received_on",
            "channel",
            "complaint",
            "division",
            "division_name",
            "reach",
            "lake",
            "intake",
            "category",
            "unit",
            "unit_name",
            "deadline",
            "result",
            "substantiated",
            "measures",
            "reply",
            "status",
            "review",
            "proposed_status",
            "return_reason",
            "closed_on",
            "public",
            "reopened_count",
            "case",
            "case_link",
        ]

    def get_case_link(self, obj: Petition) -> str | None:
        return f"{API}/patrols/cases/{obj.case_id}/" if obj.case_id else None


class OrderSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.username")
    division = serializers.CharField(source="division.code")
    task = serializers.CharField(source="task.code", default=None)
    petition = serializers.CharField(source="petition.number", default=None)

    class Meta:
        model = SupervisionOrder
        fields = [
            "id",
            "number",
            "subject",
            "unit",
            "division",
            "task",
            "milestone",
            "petition",
            "case",
            "text",
            "issued_at",
            "reply_due",
            "reply",
            "replied_at",
        ]


class CircularSerializer(serializers.ModelSerializer):
    pdf_link = serializers.SerializerMethodField()

    class Meta:
        model = Circular
        fields = [
            "id",
            "number",
            "title",
            "first_date",
            "last_date",
            "division_code",
            "status",
            "figures",
            "pdf_sha256",
            "created_at",
            "signed_at",
            "pdf_link",
        ]

    def get_pdf_link(self, obj: Circular) -> str:
        return f"{API}/oversight/circulars/{obj.pk}/pdf/"


class OversightRecheckSerializer(serializers.ModelSerializer):
    task = serializers.CharField(source="task.code", default=None)
    petition = serializers.CharField(source="petition.number", default=None)
    division = serializers.CharField(source="division.code")

    class Meta:
        model = Recheck
        fields = ["id", "batch", "item", "task", "petition", "division", "sampled_at", "outcome", "checked_on", "note"]


# --------------------------------------------------------------------------- inputs


class RoundInput(StrictSerializer):
    code = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=RoundKind.choices)
    started_on = serializers.DateField()
    ended_on = serializers.DateField()
    feedback_on = serializers.DateField(required=False, allow_null=True)
    document_no = serializers.CharField(max_length=100, required=False, allow_blank=True)


class FindingInput(StrictSerializer):
    round = serializers.CharField(max_length=32)
    code = serializers.CharField(max_length=32)
    text = serializers.CharField(max_length=4000)
    category = serializers.ChoiceField(choices=FindingCategory.choices)
    division = serializers.CharField(max_length=12, validators=[_division_code])
    reaches = serializers.ListField(child=serializers.CharField(max_length=32), required=False, max_length=200)
    lakes = serializers.ListField(child=serializers.CharField(max_length=32), required=False, max_length=200)
    intakes = serializers.ListField(child=serializers.CharField(max_length=32), required=False, max_length=200)
    plants = serializers.ListField(child=serializers.CharField(max_length=32), required=False, max_length=200)


class MilestoneInput(StrictSerializer):
    kind = serializers.ChoiceField(choices=MilestoneKind.choices)
    title = serializers.CharField(max_length=300)
    due_on = serializers.DateField()


class TaskInput(StrictSerializer):
    finding = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    code = serializers.RegexField(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,31}$")
    title = serializers.CharField(max_length=300)
    lead_unit = serializers.CharField(max_length=150)
    responsible_units = serializers.ListField(
        child=serializers.CharField(max_length=150), required=False, max_length=50
    )
    measures = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    target = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    starts_on = serializers.DateField(required=False)
    deadline = serializers.DateField()
    milestones = MilestoneInput(many=True, required=False)


class CompleteInput(StrictSerializer):
    completed_on = serializers.DateField()
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class ReasonInput(StrictSerializer):
    reason = serializers.CharField(max_length=1000)


class NoteInput(StrictSerializer):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class MilestoneDoneInput(StrictSerializer):
    done_on = serializers.DateField()
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ProgressInput(serializers.Serializer):
    """JSON or multipart (with `files`)."""

    text = serializers.CharField(max_length=4000)
    milestone = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)


class PetitionBatchInput(StrictSerializer):
    """A hand-over batch as JSON: the same columns as the sheet, one object per row."""

    round = serializers.CharField(max_length=32)
    batch = serializers.IntegerField(min_value=1, max_value=10_000)
    received_on = serializers.DateField()
    rows = serializers.ListField(child=serializers.DictField(), allow_empty=False)


class BatchMetaInput(serializers.Serializer):
    """The batch a sheet belongs to: form fields with a multipart upload, query parameters with a CSV body."""

    round = serializers.CharField(max_length=32)
    batch = serializers.IntegerField(min_value=1, max_value=10_000)
    received_on = serializers.DateField()


class FiguresInput(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    division = serializers.RegexField(r"^\d{6}(\d{3}(\d{3})?)?$", required=False)


class SubmitInput(serializers.Serializer):
    result = serializers.CharField(max_length=4000)
    substantiated = serializers.ChoiceField(choices=Substantiated.choices)
    measures = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    reply = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=PetitionStatus.choices, help_text="closed or stage_closed")


class AcceptInput(StrictSerializer):
    closed_on = serializers.DateField(required=False)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class OpenCaseInput(StrictSerializer):
    category = serializers.ChoiceField(choices=CaseCategory.choices)
    reach = serializers.CharField(max_length=32, required=False)
    lon = serializers.FloatField(min_value=-180, max_value=180, required=False)
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False)


class OrderInput(StrictSerializer):
    subject = serializers.ChoiceField(choices=OrderSubject.choices)
    item = serializers.CharField(max_length=64, help_text="task code, milestone id, petition number or case id")
    text = serializers.CharField(max_length=4000)
    reply_due = serializers.DateField()
    unit = serializers.CharField(max_length=150, required=False, help_text="for a case: the unit to supervise")


class ReplyInput(StrictSerializer):
    reply = serializers.CharField(max_length=4000)


class CircularInput(StrictSerializer):
    start = serializers.DateField()
    end = serializers.DateField()
    division = serializers.CharField(
        max_length=12, required=False, allow_blank=True, default="", validators=[_division_code]
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class SampleInput(StrictSerializer):
    item = serializers.ChoiceField(choices=RecheckItem.choices)
    count = serializers.IntegerField(min_value=1, max_value=10_000)
    seed = serializers.IntegerField(min_value=0, max_value=2**48 - 1, required=False)
    division = serializers.CharField(max_length=12, required=False, validators=[_division_code])


class RecordInput(StrictSerializer):
    outcome = serializers.ChoiceField(choices=RecheckOutcome.choices, help_text="confirmed or relapsed")
    checked_on = serializers.DateField()
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)

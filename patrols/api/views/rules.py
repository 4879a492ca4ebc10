"""Chiefs, compliance and the rule tables."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.scope import scope_for
from core.api.export_views import EXPORT_RESPONSES
from core.api.views import ApiView
from core.exports import Column, export_response
from patrols import report_selectors, selectors
from patrols.api.serializers import (
    ChiefsQuerySerializer,
    ComplianceQuerySerializer,
    ComplianceRowSerializer,
    FrequencyRuleSerializer,
    ValidityRuleSerializer,
)
from patrols.api.views._common import READ_ROLES, _validated
from places.choices import ChiefLevel

# =========================================================================== chiefs, compliance, rules


class ChiefsView(ApiView):
    """A reach's chiefs at each level on a date (default today)."""

    read_roles = READ_ROLES

    @extend_schema(
        summary="A reach's chiefs at each level",
        parameters=[OpenApiParameter("reach", int, required=True), OpenApiParameter("on", OpenApiTypes.DATE)],
        responses=OpenApiResponse(description='{"reach", "reach_code", "on", "levels": {"city": [...], ...}}'),
    )
    def get(self, request: Request) -> Response:
        v = _validated(ChiefsQuerySerializer, request, data=request.query_params.dict())
        found = selectors.reach_chiefs(scope=scope_for(request.user), reach_id=v["reach"], on=v.get("on"))
        levels = {
            level: [
                {
                    "assignment": a.pk,
                    "chief": a.chief_id,
                    "username": a.chief.username,
                    "name": a.chief.display_name,
                    "valid_from": a.valid_from,
                    "valid_until": a.valid_until,
                }
                for a in found.by_level[level]
            ]
            for level in ChiefLevel.values
        }
        return Response(
            {
                "reach": found.reach.pk,
                "reach_code": found.reach.code,
                "reach_name": found.reach.name,
                "on": found.on,
                "levels": levels,
            }
        )


class ComplianceView(ApiView):
    """Patrol frequency compliance per chief and level (JSON, CSV or Excel)."""

    read_roles = READ_ROLES

    columns = (
        Column("chief_username", gettext_lazy("Chief")),
        Column("chief_name", gettext_lazy("Chief name"), width=24),
        Column("level", gettext_lazy("Level")),
        Column("water", gettext_lazy("Water (rivers, lakes or both)")),
        Column("rule", gettext_lazy("Rule"), width=36),
        Column("periods", gettext_lazy("Periods"), "int"),
        Column("required", gettext_lazy("Required"), "int"),
        Column("done", gettext_lazy("Done"), "int"),
        Column("person_times", gettext_lazy("Patrol person-times"), "int"),
        Column("valid", gettext_lazy("Valid"), "int"),
        Column("missing", gettext_lazy("Missing"), "int"),
        Column("compliant", gettext_lazy("Compliant"), "bool"),
    )

    @extend_schema(
        summary="Required, done (巡河次数), valid and missing patrols and person-times (巡河人次) per chief and level",
        parameters=[ComplianceQuerySerializer],
        responses={
            (200, "application/json"): inline_serializer(
                "ComplianceReport",
                fields={
                    "start": serializers.DateField(),
                    "end": serializers.DateField(),
                    "totals": serializers.DictField(
                        help_text="chiefs, compliant_chiefs, required, done, valid, missing, rate, and the same "
                        "by_water: rivers (river chiefs), lakes (lake and reservoir chiefs), rivers_and_lakes"
                    ),
                    "results": ComplianceRowSerializer(many=True),
                },
            ),
            **EXPORT_RESPONSES,
        },
    )
    def get(self, request: Request) -> Response | HttpResponse:
        v = _validated(ComplianceQuerySerializer, request, data=request.query_params.dict())
        rows = selectors.compliance(
            scope=scope_for(request.user),
            start=v["start"],
            end=v["end"],
            chief_id=v.get("chief"),
            level=v.get("level"),
            division=v.get("division"),
            detail=v["detail"],
            reach_id=v.get("reach"),
            lake_id=v.get("lake"),
        )
        if v["format"] in ("csv", "xlsx"):
            data = ComplianceRowSerializer(rows, many=True).data
            return export_response(
                fmt=v["format"],
                filename=f"compliance-{v['start']}-{v['end']}",
                columns=self.columns,
                rows=data,
                title=gettext_lazy("patrol frequency compliance"),
            )
        return Response(
            {
                "start": v["start"],
                "end": v["end"],
                "totals": report_selectors.compliance_totals(rows),
                "results": ComplianceRowSerializer(rows, many=True).data,
            }
        )


class ValidityRuleView(ApiView):
    read_roles = READ_ROLES
    query_params: frozenset[str] = frozenset()  # core.api.query: takes none

    @extend_schema(summary="Patrol validity rules (edited in the admin)", responses=ValidityRuleSerializer(many=True))
    def get(self, request: Request) -> Response:
        rules = selectors.validity_rule_list(scope=scope_for(request.user))
        return Response(ValidityRuleSerializer(rules, many=True).data)


class FrequencyRuleView(ApiView):
    read_roles = READ_ROLES
    query_params: frozenset[str] = frozenset()  # core.api.query: takes none

    @extend_schema(summary="Patrol frequency rules (edited in the admin)", responses=FrequencyRuleSerializer(many=True))
    def get(self, request: Request) -> Response:
        rules = selectors.frequency_rule_list(scope=scope_for(request.user))
        return Response(FrequencyRuleSerializer(rules, many=True).data)

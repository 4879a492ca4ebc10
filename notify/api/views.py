"""The notify API: each user's own inbox; rules for reviewers in their jurisdiction; one's own
channel preferences; the escalation steps of items in scope."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.choices import Role
from accounts.permissions import HUMAN_ROLES, STAFF_ROLES
from accounts.scope import scope_for
from core.api.idempotency import IdempotencyMixin
from core.api.views import ID_REGEX, ApiView
from notify import selectors, services
from notify.api.serializers import (
    EscalationSerializer,
    MarkReadSerializer,
    NotificationSerializer,
    PreferenceSerializer,
    RuleInputSerializer,
    RuleSerializer,
)
from notify.models import Notification, Rule


def _validated(serializer_class: type, data: Any, **kw: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data, **kw)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class NotificationViewSet(IdempotencyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own in-app inbox (每个人只看自己的): newest first, `?unread=true|false`."""

    serializer_class = NotificationSerializer
    lookup_value_regex = ID_REGEX
    # Member units get notified (oversight items handed to them): their own inbox, as everyone's.
    read_roles = HUMAN_ROLES | {Role.UNIT}
    write_roles = HUMAN_ROLES | {Role.UNIT}
    filter_backends: list[Any] = []
    query_params = {"list": frozenset({"unread"}), "unread_count": frozenset()}  # core.api.query

    def get_queryset(self) -> QuerySet[Notification]:
        unread = self.request.query_params.get("unread")
        if unread not in (None, "true", "false"):
            raise ValidationError({"unread": ["true or false."]})
        return selectors.inbox_list(user=self.request.user, unread=None if unread is None else unread == "true")

    @extend_schema(parameters=[OpenApiParameter("unread", bool)])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        response.data["unread"] = selectors.inbox_unread_count(user=request.user)
        return response

    @extend_schema(responses=OpenApiResponse(description='{"unread": n}'))
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request: Request) -> Response:
        return Response({"unread": selectors.inbox_unread_count(user=request.user)})

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        n = selectors.inbox_get(user=request.user, notification_id=int(pk))
        services.inbox_mark_read(user=request.user, ids=[n.pk])
        n.refresh_from_db()
        return Response(NotificationSerializer(n).data)

    @extend_schema(request=MarkReadSerializer, responses=OpenApiResponse(description='{"marked": n, "unread": n}'))
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        v = _validated(MarkReadSerializer, request.data)
        marked = services.inbox_mark_read(user=request.user, ids=v.get("ids"))
        return Response({"marked": marked, "unread": selectors.inbox_unread_count(user=request.user)})


def _rule_values(v: dict[str, Any]) -> dict[str, Any]:
    values = {k: v[k] for k in services.RULE_FIELDS if k in v and k != "division_code"}
    if "division" in v:
        values["division_code"] = v["division"]
    return values


def _users(ids: list[int] | None) -> list[Any] | None:
    if ids is None:
        return None
    from django.contrib.auth import get_user_model

    found = {u.pk: u for u in get_user_model().objects.filter(pk__in=ids)}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError({"users": [f"No such user: {', '.join(missing)}."]})
    return [found[i] for i in ids]


class RuleViewSet(IdempotencyMixin, viewsets.ModelViewSet):
    """Notification rules of the reviewer's jurisdiction (an event type and a division → recipients,
    channels, quiet hours, immediate or daily digest)."""

    serializer_class = RuleSerializer
    lookup_value_regex = ID_REGEX
    read_roles = STAFF_ROLES
    write_roles = STAFF_ROLES
    filter_backends: list[Any] = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Rule]:
        return selectors.rule_list(scope=scope_for(self.request.user))

    def get_object(self) -> Rule:
        return selectors.rule_get(scope=scope_for(self.request.user), rule_id=int(self.kwargs["pk"]))

    @extend_schema(request=RuleInputSerializer, responses={201: RuleSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        v = _validated(RuleInputSerializer, request.data)
        rule = services.rule_create(
            actor=request.user, scope=scope_for(request.user), users=_users(v.pop("users", [])), **_rule_values(v)
        )
        return Response(RuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RuleInputSerializer, responses=RuleSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rule = self.get_object()
        v = _validated(RuleInputSerializer, request.data, partial=True)
        rule = services.rule_update(
            rule=rule,
            actor=request.user,
            scope=scope_for(request.user),
            users=_users(v.pop("users", None)),
            **_rule_values(v),
        )
        return Response(RuleSerializer(rule).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.rule_delete(rule=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PreferenceView(ApiView):
    """One's own personal channels: e-mail and SMS on or off, at one's own address."""

    read_roles = HUMAN_ROLES | {Role.UNIT}
    query_params: frozenset[str] = frozenset()  # core.api.query: takes none
    write_roles = HUMAN_ROLES | {Role.UNIT}

    @extend_schema(responses=PreferenceSerializer(many=True))
    def get(self, request: Request) -> Response:
        prefs = selectors.preference_list(user=request.user)
        return Response([{"channel": p.channel, "enabled": p.enabled, "address": p.address} for p in prefs])

    @extend_schema(request=PreferenceSerializer, responses=PreferenceSerializer)
    def post(self, request: Request) -> Response:
        v = _validated(PreferenceSerializer, request.data)
        p = services.preference_set(user=request.user, **v)
        return Response({"channel": p.channel, "enabled": p.enabled, "address": p.address})


class EscalationView(ApiView):
    """Escalation steps of the items in the caller's jurisdiction (`?subject_type=patrols.case&subject_id=`)."""

    read_roles = frozenset(STAFF_ROLES | {"chief"})
    query_params = frozenset({"subject_type", "subject_id"})

    @extend_schema(
        parameters=[OpenApiParameter("subject_type", str), OpenApiParameter("subject_id", str)],
        responses=EscalationSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        steps = selectors.escalation_list(
            scope=scope_for(request.user),
            subject_type=request.query_params.get("subject_type"),
            subject_id=request.query_params.get("subject_id"),
        ).select_related("event")[:500]
        return Response(EscalationSerializer(steps, many=True).data)

from __future__ import annotations

import hashlib

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from accounts.api.serializers import MeSerializer, TokenRequestSerializer, TokenResponseSerializer
from accounts.choices import Role
from accounts.models import ApiToken
from accounts.permissions import HUMAN_ROLES
from accounts.services import token_login, token_revoke
from core.api.client_ip import client_ip
from core.api.exceptions import error_body


class LoginThrottle(SimpleRateThrottle):
    """LOGIN_THROTTLE_RATE per (username, client address): behind a proxy, everyone shares the proxy's
    address, so an address alone would let 20 bad tries by one person block everybody's log-in. The
    address comes from core.api.client_ip, so a rotating X-Forwarded-For does not give fresh buckets."""

    scope = "login"

    def get_cache_key(self, request: Request, view: object) -> str:
        username = str(request.data.get("username", "")) if hasattr(request.data, "get") else ""
        ident = hashlib.sha256(f"{client_ip(request)}\0{username.strip().lower()}".encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class TokenView(APIView):
    """Log in with a username and password and receive an API token; DELETE revokes the token used."""

    authentication_classes = APIView.authentication_classes

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return super().get_permissions()

    def get_throttles(self):
        return [LoginThrottle()] if self.request.method == "POST" else []

    # Member units (成员单位) sign in and out like everyone else (the permission matrix's unit column).
    read_roles = HUMAN_ROLES | {Role.UNIT}
    write_roles = HUMAN_ROLES | {Role.DEVICE, Role.UNIT}

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer}, auth=[])
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        secret = token_login(
            username=data.validated_data["username"],
            password=data.validated_data["password"],
            request=request._request,  # the lock-out counts failures by username and client address
        )
        return Response({"token": secret}, status=status.HTTP_200_OK)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        if not isinstance(request.auth, ApiToken):
            return Response(
                error_body("not_token_auth", "Sign out of a session through the web pages."),
                status=status.HTTP_400_BAD_REQUEST,
            )
        token_revoke(token=request.auth, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """Who the token belongs to: role and jurisdiction, so an app can shape its screens."""

    read_roles = HUMAN_ROLES | {Role.DEVICE, Role.UNIT}
    query_params: frozenset[str] = frozenset()  # core.api.query: takes none

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        user = request.user
        return Response(MeSerializer(user).data)
